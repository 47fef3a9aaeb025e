"""The web's tables on SQLite and PostgreSQL: the queue grades each upload exactly once, a
dead server's claims come back, the best/latest rule and late penalties, roster import."""

from __future__ import annotations

import csv
import os
import stat
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from autograder.course import load_assignment
from autograder.gradebook import Gradebook
from autograder.web.accounts import FAST_HASHER, AccountError, Accounts
from autograder.web.grades import AttemptView, Override, counted, penalty
from autograder.web.queue import Superseded, Upload, UploadQueue
from autograder.web.roster import import_roster, write_credentials
from tests.scale.conftest import postgres_admin, postgres_url  # noqa: F401  (fixtures)

from .conftest import REPO, result_for


@pytest.fixture(params=["sqlite", "postgresql"])
def book(request: pytest.FixtureRequest, tmp_path: Path) -> Gradebook:
    url = (f"sqlite:///{tmp_path / 'gradebook.db'}" if request.param == "sqlite"
           else request.getfixturevalue("postgres_url"))
    the_book = Gradebook(url)
    request.addfinalizer(the_book.close)
    return the_book


def test_an_upload_is_graded_exactly_once_even_when_two_servers_race(book: Gradebook) -> None:
    mine, other = UploadQueue(book.engine, owner="a"), UploadQueue(book.engine, owner="b")
    first = mine.submit("masking", "alice", [("masking.py", "m.py", b"x = 1\n")])
    second = mine.submit("masking", "bob", [("masking.py", "masking.py", b"y = 2\n")])
    assert mine.pending() == {"masking": 2}
    claimed = mine.claim("masking")
    assert claimed is not None and claimed.upload.id == first
    assert claimed.files == {"masking.py": b"x = 1\n"}
    taken = other.claim("masking")  # the other server gets the next one, never the same
    assert taken is not None and taken.upload.id == second
    assert other.claim("masking") is None
    number = book.record("masking", result_for("alice"),
                         also=lambda s, n: mine.mark_graded(s, first, n))
    assert mine.get(first) == replace(claimed.upload, state="graded", attempt=number)
    with pytest.raises(Superseded):  # not b's upload: the attempt is rolled back with it
        book.record("masking", result_for("alice"),
                    also=lambda s, n: other.mark_graded(s, first, n))
    assert [a.attempt for a in book.history("masking", "alice")] == [1]


def test_a_killed_servers_claims_go_back_to_the_queue(book: Gradebook) -> None:
    dead = UploadQueue(book.engine, owner="host")
    upload_id = dead.submit("masking", "alice", [("masking.py", "masking.py", b"x\n")])
    assert dead.claim("masking") is not None
    elsewhere = UploadQueue(book.engine, owner="elsewhere")
    assert elsewhere.recover(lease_s=3600) == 0  # another host's claim, still leased
    restarted = UploadQueue(book.engine, owner="host")
    assert restarted.recover(lease_s=3600) == 1  # the same host: its old server is gone
    again = restarted.claim("masking")
    assert again is not None and again.upload.id == upload_id
    assert restarted.tries(upload_id) == 2


def view(attempt: int, score: float | None, *, late: float = 0.0,
         override: bool = False) -> AttemptView:
    from autograder.nbgrader_course.late import Lateness

    return AttemptView(attempt, score, 77.0, "graded" if score is not None else "grader_error",
                       "", None, Override("ines", "why", "") if override else None,
                       Lateness(None, 1, late, "late") if late else None)


def test_the_counted_attempt_follows_the_manifests_rule_and_skips_what_is_not_graded() -> None:
    views = [view(1, 60.0), view(2, 70.0, late=20.0), view(3, 50.0), view(4, None)]
    assert counted(views, "latest").attempt == 3  # type: ignore[union-attr]
    best = counted(views, "best")
    assert best is not None and best.attempt == 1  # 70 late by 20% is 56 < 60
    assert counted([view(1, None)], "latest") is None  # not graded: no grade at all
    after = views + [view(5, 40.0, override=True), view(6, 45.0)]
    assert counted(after, "best").attempt == 6  # type: ignore[union-attr]  # since the override


def test_lateness_comes_from_the_upload_time_and_the_manifest() -> None:
    assignment = load_assignment(REPO, "masking")
    due = datetime(2026, 3, 1, 23, 59, tzinfo=timezone.utc)
    manifest = assignment.manifest.model_copy(update={"due": due})
    late_assignment = replace(assignment, manifest=manifest)
    upload = Upload(1, "masking", "alice", (due + timedelta(hours=30)).isoformat(), "graded",
                    "submit", 1, "alice", None)
    late = penalty(late_assignment, upload)
    assert late is not None and late.days_late == 2 and late.percent == 20.0
    assert penalty(assignment, upload) is None  # no deadline: nothing is late


def test_roster_import_creates_accounts_and_writes_credentials_for_the_owner_only(
        tmp_path: Path, book: Gradebook) -> None:
    roster = tmp_path / "students.csv"
    roster.write_text("id,name,email,role\nalice,Alice A,alice@x.edu,\n"
                      "<script>x</script>,Eve,eve@x.edu,student\ntara,Tara,t@x.edu,ta\n")
    accounts = Accounts(book.engine, hasher=FAST_HASHER)
    creds = import_roster(accounts, roster, issue="passwords")
    assert [(c.login, c.role, c.created) for c in creds] == [
        ("alice", "student", True), ("<script>x</script>", "student", True),
        ("tara", "ta", True)]
    assert accounts.verify_password("alice", creds[0].password) is not None
    assert accounts.verify_password("alice", "wrong password!") is None
    out = tmp_path / "creds.csv"
    assert write_credentials(out, creds) == 3
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    assert next(csv.DictReader(out.open()))["password"] == creds[0].password
    again = import_roster(accounts, roster, issue="links")  # nobody new: nothing issued
    assert not any(c.link or c.password for c in again)
    bad = tmp_path / "bad.csv"
    bad.write_text("login,name\nalice,Alice\n")
    with pytest.raises(AccountError, match="line 1 must be a header with the columns id"):
        import_roster(accounts, bad)
    bad.write_text("id,name,email,role\nbob,Bob,b@x.edu,admin\n")
    with pytest.raises(AccountError, match="line 2: role 'admin'"):
        import_roster(accounts, bad)
