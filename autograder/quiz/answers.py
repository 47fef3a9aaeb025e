"""What a learner typed (or wrote in an answer file) -> a response in authored terms, and back.

Learners refer to options by the letters they were shown. `parse_response` maps letters
through the display order to authored indices, so scoring never depends on the shuffle.
An answer file may also name options by their text; a file without a seed must, because
its letters would not say which version of the shuffle they refer to.
"""

from __future__ import annotations

import re
from fractions import Fraction
from string import ascii_lowercase

from autograder.quiz.numeric import (
    NumberError,
    format_number,
    key_value,
    parse_number,
    precision_hint,
)
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

# frozenset: chosen options; bool: true/false; Fraction: numeric (exact, in the question's
# unit); str: symbolic/short text; tuple: ordering, as authored item indices in the
# learner's order.
Response = frozenset[int] | bool | Fraction | str | tuple[int, ...]

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


def parse_response(question: AnyQuestion, raw: object, order: Order, *,
                   letters: bool = True) -> Response:
    """Read one answer. Raises AnswerError with a message fit to show the learner.

    `letters=False` (an answer file without a seed) accepts options only by their text.
    """
    if isinstance(raw, bool) and not isinstance(question, TrueFalse):
        raise AnswerError(f"expected {_expected(question, order)}, got {raw}")
    if isinstance(question, SingleChoice):
        chosen = _choices(raw, question.options_text, order, letters=letters)
        if len(chosen) != 1:
            raise AnswerError(f"choose exactly one option ({labels_hint(len(order))})")
        return frozenset(chosen)
    if isinstance(question, MultipleChoice):
        if isinstance(raw, str) and raw.strip().casefold() in NONE_WORDS:
            return frozenset()
        chosen = _choices(raw, question.options_text, order, letters=letters)
        if len(set(chosen)) != len(chosen):
            raise AnswerError("an option is listed twice")
        return frozenset(chosen)
    if isinstance(question, TrueFalse):
        return _boolean(raw)
    if isinstance(question, Numeric):
        return _number(raw, question)
    if isinstance(question, (Symbolic, ShortText)):
        if isinstance(raw, (int, float)):
            raw = str(raw)
        if not isinstance(raw, str) or not raw.strip():
            raise AnswerError(f"expected {_expected(question, order)}")
        if len(raw) > MAX_TEXT:
            raise AnswerError(f"too long ({len(raw)} characters; at most {MAX_TEXT})")
        return raw.strip()
    if isinstance(question, Ordering):
        sequence = _choices(raw, list(question.items), order, letters=letters, whole=False)
        if sorted(sequence) != list(range(len(order))):
            raise AnswerError(f"give every letter {labels_hint(len(order))} exactly once, "
                              "in the right order")
        return tuple(sequence)
    raise AnswerError(f"unsupported question type {question.type!r}")


def format_response(question: AnyQuestion, response: Response, order: Order, *,
                    letters: bool = True) -> str:
    """How a response is shown and recorded: the letters the learner saw, or the text.

    parse_response reads it back to the same response (progress files rely on this).
    `letters=False` (answers without a seed) names the options by their text instead.
    """
    position = {authored: pos for pos, authored in enumerate(order)}
    if isinstance(question, (SingleChoice, MultipleChoice)):
        assert isinstance(response, frozenset)
        if not letters:
            return "; ".join(question.options[i].text for i in sorted(response)) or "-"
        picked = sorted(label(position[i]) for i in response)
        return ", ".join(picked) if picked else "-"
    if isinstance(question, Ordering):
        assert isinstance(response, tuple)
        if not letters:
            return " → ".join(question.items[i] for i in response)
        return " ".join(label(position[i]) for i in response)
    if isinstance(response, bool):
        return "true" if response else "false"
    if isinstance(response, Fraction):
        assert isinstance(question, Numeric)
        return format_number(response, decimals=question.decimals) + _unit(question)
    return str(response)


