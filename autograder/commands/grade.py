"""`nlpgrade grade ASSIGNMENT SUBMISSIONS_DIR`: grade a class into the gradebook."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from autograder.course import Assignment, find_course_root, load_assignment
from autograder.gradebook import Gradebook, default_url
from autograder.grading.engine import Options
from autograder.grading.pool import Job, grade_batch
from autograder.grading.submission import discover
from autograder.report import class_table, print_details
from autograder.results import BatchResult, SubmissionResult, write_json_atomic
from autograder.sandbox.isolation import IsolationError
from autograder.yamlfile import ConfigError


def add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--course", type=Path, help="the course folder (default: found from "
                        "the current directory)")
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu",
                        help="where the sandbox runs the student's code (default: cpu)")
    parser.add_argument("--seed", type=int, default=None,
                        help="the run's seed (default: the manifest's); in the report")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="nlpgrade grade", description=__doc__)
    p.add_argument("assignment", help="the assignment's slug, e.g. masking")
    p.add_argument("submissions", type=Path, help="SUBMISSIONS_DIR/<student_id>/<module>.py")
    p.add_argument("--json", type=Path, help="write the results here (default: "
                   "<course>/reports/<assignment>.json)")
    p.add_argument("--db", help="gradebook database URL (default: sqlite:///<course>/gradebook.db)")
    p.add_argument("--workers", type=int, default=2, help="parallel sandboxes (default: 2)")
    p.add_argument("--details", action=argparse.BooleanOptionalAction, default=None,
                   help="print each student's lost points (default: for up to 30 students)")
    p.add_argument("--allow-weak-isolation", action="store_true",
                   help="grade even without bubblewrap (the student's code could read files)")
    add_common(p)
    return p


def check_device(assignment: Assignment, device: str) -> None:
    policy = assignment.manifest.device
    if policy == "cuda" and device != "cuda":
        raise ConfigError(f"{assignment.slug}: its manifest requires --device cuda")
    if device == "cuda":
        import torch

        if not torch.cuda.is_available():
            raise ConfigError("--device cuda: no CUDA device is visible to torch here")


def grade(assignment: Assignment, submissions: Path, *, options: Options, workers: int,
          db: str | None, console: Console) -> BatchResult:
    students = discover(submissions)
    if not students:
        raise ConfigError(f"{submissions}: no student folders (expected "
                          f"{submissions}/<student_id>/{assignment.manifest.modules[0]})")
    gradebook = Gradebook(db or default_url(assignment.course))
    results: list[SubmissionResult] = []
    progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(),
                        MofNCompleteColumn(), TimeElapsedColumn(),
                        TextColumn("{task.fields[last]}"),
                        console=console, transient=True, disable=not console.is_terminal)
    with progress:
        task = progress.add_task(f"grading {assignment.slug}", total=len(students), last="")

        def record(result: SubmissionResult) -> None:
            gradebook.record(assignment.slug, result)  # as it arrives: nothing is lost
            results.append(result)
            progress.update(task, advance=1,
                            last=f"{result.student}: {result.score:g}/{result.max_score:g}")

        grade_batch(Job(str(assignment.course), assignment.slug, options), students,
                    workers=workers, on_result=record)
    gradebook.close()
    results.sort(key=lambda r: r.student)
    isolation = results[0].isolation if results else ""
    return BatchResult(assignment=assignment.slug, max_score=assignment.manifest.points,
                       submissions=results, isolation=isolation, seed=options.run_seed,
                       device=options.device)


def main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    console = Console()
    try:
        course = find_course_root(args.course)
        assignment = load_assignment(course, args.assignment)
        check_device(assignment, args.device)
        seed = assignment.manifest.seed if args.seed is None else args.seed
        options = Options(device=args.device, run_seed=seed,
                          allow_weak=args.allow_weak_isolation)
        started = time.monotonic()
        batch = grade(assignment, args.submissions, options=options, workers=args.workers,
                      db=args.db, console=console)
    except (ConfigError, IsolationError, FileNotFoundError) as err:
        console.print(f"[bold red]error:[/] {err}", highlight=False)
        return 2
    json_path = args.json or course / "reports" / f"{assignment.slug}.json"
    write_json_atomic(json_path, batch.to_json())
    console.print(class_table(f"{assignment.manifest.title} ({assignment.slug})",
                              batch.submissions))
    if args.details or (args.details is None and len(batch.submissions) <= 30):
        console.print()
        for result in batch.submissions:
            if result.score < result.max_score or result.status != "graded":
                print_details(console, result)
    elapsed = time.monotonic() - started
    console.print(f"\n{len(batch.submissions)} submissions in {elapsed:.1f} s · isolation: "
                  f"{batch.isolation} · seed {batch.seed}"
                  f"\nJSON: {json_path}\ngradebook: {args.db or default_url(course)}",
                  highlight=False)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
