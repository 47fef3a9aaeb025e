"""A grader failure is never a grade (issue 12): `grader_error` has no score anywhere.

The failure is injected where it happens in life: the fork server stops answering in the
middle of a submission (here, after the first test). Everything downstream is then checked:
the JSON, the gradebook (and its SQL view), the CSV, the HTML and Markdown feedback, the
statistics, and the next run, which grades it again.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from sqlalchemy import text

from autograder.course import load_assignment
from autograder.feedback.report import write_report
from autograder.gradebook import Gradebook, Provenance
from autograder.grading.engine import Options, run_session, start_zygote
from autograder.grading.resume import plan, submission_sha, suite_sha
from autograder.grading.submission import read_submission
from autograder.results import BatchResult, SubmissionResult
from autograder.sandbox.errors import SandboxUnavailable


class DyingAfter:
    """Wraps a zygote; after `n` sandbox requests of a submission it is 'gone'."""

    def __init__(self, zygote: Any, n: int) -> None:
        self._zygote = zygote
        self.left = n

    def __getattr__(self, name: str) -> Any:
        return getattr(self._zygote, name)

    def spawn(self, request: dict[str, Any]) -> Any:
        if self.left <= 0:
            raise SandboxUnavailable("the sandbox's fork server died (injected by the test)")
        self.left -= 1
        return self._zygote.spawn(request)

    def sweep(self) -> int:
        result: int = self._zygote.sweep()
        self.left = 0  # the first kill of a sandbox is the last thing that works
        return result


def graded(course: Path, student: str, *, die_after: int | None) -> SubmissionResult:
    assignment = load_assignment(course, "toy")
    options = Options()
    zygote = start_zygote(assignment, options)
    results: list[SubmissionResult] = []
    try:
        # the preflight spawns one sandbox of its own: allow it, then `die_after` more
        target = zygote if die_after is None else DyingAfter(zygote, die_after + 1)
        sub = read_submission(assignment, student, course / "submissions" / student)
        run_session(assignment, [sub], results.append, options, zygote=target)  # type: ignore[arg-type]
    finally:
        zygote.close()
    return results[0]


def test_a_sandbox_that_dies_under_the_grader_gives_grader_error_not_zero(
        toy_course: Path, tmp_path: Path) -> None:
    # `segfault` restarts its sandbox after its crash: the restart is what fails here
    result = graded(toy_course, "segfault", die_after=1)
    assert result.status == "grader_error" and result.score is None and result.incomplete
    assert all(t.status == "not_run" and t.score is None for t in result.tests)
    assert "not a problem with your code" in result.message
    assert "injected by the test" in result.diagnostics
    assert "injected" not in result.message  # the cause is the instructor's, not feedback
    assert result.max_score == 7

    url = f"sqlite:///{tmp_path / 'gb.db'}"
    book = Gradebook(url)
    assignment = load_assignment(toy_course, "toy")

    def provenance(student: str) -> Provenance:
        return Provenance(submission_sha(assignment, toy_course / "submissions" / student),
                          suite_sha(assignment, Options()))

    book.record("toy", result, provenance=provenance("segfault"))
    good = graded(toy_course, "correct", die_after=None)
    book.record("toy", good, provenance=provenance("correct"))
    with book.engine.connect() as conn:
        rows = dict(conn.execute(text("SELECT student, score FROM current_submissions")).all())
    assert rows == {"segfault": None, "correct": 7.0}  # SQL users see NULL, not 0
    stored = book.current("toy", "segfault")
    assert stored is not None and stored.score is None and stored.status == "grader_error"
    students = [(s, toy_course / "submissions" / s) for s in ("segfault", "correct")]
    work = plan(book, assignment, students, options=Options(), force=False)
    assert [s for s, _ in work.todo] == ["segfault"] and work.done == ["correct"]
    book.close()

    batch = BatchResult("toy", 7.0, [result, good])
    data = json.loads(json.dumps(batch.to_json()))
    assert data["submissions"][0]["score"] is None
    files = write_report([result, good], tmp_path / "report", title="Toy", slug="toy",
                         max_score=7.0, source="test")
    rows_csv = {r["student"]: r for r in csv.DictReader(files.csv.open())}
    assert rows_csv["segfault"]["score"] == "" and rows_csv["segfault"]["status"] == (
        "grader_error")
    assert rows_csv["correct"]["score"] == "7"
    page = (files.feedback / "segfault.html").read_text()
    assert "—" in page and "grader_error" in page and ">0 <" not in page
    markdown = (files.feedback / "segfault.md").read_text()
    assert "**Score: — / 7**" in markdown
    summary = files.summary.read_text()
    assert "— / 7" in summary


def test_the_statistics_leave_a_grader_error_out(toy_course: Path) -> None:
    from autograder.feedback.stats import summary
    from autograder.results import grader_error

    good = SubmissionResult("a", 4.0, 7.0, "graded")
    failed = grader_error("b", max_score=7.0, reason="test")
    stats = summary([good, failed])
    assert stats.n == 1 and stats.mean == 4.0 and stats.min == 4.0
    assert stats.statuses == {"graded": 1, "grader_error": 1}
