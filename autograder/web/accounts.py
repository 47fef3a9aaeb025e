"""Accounts: users with a role, argon2 password hashes, one-time sign-in links.

Passwords are hashed with argon2id (argon2-cffi's defaults); a sign-in link is a random token
of which only the SHA-256 is stored, valid once and until it expires. Changing a password or
redeeming a link bumps the user's `session_version`, which signs out every other session.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from autograder.sanitize import STUDENT_ID_MAX, student_id
from autograder.web.tables import ROLES, UserRow

STAFF = ("ta", "instructor")
LINK_DAYS = 14
MIN_PASSWORD = 10
# argon2 at its lowest cost: for test suites and load tests only (`ServerConfig.fast_hashes`).
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


class AccountError(ValueError):
    """A roster or account request that cannot be honoured; the message says why."""


@dataclass(frozen=True)
class User:
    id: int
    login: str
    name: str
    email: str
    role: str
    session_version: int

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF

    @property
    def is_instructor(self) -> bool:
        return self.role == "instructor"

    @property
    def display(self) -> str:
        return self.name or self.login


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def _user(row: UserRow) -> User:
    return User(row.id, row.login, row.name, row.email, row.role, row.session_version)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def check_login(login: str) -> str:
    """A roster id as it will be stored and graded; AccountError when the grader would
    rename it (control characters, longer than the gradebook's column) or it is empty."""
    value = login.strip()
    if not value:
        raise AccountError("an empty id")
    if student_id(value) != value or len(value) > STUDENT_ID_MAX:
        raise AccountError(f"id {value[:40]!r}: control characters or longer than "
                           f"{STUDENT_ID_MAX} characters; use a plain id such as a"
                           " university login")
    return value


class Accounts:
    """The `users` table of one gradebook database."""

    def __init__(self, engine: Engine, *, hasher: PasswordHasher | None = None) -> None:
        self.engine = engine
        self.hasher = hasher or PasswordHasher()
        self._dummy = self.hasher.hash(secrets.token_hex(8))  # equal work for unknown logins

    def upsert(self, login: str, *, name: str = "", email: str = "",
               role: str = "student") -> tuple[User, bool]:
        """Create the user, or update their name, email and role; (user, created)."""
        if role not in ROLES:
            raise AccountError(f"role {role!r}: use one of {', '.join(ROLES)}")
        login = check_login(login)
        with Session(self.engine) as session, session.begin():
            row = session.scalar(select(UserRow).where(UserRow.login == login))
            created = row is None
            if row is None:
                row = UserRow(login=login, created_at=now_iso(), session_version=1)
                session.add(row)
            row.name, row.email, row.role = name.strip()[:200], email.strip()[:320], role
            session.flush()
            return _user(row), created

    def set_password(self, login: str, password: str) -> None:
        if len(password) < MIN_PASSWORD:
            raise AccountError(f"a password needs at least {MIN_PASSWORD} characters")
        with Session(self.engine) as session, session.begin():
            row = self._row(session, login)
            row.password_hash = self.hasher.hash(password)
            row.session_version += 1

    def new_link(self, login: str, *, days: float = LINK_DAYS) -> str:
        """A fresh one-time sign-in token for `login` (the previous one stops working)."""
        token = secrets.token_urlsafe(32)
        expires = datetime.now(timezone.utc) + timedelta(days=days)
        with Session(self.engine) as session, session.begin():
            row = self._row(session, login)
            row.link_hash, row.link_expires = _digest(token), expires.isoformat()
        return token

    def verify_password(self, login: str, password: str) -> User | None:
        with Session(self.engine) as session:
            row = session.scalar(select(UserRow).where(UserRow.login == login.strip()))
            stored = row.password_hash if row is not None and row.password_hash else ""
            try:
                self.hasher.verify(stored or self._dummy, password)
            except (VerificationError, InvalidHashError):
                return None
            return _user(row) if row is not None and stored else None

    def link_user(self, token: str) -> User | None:
        """Who a sign-in token belongs to, if it is valid (does not use it up)."""
        with Session(self.engine) as session:
            row = self._link_row(session, token)
            return _user(row) if row is not None else None

    def redeem_link(self, token: str) -> User | None:
        """Use up a sign-in token: its user, or None when it is unknown, used or expired."""
        with Session(self.engine) as session, session.begin():
            row = self._link_row(session, token)
            if row is None:
                return None
            row.link_hash, row.link_expires = "", ""
            row.session_version += 1
            session.flush()
            return _user(row)

    def get(self, user_id: int) -> User | None:
        with Session(self.engine) as session:
            row = session.get(UserRow, user_id)
            return _user(row) if row is not None else None

    def by_login(self, login: str) -> User | None:
        with Session(self.engine) as session:
            row = session.scalar(select(UserRow).where(UserRow.login == login))
            return _user(row) if row is not None else None

    def all(self, *, role: str | None = None) -> list[User]:
        with Session(self.engine) as session:
            query = select(UserRow).order_by(UserRow.login)
            if role is not None:
                query = query.where(UserRow.role == role)
            return [_user(r) for r in session.scalars(query)]

    @staticmethod
    def _row(session: Session, login: str) -> UserRow:
        row = session.scalar(select(UserRow).where(UserRow.login == login))
        if row is None:
            raise AccountError(f"no user {login!r}: add them with `nlpgrade roster import`")
        return row

    @staticmethod
    def _link_row(session: Session, token: str) -> UserRow | None:
        if not token or len(token) > 200:
            return None
        row = session.scalar(select(UserRow).where(UserRow.link_hash == _digest(token)))
        if row is None or not row.link_expires:
            return None
        if datetime.fromisoformat(row.link_expires) < datetime.now(timezone.utc):
            return None
        return row
