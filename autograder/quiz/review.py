"""`nlpgrade quiz review`: spaced repetition (FSRS) over the course's quizzes.

Due questions come first, most overdue first, then new ones, interleaved across quizzes
(one from each in turn), up to the daily new-card limit. The limit counts what earlier
sessions of the same local day already introduced, and `--new-per-day` is remembered in
the review state. After a right answer the learner rates it (Enter = Good, or Easy/Hard);
a partly right answer is Hard and a wrong one Again. Every answer is saved at once, so
Ctrl-C loses nothing. `--due` only lists what is due and when, in local time.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from fsrs import Rating
from rich.console import Console
from rich.table import Table

from autograder.quiz import paths, render
from autograder.quiz.lineinput import LineReader
from autograder.quiz.loader import QuizFile, load_quizzes
from autograder.quiz.reviewstate import (
    CardInfo,
    ReviewState,
    automatic_rating,
    local_day,
    utcnow,
)
from autograder.quiz.schema import AnyQuestion
from autograder.quiz.scoring import Outcome
from autograder.quiz.shuffle import display_order, new_seed

NEW_PER_DAY = 10  # default daily limit of questions seen for the first time
RATE_PROMPT = "rate> "
_RATE_KEYS = {"": None, "g": Rating.Good, "good": Rating.Good, "e": Rating.Easy,
              "easy": Rating.Easy, "h": Rating.Hard, "hard": Rating.Hard, "a": Rating.Again,
              "again": Rating.Again}

Entry = tuple[QuizFile, AnyQuestion]


def main(*, quizzes: list[str], state: Path | None = None, list_only: bool = False,
         limit: int = 20, new_per_day: int | None = None, tags: list[str] | None = None,
         course: Path | None = None) -> int:
    files = [paths.resolve_quiz(q, course) for q in quizzes] or paths.all_quiz_files(course)
    loaded = load_quizzes(files)
    questions = {q.id: (qf, q) for qf, q in with_tags(loaded, tags)}
    console = render.make_console()
    with ReviewState(state or paths.default_state()) as rs:
        if new_per_day is not None:
            rs.set_setting("new_per_day", str(max(new_per_day, 0)))
        daily = int(rs.setting("new_per_day") or NEW_PER_DAY)
        now = utcnow()
        cards = {qid: c for qid, c in rs.cards().items() if qid in questions}
        due = sorted((c for c in cards.values() if c.due <= now), key=lambda c: c.due)
        new = interleave(loaded, [qid for qid in questions if qid not in cards])
        allowance = max(daily - len(rs.introduced_on(local_day(now))), 0)
        if list_only:
            show_schedule(console, sorted(cards.values(), key=lambda c: c.due),
                          new_count=len(new), allowance=allowance, now=now)
            return 0
        queue = ([c.question_id for c in due] + new[:allowance])[:max(limit, 0)]
        if not queue:
            later = sorted((c for c in cards.values() if c.due > now), key=lambda c: c.due)
            nxt = (f" Next: {later[0].question_id}, {render.when(later[0].due, now)}."
                   if later else "")
            more = (f" New questions today: {daily} of {daily} seen (--new-per-day changes "
                    "it)." if new and not allowance else "")
            console.print(f"Nothing is due.{nxt}{more}")
            return 0
        n_new = sum(1 for qid in queue if qid not in cards)
        noun = "question" if len(queue) == 1 else "questions"
        console.print(f"Review: {len(queue)} {noun} ({len(queue) - n_new} due, {n_new} new; "
                      f"{allowance - n_new} new left today). Ctrl-C stops; every answer is "
                      "saved.", style="bold")
        return run_session(console, rs, [questions[qid] for qid in queue],
                           scope=set(questions))


def with_tags(loaded: list[QuizFile], tags: list[str] | None) -> list[Entry]:
    """Every question of the loaded quizzes that has at least one of `tags` (all if none)."""
    wanted = {t.casefold() for t in tags or []}
    return [(qf, q) for qf in loaded for q in qf.quiz.questions
            if not wanted or wanted & {t.casefold() for t in q.tags}]


def interleave(loaded: list[QuizFile], ids: Iterable[str]) -> list[str]:
    """`ids` in round-robin order over the quizzes: one from each quiz in turn."""
    keep = set(ids)
    lanes = [[q.id for q in qf.quiz.questions if q.id in keep] for qf in loaded]
    out: list[str] = []
    for depth in range(max((len(lane) for lane in lanes), default=0)):
        out += [lane[depth] for lane in lanes if depth < len(lane)]
    return out


def run_session(console: Console, rs: ReviewState, queue: list[Entry], *,
                scope: set[str], reader: LineReader | None = None) -> int:
    """Ask each question once, rate it, say when it comes back, and when the next review
    (over the question ids in `scope`) is due."""
    reader = reader or LineReader(paths.history_file())
    right = skipped = 0
    try:
        for number, (qf, q) in enumerate(queue, start=1):
            order = display_order(q, new_seed())
            render.show_question(console, q, order, number=number, total=len(queue))
            try:
                outcome = render.ask(console, reader, q, order, rule=qf.quiz.rule_for(q))
            except render.Skipped:
                console.print("  Skipped: it stays due.", style="dim")
                skipped += 1
                continue
            render.show_outcome(console, q, outcome)
            if outcome.status == "undecided":
                console.print("  Not rated: it stays due until someone looks at it.",
                              style="dim")
                continue
            rating = ask_rating(console, reader, outcome)
            info = rs.record(quiz_id=qf.quiz.id, question_id=q.id, rating=rating,
                             score=outcome.score, max_score=outcome.max_score,
                             answer=outcome.response, origin="review")
            right += outcome.is_correct
            console.print(f"Rated {rating.name}. Next review of this question: "
                          f"{render.when(info.due, utcnow())}", style="dim")
    except (KeyboardInterrupt, EOFError):
        console.print("\nStopped. Every answer so far is saved.")
        return render.EXIT_INTERRUPTED
    finally:
        reader.save()
    extra = f", {skipped} skipped" if skipped else ""
    console.print(f"\nDone: {right}/{len(queue)} right{extra}.", style="bold")
    upcoming = sorted((c for c in rs.cards().values() if c.question_id in scope),
                      key=lambda c: c.due)
    if upcoming:
        console.print(f"Next review: {render.when(upcoming[0].due, utcnow())} "
                      f"({upcoming[0].question_id}).")
    return 0


def ask_rating(console: Console, reader: LineReader, outcome: Outcome) -> Rating:
    """Wrong: Again, without asking. Right: Good on Enter, or the learner's Easy/Hard/Again.
    Partly right: Hard on Enter, or Again."""
    default = automatic_rating(outcome.status)
    if default == Rating.Again:
        return default
    if default == Rating.Good:
        hint = "How well did you know it? Enter = Good, e = Easy, h = Hard, a = Again."
        allowed = {Rating.Again, Rating.Hard, Rating.Good, Rating.Easy}
    else:
        hint = "Partly right: Enter = Hard, a = Again."
        allowed = {Rating.Again, Rating.Hard}
    console.print(hint, style="dim")
    while True:
        typed = reader.read(RATE_PROMPT).strip().casefold()
        if typed in _RATE_KEYS:
            choice = _RATE_KEYS[typed] or default
            if choice in allowed:
                return choice
        console.print(f"  Type one of: {', '.join(sorted(k for k in _RATE_KEYS if k))}, or "
                      "press Enter.", style="yellow")


def show_schedule(console: Console, cards: list[CardInfo], *, new_count: int,
                  allowance: int, now: datetime) -> None:
    """What is due and when (soonest first), in the local time zone, narrow enough for an
    80-column terminal: long question ids wrap instead of pushing columns off screen."""
    due_now = sum(1 for c in cards if c.due <= now)
    zone = now.astimezone().tzname() or "local"
    table = Table(title="Review schedule", title_justify="left", expand=False,
                  pad_edge=False, box=None, header_style="bold")
    table.add_column("question", overflow="fold", ratio=3, min_width=12)
    table.add_column("quiz", overflow="fold", ratio=1, min_width=6)
    table.add_column("due", no_wrap=True)
    table.add_column(f"at ({zone})", no_wrap=True)
    table.add_column("n", justify="right", no_wrap=True)
    for c in cards:
        table.add_row(c.question_id, c.quiz_id, render.when(c.due, now),
                      c.due.astimezone().strftime("%a %d %b %H:%M"), str(c.reviews))
    if cards:
        console.print(table)
    console.print(f"Due now: {due_now}. Scheduled later: {len(cards) - due_now}. "
                  f"Never seen: {new_count} ({allowance} more may start today).")
