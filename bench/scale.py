"""Grading a large class: throughput, latency and the grader's memory, locally and on Dask.

    python bench/scale.py [--students 1000] [--configs local-1 local-2 dask-2]

Generates N masking submissions (the examples in turn: correct, stub, two with mistakes, a
hostile one, a missing file; each made unique by a comment; the 10 s import-loop example is
left out), then runs `nlpgrade grade`'s own pipeline (resume planning, the SQLite gradebook,
the JSON report streamed at the end) in each configuration:

  local-1, local-2  the local pool with 1 and 2 workers;
  dask-2            a Dask LocalCluster of 2 worker processes (1 thread each), via
                    `--scheduler` (the client, the scheduler and the workers on this machine).

It reports throughput (submissions per second, start-up included, and once warm), the
per-submission grading latency (each result's `duration_s`: p50/p90/p99/max), and memory:
the peak RSS of the grader process itself (each configuration runs in a fresh process) and
of all its descendants together, sampled every 0.2 s, and the grader's RSS when 10%, 25%,
50%, 75% and 100% of the class is graded (flat means no per-submission growth). Figures go
to docs/scale.md. Nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import psutil

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from rich.console import Console  # noqa: E402

from autograder.commands.grade import grade  # noqa: E402
from autograder.course import load_assignment  # noqa: E402
from autograder.grading.engine import Options  # noqa: E402

SKIP = {"frank"}  # loops for 10 s at import: a timeout benchmark, not a throughput one
CHECKPOINTS = (0.10, 0.25, 0.50, 0.75, 1.00)


def make_class(folder: Path, n: int) -> None:
    examples = sorted(p for p in (REPO / "examples" / "submissions" / "masking").iterdir()
                      if p.is_dir() and p.name not in SKIP)
    for i in range(n):
        example = examples[i % len(examples)]
        target = folder / f"{example.name}-{i:04d}"
        shutil.copytree(example, target)
        for source in target.glob("*.py"):
            source.write_text(source.read_text() + f"\n# student {i}\n")


class Memory:
    """Samples the RSS of this process and of all its descendants in a thread."""

    def __init__(self, period_s: float = 0.2) -> None:
        self.me = psutil.Process()
        self.peak_self = 0
        self.peak_tree = 0
        self.period_s = period_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self.period_s):
            self.sample()

    def sample(self) -> int:
        own = self.me.memory_info().rss
        tree = own
        for child in self.me.children(recursive=True):
            try:
                tree += child.memory_info().rss
            except psutil.Error:
                continue
        self.peak_self = max(self.peak_self, own)
        self.peak_tree = max(self.peak_tree, tree)
        return own

    def __enter__(self) -> Memory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def run(config: str, folder: Path, n: int, work: Path) -> dict[str, Any]:
    assignment = load_assignment(REPO, "masking")
    stamps: list[float] = []
    at_checkpoint: dict[float, int] = {}
    cluster = None
    scheduler = None
    if config.startswith("dask"):
        from distributed import LocalCluster

        cluster = LocalCluster(n_workers=int(config.split("-")[1]), threads_per_worker=1,
                               processes=True, dashboard_address=":0")
        scheduler = str(cluster.scheduler_address)
    workers = int(config.split("-")[1])
    console = Console(file=open(os.devnull, "w"))
    db = work / f"{config}.db"
    with Memory() as memory:
        from autograder.gradebook import Gradebook

        record = Gradebook.record

        def timed(self: Gradebook, *args: Any, **kwargs: Any) -> int:
            number = record(self, *args, **kwargs)
            stamps.append(time.monotonic())
            for fraction in CHECKPOINTS:
                if len(stamps) == max(1, round(fraction * n)):
                    at_checkpoint[fraction] = memory.sample()
            return number

        Gradebook.record = timed  # type: ignore[method-assign]
        started = time.monotonic()
        try:
            batch = grade(assignment, folder, options=Options(), workers=workers,
                          db=f"sqlite:///{db}", console=console,
                          json_path=work / f"{config}.json", scheduler=scheduler)
        finally:
            Gradebook.record = record  # type: ignore[method-assign]
        total = time.monotonic() - started
    if cluster is not None:
        cluster.close()
    durations = sorted(s.duration_s for s in batch.submissions)
    warm_from = stamps[min(workers, len(stamps) - 1)]
    q = statistics.quantiles(durations, n=100, method="inclusive")
    return {
        "config": config, "n": len(batch.submissions), "total_s": total,
        "throughput": len(stamps) / total,
        "warm_throughput": (len(stamps) - workers - 1) / max(stamps[-1] - warm_from, 1e-9),
        "first_s": stamps[0] - started,
        "p50": q[49], "p90": q[89], "p99": q[98], "max": durations[-1],
        "peak_self_mb": memory.peak_self / 2**20, "peak_tree_mb": memory.peak_tree / 2**20,
        "rss_mb": {str(f): v / 2**20 for f, v in sorted(at_checkpoint.items())},
        "isolation": batch.isolation,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=1000)
    parser.add_argument("--configs", nargs="+", default=["local-1", "local-2", "dask-2"])
    parser.add_argument("--one", nargs=2, metavar=("CONFIG", "FOLDER"),
                        help=argparse.SUPPRESS)  # internal: one configuration, JSON out
    args = parser.parse_args()
    if args.one:
        config, folder = args.one
        print(json.dumps(run(config, Path(folder), args.students, Path(folder).parent)))
        return
    print(f"{time.strftime('%Y-%m-%d %H:%M')} · {os.cpu_count()} CPUs · load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())} (uptime) before the runs")
    with tempfile.TemporaryDirectory(prefix="nlpgrade-scale-") as tmp:
        folder = Path(tmp) / "subs"
        make_class(folder, args.students)
        print(f"masking: {args.students} generated submissions; each configuration in a "
              "fresh process")
        head = (f"{'config':>8} {'n':>5} {'total s':>8} {'sub/s':>6} {'warm sub/s':>10} "
                f"{'first s':>7} {'p50 s':>6} {'p90 s':>6} {'p99 s':>6} {'max s':>6} "
                f"{'grader MB':>9} {'all MB':>7}  grader RSS MB at 10/25/50/75/100%  load")
        print(head)
        for config in args.configs:
            proc = subprocess.run([sys.executable, __file__, "--students", str(args.students),
                                   "--one", config, str(folder)], capture_output=True,
                                  text=True, check=True)
            r = json.loads(proc.stdout.strip().splitlines()[-1])
            rss = "/".join(f"{v:.0f}" for v in r["rss_mb"].values())
            print(f"{r['config']:>8} {r['n']:>5} {r['total_s']:>8.1f} {r['throughput']:>6.2f} "
                  f"{r['warm_throughput']:>10.2f} {r['first_s']:>7.1f} {r['p50']:>6.3f} "
                  f"{r['p90']:>6.3f} {r['p99']:>6.3f} {r['max']:>6.2f} "
                  f"{r['peak_self_mb']:>9.0f} {r['peak_tree_mb']:>7.0f}  {rss:<34} "
                  f"{os.getloadavg()[0]:.2f}", flush=True)
        print(f"isolation: {r['isolation']}")


if __name__ == "__main__":
    main()
