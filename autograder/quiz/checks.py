"""Answer-key checks that need a whole question; each problem names its exact field.

Run by the loader after the schema has accepted a file. `validate` also parses symbolic
answer keys (check_symbolic=True), which imports sympy; loading for `take` does not.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from autograder.quiz.loader import Problem, QuizFile
from autograder.quiz.schema import (
    AnyQuestion,
    MultipleChoice,
    Numeric,
    Ordering,
    ShortText,
    SingleChoice,
    Symbolic,
)

_NAME = re.compile(r"[^\W\d](?:(?![⁰¹²³⁴⁵⁶⁷⁸⁹])\w)*")  # one identifier, as the parser reads it


_CONFLICTS = {("positive", "negative"), ("positive", "nonpositive"),
              ("negative", "nonnegative")}


def check_quiz(qf: QuizFile, *, check_symbolic: bool) -> Iterator[Problem]:
    """Per-question answer-key checks (unique ids are the loader's job: they span files)."""
    for i, q in enumerate(qf.quiz.questions):
        for field_loc, message in _check(q, check_symbolic=check_symbolic):
            yield qf.problem(i, field_loc, message)


def _check(q: AnyQuestion, *, check_symbolic: bool) -> Iterator[tuple[tuple, str]]:
    if isinstance(q, (SingleChoice, MultipleChoice)):
        yield from _choices(q)
    elif isinstance(q, Numeric):
        if q.tolerance.abs is None and q.tolerance.rel is None:
            yield ("tolerance",), "give 'abs' or 'rel' (or both)"
    elif isinstance(q, Symbolic):
        yield from _symbolic(q, check_symbolic=check_symbolic)
    elif isinstance(q, ShortText):
        if not q.accept and not q.regex:
            yield ("accept",), "give at least one accepted answer in 'accept' or 'regex'"
        for j, pattern in enumerate(q.regex):
            try:
                re.compile(pattern)
            except re.error as err:
                yield ("regex", j), f"not a valid regular expression: {err}"
    elif isinstance(q, Ordering):
        yield from _unique(q.items, "items")


def _choices(q: SingleChoice | MultipleChoice) -> Iterator[tuple[tuple, str]]:
    correct = [j for j, o in enumerate(q.options) if o.correct]
    where = ", ".join(f"options[{j}]" for j in correct)
    if isinstance(q, SingleChoice) and len(correct) != 1:
        if correct:
            yield ("options",), (f"a 'single' question needs exactly one correct option; "
                                 f"{len(correct)} are marked correct ({where}). Use "
                                 f"type: multiple for check-all-that-apply")
        else:
            yield ("options",), "no option is marked 'correct: true'; exactly one must be"
    if isinstance(q, MultipleChoice) and not correct:
        yield ("options",), "no option is marked 'correct: true'; at least one must be"
    yield from _unique([o.text for o in q.options], "options", suffix="text")


def _unique(texts: list[str], name: str, *, suffix: str | None = None) -> Iterator[tuple]:
    first: dict[str, int] = {}
    for j, text in enumerate(texts):
        norm = " ".join(text.split()).casefold()
        if norm in first:
            loc = (name, j, suffix) if suffix else (name, j)
            yield loc, f"same text as {name}[{first[norm]}]"
        first.setdefault(norm, j)


def _symbolic(q: Symbolic, *, check_symbolic: bool) -> Iterator[tuple[tuple, str]]:
    seen: dict[str, str] = {}
    for name, var in q.variables.items():
        for j, spelled in enumerate([name, *var.aliases]):
            loc = ("variables", name) if j == 0 else ("variables", name, "aliases", j - 1)
            if not _NAME.fullmatch(spelled):
                yield loc, f"{spelled!r} is not a name a learner can type (letters, digits, _)"
            elif spelled in seen:
                yield loc, f"{spelled!r} is already used by variable {seen[spelled]!r}"
            seen.setdefault(spelled, name)
        for a, b in _CONFLICTS:
            if a in var.assumptions and b in var.assumptions:
                yield ("variables", name, "assumptions"), f"'{a}' contradicts '{b}'"
                return
    if not check_symbolic:
        return
    from autograder.expr import DEFAULT_FUNCTIONS, ExpressionError
    from autograder.quiz import symbolic

    for j, fn in enumerate(q.functions or []):
        if fn not in DEFAULT_FUNCTIONS:
            yield ("functions", j), (f"unknown function {fn!r} (one of: "
                                     f"{', '.join(sorted(DEFAULT_FUNCTIONS))})")
    try:
        symbolic.symbols_for(q)
    except ValueError:  # sympy: inconsistent assumptions not caught above
        yield ("variables",), "the assumptions contradict each other"
        return
    try:
        symbolic.parse(q, q.answer)
    except (ExpressionError, KeyError) as err:
        yield ("answer",), f"does not parse: {err}"
