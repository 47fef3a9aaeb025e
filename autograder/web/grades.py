"""Students' grades as the website shows them: attempts with their uploads, overrides and late
penalties, the attempt that counts (the manifest's `counts`: latest or best), and overrides.

The gradebook keeps raw scores; a late penalty (the manifest's `due` and `late_penalty`, as
nbgrader exports apply it) is computed from the upload's time when shown or exported. An
attempt without a score (`grader_error`) never counts and never shows as 0: it is "not graded".
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, selectinload

from autograder.course import Assignment
from autograder.gradebook import Gradebook, SubmissionRow, to_result
from autograder.nbgrader_course.late import Lateness, lateness
from autograder.results import SubmissionResult
from autograder.sanitize import clean
from autograder.web.accounts import AccountError, now_iso
from autograder.web.queue import Upload, UploadQueue
from autograder.web.tables import OverrideRow

COMMENT_MAX = 2000


@dataclass(frozen=True)
class Override:
    author: str
    comment: str
    created_at: str


@dataclass(frozen=True)
class AttemptView:
    attempt: int
    score: float | None  # raw; None: not graded (grader_error)
    max_score: float
    status: str
    graded_at: str
    upload: Upload | None
    override: Override | None
    late: Lateness | None

    @property
    def final(self) -> float | None:
        """The score after the late penalty (an override is final as given)."""
        if self.score is None or self.late is None or self.override is not None:
            return self.score
        return round(self.score * (1 - self.late.percent / 100), 4)

    @property
    def graded(self) -> bool:
        return self.score is not None


def penalty(assignment: Assignment, upload: Upload | None) -> Lateness | None:
    if upload is None or assignment.manifest.due is None:
        return None
    stamp = datetime.fromisoformat(upload.submitted_at)
    late = lateness(stamp, assignment.manifest.due, assignment.manifest.late_penalty)
    return late if late.percent else None


def counted(views: list[AttemptView], rule: str) -> AttemptView | None:
    """The attempt that is the grade: among the attempts with a score since the latest
    override (it included), the latest, or the best after penalties."""
    scored = [v for v in views if v.graded]
    overrides = [i for i, v in enumerate(scored) if v.override is not None]
    if overrides:
        scored = scored[overrides[-1]:]
    if not scored:
        return None
    if rule == "best":
        return max(scored, key=lambda v: (v.final or 0.0, v.attempt))
    return scored[-1]


class Grades:
    """Reading attempts of one gradebook database with the web's tables beside them."""

    def __init__(self, gradebook: Gradebook, queue: UploadQueue) -> None:
        self.gradebook, self.queue = gradebook, queue
        self.engine: Engine = gradebook.engine

    def attempts(self, assignment: Assignment, students: list[str] | None = None
                 ) -> dict[str, list[AttemptView]]:
        """student -> their attempts, oldest first (tests not loaded)."""
        slug = assignment.slug
        uploads = self.queue.by_attempt(slug, students)
        with Session(self.engine) as session:
            query = select(SubmissionRow).where(SubmissionRow.assignment == slug)
            over = select(OverrideRow).where(OverrideRow.assignment == slug)
            if students is not None:
                query = query.where(SubmissionRow.student.in_(students))
                over = over.where(OverrideRow.student.in_(students))
            overrides = {(o.student, o.attempt): Override(o.author, o.comment, o.created_at)
                         for o in session.scalars(over)}
            out: dict[str, list[AttemptView]] = {}
            for row in session.scalars(query.order_by(SubmissionRow.student,
                                                      SubmissionRow.attempt)):
                upload = uploads.get((row.student, row.attempt))
                out.setdefault(row.student, []).append(AttemptView(
                    row.attempt, row.score, row.max_score, row.status, row.graded_at, upload,
                    overrides.get((row.student, row.attempt)), penalty(assignment, upload)))
            return out

    def history(self, assignment: Assignment, student: str) -> list[AttemptView]:
        return self.attempts(assignment, [student]).get(student, [])

    def result(self, slug: str, student: str, attempt: int) -> SubmissionResult | None:
        """One attempt with its tests."""
        with Session(self.engine) as session:
            row = session.scalar(select(SubmissionRow).options(
                selectinload(SubmissionRow.tests)).where(
                SubmissionRow.assignment == slug, SubmissionRow.student == student,
                SubmissionRow.attempt == attempt))
            return to_result(row) if row is not None else None

    def counted_results(self, assignment: Assignment
                        ) -> list[tuple[SubmissionResult, AttemptView]]:
        """Each student's counted attempt with its tests, the score after penalties."""
        out = []
        for student, views in sorted(self.attempts(assignment).items()):
            view = counted(views, assignment.manifest.counts)
            if view is None:
                view = views[-1]  # not graded: shown as such, never as 0
            result = self.result(assignment.slug, student, view.attempt)
            if result is not None:
                out.append((replace(result, score=view.final), view))
        return out

    def override(self, assignment: Assignment, student: str, *, score: float, comment: str,
                 author: str) -> int:
        """A manual grade: a new attempt with the given score and the latest attempt's tests,
        and who, when and why beside it; its number."""
        comment = clean(comment, limit=COMMENT_MAX).strip()
        if not comment:
            raise AccountError("an override needs a comment: say why (the student reads it)")
        top = assignment.manifest.points
        if not 0 <= score <= top:
            raise AccountError(f"the score must be between 0 and {top:g}")
        views = self.history(assignment, student)
        base = self.result(assignment.slug, student, views[-1].attempt) if views else None
        message = f"Grade set by {author}: {comment}"
        result = SubmissionResult(student=student, score=score, max_score=top,
                                  status="graded", message=message)
        if base is not None:
            result = replace(base, score=score, status="graded", message=message,
                             incomplete=False, diagnostics="")
        created = now_iso()
        return self.gradebook.record(assignment.slug, result, also=lambda s, n: s.add(
            OverrideRow(assignment=assignment.slug, student=student, attempt=n, author=author,
                        comment=comment, created_at=created)))
