"""Moodle XML export (`quiz export --format moodle`): every type mapped as well as Moodle allows.

- single / multiple: `multichoice` (single = true / false), with the same per-option weights
  as the GIFT export (gift.multiple_weights), option feedback, and shuffled answers.
- true_false: `truefalse`, with the feedback for each answer.
- numeric: `numerical`, with the exact key, the accepted error as Moodle's tolerance, and
  the declared units (Moodle's multiplier for a unit u is 1 / our factor for u).
- short: `shortanswer` (case sensitivity kept); regular expressions have no Moodle form.
- ordering: `matching` (each item -> its position), as in the GIFT export.
- symbolic: Moodle core cannot check algebraic equivalence, so `essay`, graded by hand,
  with the key and the question's variables in the grader information.

Text is HTML (escaped, code blocks in <pre>), written with a template engine (jinja2,
autoescaping on). The output validates against data/moodle_quiz.xsd, a schema of the parts
of Moodle's question XML format this exporter writes.
"""

from __future__ import annotations

import html
from fractions import Fraction
from pathlib import Path
from typing import Any

from autograder.quiz.gift import exact, multiple_weights
from autograder.quiz.numeric import allowed_error, key_value, stated_prompt
from autograder.quiz.schema import (
    AnyQuestion,
    MultipleChoice,
    Numeric,
    Ordering,
    Quiz,
    ShortText,
    SingleChoice,
    Symbolic,
    TrueFalse,
)

SCHEMA = Path(__file__).parent / "data" / "moodle_quiz.xsd"
TEMPLATE = Path(__file__).parent / "data" / "moodle_quiz.xml.j2"


def to_html(text: str) -> str:
    """Plain quiz text as HTML: paragraphs, line breaks, and indented code as <pre>."""
    blocks: list[str] = []
    for block in text.strip().split("\n\n"):
        lines = block.split("\n")
        if all(line.startswith("    ") or not line.strip() for line in lines):
            code = "\n".join(line[4:] for line in lines)
            blocks.append(f"<pre>{html.escape(code, quote=False)}</pre>")
        else:
            blocks.append("<p>" + "<br>".join(html.escape(line, quote=False) for line in lines)
                          + "</p>")
    return "".join(blocks)


def _fraction(percent: float) -> str:
    return f"{percent:.5f}".rstrip("0").rstrip(".")


def _question(q: AnyQuestion, rule: str, warnings: list[str]) -> dict[str, Any]:
    general = f"{q.explanation}\n\nSource: {q.source}"
    item: dict[str, Any] = {"type": "", "name": q.id, "text": to_html(stated_prompt(q)),
                            "general": to_html(general), "points": f"{q.points:g}",
                            "tags": q.tags}
    if isinstance(q, (SingleChoice, MultipleChoice)):
        if any(o.pin for o in q.options):
            warnings.append(f"{q.id}: pinned options may be shuffled by Moodle")
        single = isinstance(q, SingleChoice)
        if single:
            weights = [100.0 if o.correct else 0.0 for o in q.options]
        else:
            right, wrong = multiple_weights(sum(o.correct for o in q.options), rule)  # type: ignore[arg-type]
            weights = [right if o.correct else wrong for o in q.options]
            if rule != "net-correct":
                warnings.append(f"{q.id}: scoring '{rule}' has no exact Moodle form")
        item.update(type="multichoice", single="true" if single else "false",
                    answers=[{"fraction": _fraction(w), "text": to_html(o.text),
                              "feedback": to_html(o.feedback)}
                             for w, o in zip(weights, q.options, strict=True)])
    elif isinstance(q, TrueFalse):
        item.update(type="truefalse", answers=[
            {"fraction": "100" if q.answer else "0", "text": "true",
             "feedback": to_html(q.feedback_true)},
            {"fraction": "0" if q.answer else "100", "text": "false",
             "feedback": to_html(q.feedback_false)}])
    elif isinstance(q, Numeric):
        units = ([{"name": q.unit, "multiplier": "1"}]
                 + [{"name": name, "multiplier": exact(1 / factor)}
                    for name, factor in q.units.items()]) if q.unit else []
        item.update(type="numerical", units=units, answers=[
            {"fraction": "100", "text": exact(key_value(q)),
             "tolerance": exact(allowed_error(q) or Fraction(0)), "feedback": ""}])
    elif isinstance(q, ShortText):
        if q.regex:
            warnings.append(f"{q.id}: regular expressions are not exported (Moodle has none)")
        item.update(type="shortanswer", usecase="1" if q.case_sensitive else "0",
                    answers=[{"fraction": "100", "text": html.escape(a), "feedback": ""}
                             for a in q.accept])
        if not q.accept:
            item.update(type="essay", graderinfo=to_html(f"Accepted: {', '.join(q.regex)}"))
    elif isinstance(q, Ordering):
        item.update(type="matching", pairs=[{"item": to_html(it), "position": str(i + 1)}
                                            for i, it in enumerate(q.items)])
        if len(q.items) < 3:
            warnings.append(f"{q.id}: Moodle matching needs 3 pairs; this ordering has 2")
    elif isinstance(q, Symbolic):
        warnings.append(f"{q.id}: symbolic: exported as an essay for manual grading "
                        "(Moodle core has no algebraic answer type)")
        names = ", ".join(f"{n} ({', '.join(v.assumptions) or 'any'})"
                          for n, v in q.variables.items())
        item.update(type="essay", graderinfo=to_html(
            f"Key: {q.answer}\nVariables: {names}\nAccept any algebraically equal "
            "expression (nlpgrade decides this automatically)."))
    return item


def to_moodle_xml(quizzes: list[Quiz]) -> tuple[str, list[str]]:
    """One Moodle XML document for the quizzes (a category each), and what it could not
    express exactly."""
    from jinja2 import Environment, StrictUndefined

    warnings: list[str] = []
    categories = [{"path": f"$course$/nlpgrade/{quiz.id}", "info": to_html(quiz.description),
                   "questions": [_question(q, quiz.rule_for(q), warnings)
                                 for q in quiz.questions]} for quiz in quizzes]
    env = Environment(autoescape=True, undefined=StrictUndefined, trim_blocks=True,
                      lstrip_blocks=True, keep_trailing_newline=True)
    xml = env.from_string(TEMPLATE.read_text(encoding="utf-8")).render(categories=categories)
    return xml, warnings
