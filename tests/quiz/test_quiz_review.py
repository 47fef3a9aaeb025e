"""Spaced repetition: FSRS cards with four ratings, an append-only review log, a daily limit of
new questions that holds across sessions, interleaving, tag filters and the --due listing."""

from __future__ import annotations

import sqlite3
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from fsrs import Rating, Scheduler

from autograder.quiz.loader import load_quizzes
from autograder.quiz.review import interleave, with_tags
from autograder.quiz.reviewstate import ReviewState, automatic_rating, local_day

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=timezone.utc)


def record(state: ReviewState, qid: str, *, rating: Rating, at: datetime,
           origin: str = "review") -> None:
    state.record(quiz_id="mini", question_id=qid, rating=rating,
                 score=1.0 if rating != Rating.Again else 0.0, max_score=1.0, answer="a",
                 origin=origin, now=at)


def test_each_of_the_four_ratings_schedules_differently(tmp_path: Path) -> None:
    with ReviewState(tmp_path / "s.db", scheduler=Scheduler(enable_fuzzing=False)) as state:
        for rating in Rating:
            record(state, rating.name, rating=rating, at=T0)
        due = {qid: c.due - T0 for qid, c in state.cards().items()}
    assert due["Again"] < due["Hard"] < due["Good"] < due["Easy"]
    assert due["Again"] == timedelta(minutes=1) and due["Good"] == timedelta(minutes=10)


@pytest.mark.parametrize(("status", "rating"), [
    ("correct", Rating.Good), ("partial", Rating.Hard), ("incorrect", Rating.Again),
    ("invalid", Rating.Again)])
def test_a_partly_right_answer_is_rated_hard_not_again(status: str, rating: Rating) -> None:
    assert automatic_rating(status) == rating


def test_repeated_good_answers_space_the_reviews_out(tmp_path: Path) -> None:
    with ReviewState(tmp_path / "s.db", scheduler=Scheduler(enable_fuzzing=False)) as state:
        at = T0
        gaps = []
        for _ in range(4):
            record(state, "q", rating=Rating.Good, at=at)
            due = state.cards()["q"].due
            gaps.append(due - at)
            at = due
    assert gaps == sorted(gaps) and gaps[-1] >= timedelta(days=2)


