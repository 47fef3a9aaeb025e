"""Crash safety: SIGKILL the grader mid-batch, rerun the same command, lose and repeat nothing."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
from sqlalchemy import text

from autograder.course import load_assignment
from autograder.gradebook import Gradebook, Provenance
from autograder.grading.engine import Options
from autograder.grading.resume import plan
from autograder.grading.submission import discover
from autograder.results import SubmissionResult

# Graded in this order with --workers 1. `m_slow` sleeps in `Counter.add` until its call
# times out (2 s): the grader is killed while it grades that student, after a_, b_, c_ are in.
CLASS = {"a_correct": "correct", "b_wrong": "wrong_double", "c_raises": "raises",
         "m_slow": None, "x_stub": "stub", "y_correct": "correct", "z_syntax": "syntax_error"}
EXPECTED = {"a_correct": 7.0, "b_wrong": 5.0, "c_raises": 5.0, "m_slow": 5.0, "x_stub": 0.0,
            "y_correct": 7.0, "z_syntax": 0.0}
KILL_AFTER = 3  # rows in the gradebook
TOY = Path(__file__).resolve().parents[1] / "fixtures" / "toy_course"


def make_class(toy_course: Path, folder: Path) -> Path:
    examples = toy_course / "submissions"
    for student, example in CLASS.items():
        (folder / student).mkdir(parents=True)
        source = (examples / (example or "correct") / "toy.py").read_text()
        if example is None:
            source = source.replace("return self.total", "import time\n        "
                                    "time.sleep(600)\n        return self.total")
        (folder / student / "toy.py").write_text(source)
    return folder


def rows(url: str) -> list[tuple[str, int, str, str, int]]:
    """(student, attempt, graded_at, grader, number of test rows) for every attempt."""
    book = Gradebook(url)
    with book.engine.connect() as conn:
        found = conn.execute(text(
            "SELECT s.student, s.attempt, s.graded_at, s.grader, COUNT(t.id) FROM submissions s "
            "LEFT JOIN test_results t ON t.submission_id = s.id "
            "GROUP BY s.id, s.student, s.attempt, s.graded_at, s.grader ORDER BY s.student"))
        result = [tuple(r) for r in found]
    book.close()
    return result  # type: ignore[return-value]


def test_a_batch_killed_with_sigkill_resumes_without_regrading_or_duplicating(
        toy_course: Path, tmp_path: Path) -> None:
    subs = make_class(toy_course, tmp_path / "subs")
    url = f"sqlite:///{tmp_path / 'gradebook.db'}"
    out = tmp_path / "toy.json"
    command = [sys.executable, "-m", "autograder.cli", "grade", "toy", str(subs), "--course",
               str(toy_course), "--db", url, "--json", str(out), "--workers", "1"]
    grader = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 240
        while len(rows(url) if (tmp_path / "gradebook.db").exists() else []) < KILL_AFTER:
            assert grader.poll() is None, grader.communicate()[0].decode()[-3000:]
            assert time.monotonic() < deadline, "the grader recorded nothing in 240 s"
            time.sleep(0.02)  # polling the gradebook: the condition is the rows, not a time
        family = psutil.Process(grader.pid).children(recursive=True)
        os.kill(grader.pid, signal.SIGKILL)
        grader.wait()
    finally:
        if grader.poll() is None:
            grader.kill()
            grader.wait()
    assert grader.returncode == -signal.SIGKILL
    _, alive = psutil.wait_procs(family, timeout=30)
    assert not alive, f"orphans left grading after the grader died: {alive}"
    before = rows(url)
    assert KILL_AFTER <= len(before) < len(CLASS), "killed mid-batch"
    assert not out.exists()  # the report is only ever written whole

    rerun = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert f"resuming: {len(before)} of {len(CLASS)} submissions are already graded" \
           in " ".join(rerun.stdout.split())
    after = rows(url)
    assert [r[0] for r in after] == sorted(CLASS)  # one attempt each: nothing duplicated
    assert all(attempt == 1 and tests == 4 for _, attempt, _, _, tests in after)
    assert set(before) <= set(after)  # the finished ones were kept, not regraded
    report = json.loads(out.read_text())
    assert {s["student"]: s["score"] for s in report["submissions"]} == EXPECTED
    assert all("bwrap" in s["isolation"] for s in report["submissions"])


def test_resume_regrades_what_changed_what_failed_and_everything_with_force(
        toy_course: Path, tmp_path: Path) -> None:
    assignment = load_assignment(toy_course, "toy")
    subs = make_class(toy_course, tmp_path / "subs")
    students = discover(subs)
    book = Gradebook(f"sqlite:///{tmp_path / 'gradebook.db'}")
    options = Options(run_seed=0)
    first = plan(book, assignment, students, options=options, force=False)
    assert first.done == [] and len(first.todo) == len(CLASS)
    for student, _ in students:
        book.record("toy", SubmissionResult(student, 0.0, 7.0, "graded",
                                            incomplete=student == "c_raises"),
                    provenance=Provenance(first.shas[student], first.suite))
    (subs / "b_wrong" / "toy.py").write_text("# resubmitted\n")
    again = plan(book, assignment, students, options=options, force=False)
    assert [s for s, _ in again.todo] == ["b_wrong", "c_raises"]  # changed; grader failed
    assert len(again.done) == len(CLASS) - 2
    other_seed = plan(book, assignment, students, options=Options(run_seed=1), force=False)
    assert other_seed.done == []
    forced = plan(book, assignment, students, options=options, force=True)
    assert forced.done == [] and len(forced.todo) == len(CLASS)
    book.close()


@pytest.fixture
def toy_copy(toy_course: Path, tmp_path: Path) -> Path:
    """A copy whose tests this test may change."""
    root = tmp_path / "course"
    shutil.copytree(toy_course, root, ignore=shutil.ignore_patterns("submissions"))
    return root


def test_a_changed_hidden_test_makes_every_grade_stale(toy_copy: Path, tmp_path: Path) -> None:
    assignment = load_assignment(toy_copy, "toy")
    subs = make_class(TOY, tmp_path / "subs")
    book = Gradebook(f"sqlite:///{tmp_path / 'gradebook.db'}")
    work = plan(book, assignment, discover(subs), options=Options(), force=False)
    for student in CLASS:
        book.record("toy", SubmissionResult(student, 0.0, 7.0, "graded"),
                    provenance=Provenance(work.shas[student], work.suite))
    assert len(plan(book, assignment, discover(subs), options=Options(), force=False).done) \
        == len(CLASS)
    hidden = assignment.hidden_tests
    hidden.write_text(hidden.read_text() + "\n# a fixed test\n")
    assert plan(book, assignment, discover(subs), options=Options(), force=False).done == []
    book.close()


def test_a_resubmitted_notebook_is_graded_again(tmp_path: Path) -> None:
    """The hash covers the notebook's content, not only the folder listing (issue 13)."""
    from autograder.course import load_assignment
    from autograder.grading.resume import submission_sha
    from tests.conftest import REPO

    masking = load_assignment(REPO, "masking")
    folder = tmp_path / "alice"
    folder.mkdir()
    notebook = folder / "masking.ipynb"
    notebook.write_text('{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}')
    first = submission_sha(masking, folder)
    notebook.write_text('{"cells": [{"cell_type": "code", "source": "x = 1", "metadata": {},'
                        ' "outputs": [], "execution_count": null}], "metadata": {},'
                        ' "nbformat": 4, "nbformat_minor": 5}')
    assert submission_sha(masking, folder) != first
