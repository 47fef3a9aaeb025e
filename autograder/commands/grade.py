"""`nlpgrade grade ASSIGNMENT SUBMISSIONS_DIR`: grade a class into the gradebook."""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from autograder.commands.common import add_course, print_error
from autograder.course import Assignment, find_course_root, load_assignment
from autograder.gradebook import Gradebook, Provenance, default_url, safe_url
from autograder.grading.engine import Options
from autograder.grading.pool import Job, grade_batch
from autograder.grading.resume import plan
from autograder.grading.submission import discover
from autograder.report import class_table, first_line, print_details, reason
from autograder.results import BatchResult, SubmissionResult, write_batch_json_atomic
from autograder.sandbox.isolation import IsolationError
from autograder.yamlfile import ConfigError


def add_common(parser: argparse.ArgumentParser) -> None:
    add_course(parser)
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu",
                        help="where the sandbox runs the student's code (default: cpu)")
    parser.add_argument("--seed", type=int, default=None,
                        help="the run's seed (default: the manifest's); in the report")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="nlpgrade grade", description=__doc__)
    p.add_argument("assignment", help="the assignment's slug, e.g. masking")
    p.add_argument("submissions", type=Path, nargs="?",
                   help="SUBMISSIONS_DIR/<student_id>/<module>.py (or .ipynb)")
    p.add_argument("--nbgrader-course", type=Path, metavar="DIR",
                   help="grade an nbgrader course instead: DIR/submitted/<student_id>/"
                   "<assignment>/ into DIR/autograded/, DIR/feedback/ and nbgrader's "
                   "gradebook (docs/ecosystem.md)")
    p.add_argument("--json", type=Path, help="write the results here (default: "
                   "<course>/reports/<assignment>.json)")
    p.add_argument("--db", help="gradebook database URL (default: sqlite:///<course>/gradebook.db)")
    p.add_argument("--workers", type=int, default=2, help="parallel sandboxes (default: 2)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="grade on a Dask cluster instead (e.g. tcp://10.0.0.5:8786): each "
                   "Dask worker runs the same sandbox; see docs/scale.md")
    p.add_argument("--force", action="store_true",
                   help="regrade every submission, even those the gradebook already holds "
                   "a grade for with the same files and tests (the default resumes)")
    p.add_argument("--details", action=argparse.BooleanOptionalAction, default=None,
                   help="print each student's lost points (default: for up to 30 students)")
    p.add_argument("--allow-weak-isolation", action="store_true",
                   help="grade even without bubblewrap (the student's code could read files)")
    add_common(p)
    return p


def check_device(assignment: Assignment, device: str, *, local: bool = True) -> None:
    """The manifest's device policy; and, when grading here (`local`), a visible GPU for
    cuda. On a cluster the workers' preflight checks their own GPUs instead."""
    policy = assignment.manifest.device
    if policy == "cuda" and device != "cuda":
        raise ConfigError(f"{assignment.slug}: its manifest requires --device cuda")
    if device == "cuda" and local:
        import torch

        if not torch.cuda.is_available():
            raise ConfigError("--device cuda: no CUDA device is visible to torch here (to "
                              "grade on a cluster's GPU workers, add --scheduler ADDRESS)")


def hidden_paths(submissions: Path | None, db_url: str, json_path: Path) -> tuple[str, ...]:
    """What the sandbox must never show, besides the course: the class's submissions, the
    gradebook file and the report (they matter when they lie inside an installation)."""
    paths = [json_path]
    if submissions is not None:
        paths.append(submissions)
    if db_url.startswith("sqlite:///"):
        paths.append(Path(db_url.removeprefix("sqlite:///")))
    return tuple(str(p.resolve()) for p in paths)


def grade(assignment: Assignment, submissions: Path, *, options: Options, workers: int,
          db: str | None, console: Console, json_path: Path, scheduler: str | None = None,
          force: bool = False, details: bool | None = None) -> BatchResult:
    """Grade what the gradebook lacks, record each result as it arrives, write the JSON.

    The returned batch holds `brief` results (what the terminal shows); the JSON report and
    the gradebook hold everything, streamed from the gradebook so memory stays flat."""
    students = discover(submissions)
    if not students:
        raise ConfigError(f"{submissions}: no student folders (expected "
                          f"{submissions}/<student_id>/{assignment.manifest.modules[0]})")
    details = show_details(details, len(students))
    url = db or default_url(assignment.course)
    # A gradebook that does not exist yet is created by the first result, not before: a
    # batch stopped by its preflight leaves nothing behind.
    gradebook: Gradebook | None = Gradebook(url) if _exists(url) else None
    try:
        work = plan(gradebook, assignment, students, options=options, force=force)
        if work.done:
            console.print(f"resuming: {len(work.done)} of {len(students)} submissions are "
                          "already graded with the same files and tests (in the gradebook); "
                          f"grading the other {len(work.todo)}. --force regrades them all.",
                          highlight=False)
        briefs: list[SubmissionResult] = []
        progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(),
                            MofNCompleteColumn(), TimeElapsedColumn(),
                            TextColumn("{task.fields[last]}", markup=False),
                            console=console, transient=True, disable=not console.is_terminal)
        with progress:
            task = progress.add_task(f"grading {assignment.slug}", total=len(work.todo),
                                     last="")

            def record(result: SubmissionResult) -> None:
                nonlocal gradebook
                if gradebook is None:
                    gradebook = Gradebook(url)
                gradebook.record(assignment.slug, result, provenance=Provenance(
                    work.shas[result.student], work.suite, options.device))  # as it arrives
                briefs.append(brief(result, details=details))
                progress.update(task, advance=1,
                                last=f"{result.student}: {result.score_text()}")

            job = Job(str(assignment.course), assignment.slug, options)
            if work.todo and scheduler:
                from autograder.grading.distributed import grade_on_cluster

                grade_on_cluster(job, work.todo, scheduler=scheduler, on_result=record)
            elif work.todo:
                grade_batch(job, work.todo, workers=workers, on_result=record)
        if gradebook is None:  # nothing to grade and no gradebook: an empty one, as before
            gradebook = Gradebook(url)
        briefs += (brief(r, details=details)
                   for r in gradebook.submissions(assignment.slug, work.done))
        briefs.sort(key=lambda r: r.student)
        batch = BatchResult(assignment=assignment.slug, max_score=assignment.manifest.points,
                            submissions=briefs, isolation=batch_isolation(briefs),
                            seed=options.run_seed, device=options.device)
        keep_previous_report(json_path, console)
        write_batch_json_atomic(json_path, replace(batch, submissions=[]),
                                gradebook.submissions(assignment.slug, [s for s, _ in students]))
    finally:
        if gradebook is not None:
            gradebook.close()
    return batch


