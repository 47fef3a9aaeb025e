"""`nlpgrade gradescope build ASSIGNMENT -o autograder.zip`: a Gradescope autograder.

Upload the zip as the assignment's autograder ("Zip file upload"). It installs nlpgrade in
Gradescope's container and grades each submission in nlpgrade's sandbox; students may submit
the module or its notebook. Hidden tests are `after_published` unless assignment.yaml says
otherwise (gradescope.hidden_visibility). See docs/ecosystem.md.

`nlpgrade gradescope run --root DIR` grades DIR/submission the way Gradescope would (for a
trial run on your machine: unzip the zip into DIR/source first).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console

from autograder.commands.common import GRADESCOPE_ROOT_HELP, add_course, print_error
from autograder.course import find_course_root, load_assignment
from autograder.yamlfile import ConfigError


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="nlpgrade gradescope", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="action", required=True)
    build = sub.add_parser("build", help="write the autograder zip")
    build.add_argument("assignment", help="the assignment's slug, e.g. masking")
    build.add_argument("-o", "--output", type=Path, default=Path("autograder.zip"),
                       help="the zip to write (default: ./autograder.zip)")
    add_course(build)
    build.add_argument("--allow-weak-isolation", action="store_true",
                       help="grade even where Gradescope's container cannot run bubblewrap "
                       "(the student's code could then read the hidden tests)")
    run = sub.add_parser("run", help="grade ROOT/submission into ROOT/results/results.json")
    run.add_argument("--root", type=Path, default=Path("/autograder"), metavar="DIR",
                     help=GRADESCOPE_ROOT_HELP)
    return p


def main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    console = Console()
    if args.action == "run":
        from autograder.gradescope.run import main as run_main

        return run_main(["--root", str(args.root)])
    from autograder.gradescope.build import build_zip

    try:
        course = find_course_root(args.course)
        assignment = load_assignment(course, args.assignment)
        names = build_zip(assignment, args.output, allow_weak=args.allow_weak_isolation)
    except ConfigError as err:
        print_error(console, err)
        return 2
    hidden = sum(1 for n in names if n.startswith("course/solutions/"))
    console.print(f"[green]✓[/] {args.output}: {len(names)} files (setup.sh, run_autograder, "
                  f"nlpgrade, the release, {hidden} grader-only files). Upload it as the "
                  "autograder of the Gradescope assignment.", highlight=False)
    return 0
