"""Numbers as people type them, read exactly; keys shown exactly; tolerances from precision.

`parse_number` reads `2,362,368`, `2 362 368`, `–0.9` (any dash), `1/3`, `2.5e-3`, `10^4`,
`1.5×10^4` and a trailing unit when the question declares it (`64 MiB`, `15%`), into an exact
Fraction. `format_number` writes a key back without rounding it (2362368, never 2.36237e+06).
Nothing here imports more than the standard library, so grading stays fast.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal
from fractions import Fraction

from autograder.quiz.schema import Numeric

MAX_EXPONENT = 300  # |exponent| of 10^k or 1e k that is read at all

_DASHES = str.maketrans({"\u2212": "-", "\u2013": "-", "\u2014": "-", "\u2012": "-",
                         "\u00d7": "*", "\u00b7": "*", "\u2009": "", "\u202f": "",
                         "\u00a0": ""})
_GROUPED = re.compile(r"-?\d{1,3}(?:([, ])\d{3})(?:\1\d{3})*(?:\.\d+)?")
_DECIMAL = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_POWER = re.compile(r"(?P<base>\d+(?:\.\d+)?)\s*(?:\^|\*\*)\s*(?P<exp>[-+]?\d+)")
_SCALED = re.compile(rf"(?P<m>{_DECIMAL.pattern})\s*\*\s*10\s*(?:\^|\*\*)\s*(?P<e>[-+]?\d+)")


class NumberError(ValueError):
    """Text that is not a number (or carries a unit the question does not accept); the
    message says what to type instead."""


def parse_number(text: str, *, unit: str = "", units: dict[str, float] | None = None
                 ) -> Fraction:
    """The exact value of `text`, in the question's `unit`. Raises NumberError."""
    raw = text.strip()
    cleaned = raw.translate(_DASHES).strip()
    cleaned, factor = _strip_unit(cleaned, raw, unit=unit, units=units or {})
    value = _plain_number(cleaned, raw)
    return value * factor


def _strip_unit(text: str, raw: str, *, unit: str, units: dict[str, float]
                ) -> tuple[str, Fraction]:
    known = {unit: 1.0, **units} if unit else dict(units)
    for name in sorted(known, key=len, reverse=True):
        if name and text.endswith(name) and text[: -len(name)].strip():
            return text[: -len(name)].strip(), Fraction(Decimal(repr(known[name])))
    m = re.search(r"(?:\d|\s)([A-Za-zµμ%][A-Za-zµμ%/]*)$", text)
    if m:
        given = m.group(1)
        if not known:
            raise NumberError(f"{raw!r}: this question has no unit; type just the number")
        accepted = ", ".join(sorted(k for k in known if k))
        raise NumberError(f"{raw!r}: unit {given!r} is not accepted here (use {accepted})")
    return text, Fraction(1)


def _plain_number(text: str, raw: str) -> Fraction:
    compact = text.replace("_", "")
    if _GROUPED.fullmatch(compact):
        compact = compact.replace(",", "").replace(" ", "")
    elif "," in compact:
        raise NumberError(f"{raw!r} is not a number: use '.' for decimals ('0.5', not '0,5') "
                          "and ',' only between groups of three digits ('2,362,368')")
    compact = compact.replace(" ", "")
    sign = Fraction(1)
    if compact.startswith("-"):
        sign, compact = Fraction(-1), compact[1:]
    elif compact.startswith("+"):
        compact = compact[1:]
    try:
        if "/" in compact:
            num, _, den = compact.partition("/")
            value = _single(num, raw) / _single(den, raw)
        else:
            value = _single(compact, raw)
    except ZeroDivisionError:
        raise NumberError(f"{raw!r}: division by zero") from None
    return sign * value


def _single(text: str, raw: str) -> Fraction:
    """One number without a sign or '/': 2.5, 2.5e-3, 10^4, 1.5*10^4."""
    if m := _SCALED.fullmatch(text):
        return _decimal(m["m"], raw) * _power(Fraction(10), m["e"], raw)
    if m := _POWER.fullmatch(text):
        return _power(_decimal(m["base"], raw), m["exp"], raw)
    if _DECIMAL.fullmatch(text):
        return _decimal(text, raw)
    raise NumberError(f"{raw!r} is not a number (e.g. 0.25, 1/4, 2.5e-3, 10^4, 2,362,368)")


