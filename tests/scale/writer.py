"""A grader that only writes: `python tests/scale/writer.py URL SPEC...`, for the race tests.

It waits for a line on stdin (the starting gun, so that two writers really overlap), opens
the gradebook (so a fresh one is migrated by both at once), then records one result per
SPEC `assignment:student`, each with three tests, and prints `recorded N`.
"""

from __future__ import annotations

import sys

from autograder.gradebook import Gradebook
from autograder.results import SubmissionResult, TestResult


def main(url: str, specs: list[str]) -> None:
    sys.stdin.readline()
    book = Gradebook(url)
    for spec in specs:
        assignment, student = spec.split(":")
        tests = [TestResult(f"test_{i}", 1.0, 1.0, "passed", f"{spec} #{i}") for i in range(3)]
        book.record(assignment, SubmissionResult(student, 3.0, 3.0, "graded", spec, tests))
    book.close()
    print(f"recorded {len(specs)}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