def test_state_and_log_survive_reopening_the_database(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    with ReviewState(path) as state:
        record(state, "q1", rating=Rating.Again, at=T0)
        record(state, "q1", rating=Rating.Hard, at=T0 + timedelta(minutes=5))
        state.set_setting("new_per_day", "3")
    with ReviewState(path) as state:
        assert [row["rating"] for row in state.log()] == ["Again", "Hard"]
        assert state.cards()["q1"].reviews == 2
        assert state.setting("new_per_day") == "3"


def test_the_review_log_is_append_only(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    with ReviewState(path) as state:
        record(state, "q1", rating=Rating.Good, at=T0)
    db = sqlite3.connect(path)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        db.execute("UPDATE review_log SET rating = 'Good'")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        db.execute("DELETE FROM review_log")
    db.close()


def test_new_questions_are_counted_per_local_day_and_by_how_they_were_first_seen(
        tmp_path: Path) -> None:
    with ReviewState(tmp_path / "s.db") as state:
        record(state, "seen-in-review", rating=Rating.Good, at=T0)
        record(state, "seen-in-take", rating=Rating.Good, at=T0, origin="take")
        record(state, "yesterday", rating=Rating.Good, at=T0 - timedelta(days=1))
        record(state, "yesterday", rating=Rating.Good, at=T0)  # a review, not new today
        assert state.introduced_on(local_day(T0)) == {"seen-in-review"}


@pytest.fixture
def course(tmp_path: Path, mini: Path) -> Path:
    """A course with two quizzes: mini (7 questions) and a copy with other ids."""
    root = tmp_path / "course"
    (root / "quizzes").mkdir(parents=True)
    (root / "assignments").mkdir()
    (root / "quizzes" / "mini.yaml").write_text(mini.read_text())
    other = mini.read_text().replace("id: mini\n", "id: other\n").replace("- id: mini-",
                                                                          "- id: other-")
    (root / "quizzes" / "other.yaml").write_text(other)
    return root


def test_new_questions_are_interleaved_across_quizzes(course: Path) -> None:
    loaded = load_quizzes(sorted((course / "quizzes").glob("*.yaml")))
    ids = [q.id for qf in loaded for q in qf.quiz.questions]
    order = interleave(loaded, ids)
    assert order[:4] == ["mini-single", "other-single", "mini-multiple", "other-multiple"]
    assert sorted(order) == sorted(ids)


def test_a_tag_filter_keeps_only_questions_with_that_tag(course: Path) -> None:
    loaded = load_quizzes(sorted((course / "quizzes").glob("*.yaml")))
    assert [q.id for _, q in with_tags(loaded, ["BERT"])] == [
        "mini-single", "mini-short", "other-single", "other-short"]
    assert len(with_tags(loaded, None)) == 14


def test_the_daily_new_limit_holds_across_sessions(cli, course: Path, tmp_path: Path) -> None:
    """A second session on the same day brings no fresh allowance of new questions."""
    state = tmp_path / "state.sqlite3"
    rc, out, _ = cli("review", "--course", course, "--state", state, "--due",
                     "--new-per-day", 3)
    assert rc == 0 and "Never seen: 14 (3 more may start today)." in out
    now = datetime.now(timezone.utc)
    with ReviewState(state) as rs:  # a first session today introduced two questions
        for qid in ("mini-single", "other-single"):
            rs.record(quiz_id=qid.split("-")[0], question_id=qid, rating=Rating.Good,
                      score=1, max_score=1, answer="a", origin="review", now=now)
    rc, out, _ = cli("review", "--course", course, "--state", state, "--due")
    assert "Never seen: 12 (1 more may start today)." in out  # the limit 3 was remembered


def test_review_due_fits_80_columns_and_shows_local_times(cli, course: Path, tmp_path: Path,
                                                          monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setenv("TZ", "Asia/Kolkata")  # UTC+5:30, no daylight saving
    time.tzset()
    state_path = tmp_path / "state.sqlite3"
    now = datetime.now(timezone.utc)
    with ReviewState(state_path) as state:
        record(state, "mini-single", rating=Rating.Again, at=now - timedelta(minutes=5))
        record(state, "mini-tf", rating=Rating.Good, at=now)
    try:
        rc, out, _ = cli("review", "--course", course, "--state", state_path, "--due")
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
    assert rc == 0
    assert max(len(line) for line in out.splitlines()) <= 80
    rows = [line for line in out.splitlines() if "mini-" in line]
    assert "mini-single" in rows[0] and "overdue by 4 minutes" in rows[0]
    assert "mini-tf" in rows[1] and "in 10 minutes" in rows[1]
    ist = (now + timedelta(minutes=10)).astimezone(timezone(timedelta(hours=5, minutes=30)))
    assert ist.strftime("%H:%M") in rows[1] and "at (IST)" in out
    assert "Due now: 1. Scheduled later: 1. Never seen: 12" in out


def test_a_long_question_id_wraps_instead_of_widening_the_schedule() -> None:
    from rich.console import Console

    from autograder.quiz.review import show_schedule
    from autograder.quiz.reviewstate import CardInfo

    console = Console(width=80, record=True, markup=False, highlight=False)
    long_id = "a-rather-long-question-id-that-would-push-the-columns-off-the-screen"
    cards = [CardInfo(long_id, "word-embeddings", T0 + timedelta(days=3), "Review", 4)]
    show_schedule(console, cards, new_count=0, allowance=10, now=T0)
    text = console.export_text()
    assert max(len(line) for line in text.splitlines()) <= 80
    assert "in 3 days" in text and "word-embeddings" in text.replace("\n", "")
