"""Load quiz files, with every problem reported as `file:line: question 'id': field 'f': what`.

PyYAML's node tree gives each mapping key and list item a line. Pydantic's error locations
(`questions.3.single.options.2.text`, where `single` is the union tag) are walked against the
data to find the deepest node that exists, so even a missing field points at the right line.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import TypeAdapter, ValidationError

from autograder.quiz.schema import (
    QUESTION_TYPES,
    AnyQuestion,
    Option,
    Question,
    Quiz,
    QuizHeader,
    Tolerance,
    Variable,
)

Loc = tuple[Any, ...]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a quiz file."""

    file: str
    line: int | None
    message: str
    question: str | None = None
    field: str | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        parts = [where]
        if self.question:
            parts.append(f"question '{self.question}'")
        if self.field:
            parts.append(f"field '{self.field}'")
        return ": ".join([*parts, self.message])


class QuizError(ValueError):
    """One or more problems in quiz files; str() lists them, one a line."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass(frozen=True)
class QuizFile:
    """A validated quiz and where it came from."""

    path: Path
    quiz: Quiz
    lines: dict[Loc, int] = field(default_factory=dict, repr=False)

    @property
    def name(self) -> str:
        return display_path(self.path)

    def line(self, loc: Loc) -> int | None:
        """Line of `loc`, or of its nearest ancestor that is in the file."""
        for end in range(len(loc), -1, -1):
            if loc[:end] in self.lines:
                return self.lines[loc[:end]]
        return None

    def problem(self, index: int, field_loc: Loc, message: str) -> Problem:
        """A problem with question number `index` (0-based), at `field_loc` inside it."""
        q = self.quiz.questions[index]
        return Problem(self.name, self.line(("questions", index, *field_loc)), message,
                       question=q.id, field=format_field(field_loc) or None)


def display_path(path: Path) -> str:
    """The path relative to the current directory when it is inside it."""
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return str(path)
    return str(path) if rel.startswith("..") else rel


def format_field(loc: Iterable[Any]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def load_quiz(path: Path, *, check_symbolic: bool = False) -> QuizFile:
    """Read and validate one file. Raises QuizError listing every problem found in it.

    Every question is validated on its own, so one broken question (or a duplicate YAML key)
    never hides the problems of the others. Symbolic answer keys are parsed only with
    `check_symbolic` (it imports sympy).
    """
    from autograder.quiz.checks import check_quiz
    from autograder.quiz.coercions import coercions

    name = display_path(path)
    data, lines, problems = read_yaml(path, expected="a quiz: a mapping with id, title, "
                                                     "source and questions", strict=False)
    coerced = coercions(name, data, lines)
    problems += coerced
    header = {k: v for k, v in data.items() if k != "questions"}
    try:
        head = QuizHeader.model_validate(header)
    except ValidationError as err:
        problems += [_problem(name, data, lines, e) for e in err.errors()]
        head = None
    raw = data.get("questions")
    questions: list[AnyQuestion] = []
    if not isinstance(raw, list) or not raw:
        problems.append(Problem(name, lines.get(("questions",), 1),
                                "missing or empty: a quiz needs a list of questions",
                                field="questions"))
        raw = []
    kept: list[int] = []
    for i, item in enumerate(raw):
        try:
            questions.append(_question_adapter().validate_python(item))
            kept.append(i)
        except ValidationError as err:
            problems += [_problem(name, data, lines, {**e, "loc": ("questions", i, *e["loc"])})
                         for e in err.errors()]
    # A coercion already explains a `yes` or `null` that the schema rejects as "not a string".
    explained = {(p.line, p.field) for p in coerced}
    problems = [p for p in problems if p in coerced or (p.line, p.field) not in explained]
    if head is None or not questions:
        raise QuizError(problems)
    quiz = Quiz.model_construct(**dict(head), questions=questions)
    # Line numbers of the kept questions, renumbered so that question i of `quiz` is found.
    remap = {old: new for new, old in enumerate(kept)}
    qlines = {(loc[0], remap[loc[1]], *loc[2:]) if in_question(loc) else loc: line
              for loc, line in lines.items()
              if (not loc or loc[-1] != PLAIN) and (not in_question(loc) or loc[1] in remap)}
    loaded = QuizFile(path=path, quiz=quiz, lines=qlines)
    problems += [*check_quiz(loaded, check_symbolic=check_symbolic), *_duplicates([loaded])]
    if problems:
        raise QuizError(problems)
    return loaded


def in_question(loc: Loc) -> bool:
    return len(loc) >= 2 and loc[0] == "questions" and isinstance(loc[1], int)


@lru_cache(maxsize=1)
def _question_adapter() -> TypeAdapter[AnyQuestion]:
    return TypeAdapter(Question)


def load_quizzes(paths: Iterable[Path], *, check_symbolic: bool = False) -> list[QuizFile]:
    """Load several files; question ids and quiz ids must be unique across all of them."""
    loaded: list[QuizFile] = []
    problems: list[Problem] = []
    for path in paths:
        try:
            loaded.append(load_quiz(path, check_symbolic=check_symbolic))
        except QuizError as err:
            problems += err.problems
    problems += _duplicates(loaded)
    if problems:
        raise QuizError(problems)
    return loaded


def _duplicates(files: list[QuizFile]) -> list[Problem]:
    """Quiz ids and question ids used twice, within a file or across files."""
    problems = []
    quizzes: dict[str, QuizFile] = {}
    for f in files:
        first = quizzes.setdefault(f.quiz.id, f)
        if first is not f:
            problems.append(Problem(f.name, f.line(("id",)), f"duplicate quiz id "
                                    f"{f.quiz.id!r}, also used by {first.name}", field="id"))
    seen: dict[str, str] = {}
    for f in files:
        for i, q in enumerate(f.quiz.questions):
            here = f"{f.name}:{f.line(('questions', i, 'id'))}"
            if q.id in seen:
                if seen[q.id] != here:
                    problems.append(f.problem(i, ("id",),
                                              f"duplicate id, first used at {seen[q.id]}"))
            else:
                seen[q.id] = here
    return problems


_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: about 15x faster
_PLAIN_TAGS = {"tag:yaml.org,2002:" + t for t in ("int", "float", "bool", "null", "timestamp")}


def read_yaml(path: Path, *, expected: str, strict: bool = True
              ) -> tuple[dict[str, Any], dict[Loc, int], list[Problem]]:
    """A YAML mapping, the line of every key and item in it (loc tuple -> line), and the
    problems that do not stop reading: keys that appear twice (the later value is kept).

    Raises QuizError for unreadable files, invalid YAML and a top level that is not a
    mapping; with `strict`, duplicate keys raise too. `expected` describes the mapping.
    The source text of unquoted scalars that YAML reads as numbers, booleans or null is kept
    in `lines` under (*loc, PLAIN) for coercions().
    """
    name = display_path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise QuizError([Problem(name, None, f"cannot read: {err.strerror or err}")]) from None
    except UnicodeDecodeError:
        raise QuizError([Problem(name, None, "not UTF-8 text")]) from None
    loader = _Loader(text)
    problems: list[Problem] = []
    try:
        node = loader.get_single_node()
        if node is None:
            raise QuizError([Problem(name, 1, f"empty file: expected {expected}")])
        lines: dict[Loc, Any] = {(): node.start_mark.line + 1}
        _index(node, (), lines, name, problems)
        data = loader.construct_document(node)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        what = getattr(err, "problem", None) or str(err)
        raise QuizError([Problem(name, line, f"not valid YAML: {what}")]) from None
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        raise QuizError([Problem(name, 1, f"expected {expected}, got {type(data).__name__}")])
    if strict and problems:
        raise QuizError(problems)
    return data, lines, problems


PLAIN = "<plain>"  # marker in `lines` keys: the source text of an unquoted non-string scalar


def _index(node: yaml.Node, loc: Loc, lines: dict[Loc, Any], name: str,
           problems: list[Problem]) -> None:
    """Record the line of every key and item under `node`; report duplicate keys."""
    if isinstance(node, yaml.MappingNode):
        first_line: dict[Any, int] = {}
        for key_node, value_node in node.value:
            key = getattr(key_node, "value", None)
            line = key_node.start_mark.line + 1
            if key in first_line:
                problems.append(Problem(name, line, f"key '{key}' appears twice (first at line "
                                                    f"{first_line[key]}); remove one"))
                continue
            first_line[key] = line
            lines[loc + (key,)] = line
            _index(value_node, (*loc, key), lines, name, problems)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            lines[loc + (i,)] = item.start_mark.line + 1
            _index(item, (*loc, i), lines, name, problems)
    elif isinstance(node, yaml.ScalarNode) and not node.style and node.tag in _PLAIN_TAGS:
        lines[loc + (PLAIN,)] = node.value


def _problem(name: str, data: Any, lines: dict[Loc, int], error: Any) -> Problem:
    loc = _data_loc(data, tuple(error["loc"]))
    line = next((lines[loc[:end]] for end in range(len(loc), -1, -1) if loc[:end] in lines),
                None)
    question = None
    inner = loc
    if len(loc) >= 2 and loc[0] == "questions" and isinstance(loc[1], int):
        item = data["questions"][loc[1]] if _exists(data, loc[:2]) else None
        qid = item.get("id") if isinstance(item, dict) else None
        question = qid if isinstance(qid, str) and qid else f"#{loc[1] + 1}"
        inner = loc[2:]
    message, field_override = _message(error, inner)
    field_name = field_override or format_field(inner) or None
    return Problem(name, line, message, question=question, field=field_name)


def _data_loc(data: Any, loc: Loc) -> Loc:
    """Drop pydantic's union tags from `loc` (e.g. the `single` in questions.3.single.text)."""
    out: list[Any] = []
    cur = data
    for part in loc:
        if isinstance(cur, dict) and part not in cur and part == cur.get("type"):
            continue
        out.append(part)
        if isinstance(cur, dict):
            cur = cur.get(part)
        elif isinstance(cur, list) and isinstance(part, int) and part < len(cur):
            cur = cur[part]
        else:
            cur = None
    return tuple(out)


