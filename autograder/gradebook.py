"""The gradebook: SQLAlchemy over SQLite by default, or a shared PostgreSQL server (`--db`).

Each row of `submissions` is one graded *attempt* of one student's submission, with its tests
in `test_results`. A regrade adds an attempt and keeps the old ones. The **current grade** of
a student is their attempt with the highest number: the latest one recorded, whatever its
score (the view `current_submissions` holds exactly those rows). Recording an attempt is one
transaction, so no reader ever sees half a submission, and a grader killed mid-write leaves
nothing behind. Two graders writing at once each get their own attempt numbers.

The schema is migrated on open (autograder/migrations), so a gradebook made by an older
nlpgrade is upgraded in place.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Boolean,
    Engine,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    create_engine,
    event,
    func,
    select,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, IntegrityError, OperationalError
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    mapped_column,
    relationship,
    selectinload,
)

from autograder import __version__
from autograder.migrations.upgrade import HEAD, SchemaTooNew, upgrade_to_head
from autograder.results import ModuleResult, SubmissionResult, TestResult
from autograder.sanitize import clean_result
from autograder.yamlfile import ConfigError

CHUNK = 200  # students read per query: reading a large class keeps memory flat
MAX_RACES = 50  # attempt-number collisions with concurrent graders before giving up


class GradebookError(ConfigError):
    """The gradebook cannot be opened or written; the message says which one and what to do."""


class Base(DeclarativeBase):
    pass


class SubmissionRow(Base):
    """One graded attempt (the table keeps its pre-history name, `submissions`)."""

    __tablename__ = "submissions"
    __table_args__ = (UniqueConstraint("assignment", "student", "attempt",
                                       name="uq_submission_attempt"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assignment: Mapped[str] = mapped_column(String(200), index=True)
    student: Mapped[str] = mapped_column(String(200))
    attempt: Mapped[int] = mapped_column(Integer, server_default="1")
    score: Mapped[float | None] = mapped_column(Float, nullable=True)  # None: grader_error
    max_score: Mapped[float] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(32))
    message: Mapped[str] = mapped_column(Text)
    stdout: Mapped[str] = mapped_column(Text)
    isolation: Mapped[str] = mapped_column(String(200))
    seed: Mapped[int] = mapped_column(Integer)
    duration_s: Mapped[float] = mapped_column(Float)
    graded_at: Mapped[str] = mapped_column(String(40))
    device: Mapped[str] = mapped_column(String(16), server_default="cpu")
    submission_sha: Mapped[str] = mapped_column(String(64), server_default="")
    suite_sha: Mapped[str] = mapped_column(String(64), server_default="")
    grader: Mapped[str] = mapped_column(String(200), server_default="")
    incomplete: Mapped[bool] = mapped_column(Boolean, server_default="0")
    diagnostics: Mapped[str] = mapped_column(Text, server_default="")
    modules: Mapped[str] = mapped_column(Text, server_default="[]")  # JSON: per-file subtotals
    not_counted: Mapped[str] = mapped_column(Text, server_default="{}")  # JSON: reason -> points
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
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    max_score: Mapped[float] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(32))
    output: Mapped[str] = mapped_column(Text)
    visibility: Mapped[str] = mapped_column(String(16))
    module: Mapped[str] = mapped_column(String(200), server_default="")
    submission: Mapped[SubmissionRow] = relationship(back_populates="tests")


@dataclass(frozen=True)
class Provenance:
    """What an attempt graded: the submitted files and the test suite (hashes), the device."""

    submission_sha: str = ""
    suite_sha: str = ""
    device: str = "cpu"


@dataclass(frozen=True)
class Attempt:
    """One line of a student's history."""

    attempt: int
    score: float | None
    max_score: float
    status: str
    graded_at: str
    grader: str
    submission_sha: str
    suite_sha: str
    incomplete: bool


def default_url(course_root: Path) -> str:
    return f"sqlite:///{(course_root / 'gradebook.db').resolve()}"


