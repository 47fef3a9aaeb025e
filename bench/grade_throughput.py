"""Grading throughput on the masking assignment, measured side by side in one run.

    python bench/grade_throughput.py [--copies N] [--workers 1 2]

Builds N copies of each example submission (correct, stub, mistakes, hostile, ...), then
grades the whole folder with `nlpgrade grade`'s engine at each worker count, and reports:

  - total wall time (worker start-up included: torch import, test collection, zygote);
  - the marginal cost per submission once warm (time between the first and the last result,
    divided by the submissions in between), which is what a large class pays;
  - for comparison, the cost of a fresh isolated interpreter with torch per submission
    (bubblewrap + python + `import torch`), the design we avoid with the fork server.

Figures go to docs/performance.md. Nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from autograder.course import load_assignment  # noqa: E402
from autograder.grading.engine import Options  # noqa: E402
from autograder.grading.pool import Job, grade_batch  # noqa: E402
from autograder.grading.submission import discover  # noqa: E402
from autograder.sandbox.isolation import build_jail  # noqa: E402


def make_class(folder: Path, copies: int, *, skip: set[str]) -> int:
    examples = REPO / "examples" / "submissions" / "masking"
    n = 0
    for copy in range(copies):
        for student in sorted(p for p in examples.iterdir() if p.is_dir()):
            if student.name in skip:
                continue
            shutil.copytree(student, folder / f"{student.name}-{copy:03d}")
            n += 1
    return n


def run(folder: Path, workers: int) -> dict[str, float]:
    stamps: list[float] = []
    started = time.monotonic()
    grade_batch(Job(str(REPO), "masking", Options()), discover(folder), workers=workers,
                on_result=lambda r: stamps.append(time.monotonic()))
    total = time.monotonic() - started
    warm = (stamps[-1] - stamps[workers - 1]) / max(len(stamps) - workers, 1)
    return {"total_s": total, "per_submission_s": total / len(stamps), "warm_s": warm,
            "first_result_s": stamps[0] - started}


def fresh_interpreter_cost(repeats: int = 3) -> float:
    """bwrap + python + import torch, once per submission (what a naive sandbox pays)."""
    jail = build_jail(REPO)
    python = jail.argv.index(os.path.realpath(sys.executable))
    argv = jail.argv[:python + 1] + ["-I", "-c", "import torch"]  # the same jail, no zygote
    times = []
    for _ in range(repeats):
        t = time.monotonic()
        subprocess.run(argv, env=jail.env, check=True)
        times.append(time.monotonic() - t)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--copies", type=int, default=6, help="copies of each example")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--with-slow", action="store_true",
                        help="keep the example that loops at import (10 s each)")
    args = parser.parse_args()
    load_assignment(REPO, "masking")
    skip = set() if args.with_slow else {"frank"}
    with tempfile.TemporaryDirectory(prefix="nlpgrade-bench-") as tmp:
        n = make_class(Path(tmp), args.copies, skip=skip)
        print(f"masking: {n} submissions ({args.copies} copies of each example"
              f"{'' if args.with_slow else ', without the import-loop one'})")
        print(f"{'workers':>8} {'total s':>9} {'s/sub':>7} {'warm s/sub':>11} {'first s':>8}")
        for workers in args.workers:
            r = run(Path(tmp), workers)
            print(f"{workers:>8} {r['total_s']:>9.1f} {r['per_submission_s']:>7.3f} "
                  f"{r['warm_s']:>11.3f} {r['first_result_s']:>8.1f}")
    print(f"fresh bwrap+python+torch per submission (median): {fresh_interpreter_cost():.2f} s")


if __name__ == "__main__":
    main()
