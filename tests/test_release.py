"""One source, two views: stubs from references, and the release check."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.commands.release import release
from autograder.release import make_stub, strip_markers
from autograder.yamlfile import ConfigError

REFERENCE = '''import torch


def f(x):
    """Doc stays."""
    ### BEGIN SOLUTION
    # Step 1: double it.
    y = x * 2
    # an implementation note that must not leak
    return y
    ### END SOLUTION


class C:
    def g(self):
        ### BEGIN SOLUTION
        return 1
        ### END SOLUTION
'''
README = "# T\n\n## 1. Doubling: `f` (2 points)\n\n## 2.1 A class: `C` (1 point)\n"


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    ref, readme = tmp_path / "m.py", tmp_path / "README.md"
    ref.write_text(REFERENCE)
    readme.write_text(README)
    return ref, readme


def test_solution_regions_become_a_pointer_to_the_readme_keeping_step_hints(files):
    stub = make_stub(*files)
    assert '    """Doc stays."""\n    # Step 1: double it.\n' in stub
    assert 'raise NotImplementedError("f: see README §1")' in stub
    assert 'raise NotImplementedError("C.g: see README §2.1")' in stub
    assert "x * 2" not in stub and "implementation note" not in stub and "BEGIN" not in stub


def test_strip_markers_keeps_the_solution_without_marker_lines(files):
    clean = strip_markers(files[0])
    assert "y = x * 2" in clean and "SOLUTION" not in clean


@pytest.mark.parametrize("source, problem", [
    ("def f():\n    ### BEGIN SOLUTION\n    return 1\n", r"m.py:2: .* never closed"),
    ("def f():\n    return 1\n    ### END SOLUTION\n", r"m.py:3: .* without"),
    ("### BEGIN SOLUTION\nX = 1\n### END SOLUTION\n", r"m.py:1: .* inside a function"),
    ("def f():\n    x = 1  ### BEGIN SOLUTION\n", r"m.py:2: .* alone on its line"),
    ("def h():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION\n",
     r"README.md: no numbered heading names `h`"),
])
def test_marker_mistakes_are_reported_with_file_and_line(files, source, problem):
    files[0].write_text(source)
    with pytest.raises(ConfigError, match=problem):
        make_stub(*files)


def test_release_check_passes_on_this_repository(repo):
    assert release(repo, [], check=True) == []


def test_release_check_fails_for_a_stale_stub_and_for_hidden_files(tmp_path, repo):
    course = tmp_path / "course"
    for part in ("assignments/masking", "solutions/masking"):
        shutil.copytree(repo / part, course / part)
    stub = course / "assignments" / "masking" / "masking.py"
    stub.write_text(stub.read_text() + "\n# edited by hand\n")
    (course / "assignments" / "masking" / "test_hidden.py").write_text("# leaked\n")
    problems = release(course, [], check=True)
    assert any("masking.py: out of date" in p and "nlpgrade release" in p for p in problems)
    assert any("test_hidden.py: hidden material" in p for p in problems)
    proc = subprocess.run([sys.executable, "-m", "autograder.cli", "release", "--check",
                           "--course", str(course)], capture_output=True, text=True)
    assert proc.returncode == 1
    assert release(course, ["masking"], check=False) == []
    assert stub.read_text() == (repo / "assignments" / "masking" / "masking.py").read_text()
