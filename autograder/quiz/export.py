"""`nlpgrade quiz export --format gift`: quizzes for LMS users (see gift.py for the mapping)."""

from __future__ import annotations

import sys
from pathlib import Path

from autograder.quiz import paths
from autograder.quiz.gift import to_gift
from autograder.quiz.loader import load_quizzes


def main(*, quizzes: list[str], fmt: str = "gift", output: Path | None = None,
         course: Path | None = None) -> int:
    files = [paths.resolve_quiz(q, course) for q in quizzes] or paths.all_quiz_files(course)
    texts = []
    for qf in load_quizzes(files):
        text, warnings = to_gift(qf.quiz)
        texts.append(text)
        for warning in warnings:
            print(f"warning: {warning}", file=sys.stderr)
    gift = "\n".join(texts)
    if output is None:
        sys.stdout.write(gift)
    else:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(gift, encoding="utf-8")
        print(f"wrote {len(files)} quiz(zes) to {output}", file=sys.stderr)
    return 0
