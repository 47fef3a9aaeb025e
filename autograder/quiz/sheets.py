"""Answer files: one learner's answers to one quiz, as YAML (JSON works too).

```yaml
quiz: transformer        # the quiz id; checked when present
student: alice           # default: the file name without its extension
seed: 48213              # the shuffled version the learner saw; absent: authored order
answers:
  mlm-80-10-10: b        # letters as shown; [a, c] or "a c" for several
  qk-variance: d*(sigma^4 + 2*mu^2*sigma^2)
```

`take` writes the same format (progress files and `--save`), so what a learner saves is
what an instructor grades.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from autograder.quiz.loader import Problem, QuizError, display_path, read_yaml

_FIELDS = ("quiz", "student", "seed", "release", "answers")


@dataclass
class AnswerSheet:
    quiz: str | None
    student: str
    seed: int | None
    answers: dict[str, Any] = field(default_factory=dict)
    release: str | None = None  # digest of the key-free copy the answers were written on
    lines: dict[str, int] = field(default_factory=dict, repr=False)  # question id -> line
    source: str = ""  # the file it was read from, for messages

    def stray_answers(self, known: set[str]) -> list[str]:
        """Warnings for answers to questions the quiz does not have (typos in ids)."""
        return [f"{self.source}:{self.lines.get(qid)}: answer for unknown question {qid!r} "
                "ignored" for qid in self.answers if qid not in known]

    def to_yaml(self) -> str:
        data: dict[str, Any] = {"quiz": self.quiz, "student": self.student, "seed": self.seed}
        if self.release is not None:
            data["release"] = self.release
        data["answers"] = self.answers
        return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def load_sheet(path: Path) -> AnswerSheet:
    """Read an answer file. Raises QuizError naming the file, line and field."""
    data, lines, _ = read_yaml(path, expected="answers: a mapping with 'answers' (and optionally "
                                           "'quiz', 'student', 'seed')")

    def bad(key: str, message: str) -> QuizError:
        return QuizError([Problem(display_path(path), lines.get((key,), 1), message,
                                  field=key)])

    for key in data:
        if key not in _FIELDS:
            raise bad(str(key), f"unknown field (allowed: {', '.join(_FIELDS)})")
    answers = data.get("answers")
    if answers is None:
        answers = {}
    if not isinstance(answers, dict) or not all(isinstance(k, str) for k in answers):
        raise bad("answers", "expected a mapping of question id -> answer")
    seed = data.get("seed")
    if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool)):
        raise bad("seed", f"expected a whole number, got {seed!r}")
    release = data.get("release")
    if release is not None and not isinstance(release, str):
        raise bad("release", f"expected the digest of a released copy, got {release!r}")
    quiz = data.get("quiz")
    if quiz is not None and not isinstance(quiz, str):
        raise bad("quiz", f"expected a quiz id, got {quiz!r}")
    student = data.get("student")
    if student is None:
        student = path.name.split(".")[0]
    elif not isinstance(student, (str, int)) or isinstance(student, bool):
        raise bad("student", f"expected a name, got {student!r}")
    answer_lines = {k[1]: v for k, v in lines.items() if len(k) == 2 and k[0] == "answers"}
    return AnswerSheet(quiz=quiz, student=str(student), seed=seed, answers=answers,
                       release=release, lines=answer_lines, source=display_path(path))


def write_sheet(path: Path, sheet: AnswerSheet) -> None:
    """Write atomically: a crash or Ctrl-C never leaves half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(sheet.to_yaml())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
