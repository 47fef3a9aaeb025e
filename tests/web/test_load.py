"""Load on loopback: 200 simulated students submit masking within a minute to a server with 2
workers; the server is killed with SIGKILL halfway and restarted; every accepted upload is
graded exactly once, with the example's score, and nothing is lost."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from autograder.gradebook import Gradebook, SubmissionRow
from autograder.web.tables import UploadRow

from .load import EXAMPLES, make_students, submit_all
from .server import Server, add_users

STUDENTS = 200
PASSWORD = "correct horse battery"
pytestmark = pytest.mark.slow


def uploads(db_url: str) -> list[tuple[int, str, str, int | None, float | None]]:
    """(upload id, student, state, attempt, score) of every upload."""
    book = Gradebook(db_url)
    with Session(book.engine) as session:
        rows = session.execute(select(UploadRow.id, UploadRow.student, UploadRow.state,
                                      UploadRow.attempt)).all()
        scores = {(r.student, r.attempt): r.score for r in session.scalars(
            select(SubmissionRow).where(SubmissionRow.assignment == "masking"))}
    book.close()
    return [(i, s, st, a, scores.get((s, a))) for i, s, st, a in rows]


def attempts(db_url: str) -> list[tuple[str, int]]:
    book = Gradebook(db_url)
    with Session(book.engine) as session:
        found = session.execute(select(SubmissionRow.student, SubmissionRow.attempt)).all()
    book.close()
    return [(s, a) for s, a in found]


def test_200_students_in_a_minute_survive_a_sigkill_of_the_server(tmp_path: Path) -> None:
    server = Server(tmp_path, workers=2)
    students = make_students(STUDENTS)
    add_users(server.db_url, [(s.login, "student") for s in students], PASSWORD)
    server.start()
    started = time.monotonic()
    first, second = students[:STUDENTS // 2], students[STUDENTS // 2:]
    try:
        asyncio.run(submit_all(server.url, first, PASSWORD, within_s=5.0))
        pending_at_kill = sum(u[2] != "graded" for u in uploads(server.db_url))
        server.kill()  # halfway: uploads queued and one being graded by each worker
        server.start()
        retry = [s for s in first if s.upload_id is None]  # their request died with it
        for s in retry:
            s.errors.clear()
        asyncio.run(submit_all(server.url, second + retry, PASSWORD, within_s=20.0))
        assert time.monotonic() - started < 60 + 60, "the submissions took over a minute"
        refused = [(s.login, s.errors) for s in students if s.upload_id is None]
        assert not refused, refused[:5]
        deadline = time.monotonic() + 600
        while True:
            rows = uploads(server.db_url)
            if all(state == "graded" for _, _, state, _, _ in rows):
                break
            assert time.monotonic() < deadline, \
                f"{sum(r[2] != 'graded' for r in rows)} uploads still not graded"
            time.sleep(0.5)  # polling the gradebook: the condition is the rows
    finally:
        server.stop()
    by_id = {r[0]: r for r in rows}
    for student in students:  # every accepted upload was graded, with its example's score
        assert student.upload_id is not None
        _, login, _, attempt, score = by_id[student.upload_id]
        assert login == student.login and attempt is not None
        assert score == EXAMPLES[student.example], (student.login, student.example, score)
    graded_attempts = attempts(server.db_url)
    assert len(graded_attempts) == len(rows) == len(set(graded_attempts))  # once each
    assert pending_at_kill > 0  # the kill came while uploads were waiting or being graded
