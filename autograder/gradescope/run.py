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

from autograder.commands.common import GRADESCOPE_ROOT_HELP
from autograder.course import load_assignment
from autograder.gradescope.results import GRADER_FAILED, results_json
from autograder.grading.engine import Options
from autograder.grading.pool import Job, grade_batch
from autograder.grading.submission import locate
from autograder.results import SubmissionResult, write_json_atomic

CONFIG = "nlpgrade-gradescope.json"
MAX_DEPTH = 3  # students often upload a folder: look this deep for the module


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m autograder.gradescope.run", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--root", type=Path, default=Path("/autograder"), metavar="DIR",
                   help=GRADESCOPE_ROOT_HELP)
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


class NotGraded(Exception):
    """The grader failed on this submission (`grader_error`): it gets no results.json."""

    def __init__(self, reason: str, diagnostics: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.diagnostics = diagnostics


def run_with_watchdog(root: Path) -> tuple[dict[str, Any], str]:
    """(results.json, the student's stdout); NotGraded when the grader failed.

    The submission is graded by one worker of the local pool, as `nlpgrade grade` does: this
    process only watches it, with the same watchdog (the submission's budget plus a grace),
    so nothing a student does can hang Gradescope's container until its own timeout."""
    started = time.monotonic()
    source = root / "source"
    config = json.loads((source / CONFIG).read_text(encoding="utf-8"))
    course = source / "course"
    os.chmod(course / "solutions", 0o700)  # defence in depth: the sandbox never sees it
    assignment = load_assignment(course, config["assignment"])
    options = Options(run_seed=assignment.manifest.seed,
                      allow_weak=bool(config.get("allow_weak_isolation", False)),
                      hidden=(str(root),))
    results: list[SubmissionResult] = []
    job = Job(str(course), assignment.slug, options)
    grade_batch(job, [("submission", submission_folder(root, assignment))], workers=1,
                on_result=results.append)
    if len(results) != 1:
        raise RuntimeError(f"the grading session returned {len(results)} results, not 1")
    result = results[0]
    if result.status == "grader_error":
        raise NotGraded(result.message, result.diagnostics)
    data = results_json(result, options=assignment.manifest.gradescope,
                        execution_time=time.monotonic() - started)
    return data, result.stdout


def main(argv: list[str] | None = None) -> int:
    """0 with results.json written; 1 when the grader failed (then no results.json at all:
    Gradescope shows the submission as not graded, which is the truth, never a 0)."""
    args = parser().parse_args(sys.argv[1:] if argv is None else argv)
    root: Path = args.root
    target = root / "results" / "results.json"
    target.unlink(missing_ok=True)  # a stale file must never stand for this run
    try:
        data, stdout = run_with_watchdog(root)
    except KeyboardInterrupt:
        raise
    except NotGraded as err:
        print(GRADER_FAILED.format(reason=err.reason), file=sys.stderr)
        print(err.diagnostics[-4000:], file=sys.stderr)
        return 1
    except BaseException as err:
        reason = f"{type(err).__name__}: {err}"
        print(GRADER_FAILED.format(reason=reason), file=sys.stderr)
        print(traceback.format_exc()[-4000:], file=sys.stderr)
        return 1
    if stdout.strip():
        print("Your code printed:\n" + stdout)
    # Written last, by this process, after every sandbox has been closed.
    write_json_atomic(target, data)
    print(f"score {data['score']:g}; results in {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
