"""The gradebook on SQLite and on a real PostgreSQL server: history, migrations, races, errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, text

import autograder.web.tables  # noqa: F401  (the web's tables are part of the schema)
from autograder.gradebook import Base, Gradebook, GradebookError, Provenance
from autograder.migrations.upgrade import HEAD, known_revisions
from autograder.results import SubmissionResult
from autograder.results import TestResult as OneTest

from . import gradebook_v0

HERE = Path(__file__).resolve().parent
N = 15  # students per assignment and writer


def result(student: str, score: float, *, note: str = "") -> SubmissionResult:
    tests = [OneTest("test_a", min(score, 1.0), 1.0, "passed" if score >= 1 else "failed",
                        note),
             OneTest("test_b", max(score - 1.0, 0.0), 1.0, "passed" if score >= 2 else
                        "failed", note)]
    return SubmissionResult(student, score, 2.0, "graded", note or f"{score:g} of 2", tests)


def test_a_regrade_keeps_every_attempt_and_the_latest_is_the_current_grade(db_url):
    book = Gradebook(db_url)
    assert book.record("hw1", result("alice", 2.0, note="first")) == 1
    assert book.record("hw1", result("bob", 1.0)) == 1
    assert book.record("hw1", result("alice", 1.0, note="regraded: a test was fixed"),
                       provenance=Provenance("sub", "suite", "cpu")) == 2
    history = book.history("hw1", "alice")
    assert [(a.attempt, a.score) for a in history] == [(1, 2.0), (2, 1.0)]
    current = {r.student: r for r in book.submissions("hw1")}
    assert sorted(current) == ["alice", "bob"]
    assert current["alice"].score == 1.0  # the latest, not the best
    assert [t.output for t in current["alice"].tests] == ["regraded: a test was fixed"] * 2
    assert book.latest("hw1")["alice"].suite_sha == "suite"
    with book.engine.connect() as conn:  # the SQL view shows the same current grades
        rows = conn.execute(text("SELECT student, attempt, score FROM current_submissions "
                                 "ORDER BY student")).all()
    assert [tuple(r) for r in rows] == [("alice", 2, 1.0), ("bob", 1, 1.0)]
    assert list(book.submissions("hw2")) == []
    book.close()


def test_the_migrated_schema_is_exactly_what_the_code_maps(db_url):
    book = Gradebook(db_url)
    with book.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
        assert MigrationContext.configure(conn).get_current_revision() == HEAD
    book.close()
    assert set(known_revisions().values()) == {HEAD}  # HEAD names the newest migration


def test_a_gradebook_made_before_migrations_is_upgraded_in_place(db_url):
    old = gradebook_v0.Gradebook(db_url.replace("postgresql://", "postgresql+psycopg://"))
    old.record("hw1", result("alice", 2.0, note="graded by the old nlpgrade"))
    old.record("hw1", result("bob", 0.0))
    old.close()
    book = Gradebook(db_url)
    assert {r.student: r.score for r in book.submissions("hw1")} == {"alice": 2.0, "bob": 0.0}
    assert book.history("hw1", "alice")[0].attempt == 1
    assert book.record("hw1", result("alice", 1.0)) == 2
    assert [a.score for a in book.history("hw1", "alice")] == [2.0, 1.0]
    assert book.current("hw1", "bob").tests[0].status == "failed"  # type: ignore[union-attr]
    book.close()
    again = Gradebook(db_url)  # reopening an upgraded gradebook changes nothing
    assert len(again.history("hw1", "alice")) == 2
    again.close()


def test_a_gradebook_from_a_newer_nlpgrade_is_refused_with_what_to_do(db_url):
    Gradebook(db_url).close()
    engine = create_engine(db_url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    with pytest.raises(GradebookError, match=r"schema revision 9999, newer than this "
                                             r"nlpgrade .* Upgrade nlpgrade"):
        Gradebook(db_url)


def test_two_graders_writing_at_once_lose_nothing(db_url):
    """Two real processes, started together on a fresh gradebook: each migrates it, then both
    write their own assignment and, at the same time, the same students of a shared one."""
    shared = [f"shared:s{i:02d}" for i in range(N)]
    specs = [[f"{name}:s{i:02d}" for i in range(N)] + shared for name in ("hw_a", "hw_b")]
    procs = [subprocess.Popen([sys.executable, str(HERE / "writer.py"), db_url, *spec],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for spec in specs]
    for proc in procs:  # the starting gun, once both are up
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
    outputs = [proc.communicate(timeout=180) for proc in procs]
    for proc, (out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err
        assert out.strip() == f"recorded {2 * N}"
    book = Gradebook(db_url)
    for name in ("hw_a", "hw_b"):
        rows = list(book.submissions(name))
        assert [r.student for r in rows] == [f"s{i:02d}" for i in range(N)]
        assert all(r.message == f"{name}:{r.student}" and len(r.tests) == 3 for r in rows)
    for i in range(N):
        assert [a.attempt for a in book.history("shared", f"s{i:02d}")] == [1, 2]
    with book.engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM submissions")).scalar() == 4 * N
        assert conn.execute(text("SELECT COUNT(*) FROM test_results")).scalar() == 12 * N
    book.close()


def test_a_url_that_is_not_a_database_says_what_to_write(tmp_path):
    with pytest.raises(GradebookError, match=r"--db 'gradebook\.db': not a database URL\. "
                                             r"Use sqlite:///"):
        Gradebook("gradebook.db")
    with pytest.raises(GradebookError, match="mysql is not supported"):
        Gradebook("mysql://root@localhost/grades")


def test_an_unreachable_server_names_it_without_the_password():
    with socket_closed_port() as port:
        url = f"postgresql://ta:secret@127.0.0.1:{port}/grades"
        with pytest.raises(GradebookError) as info:
            Gradebook(url)
    message = str(info.value)
    assert f"cannot open the gradebook postgresql://ta:***@127.0.0.1:{port}/grades" \
           in message
    assert "secret" not in message and "Check that the server is running" in message


class socket_closed_port:
    """A loopback port with nothing listening (bound, never listened, so nobody takes it)."""

    def __enter__(self) -> int:
        import socket

        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        return int(self.sock.getsockname()[1])

    def __exit__(self, *exc: object) -> None:
        self.sock.close()