def _decimal(text: str, raw: str) -> Fraction:
    mantissa, _, exponent = text.lower().partition("e")
    if exponent and abs(int(exponent)) > MAX_EXPONENT:
        raise NumberError(f"{raw!r} is out of range")
    return Fraction(Decimal(text))


def _power(base: Fraction, exponent: str, raw: str) -> Fraction:
    k = int(exponent)
    if abs(k) > MAX_EXPONENT:
        raise NumberError(f"{raw!r} is out of range")
    if base == 0 and k < 0:
        raise NumberError(f"{raw!r}: division by zero")
    return base**k


def key_value(question: Numeric) -> Fraction:
    """The exact key: the decimal the author wrote, or the exact text ("1/3")."""
    answer = question.answer
    if answer is None:
        raise ValueError(f"question {question.id!r} has no answer key")
    if isinstance(answer, str):
        return parse_number(answer)
    return Fraction(Decimal(repr(float(answer))))


def is_terminating(value: Fraction) -> bool:
    """Whether the value has a finite decimal expansion (1/4 yes, 1/3 no)."""
    den = value.denominator
    for p in (2, 5):
        while den % p == 0:
            den //= p
    return den == 1


def format_number(value: Fraction, *, decimals: int | None = None) -> str:
    """The value without rounding when it has a finite decimal form (2362368, 0.0625);
    otherwise the fraction, followed by its value to `decimals` places (1/3 ≈ 0.33)."""
    if is_terminating(value):
        text = format(Decimal(value.numerator) / Decimal(value.denominator), "f")
        return _trim(text)
    shown = f"{value.numerator}/{value.denominator}"
    places = decimals if decimals is not None else 6
    return f"{shown} ≈ {round_to(value, places)}"


def round_to(value: Fraction, decimals: int) -> str:
    """`value` rounded half away from zero to `decimals` places, as text."""
    scaled = abs(value) * 10**decimals
    whole = math.floor(scaled + Fraction(1, 2))
    text = str(whole).rjust(decimals + 1, "0")
    body = f"{text[:-decimals]}.{text[-decimals:]}" if decimals else text
    return ("-" if value < 0 and whole else "") + body


def _trim(text: str) -> str:
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def allowed_error(question: Numeric) -> Fraction | None:
    """The largest accepted |answer - key|: None means exact. `decimals` gives half a unit of
    the last place asked for; an explicit tolerance gives abs, or rel times the key."""
    if question.decimals is not None:
        return Fraction(1, 2 * 10**question.decimals)
    tol = question.tolerance
    if tol is None:
        return None
    bounds = []
    if tol.abs is not None:
        bounds.append(Fraction(Decimal(repr(tol.abs))))
    if tol.rel is not None:
        bounds.append(Fraction(Decimal(repr(tol.rel))) * abs(key_value(question)))
    return max(bounds) if bounds else None


def is_close(value: Fraction, question: Numeric) -> bool:
    key = key_value(question)
    bound = allowed_error(question)
    if bound is None:
        return value == key
    return abs(value - key) <= bound


def precision_hint(question: Numeric) -> str:
    """What the prompt adds so that the learner knows the precision that is graded."""
    if question.decimals is not None:
        places = "decimal place" if question.decimals == 1 else "decimal places"
        return (f"Give the answer to {question.decimals} {places}." if question.decimals
                else "Give a whole number.")
    bound = allowed_error(question)
    if bound is None:
        return ""
    return f"Answers within ± {format_number(bound)} of the exact value are accepted."


def stated_prompt(question: object) -> str:
    """The prompt as an export shows it: a numeric question's precision and unit appended
    (the terminal shows them on their own lines)."""
    prompt = getattr(question, "prompt", "")
    if not isinstance(question, Numeric):
        return prompt
    extra = [precision_hint(question)]
    if question.unit:
        extra.append(f"Unit: {question.unit}.")
    return " ".join([prompt, *filter(None, extra)])
