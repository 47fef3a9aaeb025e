"""Scoring: one response to one question -> points, a status and the feedback to show.

No UI and no I/O here. The partial-credit rules for `multiple` questions:

- all-or-nothing: full points only for exactly the correct set.
- net-correct (PrairieLearn's "PC", the default): (right picks - wrong picks) / #correct,
  floored at 0. Picking everything, or guessing at random, earns about nothing.
- each-answer (PrairieLearn's "EDC"): the share of options decided correctly, picked or not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Literal

from autograder.quiz.answers import (
    AnswerError,
    Response,
    correct_answer,
    format_response,
    parse_response,
)
from autograder.quiz.numeric import is_close
from autograder.quiz.schema import (
    AnyQuestion,
    MultipleChoice,
    Numeric,
    Ordering,
    Quiz,
    ScoringRule,
    ShortText,
    SingleChoice,
    Symbolic,
    TrueFalse,
)
from autograder.quiz.sheets import AnswerSheet
from autograder.quiz.shuffle import Order, display_order

# undecided: a symbolic answer sympy could neither prove equal nor different (not accepted;
# flagged for a person to look at).
Status = Literal["correct", "partial", "incorrect", "unanswered", "invalid", "undecided"]


@dataclass(frozen=True)
class Outcome:
    """The result of one question for one learner."""

    question_id: str
    score: float
    max_score: float
    status: Status
    response: str = ""  # as the learner saw it: letters, the number, the text
    correct_answer: str = ""  # the key, in the learner's letters
    feedback: tuple[str, ...] = field(default_factory=tuple)  # from the options picked

    @property
    def is_correct(self) -> bool:
        return self.status == "correct"

    @property
    def mark(self) -> str:
        return {"correct": "✓", "partial": "◐", "undecided": "?"}.get(self.status, "✗")


def format_points(value: float) -> str:
    """Points as shown to people: 0.67, 2, 7.5."""
    return f"{round(value, 2):g}"


def multiple_fraction(selected: frozenset[int], correct: frozenset[int], n_options: int,
                      rule: ScoringRule) -> float:
    """The fraction of the points a check-all-that-apply answer earns under `rule`."""
    if selected == correct:
        return 1.0
    if rule == "all-or-nothing":
        return 0.0
    if rule == "net-correct":
        net = len(selected & correct) - len(selected - correct)
        return max(0.0, net / len(correct))
    wrong_decisions = len(selected - correct) + len(correct - selected)
    return 1.0 - wrong_decisions / n_options


def fraction(question: AnyQuestion, response: Response, rule: ScoringRule) -> float:
    """The fraction of the points earned. Symbolic answers that do not parse raise
    autograder.expr.ExpressionError (a ValueError); undecided ones raise Undecided."""
    if isinstance(question, (SingleChoice, MultipleChoice)):
        assert isinstance(response, frozenset)
        correct = frozenset(i for i, o in enumerate(question.options) if o.correct)
        if isinstance(question, SingleChoice):
            return 1.0 if response == correct else 0.0
        return multiple_fraction(response, correct, len(question.options), rule)
    if isinstance(question, TrueFalse):
        return 1.0 if response is question.answer else 0.0
    if isinstance(question, Numeric):
        assert isinstance(response, Fraction)
        return 1.0 if is_close(response, question) else 0.0
    if isinstance(question, ShortText):
        assert isinstance(response, str)
        return 1.0 if matches(response, question) else 0.0
    if isinstance(question, Ordering):
        return 1.0 if response == tuple(range(len(question.items))) else 0.0
    if isinstance(question, Symbolic):
        assert isinstance(response, str)
        from autograder.quiz import symbolic  # sympy: only when a symbolic answer is graded

        decision = symbolic.judge(question, response)
        if decision.verdict == "undecided":
            raise Undecided(decision.reason)
        return 1.0 if decision.verdict == "equal" else 0.0
    raise TypeError(f"unknown question type {type(question).__name__}")


class Undecided(Exception):
    """The grader cannot decide a symbolic answer; the message says why."""


def score_response(question: AnyQuestion, response: Response, *, order: tuple[int, ...],
                   rule: ScoringRule, letters: bool = True) -> Outcome:
    shown = format_response(question, response, order, letters=letters)
    key = correct_answer(question, order, letters=letters)
    try:
        earned = fraction(question, response, rule)
    except ValueError as err:  # a symbolic answer that does not parse
        return Outcome(question.id, 0.0, question.points, "invalid", shown, key, (str(err),))
    except Undecided as err:
        note = (f"The grader could not decide whether this equals the answer ({err}). It is "
                "not counted as correct; ask your instructor to look at it.")
        return Outcome(question.id, 0.0, question.points, "undecided", shown, key, (note,))
    status: Status = ("correct" if earned >= 1.0 else "partial" if earned > 0
                      else "incorrect")
    return Outcome(question.id, round(earned * question.points, 6), question.points, status,
                   shown, key, _feedback(question, response, order))


def score_raw(question: AnyQuestion, raw: object, *, seed: int | None, rule: ScoringRule,
              order: Order | None = None) -> Outcome:
    """Score an answer as written in an answer file (None: not answered). Without a seed,
    options must be named by their text: letters would refer to no particular shuffle.
    `order` overrides the display order the seed gives (answers to a released copy)."""
    letters = seed is not None
    if order is None:
        order = display_order(question, seed)
    if raw is None or raw == "":
        return Outcome(question.id, 0.0, question.points, "unanswered", "",
                       correct_answer(question, order, letters=letters))
    try:
        response = parse_response(question, raw, order, letters=letters)
    except AnswerError as err:
        return Outcome(question.id, 0.0, question.points, "invalid", str(raw),
                       correct_answer(question, order, letters=letters), (str(err),))
    return score_response(question, response, order=order, rule=rule, letters=letters)


def score_answers(quiz: Quiz, answers: dict[str, object], *, seed: int | None,
                  orders: dict[str, Order] | None = None) -> list[Outcome]:
    """Every question of `quiz`, in order, scored against `answers` (question id -> raw).

    `orders` (question id -> display order) is given for answers to a released copy."""
    if quiz.release is not None:
        raise ValueError(f"{quiz.id} is a key-free copy: grade with the instructor's quiz "
                         f"({quiz.release.of}) and `nlpgrade quiz grade`")
    orders = orders or {}
    return [score_raw(q, answers.get(q.id), seed=seed, rule=quiz.rule_for(q),
                      order=orders.get(q.id)) for q in quiz.questions]


_TRAILING = ".,;:!?"


def normalise_text(text: str, *, case_sensitive: bool) -> str:
    """Spaces collapsed, trailing punctuation and surrounding quotes dropped, case folded."""
    text = " ".join(text.split()).strip().rstrip(_TRAILING).strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"`":
        text = text[1:-1].strip()
    return text if case_sensitive else text.casefold()


def matches(text: str, question: ShortText) -> bool:
    """Whether a short answer is one of the accepted answers (or their patterns)."""
    norm = normalise_text(text, case_sensitive=question.case_sensitive)
    if any(norm == normalise_text(a, case_sensitive=question.case_sensitive)
           for a in question.accept):
        return True
    flags = 0 if question.case_sensitive else re.IGNORECASE
    return any(re.fullmatch(p, norm, flags) for p in question.regex)


def _feedback(question: AnyQuestion, response: Response, order: tuple[int, ...]) -> tuple[str, ...]:
    if isinstance(question, (SingleChoice, MultipleChoice)):
        assert isinstance(response, frozenset)
        return tuple(question.options[i].feedback for i in order
                     if i in response and question.options[i].feedback)
    if isinstance(question, TrueFalse):
        text = question.feedback_true if response is True else question.feedback_false
        return (text,) if text else ()
    return ()


def score_sheet(quiz: Quiz, sheet: AnswerSheet) -> list[Outcome]:
    """Score an answer file: in the learner's shuffle, or through the released copy's
    secret order when it was written against `quiz release` output. Raises loader.QuizError when
    it refers to another release of the quiz."""
    if sheet.release is None:
        return score_answers(quiz, sheet.answers, seed=sheet.seed)
    from autograder.quiz.release import check_release, grading_orders

    check_release(quiz, sheet.release, sheet.source)
    return score_answers(quiz, sheet.answers, seed=sheet.seed,
                         orders=grading_orders(quiz, sheet.seed))
