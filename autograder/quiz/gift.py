"""Moodle GIFT export, with per-option weights that match our scoring rules.

Moodle adds up the weights of the options a learner picks and clamps the sum to [0, 100]%.
So net-correct is exact: each correct option is worth +100/k %, each wrong one -100/k %
(k = number of correct options). What GIFT cannot say is exported as closely as it can,
with a warning:
- all-or-nothing: wrong options weigh -100% (any wrong pick scores 0), but an incomplete
  selection of correct options still earns partial credit in Moodle.
- each-answer: Moodle never credits leaving a wrong option unpicked; exported as net-correct.
- pinned options: Moodle may shuffle them (its quiz setting decides).
- symbolic questions: no GIFT type checks equivalence; exported as essays (manual grading),
  with the key in the general feedback.
- short answers: regular expressions and case-sensitive matching have no GIFT form.
- ordering: exported as a matching question (each item -> its position).

Text is written in GIFT's [markdown] format, so characters Markdown would interpret are
escaped first (`4*d^2*` would otherwise turn into italics), except in indented code blocks.
Numeric keys are written exactly (2362368, not 2.36237e+06).
"""

from __future__ import annotations

import re
from fractions import Fraction

from autograder.quiz.numeric import (
    allowed_error,
    format_number,
    is_terminating,
    key_value,
    stated_prompt,
)
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

_SPECIAL = "\\~=#{}:"


def escape(text: str) -> str:
    """Escape GIFT's control characters; newlines become GIFT's `\\n`."""
    out = "".join("\\" + ch if ch in _SPECIAL else ch for ch in text.strip())
    return out.replace("\r\n", "\n").replace("\n", "\\n")


_MARKDOWN = re.compile(r"([\\`*_\[\]<>])")
_LINE_START = re.compile(r"^(\s{0,3})([#+\-]|\d+\.)(?=\s)", re.M)


def markdown_escape(text: str) -> str:
    """Backslash-escape what Markdown would interpret, leaving indented code blocks alone."""
    out = []
    for line in text.split("\n"):
        if line.startswith("    "):  # a code block line: shown verbatim
            out.append(line)
            continue
        line = _MARKDOWN.sub(r"\\\1", line)
        out.append(_LINE_START.sub(_escape_marker, line))
    return "\n".join(out)


def _escape_marker(m: re.Match[str]) -> str:
    marker = m[2]
    return m[1] + (marker[:-1] + "\\." if marker.endswith(".") else "\\" + marker)


def text(value: str) -> str:
    """Learner-visible text for a GIFT file: Markdown-escaped, then GIFT-escaped."""
    return escape(markdown_escape(value))


def exact(value: float | str | Fraction) -> str:
    """A number as GIFT reads it, without rounding what can be written exactly."""
    v = value if isinstance(value, Fraction) else Fraction(str(value))
    return format_number(v) if is_terminating(v) else f"{float(v):.15g}"


def weight(percent: float) -> str:
    text = f"{percent:.5f}".rstrip("0").rstrip(".")
    return f"%{text}%"


def multiple_weights(n_correct: int, rule: ScoringRule) -> tuple[float, float]:
    """(weight of each correct option, weight of each wrong option), in percent."""
    right = 100.0 / n_correct
    wrong = -100.0 if rule == "all-or-nothing" else -right
    return right, wrong


def to_gift(quiz: Quiz) -> tuple[str, list[str]]:
    """The GIFT text of a quiz, and warnings about what GIFT could not express."""
    warnings: list[str] = []
    blocks = [f"// {quiz.title} ({quiz.id}), from {quiz.source}. Exported by nlpgrade.",
              f"$CATEGORY: $course$/nlpgrade/{quiz.id}"]
    for q in quiz.questions:
        body, notes = _question(q, quiz.rule_for(q))
        warnings += [f"{quiz.id}/{q.id}: {n}" for n in notes]
        explanation = f"{q.explanation}\nSource: {q.source}"
        if isinstance(q, Symbolic):
            explanation = f"Answer: {q.answer}\n{explanation}"
        header = (f"// {q.type}, {q.points:g} point(s); source: {q.source}; "
                  f"tags: {', '.join(q.tags)}")
        answers = f"{body}\n" if body else ""
        blocks.append(f"{header}\n::{escape(q.id)}::[markdown]{text(stated_prompt(q))} {{\n"
                      f"{answers}####{text(explanation)}\n}}")
    return "\n\n".join(blocks) + "\n", warnings


def _question(q: AnyQuestion, rule: ScoringRule) -> tuple[str, list[str]]:
    notes: list[str] = []
    if isinstance(q, (SingleChoice, MultipleChoice)) and any(o.pin for o in q.options):
        notes.append("pinned options may be shuffled by Moodle")
    if isinstance(q, SingleChoice):
        lines = [f"{'=' if o.correct else '~'}{text(o.text)}{_fb(o.feedback)}"
                 for o in q.options]
    elif isinstance(q, MultipleChoice):
        right, wrong = multiple_weights(sum(o.correct for o in q.options), rule)
        if rule != "net-correct":
            notes.append(f"scoring '{rule}' has no exact GIFT form; see docs/quizzes.md")
        lines = [f"~{weight(right if o.correct else wrong)}{text(o.text)}{_fb(o.feedback)}"
                 for o in q.options]
    elif isinstance(q, TrueFalse):
        wrong_fb, right_fb = ((q.feedback_false, q.feedback_true) if q.answer
                              else (q.feedback_true, q.feedback_false))
        lines = [f"{'TRUE' if q.answer else 'FALSE'}#{text(wrong_fb)}#{text(right_fb)}"]
    elif isinstance(q, Numeric):
        bound = allowed_error(q) or Fraction(0)
        lines = [f"#{exact(key_value(q))}:{exact(bound)}"]
        if q.unit:
            notes.append(f"GIFT numbers have no units: learners type the number in {q.unit}")
    elif isinstance(q, ShortText):
        lines, more = _short(q)
        notes += more
    elif isinstance(q, Ordering):
        lines = [f"={text(item).replace('->', '→')} -> {i + 1}"
                 for i, item in enumerate(q.items)]
        if len(q.items) < 3:
            notes.append("Moodle matching needs 3 pairs; this ordering has 2")
    elif isinstance(q, Symbolic):
        notes.append("symbolic: exported as an essay for manual grading (key in feedback)")
        lines = []
    return "\n".join(lines), notes


def _short(q: ShortText) -> tuple[list[str], list[str]]:
    notes = []
    if q.regex:
        notes.append("regular expressions are not exported (GIFT has none)")
    if q.case_sensitive:
        notes.append("case-sensitive matching is not exported (Moodle's default ignores case)")
    if not q.accept:
        notes.append("no plain accepted answers: exported as an essay")
        return [], notes
    return [f"={text(a)}" for a in q.accept], notes


def _fb(feedback: str) -> str:
    return f"#{text(feedback)}" if feedback else ""

