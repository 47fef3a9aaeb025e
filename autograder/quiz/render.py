"""The terminal side of `take` and `review` (rich): showing questions and outcomes, and
reading answers until one can be graded (or skipped).

Quiz text is printed as plain text, never as rich markup: a prompt about `[CLS]` must show
`[CLS]`, not be read as a style tag. Tags are shown only after answering (they can name the
topic of the answer), together with the question's source.
"""

from __future__ import annotations

from datetime import datetime

from rich.console import Console
from rich.rule import Rule
from rich.text import Text

from autograder.quiz.answers import AnswerError, label, labels_hint, parse_response
from autograder.quiz.lineinput import LineReader
from autograder.quiz.numeric import precision_hint
from autograder.quiz.schema import (
    AnyQuestion,
    MultipleChoice,
    Numeric,
    Ordering,
    ScoringRule,
    ShortText,
    SingleChoice,
    Symbolic,
    TrueFalse,
)
from autograder.quiz.scoring import Outcome, score_response
from autograder.quiz.scoring import format_points as points
from autograder.quiz.shuffle import Order

PROMPT = "answer> "
SKIP = "skip"  # typed alone: leave the question for later
EXIT_INTERRUPTED = 130  # like a shell after Ctrl-C
_MARKS = {"correct": ("✓ Correct", "bold green"), "partial": ("◐ Partly right", "bold yellow"),
          "incorrect": ("✗ Incorrect", "bold red"), "unanswered": ("· Not answered", "dim"),
          "invalid": ("? Could not read the answer", "bold magenta"),
          "undecided": ("? Could not be decided", "bold magenta")}


def make_console() -> Console:
    """Plain text (no markup), and no hard wrapping of long lines such as paths and URLs;
    question text asks for word wrapping where it is printed (`wrap`)."""
    return Console(markup=False, highlight=False, emoji=False, soft_wrap=True)


def wrap(console: Console, text: Text) -> None:
    console.print(text, soft_wrap=False)


def show_description(console: Console, description: str) -> None:
    """The quiz's description (its notation, its ground rules), before the first question."""
    if description.strip():
        wrap(console, Text(description.strip(), style="italic"))


def show_question(console: Console, q: AnyQuestion, order: Order, *, number: int,
                  total: int) -> None:
    unit = "pt" if q.points == 1 else "pts"
    console.print()
    console.print(Rule(Text(f"Question {number}/{total} · {points(q.points)} {unit}"),
                       style="cyan"))
    wrap(console, Text(q.prompt.rstrip()))
    if isinstance(q, Numeric):
        hint = precision_hint(q)
        if hint:
            wrap(console, Text(hint))
        if q.unit:
            console.print(Text(f"(unit: {q.unit})", style="dim"))
    console.print()
    if isinstance(q, (SingleChoice, MultipleChoice)):
        for pos, i in enumerate(order):
            wrap(console, Text(f"  {label(pos)}) {q.options[i].text}"))
    elif isinstance(q, Ordering):
        for pos, i in enumerate(order):
            wrap(console, Text(f"  {label(pos)}) {q.items[i]}"))
    if order:
        console.print()
    console.print(Text(f"{input_hint(q, order)} ('{SKIP}' leaves it for later.)", style="dim"))


def input_hint(q: AnyQuestion, order: Order) -> str:
    if isinstance(q, SingleChoice):
        return f"Type one letter ({labels_hint(len(order))})."
    if isinstance(q, MultipleChoice):
        return (f"Select all that apply: type letters ({labels_hint(len(order))}), "
                "e.g. 'a c', or '-' for none.")
    if isinstance(q, TrueFalse):
        return "Type t (true) or f (false)."
    if isinstance(q, Numeric):
        unit = f", or with its unit: 64 {q.unit}" if q.unit and q.unit != "%" else ""
        return f"Type a number (e.g. 0.25, 1/4, 2.5e-3, 10^4{unit})."
    if isinstance(q, Symbolic):
        names = []
        for name, var in q.variables.items():
            names.append(f"{name} ({', '.join(var.aliases)})" if var.aliases else name)
        return (f"Type an expression in {', '.join(names)}; use ^ or ** for powers, "
                "e.g. 2*x^2 or sqrt(x).")
    if isinstance(q, ShortText):
        return "Type a short answer."
    if isinstance(q, Ordering):
        return f"Type the letters ({labels_hint(len(order))}) in the right order, e.g. 'c a b'."
    return ""


def show_outcome(console: Console, q: AnyQuestion, outcome: Outcome, *,
                 running: tuple[float, float] | None = None) -> None:
    mark, style = _MARKS[outcome.status]
    line = Text(mark, style=style)
    line.append(f" ({points(outcome.score)}/{points(outcome.max_score)})")
    if running is not None:
        line.append(f" · score {points(running[0])}/{points(running[1])}", style="bold")
    console.print(line)
    if not outcome.is_correct:
        wrap(console, Text(f"  Correct answer: {outcome.correct_answer}"))
    for note in outcome.feedback:
        wrap(console, Text(f"  {note}", style="italic"))
    why = Text()
    why.append("Why: ", style="bold")
    why.append(q.explanation.rstrip())
    wrap(console, why)
    about = Text(f"Source: {q.source}", style="dim")
    if q.tags:
        about.append(f" · tags: {', '.join(q.tags)}")
    wrap(console, about)


def show_error(console: Console, message: str) -> None:
    console.print(Text(f"  {message.rstrip('.')}. Try again.", style="yellow"))


class Skipped(Exception):
    """The learner typed `skip`: come back to this question later."""


def ask(console: Console, reader: LineReader, q: AnyQuestion, order: Order, *,
        rule: ScoringRule) -> Outcome:
    """Read answers until one can be graded; empty lines and unreadable answers ask again.

    Raises Skipped when the learner types `skip`. KeyboardInterrupt and EOFError (Ctrl-C,
    Ctrl-D) propagate to the caller.
    """
    while True:
        typed = reader.read(PROMPT).strip()
        if not typed:
            continue
        if typed.casefold() == SKIP:
            raise Skipped
        try:
            response = parse_response(q, typed, order)
        except AnswerError as err:
            show_error(console, str(err))
            continue
        outcome = score_response(q, response, order=order, rule=rule)
        if outcome.status != "invalid":
            return outcome
        show_error(console, "; ".join(outcome.feedback))


def when(moment: datetime, now: datetime) -> str:
    """'now', 'in 10 minutes', 'in 3 hours', 'in 2 days', 'overdue by 1 day', ..."""
    seconds = (moment - now).total_seconds()
    if 0 < seconds < 60:
        return "in under a minute"
    if -60 < seconds <= 0:
        return "now"
    span = abs(seconds)
    for size, unit in ((86400, "day"), (3600, "hour"), (60, "minute")):
        if span >= size:
            count = round(span / size)
            text = f"{count} {unit}{'' if count == 1 else 's'}"
            break
    return f"in {text}" if seconds > 0 else f"overdue by {text}"
