"""FROZEN: the gradebook module of nlpgrade before migrations (git 225b7ab), verbatim below
this line, so the tests can make a gradebook.db exactly as that version did. Never edit.

The gradebook: SQLAlchemy over SQLite by default, any database URL through `--db`.

One row per (assignment, student) in `submissions`, with its tests in `test_results`.
Recording a submission again replaces its row and tests in one transaction, so a regrade is
idempotent and no reader ever sees half a submission.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import (
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    create_engine,
    delete,
    select,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship

from autograder.results import SubmissionResult, TestResult


class Base(DeclarativeBase):
    pass


class SubmissionRow(Base):
    __tablename__ = "submissions"
    __table_args__ = (UniqueConstraint("assignment", "student", name="uq_assignment_student"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assignment: Mapped[str] = mapped_column(String(200), index=True)
    student: Mapped[str] = mapped_column(String(200))
    score: Mapped[float] = mapped_column(Float)
    max_score: Mapped[float] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(32))
    message: Mapped[str] = mapped_column(Text, default="")
    stdout: Mapped[str] = mapped_column(Text, default="")
    isolation: Mapped[str] = mapped_column(String(200), default="")
    seed: Mapped[int] = mapped_column(Integer, default=0)
    duration_s: Mapped[float] = mapped_column(Float, default=0.0)
    graded_at: Mapped[str] = mapped_column(String(40))
    tests: Mapped[list[TestRow]] = relationship(
        back_populates="submission", cascade="all, delete-orphan", order_by="TestRow.position"
    )


class TestRow(Base):
    __tablename__ = "test_results"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[int] = mapped_column(
        ForeignKey("submissions.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(300))
    score: Mapped[float] = mapped_column(Float)
    max_score: Mapped[float] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(32))
    output: Mapped[str] = mapped_column(Text, default="")
    visibility: Mapped[str] = mapped_column(String(16), default="hidden")
    submission: Mapped[SubmissionRow] = relationship(back_populates="tests")


def default_url(course_root: Path) -> str:
    return f"sqlite:///{(course_root / 'gradebook.db').resolve()}"


class Gradebook:
    """Records results; `url` is any SQLAlchemy URL (sqlite:///..., postgresql://...)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = create_engine(url, future=True)
        Base.metadata.create_all(self.engine)

    def record(self, assignment: str, result: SubmissionResult) -> None:
        """Insert or replace one submission and its tests, atomically."""
        with Session(self.engine) as session, session.begin():
            session.execute(
                delete(SubmissionRow).where(
                    SubmissionRow.assignment == assignment, SubmissionRow.student == result.student
                )
            )
            session.flush()
            row = SubmissionRow(
                assignment=assignment,
                student=result.student,
                score=result.score,
                max_score=result.max_score,
                status=result.status,
                message=result.message,
                stdout=result.stdout,
                isolation=result.isolation,
                seed=result.seed,
                duration_s=result.duration_s,
                graded_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
                tests=[
                    TestRow(position=i, name=t.name, score=t.score, max_score=t.max_score,
                            status=t.status, output=t.output, visibility=t.visibility)
                    for i, t in enumerate(result.tests)
                ],
            )
            session.add(row)

    def submissions(self, assignment: str) -> Iterator[SubmissionResult]:
        """The recorded results of one assignment, by student."""
        with Session(self.engine) as session:
            rows = session.scalars(
                select(SubmissionRow)
                .where(SubmissionRow.assignment == assignment)
                .order_by(SubmissionRow.student)
            ).all()
            for r in rows:
                yield SubmissionResult(
                    student=r.student, score=r.score, max_score=r.max_score,
                    status=r.status,  # type: ignore[arg-type]
                    message=r.message, stdout=r.stdout, isolation=r.isolation, seed=r.seed,
                    duration_s=r.duration_s,
                    tests=[TestResult(name=t.name, score=t.score, max_score=t.max_score,
                                      status=t.status,  # type: ignore[arg-type]
                                      output=t.output,
                                      visibility=t.visibility)  # type: ignore[arg-type]
                           for t in r.tests],
                )

    def close(self) -> None:
        self.engine.dispose()
