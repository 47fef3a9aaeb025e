"""YAML coercions: unquoted text that YAML reads as something else, found with the fix.

PyYAML (YAML 1.1) reads `1.10` as the number 1.1, `yes` as true, `1_000` as 1000 and
`null` as nothing; in a text field the quiz would silently show something else. The loader
keeps the source text of every unquoted non-string scalar (under the PLAIN marker), and
`coercions` compares it with what YAML made of it, in the fields that hold text.
"""

from __future__ import annotations

from typing import Any

from autograder.quiz.loader import PLAIN, Loc, Problem, format_field, in_question

# Fields whose value is text: an unquoted 1.10 there silently becomes "1.1".
_TEXT_FIELDS = {"id", "title", "source", "description", "prompt", "explanation", "text",
                "feedback", "feedback_true", "feedback_false", "unit", "of", "digest"}
_TEXT_LISTS = {"tags", "accept", "regex", "aliases", "items", "functions", "quantity"}


def coercions(name: str, data: dict[str, Any], lines: dict[Loc, Any]) -> list[Problem]:
    """Unquoted scalars in text fields that YAML reads as something else: `1.10` -> 1.1,
    `yes` -> True, `1_000` -> 1000, `null` -> None. Each is reported with the fix."""
    problems = []
    for key, source in lines.items():
        if not key or key[-1] != PLAIN:
            continue
        loc = key[:-1]
        if not _is_text(data, loc):
            continue
        value = _at(data, loc)
        shown = "null" if value is None else str(value)
        if isinstance(value, (bool, type(None))) or shown != source:
            what = {True: "true", False: "false", None: "null"}.get(value, shown) \
                if isinstance(value, (bool, type(None))) else shown
            question, inner = _question_of(data, loc)
            problems.append(Problem(
                name, lines.get(loc), f"unquoted {source} is read by YAML as {what}; write "
                f"it in quotes: \"{source}\"", question=question,
                field=format_field(inner) or None))
    return problems


def _is_text(data: dict[str, Any], loc: Loc) -> bool:
    names = [p for p in loc if isinstance(p, str)]
    if not names:
        return False
    last = loc[-1]
    if isinstance(last, str) and last in _TEXT_FIELDS:
        return True
    if isinstance(last, int) and isinstance(loc[-2], str) and loc[-2] in _TEXT_LISTS:
        return True
    if last == "answer" and in_question(loc):
        item = _at(data, loc[:2])
        return isinstance(item, dict) and item.get("type") == "symbolic"
    return False


def _at(data: Any, loc: Loc) -> Any:
    cur = data
    for part in loc:
        cur = cur[part]
    return cur


def _question_of(data: dict[str, Any], loc: Loc) -> tuple[str | None, Loc]:
    if not in_question(loc):
        return None, loc
    item = data["questions"][loc[1]]
    qid = item.get("id") if isinstance(item, dict) else None
    return (qid if isinstance(qid, str) and qid else f"#{loc[1] + 1}"), loc[2:]
