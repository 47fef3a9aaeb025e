"""The upload queue, in the gradebook database: what survives a server restart.

An upload is `queued` when the student's files are stored (one transaction with them); a
dispatcher claims it (`grading`, with who and when); it becomes `graded` in the same
transaction as its attempt in `submissions` (Gradebook.record's `also`), so an upload is graded
exactly once: a server killed before that commit leaves it `grading`, and the next server
(or this one after the lease) puts it back in the queue.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from autograder.web.accounts import now_iso
from autograder.web.tables import UploadFileRow, UploadRow


class Superseded(RuntimeError):
    """The upload is no longer ours to mark graded (another server reclaimed it)."""


@dataclass(frozen=True)
class StoredFile:
    name: str  # the name it is graded under: masking.py, masking.ipynb
    original_name: str  # what the browser called it (shown escaped, never trusted)
    size: int


@dataclass(frozen=True)
class Upload:
    id: int
    assignment: str
    student: str
    submitted_at: str
    state: str
    kind: str
    attempt: int | None
    requested_by: str
    source_id: int | None

    @property
    def files_id(self) -> int:
        """The upload whose files are graded (a regrade reuses its source's)."""
        return self.source_id or self.id


@dataclass(frozen=True)
class Claimed:
    upload: Upload
    files: dict[str, bytes]


def _upload(row: UploadRow) -> Upload:
    return Upload(row.id, row.assignment, row.student, row.submitted_at, row.state, row.kind,
                  row.attempt, row.requested_by, row.source_id)


def host_owner() -> str:
    return socket.gethostname()[:150]


class UploadQueue:
    def __init__(self, engine: Engine, *, owner: str | None = None) -> None:
        self.engine = engine
        self.owner = owner or host_owner()

    # --- adding work ----------------------------------------------------------------------
    def submit(self, slug: str, student: str, files: list[tuple[str, str, bytes]], *,
               requested_by: str = "") -> int:
        """Store (name, original name, content) files as one queued upload; its id."""
        with Session(self.engine) as session, session.begin():
            row = UploadRow(assignment=slug, student=student, submitted_at=now_iso(),
                            state="queued", kind="submit", requested_by=requested_by or student)
            session.add(row)
            session.flush()
            session.add_all(UploadFileRow(upload_id=row.id, name=n, original_name=o[:300],
                                          content=c) for n, o, c in files)
            return row.id

    def regrade(self, slug: str, students: list[str] | None, *, requested_by: str) -> int:
        """Queue the latest upload of each student (of every student when None) again."""
        with Session(self.engine) as session, session.begin():
            latest = (select(UploadRow.student, func.max(UploadRow.id).label("id"))
                      .where(UploadRow.assignment == slug, UploadRow.kind == "submit"))
            if students is not None:
                latest = latest.where(UploadRow.student.in_(students))
            sources = session.execute(latest.group_by(UploadRow.student)).all()
            for student, source in sources:
                original = session.get(UploadRow, source)
                assert original is not None
                session.add(UploadRow(assignment=slug, student=student, state="queued",
                                      submitted_at=original.submitted_at, kind="regrade",
                                      source_id=source, requested_by=requested_by))
            return len(sources)

    # --- the dispatcher's side ------------------------------------------------------------
    def pending(self) -> dict[str, int]:
        """Queued uploads per assignment."""
        with Session(self.engine) as session:
            rows = session.execute(select(UploadRow.assignment, func.count())
                                   .where(UploadRow.state == "queued")
                                   .group_by(UploadRow.assignment)).all()
            return {slug: int(n) for slug, n in rows}

    def claim(self, slug: str) -> Claimed | None:
        """The oldest queued upload of `slug`, now `grading` by this owner, with its files."""
        with Session(self.engine) as session, session.begin():
            query = (select(UploadRow).where(UploadRow.state == "queued",
                                             UploadRow.assignment == slug)
                     .order_by(UploadRow.id).limit(1))
            if self.engine.dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            row = session.scalar(query)
            if row is None:
                return None
            row.state, row.claimed_by, row.claimed_at = "grading", self.owner, now_iso()
            row.tries += 1
            session.flush()
            upload = _upload(row)
            files = {f.name: f.content for f in session.scalars(
                select(UploadFileRow).where(UploadFileRow.upload_id == upload.files_id))}
            return Claimed(upload, files)

    def tries(self, upload_id: int) -> int:
        with Session(self.engine) as session:
            return int(session.scalar(select(UploadRow.tries)
                                      .where(UploadRow.id == upload_id)) or 0)

    def release(self, upload_id: int) -> None:
        """Put a claimed upload back in the queue (its worker died; it is tried again)."""
        with Session(self.engine) as session, session.begin():
            session.execute(update(UploadRow).where(UploadRow.id == upload_id,
                                                    UploadRow.state == "grading")
                            .values(state="queued", claimed_by="", claimed_at=""))

    def recover(self, *, lease_s: float) -> int:
        """At start: uploads a dead server of this host was grading, and any whose lease
        ran out, go back to the queue. Returns how many."""
        cutoff = (datetime.now(timezone.utc) - timedelta(seconds=lease_s)).isoformat()
        with Session(self.engine) as session, session.begin():
            result = session.execute(
                update(UploadRow).where(UploadRow.state == "grading",
                                        (UploadRow.claimed_by == self.owner)
                                        | (UploadRow.claimed_at < cutoff))
                .values(state="queued", claimed_by="", claimed_at=""))
            return int(getattr(result, "rowcount", 0) or 0)

    def mark_graded(self, session: Session, upload_id: int, attempt: int) -> None:
        """Inside the attempt's transaction: the upload is graded, by that attempt."""
        result = session.execute(
            update(UploadRow).where(UploadRow.id == upload_id, UploadRow.state == "grading",
                                    UploadRow.claimed_by == self.owner)
            .values(state="graded", attempt=attempt))
        if getattr(result, "rowcount", 0) != 1:
            raise Superseded(f"upload {upload_id} was reclaimed by another server")

    # --- reading --------------------------------------------------------------------------
    def get(self, upload_id: int) -> Upload | None:
        with Session(self.engine) as session:
            row = session.get(UploadRow, upload_id)
            return _upload(row) if row is not None else None

    def of_student(self, slug: str, student: str) -> list[Upload]:
        """Every upload and regrade of one student for `slug`, newest first."""
        with Session(self.engine) as session:
            return [_upload(r) for r in session.scalars(
                select(UploadRow).where(UploadRow.assignment == slug,
                                        UploadRow.student == student)
                .order_by(UploadRow.id.desc()))]

    def by_attempt(self, slug: str, students: list[str] | None = None
                   ) -> dict[tuple[str, int], Upload]:
        """(student, attempt) -> the upload it graded."""
        with Session(self.engine) as session:
            query = select(UploadRow).where(UploadRow.assignment == slug,
                                            UploadRow.attempt.is_not(None))
            if students is not None:
                query = query.where(UploadRow.student.in_(students))
            return {(r.student, int(r.attempt)): _upload(r) for r in session.scalars(query)
                    if r.attempt is not None}

    def ahead_of(self, upload: Upload) -> int:
        """Queued uploads of the same assignment before this one."""
        with Session(self.engine) as session:
            return int(session.scalar(select(func.count()).where(
                UploadRow.assignment == upload.assignment, UploadRow.state == "queued",
                UploadRow.id < upload.id)) or 0)

    def files(self, upload: Upload) -> list[StoredFile]:
        with Session(self.engine) as session:
            return [StoredFile(r.name, r.original_name, len(r.content)) for r in
                    session.scalars(select(UploadFileRow)
                                    .where(UploadFileRow.upload_id == upload.files_id)
                                    .order_by(UploadFileRow.name))]

    def file_content(self, upload: Upload, name: str) -> bytes | None:
        with Session(self.engine) as session:
            return session.scalar(select(UploadFileRow.content).where(
                UploadFileRow.upload_id == upload.files_id, UploadFileRow.name == name))
