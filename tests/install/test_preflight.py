"""The preflight: an environment that cannot grade stops the batch before anything is
graded or written, with one line naming the cause (issue 12)."""

from __future__ import annotations

import shutil
import site
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.install.conftest import make_venv, run_nlpgrade

pytestmark = pytest.mark.slow


def startup_code_venv(parent: Path, *, inherit: bool, extra: list[Path]) -> Path:
    """A venv whose grader-side packages come partly from code run at start-up, which the
    jail does not mirror: the grader sees `extra`, the sandbox does not (the real failure,
    reproduced). In the wild that code is often a `sitecustomize`; here it is the import line
    of a `.pth` file (the jail mirrors a `.pth` file's path lines, never what its import lines
    do), because in a venv of Debian's python3 the system's own sitecustomize
    (/usr/lib/python3.11/sitecustomize.py) comes first on sys.path and shadows a venv's."""
    venv = make_venv(parent, inherit=inherit)
    (site,) = (venv / "lib").glob("python3*/site-packages")
    code = "; ".join(["import sys"] + [f"sys.path.append({str(p)!r})" for p in extra])
    (site / "zz_nlpgrade_startup.pth").write_text(code + "\n")
    return venv


def test_a_sandbox_without_torch_stops_grading_with_exit_2_and_writes_nothing(
        toy_course: Path, tmp_path: Path) -> None:
    course = tmp_path / "course"
    shutil.copytree(toy_course, course)
    here = [Path(p) for p in site.getsitepackages()]
    venv = startup_code_venv(tmp_path, inherit=False, extra=[*here, REPO])
    proc = run_nlpgrade(venv, ["grade", "toy", str(course / "submissions"), "--course",
                               str(course)], cwd=tmp_path)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    out = proc.stdout + proc.stderr
    assert "preflight" in out and "'torch'" in out and "nothing was graded" in out
    assert "Traceback" not in out
    assert len([line for line in out.splitlines() if line.strip()]) <= 4  # one error, not 7
    assert not (course / "gradebook.db").exists()
    assert not (course / "reports").exists()


def test_a_package_the_grader_has_but_the_sandbox_lacks_is_a_grader_error(
        toy_course: Path, tmp_path: Path) -> None:
    """The student imports a package the grader can import and the jail cannot: not the
    student's fault, so `grader_error`, no score, exit 1, and the next run grades it again.
    A student who only *claims* a missing package (raises ModuleNotFoundError for torch,
    which the jail has) gets the import_error they caused."""
    course = tmp_path / "course"
    shutil.copytree(toy_course, course)
    vendor = tmp_path / "vendor"
    (vendor / "gradeonly").mkdir(parents=True)
    (vendor / "gradeonly" / "__init__.py").write_text("VALUE = 2\n")
    subs = tmp_path / "subs"
    (subs / "uses_it").mkdir(parents=True)
    (subs / "uses_it" / "toy.py").write_text(
        (course / "solutions" / "toy" / "toy.py").read_text().replace(
            "import torch", "import torch\nimport gradeonly", 1))
    (subs / "liar").mkdir()
    (subs / "liar" / "toy.py").write_text(
        "raise ModuleNotFoundError(\"No module named 'torch'\", name='torch')\n")
    venv = startup_code_venv(tmp_path, inherit=True, extra=[vendor])
    report = tmp_path / "r.json"
    args = ["grade", "toy", str(subs), "--course", str(course), "--json", str(report)]
    proc = run_nlpgrade(venv, args, cwd=tmp_path)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    out = proc.stdout
    assert "NOT GRADED" in out and "'gradeonly'" in out
    assert out.count("the sandbox lacks the package 'gradeonly'") == 1  # said once
    import json

    data = {s["student"]: s for s in json.loads(report.read_text())["submissions"]}
    assert data["uses_it"]["status"] == "grader_error" and data["uses_it"]["score"] is None
    assert all(t["score"] is None for t in data["uses_it"]["tests"])
    assert "not a problem with your code" in data["uses_it"]["message"]
    assert "Traceback" not in data["uses_it"]["message"]  # the details are the instructor's
    assert "gradeonly" in data["uses_it"]["diagnostics"]
    assert data["liar"]["status"] == "import_error" and data["liar"]["score"] == 0
    again = run_nlpgrade(venv, args, cwd=tmp_path)
    assert "resuming: 1 of 2" in again.stdout  # the grader_error is graded again
    assert again.returncode == 1