def safe_url(url: str) -> str:
    """The URL with any password hidden, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def open_engine(url: str) -> Engine:
    """An engine for SQLite or PostgreSQL; GradebookError says what is wrong with `url`."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise GradebookError(f"--db {url!r}: not a database URL. Use sqlite:///PATH/gradebook.db "
                             "or postgresql://USER:PASSWORD@HOST:5432/DATABASE") from None
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")  # psycopg 3, not psycopg2
    backend = parsed.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise GradebookError(f"--db {safe_url(url)}: {backend} is not supported; use SQLite "
                             "(sqlite:///PATH) or PostgreSQL (postgresql://...)")
    try:
        if backend == "sqlite":
            if parsed.database and parsed.database != ":memory:":
                folder = Path(parsed.database).parent
                if not folder.is_dir():
                    raise GradebookError(
                        f"--db {safe_url(url)}: the folder {folder} does not exist. Create it "
                        "first, or give a path in an existing folder (the gradebook is one "
                        "file)")
            engine = create_engine(parsed, connect_args={"timeout": 120})
            _sqlite_real_transactions(engine)
            return engine
        return create_engine(parsed, pool_pre_ping=True)
    except ModuleNotFoundError as err:
        raise GradebookError(f"--db {safe_url(url)} needs the {err.name} package: pip install "
                             "'nlpgrade[postgres]'") from None


