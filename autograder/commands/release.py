"""`nlpgrade release [SLUG...] [--check]`: write (or verify) the student stubs and notebooks.

`--check` changes nothing: it fails when a committed stub or notebook differs from what its
reference generates, or when anything hidden (solution markers, hidden tests, proofs, a line
of a solution region) sits in the student release `assignments/`.
"""

from __future__ import annotations

import argparse
import difflib
from pathlib import Path

from rich.console import Console
from rich.text import Text

from autograder.commands.common import add_course, print_error
from autograder.course import HIDDEN_TESTS, find_course_root, list_assignments, load_assignment
from autograder.notebooks.release import release_notebook, solution_leaks
from autograder.release import BEGIN, END, make_stub
from autograder.yamlfile import ConfigError

HIDDEN_NAMES = {HIDDEN_TESTS, "mistakes.yaml", "NOTES.md"}


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="nlpgrade release", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("slugs", nargs="*", help="assignments (default: all)")
    p.add_argument("--check", action="store_true",
                   help="verify instead of writing; exit 1 if anything is out of date")
    add_course(p)
    return p


def leaks(course: Path) -> list[str]:
    """Hidden material found in the student release."""
    problems = []
    for path in sorted((course / "assignments").rglob("*")):
        if not path.is_file():
            continue
        rel = path.relative_to(course)
        if path.name in HIDDEN_NAMES or "proofs" in path.parts:
            problems.append(f"{rel}: hidden material in the student release; move it to "
                            "solutions/")
        elif path.suffix in (".py", ".ipynb", ".md"):
            text = path.read_text(encoding="utf-8", errors="replace")
            if BEGIN in text or END in text:
                problems.append(f"{rel}: contains solution markers: run `nlpgrade release`")
    return problems


def release(course: Path, slugs: list[str], *, check: bool) -> list[str]:
    """Write or check stubs; returns the problems found (empty means all good)."""
    problems = leaks(course) + solution_leaks(course) if check else []
    for slug in slugs or list_assignments(course):
        assignment = load_assignment(course, slug)
        if not assignment.solution_dir.is_dir():
            continue
        problems += release_notebook(assignment, check=check)
        for module in assignment.manifest.modules:
            reference = assignment.reference_path(module)
            if not reference.is_file():
                problems.append(f"{reference.relative_to(course)}: missing reference module")
                continue
            stub = make_stub(reference, assignment.public_dir / "README.md")
            target = assignment.stub_path(module)
            current = target.read_text(encoding="utf-8") if target.is_file() else None
            if current == stub:
                continue
            rel = target.relative_to(course)
            if check:
                diff = list(difflib.unified_diff((current or "").splitlines(), stub.splitlines(),
                                                 f"{rel} (committed)", f"{rel} (generated)",
                                                 lineterm="", n=1))
                problems.append(f"{rel}: out of date with {reference.relative_to(course)}; run "
                                "`nlpgrade release`\n" + "\n".join(diff[:20]))
            else:
                target.write_text(stub, encoding="utf-8")
    return problems


def main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    console = Console()
    try:
        course = find_course_root(args.course)
        problems = release(course, args.slugs, check=args.check)
    except ConfigError as err:
        print_error(console, err)
        return 2
    for problem in problems:
        console.print(Text.assemble(("✗ ", "red"), problem), highlight=False)
    if problems:
        return 1
    console.print("[green]✓[/] release is up to date" if args.check else "[green]✓[/] stubs "
                  "written", highlight=False)
    return 0
