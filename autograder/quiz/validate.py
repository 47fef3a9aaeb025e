"""`nlpgrade quiz validate [FILES]`: schema, answer keys, unique ids, non-empty explanations.

Every problem is listed (not just the first), each as `file:line: question 'id': field
'f': what is wrong`. Exit status 1 when there are problems.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

from autograder.quiz import paths
from autograder.quiz.loader import QuizError, load_quizzes


def main(*, files: list[Path], course: Path | None = None) -> int:
    targets = files or paths.all_quiz_files(course)
    try:
        loaded = load_quizzes(targets, check_symbolic=True)
    except QuizError as err:
        for problem in err.problems:
            print(problem, file=sys.stderr)
        n = len(err.problems)
        print(f"{n} problem{'s' if n != 1 else ''} in {len(targets)} file(s)", file=sys.stderr)
        return 1
    questions = [q for qf in loaded for q in qf.quiz.questions]
    kinds = Counter(q.type for q in questions)
    summary = ", ".join(f"{kinds[k]} {k}" for k in sorted(kinds))
    print(f"OK: {len(loaded)} file(s), {len(questions)} questions ({summary})")
    return 0