def _exists(data: Any, loc: Loc) -> bool:
    cur = data
    for part in loc:
        if isinstance(cur, dict) and part in cur:
            cur = cur[part]
        elif isinstance(cur, list) and isinstance(part, int) and part < len(cur):
            cur = cur[part]
        else:
            return False
    return True


_MODELS = (*AnyQuestion.__args__, Quiz, Option, Tolerance, Variable)  # type: ignore[attr-defined]
_ALL_FIELDS = sorted({name for model in _MODELS for name in model.model_fields})


def _message(error: Any, inner: Loc) -> tuple[str, str | None]:
    """A short, teaching message for one pydantic error, and a field to report instead."""
    kind = error["type"]
    if kind == "missing":
        return "missing", None
    if kind == "union_tag_not_found":
        return f"missing (one of: {', '.join(QUESTION_TYPES)})", "type"
    if kind == "union_tag_invalid":
        tag = error.get("ctx", {}).get("tag")
        return f"unknown question type {tag!r} (one of: {', '.join(QUESTION_TYPES)})", "type"
    if kind == "extra_forbidden":
        key = str(inner[-1]) if inner else ""
        close = difflib.get_close_matches(key, _ALL_FIELDS, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        return f"unknown field{hint}", None
    if kind == "string_too_short":
        return "must not be empty", None
    if kind == "string_pattern_mismatch":
        return ("must be lowercase letters, digits, '.', '_' or '-', starting with a letter "
                f"or digit (e.g. 'mlm-80-10-10'); got {error.get('input')!r}"), None
    return str(error["msg"]), None
