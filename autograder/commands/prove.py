"""`nlpgrade prove SLUG`: prove the test suite before it grades anyone.

The reference must score full marks, the stub 0, the alternative solution full marks, and
every catalogued mistake must lose points with feedback that names it.

With --mutants, every first-order mutant of the reference's solution regions is graded in the
same batch: each must be killed (lose points) or be listed, with a reason, in
solutions/SLUG/proofs/equivalent.yaml, and each module's kill rate must reach the manifest's
min_kill_rate (default 97%). See docs/authoring.md, "Mutants".
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from autograder.commands.common import add_course, print_error
from autograder.commands.grade import check_device
from autograder.course import Assignment, find_course_root, list_assignments, load_assignment
from autograder.grading.engine import Options
from autograder.grading.pool import Job, grade_batch
from autograder.grading.submission import discover
from autograder.mutation import MutationReport, yaml_entries
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
    p.add_argument("--device", choices=["cpu", "cuda"], default="cpu",
                   help="grade the fake students on this device (default: cpu; `gpu` tests "
                   "run only with cuda)")
    p.add_argument("--mutants", action="store_true",
                   help="also grade every first-order mutant of the reference and report the "
                   "kill rate per module, the survivors and the time taken")
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
                     options: Options | None = None, only: frozenset[str] | None = None,
                     mutants: bool = False) -> ProofReport:
    opts = options or Options(run_seed=assignment.manifest.seed)

    def grade(folder: Path, focus: Path | None) -> list[SubmissionResult]:
        results: list[SubmissionResult] = []
        job_options = dataclasses.replace(opts, focus=str(focus)) if focus else opts
        grade_batch(Job(str(assignment.course), assignment.slug, job_options),
                    discover(folder), workers=workers, on_result=results.append)
        return results

    return prove(assignment, grade, only=only, mutants=mutants)


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


def render_mutation(report: MutationReport, *, workers: int) -> list[object]:
    """The kill rate per module, each survivor as a one-line diff, stale entries, time."""
    graded = len(report.outcomes)
    ran = sum(o.ran for o in report.outcomes)
    table = Table(title=f"mutants of {report.assignment}: {graded}, graded with the other "
                  f"fakes in one batch of {report.seconds:.1f} s on {workers} workers "
                  f"({ran / max(graded, 1):.1f} tests run per mutant)", title_justify="left")
    for column in ("", "module", "mutants", "killed", "equivalent", "tolerated", "survived",
                   "kill rate", "min"):
        table.add_column(column, justify="left" if column in ("", "module") else "right")
    for s in report.modules():
        ok = s.kill_rate >= report.min_kill_rate and not (s.survived or s.not_graded)
        table.add_row("[green]✓[/]" if ok else "[red]✗[/]", s.module, str(s.generated),
                      str(s.killed), str(s.equivalent), str(s.tolerated),
                      str(s.survived + s.not_graded), f"{s.kill_rate:.1%}",
                      f"{report.min_kill_rate:.0%}")
    out: list[object] = [table]
    if not report.reference_ok:
        out.append("[red]✗ the reference does not score full marks, so no mutant can be "
                   "judged: fix the reference or the tests first[/]")
    for o in report.survivors:
        what = "NOT GRADED" if o.verdict == "not graded" else "survived"
        out.append(f"[red]✗[/] {what}: {escape(o.mutant.diff())}\n    passed: "
                   f"{', '.join(o.passed) or 'nothing (no test reaches it)'}")
    for line in report.stale:
        out.append(f"[yellow]![/] stale entry: {escape(line)}")
    survived = [o for o in report.survivors if o.verdict == "survived"]
    if survived:
        out.append(f"Kill each survivor with a test, or list it in solutions/"
                   f"{report.assignment}/proofs/equivalent.yaml with the reason it is "
                   "equivalent:\n" + escape(yaml_entries(survived)))
    return out


def main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    console = Console()
    ok = True
    try:
        course = find_course_root(args.course)
        if args.device == "cuda":
            import torch

            if not torch.cuda.is_available():
                raise ConfigError("--device cuda: no CUDA device is visible to torch here")
        slugs = args.slugs or [s for s in list_assignments(course)
                               if load_assignment(course, s).has_solutions]
        for slug in slugs:
            assignment = load_assignment(course, slug)
            check_device(assignment, args.device, local=False)
            options = Options(device=args.device, run_seed=assignment.manifest.seed)
            report = prove_assignment(assignment, workers=args.workers, options=options,
                                      only=args.only, mutants=args.mutants)
            console.print(render(report))
            if report.mutation is not None:
                for part in render_mutation(report.mutation, workers=args.workers):
                    console.print(part, highlight=False, soft_wrap=isinstance(part, str))
            ok &= report.ok
    except (ConfigError, IsolationError) as err:
        print_error(console, err)
        return 2
    return 0 if ok else 1
