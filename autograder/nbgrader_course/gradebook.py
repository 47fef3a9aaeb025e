"""Scores into nbgrader's own gradebook (`nbgrader.api.Gradebook`), so that `nbgrader export`
and formgrader show them.

The mapping: the assignment is nbgrader's assignment (with the manifest's `due` as its
duedate); it has one notebook named after the slug; each of our tests is one of its
autograded grade cells (max_score = the test's points), and a student's grade for that cell
is the test's score. The late penalty goes in the submitted notebook's
`late_submission_penalty` (in points), which nbgrader subtracts in its exports.

Without nbgrader installed, `write_export_csv` writes the same rows in the column format of
`nbgrader export` instead.
"""

from __future__ import annotations

import csv
import warnings
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from autograder.results import SubmissionResult, atomic_text
from autograder.sanitize import csv_cell

EXPORT_COLUMNS = ["assignment", "duedate", "timestamp", "student_id", "last_name",
                  "first_name", "email", "raw_score", "late_submission_penalty", "score",
                  "max_score"]


@dataclass(frozen=True)
class Graded:
    result: SubmissionResult
    timestamp: datetime | None
    penalty_points: float


def _utc(stamp: datetime | None) -> datetime | None:
    from datetime import timezone

    return stamp.astimezone(timezone.utc).replace(tzinfo=None) if stamp else None


def record(db_url: str, slug: str, *, due: datetime | None, max_score: float,
           tests: list[tuple[str, float]], graded: list[Graded]) -> None:
    """Create or update the assignment, its grade cells, students and their grades."""
    from nbgrader.api import Grade, Gradebook, MissingEntry
    from sqlalchemy.exc import SAWarning

    with warnings.catch_warnings(), Gradebook(db_url) as gb:
        # nbgrader's add_submission builds objects outside its session (its own warning)
        warnings.simplefilter("ignore", SAWarning)
        gb.update_or_create_assignment(slug, duedate=_utc(due))
        gb.update_or_create_notebook(slug, slug)
        for name, points in tests:
            gb.update_or_create_grade_cell(name, slug, slug, max_score=points,
                                           cell_type="code")
        for item in graded:
            r = item.result
            if r.score is None:
                continue  # a grader_error stays ungraded in nbgrader too, never a 0
            gb.update_or_create_student(r.student)
            submission = gb.update_or_create_submission(slug, r.student,
                                                        timestamp=_utc(item.timestamp))
            notebook = gb.find_submission_notebook(slug, slug, r.student)
            scores = {t.name: t.score for t in r.tests}
            for name, _ in tests:
                try:
                    grade = gb.find_grade(name, slug, slug, r.student)
                except MissingEntry:  # a test added since this student was last graded
                    grade = Grade(cell_id=gb.find_grade_cell(name, slug, slug).id,
                                  notebook=notebook)
                    gb.db.add(grade)
                grade.auto_score = scores.get(name, 0.0)
                grade.needs_manual_grade = False
            notebook.late_submission_penalty = item.penalty_points or None
            submission.timestamp = _utc(item.timestamp)
            gb.db.commit()


def write_export_csv(path: Path, slug: str, *, due: datetime | None, max_score: float,
                     graded: list[Graded]) -> None:
    """The rows `nbgrader export` would write, for courses without nbgrader installed."""
    with atomic_text(path, newline="") as f:
        writer = csv.writer(f)
        writer.writerow(EXPORT_COLUMNS)
        for item in sorted(graded, key=lambda g: g.result.student):
            if item.result.score is None:
                continue  # a grader_error is not graded: no row, never a 0
            raw = sum(t.score or 0.0 for t in item.result.tests)
            writer.writerow([slug, _utc(due) or "", _utc(item.timestamp) or "",
                             csv_cell(item.result.student), "", "", "", f"{raw:g}",
                             f"{item.penalty_points:g}", f"{raw - item.penalty_points:g}",
                             f"{max_score:g}"])
