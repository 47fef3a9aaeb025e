"""Submit-to-feedback latency of `nlpgrade serve`, measured as a student sees it.

A real server (2 grading workers by default, masking warm) on loopback, with simulated
students who sign in over HTTP, upload a bundled masking example and poll their submission's
status fragment (as the page's htmx does, every 50 ms) until the feedback replaces it. The
latency of one submission is from just before its upload request to the first status
response that holds the feedback.

- `idle`: one student at a time (the server otherwise idle): the p50 the issue asks for
  (goal: under 2 s).
- `burst` (with --burst N): N students submit within --within seconds, each polling every
  second as the page does (so a latency there is rounded up to the next poll).

    python bench/serve_latency.py                     # 30 sequential submissions
    python bench/serve_latency.py --burst 200 --within 60
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.web.load import (  # noqa: E402
    Student,
    make_students,
    percentile,
    submit_and_wait,
)
from tests.web.server import Server, add_users  # noqa: E402

PASSWORD = "correct horse battery"


def report(label: str, students: list[Student], elapsed: float) -> None:
    latencies = [s.graded_at - s.submitted_at for s in students if s.graded_at is not None]
    if not latencies:
        print(f"{label}: nothing graded")
        return
    print(f"{label:>6}: n={len(latencies)}  p50={percentile(latencies, 0.5):.2f} s  "
          f"p95={percentile(latencies, 0.95):.2f} s  max={max(latencies):.2f} s  "
          f"mean={statistics.fmean(latencies):.2f} s  throughput={len(latencies) / elapsed:.1f}"
          "/s", flush=True)


async def sequential(base: str, students: list[Student]) -> None:
    for student in students:
        await submit_and_wait(base, student, PASSWORD)


async def burst(base: str, students: list[Student], within_s: float) -> None:
    """Arrivals spread evenly over `within_s`; each student then polls for feedback."""
    start = time.monotonic()

    async def one(i: int, student: Student) -> None:
        await asyncio.sleep(max(0.0, start + within_s * i / len(students) - time.monotonic()))
        await submit_and_wait(base, student, PASSWORD, poll_s=1.0)  # as the page polls

    await asyncio.gather(*(one(i, s) for i, s in enumerate(students)))


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--students", type=int, default=30, help="sequential submissions (30)")
    p.add_argument("--burst", type=int, default=0, help="then N students at once (0: none)")
    p.add_argument("--within", type=float, default=60.0, help="the burst's arrival window, s")
    p.add_argument("--workers", type=int, default=2)
    args = p.parse_args()
    with tempfile.TemporaryDirectory(prefix="nlpgrade-serve-bench-") as tmp:
        server = Server(Path(tmp), workers=args.workers)
        warmup = make_students(1, "w")
        idle = make_students(args.students, "i")
        crowd = make_students(args.burst, "b")
        add_users(server.db_url, [(s.login, "student") for s in warmup + idle + crowd],
                  PASSWORD)
        started = time.monotonic()
        server.start()
        try:
            asyncio.run(sequential(server.url, warmup))  # the workers are warm after this
            print(f"server up and warm in {time.monotonic() - started:.1f} s "
                  f"({args.workers} workers); load {os.getloadavg()[0]:.2f}", flush=True)
            t0 = time.monotonic()
            asyncio.run(sequential(server.url, idle))
            report("idle", idle, time.monotonic() - t0)
            if crowd:
                t0 = time.monotonic()
                asyncio.run(burst(server.url, crowd, args.within))
                report("burst", crowd, time.monotonic() - t0)
        except BaseException:
            print(server.log.read_text(errors="replace")[-4000:], file=sys.stderr)
            raise
        finally:
            server.stop()
        print(f"load average at the end: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
