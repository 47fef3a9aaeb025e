"""`nlpgrade roster import students.csv`: accounts from a class list, with credentials to send.

The CSV has a header row with the columns `id`, `name` and `email` (others are ignored; an
optional `role` column may say `ta` or `instructor`). Each new user gets a one-time sign-in
link (the default) or an initial password; the credentials are written once, to a file only
the owner can read, because only their hashes are kept.
"""

from __future__ import annotations

import csv
import io
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from autograder.sanitize import csv_cell
from autograder.web.accounts import AccountError, Accounts
from autograder.web.tables import ROLES

REQUIRED = ("id", "name", "email")


@dataclass(frozen=True)
class Credential:
    login: str
    name: str
    email: str
    role: str
    created: bool
    password: str = ""
    link: str = ""


def read_roster(path: Path) -> list[dict[str, str]]:
    """The rows of a roster CSV; AccountError names the file, the line and the fix."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as err:
        raise AccountError(f"{path}: cannot read it as UTF-8 text ({err})") from None
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in reader.fieldnames or []]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise AccountError(f"{path}: line 1 must be a header with the columns "
                           f"{', '.join(REQUIRED)} (missing: {', '.join(missing)}; found: "
                           f"{', '.join(header) or 'nothing'})")
    rows: list[dict[str, str]] = []
    seen: dict[str, int] = {}
    for line, raw in enumerate(reader, start=2):
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items()
               if isinstance(v, str)}
        if not any(row.values()):
            continue
        login = row.get("id", "")
        if login in seen:
            raise AccountError(f"{path}: line {line}: id {login!r} is already on line "
                               f"{seen[login]}")
        role = row.get("role") or "student"
        if role not in ROLES:
            raise AccountError(f"{path}: line {line}: role {role!r}: use one of "
                               f"{', '.join(ROLES)}")
        seen[login] = line
        rows.append({**row, "role": role, "_line": str(line)})
    if not rows:
        raise AccountError(f"{path}: no students after the header")
    return rows


def import_roster(accounts: Accounts, path: Path, *,
                  issue: Literal["links", "passwords"] = "links",
                  base_url: str = "http://127.0.0.1:8000", reissue: bool = False
                  ) -> list[Credential]:
    """Create or update every user of the roster; new users (every user with `reissue`) get
    a sign-in link or an initial password."""
    out: list[Credential] = []
    for row in read_roster(path):
        try:
            user, created = accounts.upsert(row["id"], name=row.get("name", ""),
                                            email=row.get("email", ""), role=row["role"])
        except AccountError as err:
            raise AccountError(f"{path}: line {row['_line']}: {err}") from None
        password = link = ""
        if created or reissue:
            if issue == "passwords":
                password = secrets.token_urlsafe(12)
                accounts.set_password(user.login, password)
            else:
                link = f"{base_url.rstrip('/')}/signin/link/{accounts.new_link(user.login)}"
        out.append(Credential(user.login, user.name, user.email, user.role, created,
                              password, link))
    return out


def write_credentials(path: Path, credentials: list[Credential]) -> int:
    """The credentials to send, readable by the owner only; returns how many were written."""
    issued = [c for c in credentials if c.password or c.link]
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "name", "email", "role", "password", "sign_in_link"])
        for c in issued:
            writer.writerow([csv_cell(c.login), csv_cell(c.name), csv_cell(c.email), c.role,
                             c.password, c.link])
    return len(issued)
