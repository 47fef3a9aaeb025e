"""A pool of grading workers on one machine.

Each worker is a trusted process with its own jailed zygote and its own pytest session; it
pays the torch import and the test collection once. Workers pull one submission at a time.
If a worker dies (it should not: student code never runs in it), its submission is retried
once on a fresh worker and otherwise recorded with the reason, so the batch always finishes.
Workers die with the grader: killing it (even with SIGKILL) leaves no orphan grading on.

`python -m autograder.grading.pool FD JOB` runs one worker on an inherited socket: the
resident worker of a Dask worker process (distributed.py), where multiprocessing may not fork.
"""

from __future__ import annotations

import ctypes
import json
import multiprocessing as mp
import signal
import socket
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

from autograder.course import load_assignment
from autograder.grading.engine import Options, run_session
from autograder.grading.submission import Submission, read_submission
from autograder.results import SubmissionResult, grader_error
from autograder.sanitize import clean_result
from autograder.yamlfile import ConfigError

GRACE_S = 60.0  # beyond a submission's own budget, before a silent worker is presumed hung
STILLBORN = 3  # workers in a row that die before asking for any work: the batch stops


@dataclass(frozen=True)
class Job:
    course: str
    slug: str
    options: Options


def _die_with_parent() -> None:
    """Linux: SIGKILL this process when the process that started it dies."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def task_submission(assignment: Any, task: dict[str, Any]) -> Submission:
    """The submission a task names: read from its folder here, or already read by the client
    of a distributed run (then it carries the files' text, never a path to trust)."""
    if "files" in task:
        return Submission(student=task["student"], directory=Path(task["directory"]),
                          files=dict(task["files"]), status=task["status"],
                          problem=task["problem"])
    return read_submission(assignment, task["student"], Path(task["directory"]))


def worker_main(conn: Connection, job: dict[str, Any], worker_index: int, *,
                die_with_parent: bool = True) -> None:
    """One grading worker: pull tasks from `conn`, send each result back as plain JSON."""
    if die_with_parent:
        _die_with_parent()
    options = Options(**{**job["options"], "worker_index": worker_index})
    gone = False  # the parent closed the connection: finish quietly

    def send(message: tuple[str, Any]) -> None:
        nonlocal gone
        try:
            conn.send(message)
        except OSError:
            gone = True

    try:
        assignment = load_assignment(Path(job["course"]), job["slug"])

        def tasks() -> Iterator[Submission]:
            while not gone:
                send(("next", None))
                try:
                    task = conn.recv()
                except (EOFError, OSError):
                    return
                if task is None:
                    return
                yield task_submission(assignment, task)

        run_session(assignment, tasks(), lambda r: send(("result", r.to_json())), options)
        send(("done", None))
    except ConfigError as err:
        send(("config", str(err)))
    except BaseException:
        send(("fatal", traceback.format_exc()))


def job_dict(job: Job) -> dict[str, Any]:
    return {"course": job.course, "slug": job.slug, "options": asdict(job.options)}


class Slot:
    """One grading worker process and the task it holds (also used by `nlpgrade serve`)."""

    def __init__(self, ctx: Any, job: Job, index: int) -> None:
        self.index = index
        self.conn, theirs = ctx.Pipe()
        self.proc = ctx.Process(target=worker_main, args=(theirs, job_dict(job), index),
                                daemon=True, name=f"nlpgrade-worker-{index}")
        self.proc.start()
        theirs.close()
        self.task: dict[str, str] | None = None
        self.task_started = 0.0
        self.asked = False  # it asked for work at least once (it started up)

    def event(self, ready: list[Any], *, hung: bool) -> tuple[str, Any] | None:
        """What the worker said, of the connections and sentinels `wait` found `ready`:
        its message (kind, payload), ("died", None) when it is gone, ("hung", None) when it
        is past its budget (`hung`), or None while it is still working."""
        if self.conn in ready:
            try:
                kind, payload = self.conn.recv()
            except (EOFError, OSError):
                return "died", None
            return kind, payload
        if self.proc.sentinel in ready or hung:
            return ("hung" if hung else "died"), None
        return None

    def stop(self) -> None:
        if self.proc.is_alive():
            self.proc.kill()
        self.proc.join(5)
        self.conn.close()


def grade_batch(job: Job, students: list[tuple[str, Path]], *, workers: int,
                on_result: Callable[[SubmissionResult], None]) -> None:
    """Grade every (student, folder); `on_result` is called once per student, in any order."""
    assignment = load_assignment(Path(job.course), job.slug)
    budget = assignment.manifest.limits.submission_timeout_s + GRACE_S
    ctx = mp.get_context("spawn")
    queue = [{"student": s, "directory": str(d)} for s, d in students]
    attempts: dict[str, int] = {}
    slots = [Slot(ctx, job, i) for i in range(max(1, min(workers, len(queue) or 1)))]
    next_index = len(slots)
    stillborn = 0
    try:
        while slots:
            ready = wait([s.conn for s in slots] + [s.proc.sentinel for s in slots],
                         timeout=5.0)
            now = time.monotonic()
            for slot in list(slots):
                event = slot.event(ready, hung=slot.task is not None
                                   and now - slot.task_started > budget)
                if event is None:
                    continue
                kind, payload = event
                if kind == "next":
                    slot.asked, stillborn = True, 0
                    slot.task = queue.pop(0) if queue else None
                    slot.task_started = time.monotonic()
                    slot.conn.send(slot.task)
                elif kind == "result":
                    on_result(SubmissionResult.from_json(payload))
                    slot.task = None
                elif kind == "done":
                    slot.stop()
                    slots.remove(slot)
                elif kind == "config":
                    raise ConfigError(payload)
                elif kind == "fatal" and slot.task is None:
                    raise RuntimeError(f"a grading worker failed before grading:\n{payload}")
                else:  # fatal, died, hung: the worker is gone; its submission is not lost
                    slot.stop()
                    slots.remove(slot)
                    stillborn = 0 if slot.asked else stillborn + 1
                    if stillborn >= STILLBORN:
                        raise RuntimeError(
                            f"{STILLBORN} grading workers in a row died while starting (the "
                            f"last one: {kind}, exit code {slot.proc.exitcode}), before "
                            "grading anything: this machine cannot run the grader (out of "
                            "memory? a broken install?). What was graded is in the gradebook:"
                            " rerun the same command to resume.")
                    if slot.task is not None:
                        student = slot.task["student"]
                        attempts[student] = attempts.get(student, 0) + 1
                        if attempts[student] < 2:
                            queue.insert(0, slot.task)
                        else:
                            on_result(lost(assignment, student, kind, payload))
                    if queue:
                        slots.append(Slot(ctx, job, next_index))
                        next_index += 1
    finally:
        for slot in slots:
            slot.stop()


def lost(assignment: Any, student: str, kind: str, detail: Any) -> SubmissionResult:
    """The record of a submission whose worker failed twice: `grader_error`, no score, with
    the reason for the student and the details for the instructor; the next run of the same
    command grades it again."""
    reason = {"hung": "the grader stopped responding while grading it, twice",
              "died": "the grading worker died while grading it, twice",
              "fatal": "the grader failed while grading it, twice",
              "lost": "the cluster lost it"}.get(kind, kind)
    diagnostics = f"{reason}\n{detail[-4000:]}" if isinstance(detail, str) else reason
    return clean_result(grader_error(student, max_score=assignment.manifest.points,
                                     reason=reason, diagnostics=diagnostics))


def _resident_main(fd: int, job_json: str) -> None:
    """The entry of `python -m autograder.grading.pool FD JOB`: one worker on socket FD."""
    from multiprocessing.connection import Connection as FdConnection

    sock = socket.socket(fileno=fd)
    conn = FdConnection(sock.detach())
    worker_main(conn, json.loads(job_json), 0, die_with_parent=False)


if __name__ == "__main__":
    _resident_main(int(sys.argv[1]), sys.argv[2])
