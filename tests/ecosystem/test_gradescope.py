"""Gradescope: the autograder zip, `run_autograder` against a fake /autograder root, the
results.json spec, and the known cheats."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from autograder.course import load_assignment
from autograder.gradescope.build import build_zip
from tests.conftest import TOY

VISIBILITY = {"hidden", "after_due_date", "after_published", "visible"}

HOSTILE = '''
import atexit, json, os
import torch

RESULTS = {results!r}


def _write():
    try:
        os.makedirs(os.path.dirname(RESULTS), exist_ok=True)
        with open(RESULTS, "w") as f:
            json.dump({{"score": 100.0, "output": "pwned", "tests": []}}, f)
    except OSError:
        pass


_write()
atexit.register(_write)  # cheat: rewrite results.json at exit
for target in ("_pytest.runner", "autograder.testing", "autograder.grading.plugin"):
    try:  # cheat: patch the test runner and the comparisons
        module = __import__(target, fromlist=["x"])
        for name in ("runtestprotocol", "assert_close", "assert_equal", "explain"):
            setattr(module, name, lambda *a, **k: None)
    except Exception:
        pass


def double(x):
    return x * 3  # wrong: only a patched comparison would pass it


class Counter:
    def __init__(self, start):
        self.total = start

    def add(self, k):
        self.total += k
        return self.total


def softmax(x):
    _write()
    os._exit(0)  # cheat: write results.json, then leave before the grader can
'''


def check_spec(data: dict) -> None:  # type: ignore[type-arg]
    """results.json as Gradescope specifies it."""
    assert isinstance(data["score"], float) and isinstance(data["execution_time"], float)
    assert isinstance(data["output"], str) and data["stdout_visibility"] in VISIBILITY
    numbers = []
    for test in data["tests"]:
        assert set(test) >= {"name", "number", "score", "max_score", "status", "output",
                             "visibility"}
        assert test["status"] in ("passed", "failed") and test["visibility"] in VISIBILITY
        assert 0 <= test["score"] <= test["max_score"]
        numbers.append(test["number"])
    assert len(set(numbers)) == len(numbers)
    assert abs(sum(t["score"] for t in data["tests"]) - data["score"]) < 1e-9


@pytest.fixture(scope="module")
def autograder_zip(tmp_path_factory) -> Path:  # type: ignore[no-untyped-def]
    path = tmp_path_factory.mktemp("gs") / "autograder.zip"
    build_zip(load_assignment(TOY, "toy"), path)
    return path


def test_zip_has_the_entry_points_the_release_and_only_grader_files_of_solutions(
        autograder_zip):
    with zipfile.ZipFile(autograder_zip) as zf:
        names = set(zf.namelist())
        modes = {i.filename: i.external_attr >> 16 for i in zf.infolist()}
    assert {"setup.sh", "run_autograder", "nlpgrade-gradescope.json",
            "nlpgrade/pyproject.toml", "nlpgrade/autograder/gradescope/run.py",
            "nlpgrade/autograder/feedback/templates/student.html.j2",
            "course/assignments/toy/assignment.yaml", "course/assignments/toy/toy.py"} <= names
    assert modes["run_autograder"] & 0o111 and modes["setup.sh"] & 0o111
    assert {n for n in names if n.startswith("course/solutions/")} == {
        "course/solutions/toy/toy.py", "course/solutions/toy/test_hidden.py"}
    assert not any("__pycache__" in n or "submissions" in n for n in names)


def fake_root(tmp_path: Path, autograder_zip: Path, source: str) -> Path:
    root = tmp_path / "autograder"
    with zipfile.ZipFile(autograder_zip) as zf:
        zf.extractall(root / "source")
    (root / "source" / "run_autograder").chmod(0o755)
    (root / "submission").mkdir(parents=True)
    (root / "submission" / "toy.py").write_text(source)
    return root


def start(root: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "NLPGRADE_GRADESCOPE_ROOT": str(root),
           "NLPGRADE_VENV": sys.prefix}
    return subprocess.Popen(["bash", str(root / "source" / "run_autograder")], env=env,
                            text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


@pytest.fixture(scope="module")
def runs(tmp_path_factory, autograder_zip):  # type: ignore[no-untyped-def]
    """run_autograder on an honest and a hostile submission, side by side."""
    honest = fake_root(tmp_path_factory.mktemp("honest"), autograder_zip,
                       (TOY / "submissions" / "wrong_double" / "toy.py").read_text())
    base = tmp_path_factory.mktemp("hostile")
    hostile = fake_root(base, autograder_zip, HOSTILE.format(
        results=str(base / "autograder" / "results" / "results.json")))
    procs = {"honest": (honest, start(honest)), "hostile": (hostile, start(hostile))}
    out = {}
    for name, (root, proc) in procs.items():
        log, _ = proc.communicate(timeout=300)
        assert proc.returncode == 0, log
        out[name] = json.loads((root / "results" / "results.json").read_text())
    return out


def test_run_autograder_writes_results_json_to_the_spec(runs):
    data = runs["honest"]
    check_spec(data)
    assert data["score"] == 5.0  # x + 1 passes the public double(ones) but not the hidden
    by_name = {t["name"]: t for t in data["tests"]}
    assert by_name["test_double_of_ones_is_twos"]["visibility"] == "visible"
    hidden = by_name["test_double_matches_the_reference_on_random_input"]
    assert hidden["visibility"] == "after_published" and hidden["status"] == "failed"
    assert "you add one instead of doubling" in hidden["output"]
    # Names and messages only: no line of the hidden tests' code.
    text = json.dumps(data)
    for line in (TOY.parent / "toy_course" / "solutions" / "toy" / "test_hidden.py"
                 ).read_text().splitlines():
        if len(line.strip()) > 20 and not line.strip().startswith("def "):
            assert line.strip() not in text


def test_writing_results_json_exiting_atexit_and_patching_do_not_change_the_score(runs):
    data = runs["hostile"]
    check_spec(data)
    assert data["output"] != "pwned"
    status = {t["name"]: (t["score"], t["status"]) for t in data["tests"]}
    assert status["test_double_of_ones_is_twos"] == (0.0, "failed")  # patching did nothing
    assert status["test_counter_keeps_its_total_between_calls"] == (2.0, "passed")
    assert status["test_softmax_rows_sum_to_one"] == (0.0, "failed")  # os._exit: a crash
    assert data["score"] == 2.0
    crashed = next(t for t in data["tests"] if t["name"] == "test_softmax_rows_sum_to_one")
    assert crashed["output"].startswith("[crashed]")


def test_a_broken_grader_writes_no_score_and_exits_non_zero(tmp_path, capsys):
    """A grader failure is never a grade: no results.json (Gradescope then shows the
    submission as not graded, not 0), a stale one is removed, and the cause is printed."""
    from autograder.gradescope.run import main

    (tmp_path / "source").mkdir()
    (tmp_path / "results").mkdir()
    (tmp_path / "results" / "results.json").write_text('{"score": 0.0}')  # from an old run
    assert main(["--root", str(tmp_path)]) == 1
    assert not (tmp_path / "results" / "results.json").exists()
    err = capsys.readouterr().err
    assert "the grader itself failed" in err and "nlpgrade-gradescope.json" in err
