"""Grade one submission inside Gradescope's container: `run_autograder` calls this.

    python -m autograder.gradescope.run --root /autograder

Reads the student's files from ROOT/submission, grades them with the course copied into
ROOT/source/course by the zip, and writes ROOT/results/results.json. The root is a flag (and
`NLPGRADE_GRADESCOPE_ROOT` in run_autograder) so that tests can use a temporary folder.

Why the known Gradescope cheats fail: the student's code runs only in the sandbox, a separate
jailed process that does not see ROOT (bubblewrap shows it the interpreter and nothing else),
and results.json is written by this trusted process after the sandbox is gone. Writing
results.json and calling `os._exit`, rewriting it from an `atexit` hook, or patching the test
runner all happen in the sandbox's own process, which the grader does not share.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from autograder.course import load_assignment
from autograder.gradescope.results import failure_json, results_json
from autograder.grading.engine import Options, run_session
from autograder.grading.submission import locate, read_submission
from autograder.results import SubmissionResult, write_json_atomic

CONFIG = "nlpgrade-gradescope.json"
MAX_DEPTH = 3  # students often upload a folder: look this deep for the module


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m autograder.gradescope.run", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--root", type=Path, default=Path("/autograder"),
                   help="Gradescope's root: submission/, source/, results/ (default: /autograder)")
    return p


def submission_folder(root: Path, assignment: Any) -> Path:
    """ROOT/submission, or the one folder below it that holds the first module."""
    top = root / "submission"
    module = assignment.manifest.modules[0]
    if locate(assignment, top, module) is not None:
        return top
    found = {p.parent for p in top.rglob("*")
             if len(p.relative_to(top).parts) <= MAX_DEPTH and not p.is_symlink()
             and p.parent != top and locate(assignment, p.parent, module) == p}
    return found.pop() if len(found) == 1 else top


def grade(root: Path) -> tuple[dict[str, Any], str]:
    """(results.json, the student's stdout)."""
    started = time.monotonic()
    source = root / "source"
    config = json.loads((source / CONFIG).read_text(encoding="utf-8"))
    course = source / "course"
    os.chmod(course / "solutions", 0o700)  # defence in depth: the sandbox never sees it
    assignment = load_assignment(course, config["assignment"])
    submission = read_submission(assignment, "submission", submission_folder(root, assignment))
    results: list[SubmissionResult] = []
    options = Options(run_seed=assignment.manifest.seed,
                      allow_weak=bool(config.get("allow_weak_isolation", False)))
    run_session(assignment, [submission], results.append, options)
    if len(results) != 1:
        raise RuntimeError(f"the grading session returned {len(results)} results, not 1")
    data = results_json(results[0], options=assignment.manifest.gradescope,
                        execution_time=time.monotonic() - started)
    return data, results[0].stdout


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(sys.argv[1:] if argv is None else argv)
    root: Path = args.root
    started = time.monotonic()
    target = root / "results" / "results.json"
    try:
        data, stdout = grade(root)
    except BaseException as err:  # the grader always writes a result, with the reason
        if isinstance(err, KeyboardInterrupt):
            raise
        data = failure_json(f"{type(err).__name__}: {err}\n{traceback.format_exc()[-3000:]}",
                            execution_time=time.monotonic() - started)
        stdout = ""
    if stdout.strip():
        print("Your code printed:\n" + stdout)
    # Written last, by this process, after every sandbox has been closed.
    write_json_atomic(target, data)
    print(f"score {data['score']:g}; results in {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
