"""`nlpgrade quiz review`: spaced repetition (fsrs) over the course's quizzes.

Due questions come first, oldest due first, then up to `--new` questions never seen before.
Each answer is rated (right: Good, otherwise: Again) and rescheduled at once, so stopping
with Ctrl-C loses nothing. `--due` only shows what is due and when.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from rich.console import Console
from rich.table import Table

from autograder.quiz import paths, render
from autograder.quiz.loader import QuizFile, load_quizzes
from autograder.quiz.reviewstate import CardInfo, ReviewState, utcnow
from autograder.quiz.schema import AnyQuestion
from autograder.quiz.shuffle import display_order, new_seed


def main(*, quizzes: list[str], state: Path | None = None, list_only: bool = False,
         limit: int = 20, new_limit: int = 10, course: Path | None = None) -> int:
    files = [paths.resolve_quiz(q, course) for q in quizzes] or paths.all_quiz_files(course)
    questions: dict[str, tuple[QuizFile, AnyQuestion]] = {}
    for qf in load_quizzes(files):
        for q in qf.quiz.questions:
            questions[q.id] = (qf, q)
    console = render.make_console()
    with ReviewState(state or paths.default_state()) as rs:
        now = utcnow()
        cards = {qid: c for qid, c in rs.cards().items() if qid in questions}
        due = sorted((c for c in cards.values() if c.due <= now), key=lambda c: c.due)
        later = sorted((c for c in cards.values() if c.due > now), key=lambda c: c.due)
        new = [qid for qid in questions if qid not in cards]
        if list_only:
            show_schedule(console, due + later, new_count=len(new), now=now)
            return 0
        queue = ([c.question_id for c in due] + new[:max(new_limit, 0)])[:max(limit, 0)]
        if not queue:
            nxt = (f" Next: {later[0].question_id}, {render.when(later[0].due, now)}."
                   if later else "")
            console.print(f"Nothing is due.{nxt}")
            return 0
        n_new = sum(1 for qid in queue if qid not in cards)
        noun = "question" if len(queue) == 1 else "questions"
        console.print(f"Review: {len(queue)} {noun} ({len(queue) - n_new} due, {n_new} new). "
                      "Ctrl-C stops; every answer is saved.", style="bold")
        return run_session(console, rs, [questions[qid] for qid in queue], scope=set(questions))


def run_session(console: Console, rs: ReviewState, queue: list[tuple[QuizFile, AnyQuestion]],
                *, scope: set[str]) -> int:
    """Ask each question once, rate it, say when it comes back, and when the next review
    (over the question ids in `scope`) is due."""
    right = 0
    try:
        for number, (qf, q) in enumerate(queue, start=1):
            order = display_order(q, new_seed())
            render.show_question(console, q, order, number=number, total=len(queue))
            outcome = render.ask(console, q, order, rule=qf.quiz.rule_for(q))
            render.show_outcome(console, q, outcome)
            info = rs.record(quiz_id=qf.quiz.id, question_id=q.id, correct=outcome.is_correct,
                             score=outcome.score, max_score=outcome.max_score,
                             answer=outcome.response, origin="review")
            right += outcome.is_correct
            console.print(f"Next review of this question: {render.when(info.due, utcnow())}",
                          style="dim")
    except (KeyboardInterrupt, EOFError):
        console.print("\nStopped. Every answer so far is saved.")
        return render.EXIT_INTERRUPTED
    console.print(f"\nDone: {right}/{len(queue)} right.", style="bold")
    upcoming = sorted((c for c in rs.cards().values() if c.question_id in scope),
                      key=lambda c: c.due)
    if upcoming:
        console.print(f"Next review: {render.when(upcoming[0].due, utcnow())} "
                      f"({upcoming[0].question_id}).")
    return 0


def show_schedule(console: Console, cards: list[CardInfo], *, new_count: int,
                  now: datetime) -> None:
    """What is due and when: a table, soonest first."""
    due_now = sum(1 for c in cards if c.due <= now)
    table = Table(title="Review schedule", title_justify="left")
    for column in ("question", "quiz", "state", "reviews", "due", "at (UTC)"):
        table.add_column(column, no_wrap=column in ("question", "due", "at (UTC)"))
    for c in cards:
        table.add_row(c.question_id, c.quiz_id, c.state, str(c.reviews),
                      render.when(c.due, now), c.due.strftime("%Y-%m-%d %H:%M"))
    if cards:
        console.print(table)
    console.print(f"Due now: {due_now}. Scheduled later: {len(cards) - due_now}. "
                  f"Never seen: {new_count}.")
