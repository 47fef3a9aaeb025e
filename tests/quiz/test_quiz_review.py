"""Spaced repetition: fsrs cards and an append-only review log in a real SQLite file."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from fsrs import Scheduler

from autograder.quiz.reviewstate import ReviewState

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=timezone.utc)


def record(state: ReviewState, qid: str, *, correct: bool, at: datetime) -> None:
    state.record(quiz_id="mini", question_id=qid, correct=correct,
                 score=1.0 if correct else 0.0, max_score=1.0, answer="a", origin="review",
                 now=at)


def test_a_wrong_answer_comes_back_sooner_than_a_right_one(tmp_path: Path) -> None:
    with ReviewState(tmp_path / "s.db", scheduler=Scheduler(enable_fuzzing=False)) as state:
        record(state, "missed", correct=False, at=T0)
        record(state, "known", correct=True, at=T0)
        cards = state.cards()
    assert cards["missed"].due - T0 == timedelta(minutes=1)  # Again: first learning step
    assert cards["known"].due - T0 == timedelta(minutes=10)  # Good: next learning step
    assert [c.reviews for c in cards.values()] == [1, 1]


def test_repeated_good_answers_space_the_reviews_out(tmp_path: Path) -> None:
    with ReviewState(tmp_path / "s.db", scheduler=Scheduler(enable_fuzzing=False)) as state:
        at = T0
        gaps = []
        for _ in range(4):
            record(state, "q", correct=True, at=at)
            due = state.cards()["q"].due
            gaps.append(due - at)
            at = due
    assert gaps == sorted(gaps) and gaps[-1] >= timedelta(days=2)


def test_state_and_log_survive_reopening_the_database(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    with ReviewState(path) as state:
        record(state, "q1", correct=False, at=T0)
        record(state, "q1", correct=True, at=T0 + timedelta(minutes=5))
    with ReviewState(path) as state:
        log = state.log()
        assert [row["rating"] for row in log] == ["Again", "Good"]
        assert state.cards()["q1"].reviews == 2


def test_the_review_log_is_append_only(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    with ReviewState(path) as state:
        record(state, "q1", correct=True, at=T0)
    db = sqlite3.connect(path)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        db.execute("UPDATE review_log SET rating = 'Good'")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        db.execute("DELETE FROM review_log")
    db.close()


def test_review_due_shows_what_is_due_and_when(cli, tmp_path: Path, mini: Path,
                                               monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "120")
    course = tmp_path / "course"
    (course / "quizzes").mkdir(parents=True)
    (course / "assignments").mkdir()
    (course / "quizzes" / "mini.yaml").write_text(mini.read_text())
    state_path = tmp_path / "state.sqlite3"
    now = datetime.now(timezone.utc)
    with ReviewState(state_path) as state:
        record(state, "mini-single", correct=False, at=now - timedelta(minutes=5))
        record(state, "mini-tf", correct=True, at=now)
    rc, out, _ = cli("review", "--course", course, "--state", state_path, "--due")
    assert rc == 0
    rows = [line for line in out.splitlines() if "mini-" in line]
    assert "mini-single" in rows[0] and "overdue by 4 minutes" in rows[0]
    assert "mini-tf" in rows[1] and "in 10 minutes" in rows[1]
    assert "Due now: 1. Scheduled later: 1. Never seen: 5." in out
