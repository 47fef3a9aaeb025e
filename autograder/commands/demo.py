"""`nlpgrade demo`: grade the bundled example submissions and show why each got its score.

Equivalent to `nlpgrade grade SLUG examples/submissions/SLUG` for each assignment that has
examples: a table, each student's lost points with their feedback, the SQLite gradebook and
a JSON report.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from autograder.commands import grade as grade_command
from autograder.course import find_course_root


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="nlpgrade demo", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("slugs", nargs="*", help="assignments (default: every one with examples)")
    p.add_argument("--workers", type=int, default=2, help="parallel sandboxes (default: 2)")
    p.add_argument("--course", type=Path, help="the course folder")
    return p


def main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    course = find_course_root(args.course)
    examples = course / "examples" / "submissions"
    slugs = args.slugs or sorted(p.name for p in examples.iterdir()
                                 if (p.is_dir() and (course / "assignments" / p.name).is_dir()))
    status = 0
    for slug in slugs:
        print(f"\n$ nlpgrade grade {slug} {examples.relative_to(course) / slug}")
        status = max(status, grade_command.main([slug, str(examples / slug), "--course",
                                                 str(course), "--workers", str(args.workers)]))
    return status