def correct_answer(question: AnyQuestion, order: Order, *, letters: bool = True) -> str:
    """The key, in the learner's letters, shown exactly ("" in a key-free copy)."""
    position = {authored: pos for pos, authored in enumerate(order)}
    if isinstance(question, (SingleChoice, MultipleChoice)):
        right = sorted((position[i], o.text) for i, o in enumerate(question.options)
                       if o.correct)
        if not letters:
            return "; ".join(text for _, text in right)
        return "; ".join(f"{label(p)}) {text}" for p, text in right)
    if isinstance(question, Ordering):
        if not letters:
            return " → ".join(question.items)
        return " ".join(label(position[i]) for i in range(len(question.items)))
    if isinstance(question, TrueFalse):
        return "" if question.answer is None else "true" if question.answer else "false"
    if isinstance(question, Numeric):
        if question.answer is None:
            return ""
        hint = precision_hint(question)
        value = format_number(key_value(question), decimals=question.decimals)
        return value + _unit(question) + (f" ({hint.rstrip('.')})" if hint else "")
    if isinstance(question, Symbolic):
        return question.answer or ""
    if isinstance(question, ShortText):
        if question.accept:
            return question.accept[0]
        return f"/{question.regex[0]}/" if question.regex else ""
    return ""


def _unit(question: Numeric) -> str:
    if not question.unit:
        return ""
    return question.unit if question.unit == "%" else f" {question.unit}"


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


def _choices(raw: object, texts: list[str], order: Order, *, letters: bool,
             whole: bool = True) -> list[int]:
    """Letters ("a, c" / "a c" / "ac" / a list) or option texts -> authored indices.

    `whole`: a string may be one option's entire text (not for orderings, whose answer is
    always several items).
    """
    by_text = {_norm(t): i for i, t in enumerate(texts)}
    if isinstance(raw, str):
        if whole and _norm(raw) in by_text:
            return [by_text[_norm(raw)]]
        if not letters:
            raise AnswerError(_NEED_TEXT)
        tokens: list[object] = [t for t in re.split(r"[\s,;]+", raw.strip()) if t]
        if len(tokens) == 1 and len(str(tokens[0])) > 1 and str(tokens[0]).isalpha():
            tokens = list(str(tokens[0]))  # "ac"
    elif isinstance(raw, (list, tuple)):
        tokens = [t for t in raw if t is not None]
    else:
        raise AnswerError(f"expected letters ({labels_hint(len(order))}), got {raw!r}")
    out = []
    for token in tokens:
        if not isinstance(token, str):
            raise AnswerError(f"expected letters ({labels_hint(len(order))}), got {token!r}")
        if _norm(token) in by_text and (len(token.strip()) > 1 or not letters):
            out.append(by_text[_norm(token)])
            continue
        if not letters:
            raise AnswerError(_NEED_TEXT)
        letter = token.strip().rstrip(").").casefold()
        if len(letter) != 1 or letter not in ascii_lowercase[: len(order)]:
            raise AnswerError(f"{token!r} is not an option here ({labels_hint(len(order))})")
        out.append(order[ascii_lowercase.index(letter)])
    return out


_NEED_TEXT = ("this answer file has no seed, so its letters cannot be matched to the options "
              "the learner saw: write the option's text instead (or add the seed)")


def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()


def _boolean(raw: object) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.strip().casefold() in _TRUE | _FALSE:
        return raw.strip().casefold() in _TRUE
    raise AnswerError("answer true or false (t/f)")


def _number(raw: object, question: Numeric) -> Fraction:
    if isinstance(raw, bool):
        raise AnswerError(f"expected a number, got {raw}")
    if isinstance(raw, int):
        return Fraction(raw)
    if isinstance(raw, float):
        if raw != raw or raw in (float("inf"), float("-inf")):
            raise AnswerError("expected a finite number")
        return Fraction(repr(raw))
    if not isinstance(raw, str):
        raise AnswerError(f"expected a number, got {raw!r}")
    try:
        return parse_number(raw, unit=question.unit, units=question.units)
    except NumberError as err:
        raise AnswerError(str(err)) from None
