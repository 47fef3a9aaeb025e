"""The web's tables, in the gradebook database beside `submissions` (migration 0004).

- `users`: who may sign in (students, TAs, instructors), with an argon2 password hash and/or
  the hash of a one-time sign-in link.
- `uploads`: the queue. Every upload (and every regrade request) is a row, with its files in
  `upload_files`; it is `queued`, then `grading` (claimed by a server), then `graded`, when its
  attempt number in `submissions` is written in the same transaction as the attempt itself.
  A server that is killed leaves its rows `queued` or `grading`; the next one grades them.
- `overrides`: the who/when/why of a manual grade, which is itself an attempt in `submissions`.
"""

from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from autograder.gradebook import Base

ROLES = ("student", "ta", "instructor")
STATES = ("queued", "grading", "graded")


class UserRow(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    login: Mapped[str] = mapped_column(String(200), unique=True)  # the student id
    name: Mapped[str] = mapped_column(String(200), server_default="")
    email: Mapped[str] = mapped_column(String(320), server_default="")
    role: Mapped[str] = mapped_column(String(16), server_default="student")
    password_hash: Mapped[str] = mapped_column(String(200), server_default="")
    link_hash: Mapped[str] = mapped_column(String(64), server_default="", index=True)
    link_expires: Mapped[str] = mapped_column(String(40), server_default="")
    session_version: Mapped[int] = mapped_column(Integer, server_default="1")
    created_at: Mapped[str] = mapped_column(String(40))


class UploadRow(Base):
    __tablename__ = "uploads"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assignment: Mapped[str] = mapped_column(String(200), index=True)
    student: Mapped[str] = mapped_column(String(200), index=True)
    submitted_at: Mapped[str] = mapped_column(String(40))  # UTC; the late rule reads it
    state: Mapped[str] = mapped_column(String(16), index=True)  # queued | grading | graded
    kind: Mapped[str] = mapped_column(String(16), server_default="submit")  # | regrade
    source_id: Mapped[int | None] = mapped_column(Integer, nullable=True)  # regrade: whose files
    requested_by: Mapped[str] = mapped_column(String(200), server_default="")
    claimed_by: Mapped[str] = mapped_column(String(200), server_default="")
    claimed_at: Mapped[str] = mapped_column(String(40), server_default="")
    tries: Mapped[int] = mapped_column(Integer, server_default="0")
    attempt: Mapped[int | None] = mapped_column(Integer, nullable=True)  # in `submissions`


class UploadFileRow(Base):
    __tablename__ = "upload_files"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    upload_id: Mapped[int] = mapped_column(ForeignKey("uploads.id", ondelete="CASCADE"),
                                           index=True)
    name: Mapped[str] = mapped_column(String(300))  # as graded: masking.py, masking.ipynb
    original_name: Mapped[str] = mapped_column(String(300))  # as the browser sent it (text)
    content: Mapped[bytes] = mapped_column(LargeBinary)


class OverrideRow(Base):
    __tablename__ = "overrides"
    __table_args__ = (UniqueConstraint("assignment", "student", "attempt",
                                       name="uq_override_attempt"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assignment: Mapped[str] = mapped_column(String(200))
    student: Mapped[str] = mapped_column(String(200))
    attempt: Mapped[int] = mapped_column(Integer)
    author: Mapped[str] = mapped_column(String(200))
    comment: Mapped[str] = mapped_column(Text)
    created_at: Mapped[str] = mapped_column(String(40))
