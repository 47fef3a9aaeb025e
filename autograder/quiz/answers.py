"""What a learner typed (or wrote in an answer file) -> a response in authored terms, and back.

Learners refer to options by the letters they were shown. `parse_response` maps letters
through the display order to authored indices, so scoring never depends on the shuffle.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction
from string import ascii_lowercase

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
from autograder.quiz.shuffle import Order

# frozenset: chosen options; bool: true/false; float: numeric; str: symbolic/short text;
# tuple: ordering, as authored item indices in the learner's order.
Response = frozenset[int] | bool | float | str | tuple[int, ...]

MAX_TEXT = 500  # characters of a short or symbolic answer
_TRUE = {"t", "true", "y", "yes"}
_FALSE = {"f", "false", "n", "no"}
NONE_WORDS = {"-", "none"}  # "none of them" for a check-all-that-apply question


class AnswerError(ValueError):
    """The answer cannot be read (a letter that is not an option, text that is not a number);
    the message says what is expected. Interactive mode asks again."""


def label(position: int) -> str:
    return ascii_lowercase[position]


def labels_hint(n: int) -> str:
    return f"{label(0)}-{label(n - 1)}"


def parse_response(question: AnyQuestion, raw: object, order: Order) -> Response:
    """Read one answer. Raises AnswerError with a message fit to show the learner."""
    if isinstance(raw, bool) and not isinstance(question, TrueFalse):
        raise AnswerError(f"expected {_expected(question, order)}, got {raw}")
    if isinstance(question, SingleChoice):
        chosen = _letters(raw, order)
        if len(chosen) != 1:
            raise AnswerError(f"choose exactly one option ({labels_hint(len(order))})")
        return frozenset(chosen)
    if isinstance(question, MultipleChoice):
        if isinstance(raw, str) and raw.strip().casefold() in NONE_WORDS:
            return frozenset()
        chosen = _letters(raw, order)
        if len(set(chosen)) != len(chosen):
            raise AnswerError("an option is listed twice")
        return frozenset(chosen)
    if isinstance(question, TrueFalse):
        return _boolean(raw)
    if isinstance(question, Numeric):
        return _number(raw)
    if isinstance(question, (Symbolic, ShortText)):
        if isinstance(raw, (int, float)):
            raw = str(raw)
        if not isinstance(raw, str) or not raw.strip():
            raise AnswerError(f"expected {_expected(question, order)}")
        if len(raw) > MAX_TEXT:
            raise AnswerError(f"too long ({len(raw)} characters; at most {MAX_TEXT})")
        return raw.strip()
    if isinstance(question, Ordering):
        sequence = _letters(raw, order)
        if sorted(sequence) != list(range(len(order))):
            raise AnswerError(f"give every letter {labels_hint(len(order))} exactly once, "
                              "in the right order")
        return tuple(sequence)
    raise AnswerError(f"unsupported question type {question.type!r}")


def format_response(question: AnyQuestion, response: Response, order: Order) -> str:
    """How a response is shown and recorded: the letters the learner saw, or the text.

    parse_response reads it back to the same response (progress files rely on this).
    """
    position = {authored: pos for pos, authored in enumerate(order)}
    if isinstance(question, (SingleChoice, MultipleChoice)):
        assert isinstance(response, frozenset)
        letters = sorted(label(position[i]) for i in response)
        return ", ".join(letters) if letters else "-"
    if isinstance(question, Ordering):
        assert isinstance(response, tuple)
        return " ".join(label(position[i]) for i in response)
    if isinstance(response, bool):
        return "true" if response else "false"
    if isinstance(response, float):
        return f"{response:.15g}"
    return str(response)


def correct_answer(question: AnyQuestion, order: Order) -> str:
    """The key, in the learner's letters."""
    position = {authored: pos for pos, authored in enumerate(order)}
    if isinstance(question, (SingleChoice, MultipleChoice)):
        right = sorted((position[i], o.text) for i, o in enumerate(question.options)
                       if o.correct)
        return "; ".join(f"{label(p)}) {text}" for p, text in right)
    if isinstance(question, Ordering):
        return " ".join(label(position[i]) for i in range(len(question.items)))
    if isinstance(question, TrueFalse):
        return "true" if question.answer else "false"
    if isinstance(question, Numeric):
        tol = question.tolerance
        spread = [f"± {tol.abs:g}" if tol.abs else "", f"± {tol.rel:.0%}" if tol.rel and
                  tol.rel >= 0.005 else ""]
        extra = " or ".join(s for s in spread if s)
        unit = f" {question.unit}" if question.unit else ""
        return f"{question.answer:g}{unit}" + (f" ({extra})" if extra else "")
    if isinstance(question, Symbolic):
        return question.answer
    if isinstance(question, ShortText):
        return question.accept[0] if question.accept else f"/{question.regex[0]}/"
    return ""


def _expected(question: AnyQuestion, order: Order) -> str:
    if isinstance(question, SingleChoice):
        return f"one letter ({labels_hint(len(order))})"
    if isinstance(question, MultipleChoice):
        return f"letters ({labels_hint(len(order))}), or '-' for none"
    if isinstance(question, Ordering):
        return f"the letters {labels_hint(len(order))} in order"
    if isinstance(question, TrueFalse):
        return "true or false"
    if isinstance(question, Numeric):
        return "a number"
    if isinstance(question, Symbolic):
        return "an expression"
    return "some text"


def _letters(raw: object, order: Order) -> list[int]:
    """Letters (a string like "a, c" / "a c" / "ac", or a list) -> authored indices."""
    if isinstance(raw, str):
        tokens = [t for t in re.split(r"[\s,;]+", raw.strip()) if t]
        if len(tokens) == 1 and len(tokens[0]) > 1 and tokens[0].isalpha():
            tokens = list(tokens[0])  # "ac"
    elif isinstance(raw, (list, tuple)):
        tokens = [t for t in raw if t is not None]
    else:
        raise AnswerError(f"expected letters ({labels_hint(len(order))}), got {raw!r}")
    out = []
    for token in tokens:
        if not isinstance(token, str):
            raise AnswerError(f"expected letters ({labels_hint(len(order))}), got {token!r}")
        letter = token.strip().rstrip(").").casefold()
        if len(letter) != 1 or letter not in ascii_lowercase[: len(order)]:
            raise AnswerError(f"{token!r} is not an option here ({labels_hint(len(order))})")
        out.append(order[ascii_lowercase.index(letter)])
    return out


def _boolean(raw: object) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.strip().casefold() in _TRUE | _FALSE:
        return raw.strip().casefold() in _TRUE
    raise AnswerError("answer true or false (t/f)")


def _number(raw: object) -> float:
    if isinstance(raw, (int, float)):
        value = float(raw)
    elif isinstance(raw, str):
        text = raw.strip().replace("−", "-").replace(" ", "")
        try:
            value = float(Fraction(text)) if "/" in text else float(text)
        except (ValueError, ZeroDivisionError):
            raise AnswerError(f"{raw.strip()!r} is not a number (e.g. 0.25, 1/4, 2.5e-3)"
                              ) from None
    else:
        raise AnswerError(f"expected a number, got {raw!r}")
    if not math.isfinite(value):
        raise AnswerError("expected a finite number")
    return value
