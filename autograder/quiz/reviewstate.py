"""Spaced-repetition state: one fsrs card per question and an append-only review log, in SQLite.

Ratings are FSRS's four: Again, Hard, Good, Easy. A wrong answer is Again and a partly right
one Hard; a right one is Good unless the learner says it was Easy (or Hard) in `review`.
Each answer updates the card and appends to the log in one transaction. Triggers make the
log append-only: history is never rewritten. The log also says how many new questions were
introduced on a given (local) day, which is what the daily new-card limit counts; settings
such as that limit persist in the same file.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path

from fsrs import Card, Rating, Scheduler, State

SCHEMA_VERSION = 2  # 2: settings table; ratings Hard and Easy
_SCHEMA = """
CREATE TABLE IF NOT EXISTS cards (
    question_id TEXT PRIMARY KEY,
    quiz_id     TEXT NOT NULL,
    card        TEXT NOT NULL,          -- fsrs Card.to_json()
    due         TEXT NOT NULL           -- ISO 8601, UTC: sorts as text
);
CREATE INDEX IF NOT EXISTS cards_due ON cards (due);
CREATE TABLE IF NOT EXISTS review_log (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    question_id TEXT NOT NULL,
    quiz_id     TEXT NOT NULL,
    reviewed_at TEXT NOT NULL,
    rating      TEXT NOT NULL,          -- Again | Hard | Good | Easy
    score       REAL NOT NULL,
    max_score   REAL NOT NULL,
    answer      TEXT NOT NULL,
    origin      TEXT NOT NULL,          -- review | take
    due_after   TEXT NOT NULL           -- when the card became due again
);
CREATE TABLE IF NOT EXISTS settings (
    name        TEXT PRIMARY KEY,
    value       TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS review_log_no_update BEFORE UPDATE ON review_log
BEGIN SELECT RAISE(ABORT, 'review_log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS review_log_no_delete BEFORE DELETE ON review_log
BEGIN SELECT RAISE(ABORT, 'review_log is append-only'); END;
"""


@dataclass(frozen=True)
class CardInfo:
    question_id: str
    quiz_id: str
    due: datetime
    state: str  # Learning | Review | Relearning
    reviews: int


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


RATINGS = ("Again", "Hard", "Good", "Easy")


def automatic_rating(status: str) -> Rating:
    """The rating an outcome earns without asking: right Good, partly right Hard, else Again."""
    return {"correct": Rating.Good, "partial": Rating.Hard}.get(status, Rating.Again)


def local_day(moment: datetime) -> date:
    """The learner's calendar day of a moment (the machine's local time zone)."""
    return moment.astimezone().date()


class ReviewState:
    """The learner's review database at `path` (created on first use)."""

    def __init__(self, path: Path, *, scheduler: Scheduler | None = None) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.db = sqlite3.connect(path)
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise RuntimeError(f"{path}: review state from a newer nlpgrade (schema {version})")
        with self.db:
            self.db.executescript(_SCHEMA)
            self.db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        self.scheduler = scheduler or Scheduler()

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> ReviewState:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def record(self, *, quiz_id: str, question_id: str, rating: Rating, score: float,
               max_score: float, answer: str, origin: str,
               now: datetime | None = None) -> CardInfo:
        """Log one answer with its rating and reschedule its card."""
        now = now or utcnow()
        row = self.db.execute("SELECT card FROM cards WHERE question_id = ?",
                              (question_id,)).fetchone()
        card = Card.from_json(row[0]) if row else Card(due=now)
        card, _ = self.scheduler.review_card(card, rating, review_datetime=now)
        due = card.due.astimezone(timezone.utc).isoformat()
        with self.db:  # one transaction: the card and its log line, or neither
            self.db.execute(
                "INSERT INTO cards (question_id, quiz_id, card, due) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(question_id) DO UPDATE SET quiz_id = excluded.quiz_id, "
                "card = excluded.card, due = excluded.due",
                (question_id, quiz_id, card.to_json(), due))
            self.db.execute(
                "INSERT INTO review_log (question_id, quiz_id, reviewed_at, rating, score, "
                "max_score, answer, origin, due_after) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (question_id, quiz_id, now.astimezone(timezone.utc).isoformat(), rating.name,
                 score, max_score, answer, origin, due))
        return self._info(question_id, quiz_id, card)

    def cards(self) -> dict[str, CardInfo]:
        """Every question that has been answered at least once, by question id."""
        counts = dict(self.db.execute(
            "SELECT question_id, COUNT(*) FROM review_log GROUP BY question_id").fetchall())
        out = {}
        for qid, quiz_id, card_json in self.db.execute(
                "SELECT question_id, quiz_id, card FROM cards ORDER BY due"):
            out[qid] = self._info(qid, quiz_id, Card.from_json(card_json), counts.get(qid, 0))
        return out

    def introduced_on(self, day: date, *, origin: str = "review") -> set[str]:
        """Questions first answered on local `day`, by `origin` (what the new-card limit
        counts: a second session on the same day does not bring a fresh allowance)."""
        rows = self.db.execute(
            "SELECT question_id, reviewed_at, origin FROM review_log AS r WHERE id = "
            "(SELECT MIN(id) FROM review_log WHERE question_id = r.question_id)").fetchall()
        return {qid for qid, at, how in rows
                if how == origin and local_day(datetime.fromisoformat(at)) == day}

    def setting(self, name: str) -> str | None:
        row = self.db.execute("SELECT value FROM settings WHERE name = ?", (name,)).fetchone()
        return row[0] if row else None

    def set_setting(self, name: str, value: str) -> None:
        with self.db:
            self.db.execute("INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT(name) "
                            "DO UPDATE SET value = excluded.value", (name, value))

    def log(self) -> list[dict[str, object]]:
        cur = self.db.execute("SELECT * FROM review_log ORDER BY id")
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    def _info(self, qid: str, quiz_id: str, card: Card, reviews: int | None = None) -> CardInfo:
        if reviews is None:
            reviews = self.db.execute("SELECT COUNT(*) FROM review_log WHERE question_id = ?",
                                      (qid,)).fetchone()[0]
        return CardInfo(qid, quiz_id, card.due.astimezone(timezone.utc), State(card.state).name,
                        reviews)

