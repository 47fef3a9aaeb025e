"""`nlpgrade check ASSIGNMENT [PATH...]`: run the public tests on your files, in the sandbox.

PATH is your module (default: ./<module>.py, else ./<slug>.ipynb), its notebook, a folder
holding your modules, or, for an assignment of several modules, each of its files
(`nlpgrade check minbert bert.py optimizer.py classifier.py`). Only the public tests run
here; the grader also runs hidden tests, so passing here is necessary, not sufficient.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console

from autograder.commands.common import print_error
from autograder.commands.grade import add_common
from autograder.course import Assignment, find_course_root, load_assignment
from autograder.grading.engine import Options, run_session
from autograder.grading.submission import Submission, locate, notebook_names, read_module
from autograder.report import module_text
from autograder.results import SubmissionResult
from autograder.sandbox.isolation import IsolationError
from autograder.yamlfile import ConfigError

MARK = {"passed": "[green]✓[/]", "skipped": "[dim]-[/]"}


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="nlpgrade check", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("assignment", help="the assignment's slug, e.g. masking")
    p.add_argument("paths", nargs="*", type=Path, metavar="PATH",
                   help="your module(s), notebook, or the folder that holds them")
    add_common(p)
    return p


def collect(assignment: Assignment, paths: list[Path]) -> Submission:
    """Your files, read the way the grader reads them."""
    modules = assignment.manifest.modules
    sub = Submission(student="you", directory=Path.cwd())
    files = [p for p in paths if not p.is_dir()]
    if len(paths) > 1 or (files and len(modules) > 1):
        if len(files) != len(paths):
            raise ConfigError("pass either one folder or your files, not both")
        targets = {}
        for file in files:
            module = next((m for m in modules if file.name == m
                           or file.name in notebook_names(assignment, m)), None)
            if module is None:
                raise ConfigError(f"{file}: not a file of {assignment.slug} (it takes "
                                  f"{', '.join(modules)}, each under exactly that name)")
            targets[module] = file
        for module in modules:
            targets.setdefault(module, Path.cwd() / module)
    elif files:
        targets = {modules[0]: files[0]}
    else:
        folder = paths[0] if paths else Path.cwd()
        targets = {m: locate(assignment, folder, m) or folder / m for m in modules}
    for module, file in targets.items():
        if not file.exists():
            sub.status, sub.problem = "missing", (f"{file} not found: pass your file, e.g. "
                                                  f"`nlpgrade check {assignment.slug} "
                                                  f"path/to/{module}`")
            return sub
        try:
            sub.files[module], notes = read_module(file, module, assignment, set())
            sub.notes += notes
        except (ValueError, OSError) as err:
            sub.status, sub.problem = "import_error", str(err)
            return sub
    for helper in assignment.manifest.support:
        sub.files[helper] = (assignment.public_dir / helper).read_text(encoding="utf-8")
    return sub


def show(console: Console, result: SubmissionResult, assignment: Assignment) -> None:
    if result.status != "graded":
        console.print(f"[bold red]{result.status}[/]: ", end="")
        console.print(result.message, markup=False, highlight=False)
        return
    for t in result.tests:
        mark = MARK.get(t.status, "[red]✗[/]")
        console.print(f"{mark} {t.name} ({t.score:g}/{t.max_score:g})", highlight=False)
        if t.status not in ("passed",):
            for line in t.output.strip().splitlines()[:8]:
                console.print(f"      {line}", markup=False, highlight=False)
    public = result.max_score + sum(result.not_counted.values())
    console.print(f"\npublic tests: {result.score:g}/{result.max_score_text()}.", highlight=False,
                  markup=False)
    if result.modules:
        console.print("by file: " + " · ".join(module_text(m) for m in result.modules),
                      highlight=False, markup=False)
        for m in result.modules:
            if m.status == "import_error":
                console.print(f"\n{m.name} could not be imported, so its tests did not run "
                              "(the other files were checked):", style="bold red")
                console.print(m.message, markup=False, highlight=False)
    console.print("The grader also runs hidden tests (more sizes, edge cases, devices), worth "
                  f"{assignment.manifest.points - public:g} more points.", highlight=False)
    if result.stdout.strip():
        console.print("\nyour code printed:", style="dim")
        console.print(result.stdout[-2000:], markup=False, highlight=False)


def main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    console = Console()
    try:
        course = find_course_root(args.course, need_solutions=False)
        assignment = load_assignment(course, args.assignment)
        submission = collect(assignment, args.paths)
        results: list[SubmissionResult] = []
        seed = assignment.manifest.seed if args.seed is None else args.seed
        run_session(assignment, [submission], results.append,
                    Options(device=args.device, run_seed=seed, public_only=True,
                            allow_weak=True))
    except (ConfigError, IsolationError) as err:
        print_error(console, err)
        return 2
    result = results[0]
    show(console, result, assignment)
    if "weak" in result.isolation:
        console.print("note: bubblewrap is not available here, so the check ran without "
                      "the full sandbox (the grader uses it).", style="dim")
    return 0 if result.status == "graded" and result.score == result.max_score else 1
