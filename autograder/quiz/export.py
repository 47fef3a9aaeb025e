"""`nlpgrade quiz export`: quizzes for an LMS (Moodle GIFT or Moodle XML) or for Anki.

gift.py, moodle.py and anki.py say how each question type is mapped; what a format cannot
express exactly is reported as a warning on standard error.
"""

from __future__ import annotations

import sys
from pathlib import Path

from autograder.quiz import paths
from autograder.quiz.loader import Problem, QuizError, load_quizzes


def main(*, quizzes: list[str], fmt: str = "gift", output: Path | None = None,
         course: Path | None = None) -> int:
    files = [paths.resolve_quiz(q, course) for q in quizzes] or paths.all_quiz_files(course)
    loaded = [qf.quiz for qf in load_quizzes(files)]
    released = [q.id for q in loaded if q.release is not None]
    if released:
        raise QuizError([Problem(", ".join(released), None, "a key-free copy has no keys to "
                                                            "export; export the instructor's")])
    if fmt == "anki":
        if output is None:
            raise QuizError([Problem("--output", None, "an Anki deck is a binary .apkg file: "
                                                       "give -o FILE.apkg")])
        from autograder.quiz.anki import write_deck

        n = write_deck(loaded, output)
        print(f"wrote {n} notes from {len(loaded)} quiz(zes) to {output}", file=sys.stderr)
        return 0
    if fmt == "moodle":
        from autograder.quiz.moodle import to_moodle_xml

        text, warnings = to_moodle_xml(loaded)
    else:
        from autograder.quiz.gift import to_gift

        texts, warnings = [], []
        for quiz in loaded:
            part, notes = to_gift(quiz)
            texts.append(part)
            warnings += notes
        text = "\n".join(texts)
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if output is None:
        sys.stdout.write(text)
    else:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
        print(f"wrote {len(loaded)} quiz(zes) to {output}", file=sys.stderr)
    return 0
