"""Checks that need a whole question; each problem names its exact field.

Run by the loader after the schema has accepted a question: answer keys that are present and
consistent, a cited section that exists (sources.py), and giveaways (giveaways.py). A key-free
copy (`quiz release`) is checked for its structure only. `validate` also parses symbolic
answer keys (check_symbolic=True), which imports sympy; loading for `take` does not.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from autograder.quiz.giveaways import question_giveaways
from autograder.quiz.loader import Problem, QuizFile
from autograder.quiz.numeric import NumberError, is_terminating, key_value
from autograder.quiz.schema import (
    AnyQuestion,
    MultipleChoice,
    Numeric,
    Ordering,
    ShortText,
    SingleChoice,
    Symbolic,
    TrueFalse,
)
from autograder.quiz.sources import check_source

_NAME = re.compile(r"[^\W\d](?:(?![⁰¹²³⁴⁵⁶⁷⁸⁹])\w)*")  # one identifier, as the parser reads it


_CONFLICTS = {("positive", "negative"), ("positive", "nonpositive"),
              ("negative", "nonnegative")}

Finding = tuple[tuple[object, ...], str]


def check_quiz(qf: QuizFile, *, check_symbolic: bool) -> Iterator[Problem]:
    """Per-question checks (unique ids are the loader's job: they span files)."""
    released = qf.quiz.release is not None
    for i, q in enumerate(qf.quiz.questions):
        findings = list(_structure(q, check_symbolic=check_symbolic))
        if not released:
            findings += [*_keys(q), *_teaching(q), *question_giveaways(q, qf.quiz.rule_for(q))]
        for field_loc, message in findings:
            yield qf.problem(i, field_loc, message)


def _structure(q: AnyQuestion, *, check_symbolic: bool) -> Iterator[Finding]:
    if isinstance(q, (SingleChoice, MultipleChoice)):
        yield from _unique([o.text for o in q.options], "options", suffix="text")
    elif isinstance(q, Ordering):
        yield from _unique(q.items, "items")
    elif isinstance(q, Numeric):
        yield from _numeric(q)
    elif isinstance(q, Symbolic):
        yield from _symbolic(q, check_symbolic=check_symbolic)
    elif isinstance(q, ShortText):
        for j, pattern in enumerate(q.regex):
            try:
                re.compile(pattern)
            except re.error as err:
                yield ("regex", j), f"not a valid regular expression: {err}"


def _teaching(q: AnyQuestion) -> Iterator[Finding]:
    """What every instructor's question needs besides its key."""
    if not q.tags:
        yield ("tags",), "missing: give at least one tag (shown after answering)"
    if not q.explanation.strip():
        yield ("explanation",), "missing: say why the key is right (shown after answering)"
    if not q.source.strip():
        yield ("source",), "missing: cite the document and section, e.g. 'Homework 5 §2.2'"
    for message in check_source(q.source) if q.source.strip() else []:
        yield ("source",), message


def _keys(q: AnyQuestion) -> Iterator[Finding]:
    if isinstance(q, (SingleChoice, MultipleChoice)):
        yield from _choices(q)
    elif isinstance(q, TrueFalse) and q.answer is None:
        yield ("answer",), "missing: true or false"
    elif isinstance(q, Numeric) and q.answer is None:
        yield ("answer",), "missing: the number (or exact text such as '1/3')"
    elif isinstance(q, Symbolic) and q.answer is None:
        yield ("answer",), "missing: the expression, in the syntax learners type"
    elif isinstance(q, ShortText) and not q.accept and not q.regex:
        yield ("accept",), "give at least one accepted answer in 'accept' or 'regex'"


def _numeric(q: Numeric) -> Iterator[Finding]:
    if q.tolerance is not None and q.tolerance.abs is None and q.tolerance.rel is None:
        yield ("tolerance",), "give 'abs' or 'rel' (or both)"
    if q.tolerance is not None and q.decimals is not None:
        yield ("tolerance",), "give either 'decimals' or 'tolerance', not both"
    if q.units and not q.unit:
        yield ("units",), "other units need the main one: set 'unit' as well"
    if q.answer is None:
        return
    try:
        value = key_value(q)
    except NumberError as err:
        yield ("answer",), str(err)
        return
    if q.decimals is None and q.tolerance is None and not is_terminating(value):
        yield ("answer",), (f"{q.answer} has no exact decimal form: set 'decimals' (the "
                            "prompt then asks for that many places) or a tolerance")


def _choices(q: SingleChoice | MultipleChoice) -> Iterator[Finding]:
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


def _unique(texts: list[str], name: str, *, suffix: str | None = None) -> Iterator[Finding]:
    first: dict[str, int] = {}
    for j, text in enumerate(texts):
        norm = " ".join(text.split()).casefold()
        if norm in first:
            loc = (name, j, suffix) if suffix else (name, j)
            yield loc, f"same text as {name}[{first[norm]}]"
        first.setdefault(norm, j)


def _symbolic(q: Symbolic, *, check_symbolic: bool) -> Iterator[Finding]:
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
    if q.answer is None:
        return
    try:
        symbolic.parse(q, q.answer)
    except (ExpressionError, KeyError) as err:
        yield ("answer",), f"does not parse: {err}"
