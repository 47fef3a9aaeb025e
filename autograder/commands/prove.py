"""`nlpgrade prove SLUG`: prove the test suite before it grades anyone.

The reference must score full marks, the stub 0, the alternative solution full marks, and
every catalogued mistake must lose points with feedback that names it.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console
from rich.table import Table
from rich.text import Text

from autograder.commands.common import add_course, print_error
from autograder.course import Assignment, find_course_root, list_assignments, load_assignment
from autograder.grading.engine import Options
from autograder.grading.pool import Job, grade_batch
from autograder.grading.submission import discover
from autograder.proofs import KINDS, ProofReport, prove
from autograder.results import SubmissionResult
from autograder.sandbox.isolation import IsolationError
from autograder.yamlfile import ConfigError


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="nlpgrade prove", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("slugs", nargs="*", help="assignments (default: all with solutions)")
    p.add_argument("--workers", type=int, default=2, help="parallel sandboxes (default: 2)")
    p.add_argument("--only", metavar="KINDS", type=kinds,
                   help="prove only these, comma-separated, of: " + ", ".join(KINDS)
                   + " (e.g. --only reference: the reference scores full marks)")
    add_course(p)
    return p


def kinds(text: str) -> frozenset[str]:
    chosen = frozenset(k.strip() for k in text.split(",") if k.strip())
    unknown = sorted(chosen - set(KINDS))
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(f"{', '.join(unknown) or text!r}: choose from "
                                         f"{', '.join(KINDS)}")
    return chosen


def prove_assignment(assignment: Assignment, *, workers: int = 2,
                     options: Options | None = None,
                     only: frozenset[str] | None = None) -> ProofReport:
    opts = options or Options(run_seed=assignment.manifest.seed)

    def grade(folder: Path) -> list[SubmissionResult]:
        results: list[SubmissionResult] = []
        grade_batch(Job(str(assignment.course), assignment.slug, opts), discover(folder),
                    workers=workers, on_result=results.append)
        return results

    return prove(assignment, grade, only=only)


def render(report: ProofReport) -> Table:
    table = Table(title=f"proofs of {report.assignment}", title_justify="left")
    table.add_column("", width=1)
    table.add_column("fake student")
    table.add_column("must")
    table.add_column("got", overflow="fold")
    for p in report.proofs:
        table.add_row("[green]✓[/]" if p.ok else "[red]✗[/]", p.name, p.expectation,
                      Text(p.detail))
    return table


def main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    console = Console()
    ok = True
    try:
        course = find_course_root(args.course)
        slugs = args.slugs or [s for s in list_assignments(course)
                               if load_assignment(course, s).has_solutions]
        for slug in slugs:
            report = prove_assignment(load_assignment(course, slug), workers=args.workers,
                                      only=args.only)
            console.print(render(report))
            ok &= report.ok
    except (ConfigError, IsolationError) as err:
        print_error(console, err)
        return 2
    return 0 if ok else 1