def _exists(url: str) -> bool:
    """False only for a SQLite gradebook whose file is not there yet."""
    if url.startswith("sqlite:///"):
        return Path(url.removeprefix("sqlite:///")).exists()
    return True


def batch_isolation(results: list[SubmissionResult]) -> str:
    """The batch's isolation label: the grader's own (every result carries the label its
    worker wrote), the most common one when they differ, never a student's text."""
    labels = Counter(r.isolation for r in results if r.isolation)
    return labels.most_common(1)[0][0] if labels else ""


KEEP_REPORTS = 5


def keep_previous_report(path: Path, console: Console) -> None:
    """A report about to be replaced is kept as <name>.1 (then .2, ... up to .5)."""
    if not path.exists():
        return
    for n in range(KEEP_REPORTS - 1, 0, -1):
        older = path.with_name(f"{path.name}.{n}")
        if older.exists():
            older.replace(path.with_name(f"{path.name}.{n + 1}"))
    path.replace(path.with_name(f"{path.name}.1"))
    console.print(f"the previous report is kept as {path.name}.1", style="dim", highlight=False)


def grader_error_summary(results: list[SubmissionResult]) -> str:
    """One paragraph for every submission the grader failed on (never one per student)."""
    failed = [r for r in results if r.status == "grader_error"]
    if not failed:
        return ""
    reasons = Counter(first_line(r.diagnostics or r.message, 160) for r in failed)
    lines = [f"{len(failed)} of {len(results)} submissions were NOT GRADED because the grader "
             "failed (not the students): they have no score anywhere, not a 0."]
    lines += [f"  {n} × {text}" for text, n in reasons.most_common(5)]
    lines.append("Fix the cause, then run the same command again: only these are graded "
                 "again. Each one's details are in the JSON report (`diagnostics`).")
    return "\n".join(lines)


