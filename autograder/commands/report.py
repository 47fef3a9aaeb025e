"""`nlpgrade report ASSIGNMENT`: the class report of a graded assignment.

Reads the results of `nlpgrade grade` (its JSON report, or the gradebook with --db) and
writes, in <course>/reports/<assignment>/ (or -o DIR):

  scores.csv          one row per student: score, status, reason, each test's score
  histogram.png       the score distribution
  pass_rate.png       the pass rate of each test
  summary.html        a page with both plots, the students and the tests
  feedback/<student>.html and .md   each student's feedback
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from rich.console import Console

from autograder.commands.common import add_course, print_error
from autograder.course import find_course_root, load_assignment
from autograder.feedback.report import write_report
from autograder.results import SubmissionResult
from autograder.yamlfile import ConfigError


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="nlpgrade report", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("assignment", help="the assignment's slug, e.g. masking")
    p.add_argument("--json", type=Path, help="results of `nlpgrade grade --json` (default: "
                   "<course>/reports/<assignment>.json)")
    p.add_argument("--db", help="read the gradebook at this database URL instead of the JSON")
    p.add_argument("-o", "--output", type=Path, help="output folder (default: "
                   "<course>/reports/<assignment>/)")
    add_course(p)
    return p


def load_json(path: Path, slug: str) -> list[SubmissionResult]:
    if not path.is_file():
        raise ConfigError(f"{path}: no results; run `nlpgrade grade {slug} SUBMISSIONS_DIR` "
                          "first, or pass --json PATH or --db URL")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("assignment") not in (None, slug):
            raise ConfigError(f"{path}: holds results of {data['assignment']!r}, not {slug!r}")
        return [SubmissionResult.from_json(s) for s in data["submissions"]]
    except (ValueError, KeyError, TypeError) as err:
        if isinstance(err, ConfigError):
            raise
        raise ConfigError(f"{path}: not a results file of `nlpgrade grade --json` ({err}); "
                          "see docs/results.md") from None


def load_db(url: str, slug: str) -> list[SubmissionResult]:
    from autograder.gradebook import Gradebook

    gradebook = Gradebook(url)
    try:
        results = list(gradebook.submissions(slug))
    finally:
        gradebook.close()
    if not results:
        raise ConfigError(f"{url}: no results for {slug!r} in this gradebook")
    return results


def main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    console = Console()
    try:
        course = find_course_root(args.course)
        assignment = load_assignment(course, args.assignment)
        if args.db:
            results, source = load_db(args.db, assignment.slug), "the gradebook"
        else:
            path = args.json or course / "reports" / f"{assignment.slug}.json"
            results, source = load_json(path, assignment.slug), path.name
        folder = args.output or course / "reports" / assignment.slug
        files = write_report(results, folder, title=assignment.manifest.title,
                             slug=assignment.slug, max_score=assignment.manifest.points,
                             source=source)
    except ConfigError as err:
        print_error(console, err)
        return 2
    console.print(f"{len(results)} students · summary: {files.summary}\nCSV: {files.csv}\n"
                  f"plots: {files.histogram.name}, {files.pass_rate.name}\nfeedback: "
                  f"{files.feedback}/<student>.html and .md", highlight=False)
    return 0
