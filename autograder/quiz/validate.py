"""`nlpgrade quiz validate [FILES]`: schema, answer keys, cited sections, giveaways.

Every problem of every file is listed in one pass (not just the first), each as
`file:line: question 'id': field 'f': what is wrong`, then the giveaways that only show
across the bank (true/false keys that are mostly true, keys that are usually the longest
option). Exit status 1 when there are problems.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

from autograder.quiz import paths
from autograder.quiz.giveaways import bank_giveaways
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
    instructor = [qf.quiz for qf in loaded if qf.quiz.release is None]
    bank = bank_giveaways(instructor)
    for message in bank:
        print(f"{', '.join(qf.name for qf in loaded)}: {message}", file=sys.stderr)
    if bank:
        print(f"{len(bank)} problem(s) across {len(targets)} file(s)", file=sys.stderr)
        return 1
    questions = [q for qf in loaded for q in qf.quiz.questions]
    kinds = Counter(q.type for q in questions)
    summary = ", ".join(f"{kinds[k]} {k}" for k in sorted(kinds))
    print(f"OK: {len(loaded)} file(s), {len(questions)} questions ({summary})")
    return 0