def _sqlite_real_transactions(engine: Engine) -> None:
    """SQLite transactions that hold the write lock from their first statement.

    pysqlite defers BEGIN until the first INSERT, so "read the last attempt number, insert the
    next one" would race between two graders; BEGIN IMMEDIATE makes it one critical section
    (the other grader waits, up to the connect timeout)."""

    @event.listens_for(engine, "connect")
    def _no_implicit_begin(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "begin")
    def _begin_immediate(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


class Gradebook:
    """Records results; `url` is sqlite:///PATH or postgresql://USER@HOST/DB."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = open_engine(url)
        try:
            upgrade_to_head(self.engine)
        except SchemaTooNew as err:
            self.engine.dispose()
            raise GradebookError(
                f"the gradebook {safe_url(url)} has schema revision {err}, newer than this "
                f"nlpgrade {__version__} knows (up to {HEAD}): it was written by a newer "
                "nlpgrade. Upgrade nlpgrade here (pip install -U nlpgrade); never edit the "
                "gradebook's schema by hand") from None
        except OperationalError as err:
            self.engine.dispose()
            reason = str(err.orig).strip().splitlines()[0] if err.orig else str(err)
            raise GradebookError(
                f"cannot open the gradebook {safe_url(url)}: {reason}. Check that the server "
                "is running and the URL (user, password, host, port, database) is right"
            ) from None
        self.grader = f"{socket.gethostname()}:{os.getpid()}"

    # --- writing ------------------------------------------------------------------------------
    def record(self, assignment: str, result: SubmissionResult, *,
               provenance: Provenance | None = None,
               also: Callable[[Session, int], None] | None = None) -> int:
        """Add `result` as the student's next attempt, atomically; returns its number.

        `also(session, attempt)` runs in the same transaction (the web marks its upload graded
        with the attempt's number there): both are written, or neither."""
        prov = provenance or Provenance()
        result = clean_result(result)  # idempotent: whatever path a result took, it is clean
        for _ in range(MAX_RACES):
            try:
                with Session(self.engine) as session, session.begin():
                    last = session.scalar(
                        select(func.max(SubmissionRow.attempt)).where(
                            SubmissionRow.assignment == assignment,
                            SubmissionRow.student == result.student))
                    number = (last or 0) + 1
                    session.add(self._row(assignment, result, number, prov))
                    if also is not None:
                        session.flush()
                        also(session, number)
                return number
            except IntegrityError:
                continue  # another grader took this number between our read and our insert
        raise GradebookError(f"{safe_url(self.url)}: could not record {result.student!r} "
                             f"after {MAX_RACES} tries: too many graders writing the same "
                             "student at once")

    def _row(self, assignment: str, result: SubmissionResult, number: int,
             prov: Provenance) -> SubmissionRow:
        return SubmissionRow(
            assignment=assignment, student=result.student, attempt=number,
            score=result.score, max_score=result.max_score, status=result.status,
            message=result.message, stdout=result.stdout, isolation=result.isolation,
            seed=result.seed, duration_s=result.duration_s,
            graded_at=datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
            device=prov.device, submission_sha=prov.submission_sha, suite_sha=prov.suite_sha,
            grader=self.grader, incomplete=result.incomplete, diagnostics=result.diagnostics,
            modules=json.dumps([asdict(m) for m in result.modules], ensure_ascii=False),
            not_counted=json.dumps(result.not_counted, ensure_ascii=False),
            tests=[TestRow(position=i, name=t.name, score=t.score, max_score=t.max_score,
                           status=t.status, output=t.output, visibility=t.visibility,
                           module=t.module)
                   for i, t in enumerate(result.tests)],
        )

    # --- reading ------------------------------------------------------------------------------
    def _current_ids(self, assignment: str, students: list[str] | None = None) -> Any:
        latest = (select(SubmissionRow.student, func.max(SubmissionRow.attempt).label("n"))
                  .where(SubmissionRow.assignment == assignment))
        if students is not None:
            latest = latest.where(SubmissionRow.student.in_(students))
        latest_sq = latest.group_by(SubmissionRow.student).subquery()
        return (select(SubmissionRow)
                .join(latest_sq, (SubmissionRow.student == latest_sq.c.student)
                      & (SubmissionRow.attempt == latest_sq.c.n))
                .where(SubmissionRow.assignment == assignment))

    def submissions(self, assignment: str, students: list[str] | None = None
                    ) -> Iterator[SubmissionResult]:
        """The current grade of each student (of `students` when given), by student.

        Reads CHUNK students at a time, so a class of any size streams in flat memory."""
        names = students if students is not None else self.students(assignment)
        names = sorted(names)
        for start in range(0, len(names), CHUNK):
            chunk = names[start:start + CHUNK]
            with Session(self.engine) as session:
                rows = session.scalars(self._current_ids(assignment, chunk)
                                       .options(selectinload(SubmissionRow.tests))
                                       .order_by(SubmissionRow.student)).all()
                results = [to_result(r) for r in rows]
            yield from results

    def students(self, assignment: str) -> list[str]:
        with Session(self.engine) as session:
            return list(session.scalars(
                select(SubmissionRow.student).where(SubmissionRow.assignment == assignment)
                .distinct().order_by(SubmissionRow.student)))

    def current(self, assignment: str, student: str) -> SubmissionResult | None:
        return next(self.submissions(assignment, [student]), None)

    def latest(self, assignment: str) -> dict[str, Attempt]:
        """Each student's current attempt, without its tests (what a resume compares)."""
        with Session(self.engine) as session:
            return {r.student: to_attempt(r)
                    for r in session.scalars(self._current_ids(assignment))}

    def history(self, assignment: str, student: str) -> list[Attempt]:
        """Every attempt of one student, oldest first; the last one is the current grade."""
        with Session(self.engine) as session:
            rows = session.scalars(select(SubmissionRow).where(
                SubmissionRow.assignment == assignment, SubmissionRow.student == student)
                .order_by(SubmissionRow.attempt))
            return [to_attempt(r) for r in rows]

    def close(self) -> None:
        self.engine.dispose()


def to_attempt(r: SubmissionRow) -> Attempt:
    return Attempt(attempt=r.attempt, score=r.score, max_score=r.max_score, status=r.status,
                   graded_at=r.graded_at, grader=r.grader, submission_sha=r.submission_sha,
                   suite_sha=r.suite_sha, incomplete=r.incomplete)


def to_result(r: SubmissionRow) -> SubmissionResult:
    return SubmissionResult(
        student=r.student, score=r.score, max_score=r.max_score,
        status=r.status,  # type: ignore[arg-type]
        message=r.message, stdout=r.stdout, isolation=r.isolation, seed=r.seed,
        duration_s=r.duration_s, incomplete=r.incomplete, diagnostics=r.diagnostics,
        modules=[ModuleResult(**m) for m in json.loads(r.modules or "[]")],
        not_counted={str(k): float(v) for k, v in json.loads(r.not_counted or "{}").items()},
        tests=[TestResult(name=t.name, score=t.score, max_score=t.max_score,
                          status=t.status,  # type: ignore[arg-type]
                          output=t.output, visibility=t.visibility,  # type: ignore[arg-type]
                          module=t.module)
               for t in r.tests],
    )