DETAILS_UP_TO = 30  # students; beyond, only the class table (unless --details)


def show_details(flag: bool | None, students: int) -> bool:
    return flag if flag is not None else students <= DETAILS_UP_TO


def brief(result: SubmissionResult, *, details: bool = True) -> SubmissionResult:
    """What the terminal shows of a result: its lost tests and the first lines of feedback,
    or, without details (large classes), only the one-line reason of the class table, so
    that the grader's memory stays flat however many students there are."""
    if not details:
        return replace(result, tests=[], message=reason(result), stdout="")
    lost = [replace(t, output="\n".join(t.output.strip().splitlines()[:4]))
            for t in result.tests if t.status not in ("passed", "skipped")]
    return replace(result, tests=lost,
                   message="\n".join(result.message.strip().splitlines()[:12]))


def main(argv: list[str]) -> int:
    """0: every submission graded; 1: some were not (grader errors); 2: nothing was graded
    (a usage, configuration or preflight error)."""
    args = parser().parse_args(argv)
    if (args.submissions is None) == (args.nbgrader_course is None):
        parser().error("give SUBMISSIONS_DIR or --nbgrader-course DIR (one of them)")
    console = Console()
    try:
        course = find_course_root(args.course)
        assignment = load_assignment(course, args.assignment)
        check_device(assignment, args.device, local=args.scheduler is None)
        seed = assignment.manifest.seed if args.seed is None else args.seed
        json_path = args.json or course / "reports" / f"{assignment.slug}.json"
        url = args.db or default_url(course)
        options = Options(device=args.device, run_seed=seed,
                          allow_weak=args.allow_weak_isolation,
                          threads=max(1, (os.cpu_count() or 1) // max(1, args.workers)),
                          hidden=hidden_paths(args.submissions or args.nbgrader_course, url,
                                              json_path))
        started = time.monotonic()
        if args.nbgrader_course is not None:
            from autograder.nbgrader_course.grade import grade_course

            graded = grade_course(assignment, args.nbgrader_course, options=options,
                                  workers=args.workers, console=console, json_path=json_path,
                                  scheduler=args.scheduler, db=args.db)
            summary = grader_error_summary([g.result for g in graded])
            if summary:
                console.print(f"\n{summary}", style="bold magenta", markup=False,
                              highlight=False)
            return 1 if summary else 0
        batch = grade(assignment, args.submissions, options=options, workers=args.workers,
                      db=args.db, console=console, json_path=json_path,
                      scheduler=args.scheduler, force=args.force, details=args.details)
    except (ConfigError, IsolationError, FileNotFoundError) as err:
        print_error(console, err)
        return 2
    console.print(class_table(f"{assignment.manifest.title} ({assignment.slug})",
                              batch.submissions))
    if show_details(args.details, len(batch.submissions)):
        console.print()
        for result in batch.submissions:
            if result.status == "grader_error":
                continue  # summarised once below
            if result.graded_score < result.max_score or result.status != "graded":
                print_details(console, result)
    elapsed = time.monotonic() - started
    console.print(f"\n{len(batch.submissions)} submissions in {elapsed:.1f} s · isolation: "
                  f"{batch.isolation} · seed {batch.seed}"
                  f"\nJSON: {json_path}\ngradebook: {safe_url(url)}", highlight=False,
                  markup=False)
    summary = grader_error_summary(batch.submissions)
    if summary:
        console.print(f"\n{summary}", style="bold magenta", markup=False, highlight=False)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
