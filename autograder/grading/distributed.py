"""Grading on a Dask cluster: `nlpgrade grade ... --scheduler ADDRESS`.

The client (the TA's `nlpgrade grade`) reads each submission itself, with the same checks as
the local pool, and sends one Dask task per submission: plain data (the student id and the
text of their files). On the Dask worker, the task is handed to a *resident* grading worker,
the very worker of the local pool (pool.worker_main), started once per Dask worker thread as
`python -m autograder.grading.pool` and reused: it pays torch, the test collection and its
jailed zygote once. So the sandbox is exactly the local one (bubblewrap, namespaces, uid,
rlimits; bwrap is required unless --allow-weak-isolation), and the trusted side (pytest, the
reference, the scores) runs on the worker, never in the sandbox.

What crosses the network: the task's dicts of strings and the result as the JSON dict of a
SubmissionResult, both between trusted nlpgrade processes (Dask pickles them; nothing a
sandbox produced is ever unpickled: the resident decoded it with the allowlist wire decoder).

Every worker needs nlpgrade and the course at the same path (a shared filesystem, as on a
Slurm cluster). A worker whose copy of the tests differs from the client's refuses to grade.
GPU workers advertise `resources={"GPU": 1}`; `--device cuda` tasks request one.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict, replace
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from autograder.course import load_assignment
from autograder.grading.engine import Options
from autograder.grading.pool import GRACE_S, Job, job_dict, lost
from autograder.grading.resume import suite_sha
from autograder.grading.submission import read_submission
from autograder.results import SubmissionResult
from autograder.yamlfile import ConfigError

GPU = "GPU"  # the Dask resource a GPU worker advertises (dask worker --resources GPU=1)
START_S = 240.0  # a resident's start: torch, the test collection, the zygote's torch
IN_FLIGHT_PER_THREAD = 2  # tasks queued per worker thread: the client's memory stays flat
# Task keys are nlpgrade-<slug>-<random>: one Dask task group per assignment (one progress bar
# on the dashboard), not one per student kept by the scheduler forever.


def task_resources(options: Options) -> dict[str, float] | None:
    """What one task asks of its worker: a GPU for `--device cuda`, nothing otherwise."""
    return {GPU: 1} if options.device == "cuda" else None


# --- the client side ------------------------------------------------------------------------
def grade_on_cluster(job: Job, students: list[tuple[str, Path]], *, scheduler: str,
                     on_result: Callable[[SubmissionResult], None],
                     connect_timeout_s: float = 30.0) -> None:
    """Grade every (student, folder) on the cluster; `on_result` once per student."""
    from distributed import Client, as_completed

    assignment = load_assignment(Path(job.course), job.slug)
    suite = suite_sha(assignment, job.options)
    try:
        client = Client(scheduler, timeout=connect_timeout_s, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as err:
        raise ConfigError(
            f"--scheduler {scheduler}: no Dask scheduler answered there within "
            f"{connect_timeout_s:.0f} s ({type(err).__name__}: {err}). Start one with "
            "`dask scheduler` (or a SLURMCluster, docs/scale.md) and pass the address it "
            "prints, e.g. tcp://10.0.0.5:8786") from None
    with client:
        threads = _check_workers(client, scheduler, job.options, connect_timeout_s)
        resources = task_resources(job.options)
        names: dict[Any, str] = {}
        pending = iter(students)

        def submit_next() -> Any:
            for student, directory in pending:
                future = client.submit(grade_remote, job_dict(job),
                                       _read_task(assignment, student, directory), suite,
                                       key=f"nlpgrade-{job.slug}-{uuid.uuid4().hex}",
                                       resources=resources, pure=False)
                names[future] = student
                return future
            return None

        first = [f for f in (submit_next() for _ in range(threads * IN_FLIGHT_PER_THREAD))
                 if f is not None]
        done = as_completed(first, loop=client.loop)
        for future in done:
            student = names.pop(future)
            try:
                reply = future.result()
            except Exception as err:  # the cluster lost it (a worker died 3 times, ...)
                reply = {"kind": "lost", "detail": f"{type(err).__name__}: {err}"}
            future.release()
            if reply["kind"] == "config":
                raise ConfigError(reply["detail"])
            if reply["kind"] == "result":
                on_result(SubmissionResult.from_json(reply["result"]))
            else:
                on_result(lost(assignment, student, reply["kind"], reply["detail"]))
            following = submit_next()
            if following is not None:
                done.add(following)


def _check_workers(client: Any, scheduler: str, options: Options, timeout_s: float) -> int:
    """The number of worker threads; ConfigError when none, or none with a GPU for cuda."""
    try:
        client.wait_for_workers(1, timeout=timeout_s)
    except TimeoutError:
        raise ConfigError(f"--scheduler {scheduler}: no Dask worker joined within "
                          f"{timeout_s:.0f} s. Start workers: `dask worker {scheduler} "
                          "--nthreads 1` (add `--resources GPU=1` on GPU nodes)") from None
    workers = client.scheduler_info(n_workers=-1)["workers"].values()
    if options.device == "cuda" and not any(w.get("resources", {}).get(GPU) for w in workers):
        raise ConfigError(f"--device cuda: no worker of {scheduler} advertises a GPU. Start "
                          f"GPU workers with `dask worker {scheduler} --resources GPU=1`")
    return max(1, sum(int(w.get("nthreads", 1)) for w in workers))


def _read_task(assignment: Any, student: str, directory: Path) -> dict[str, Any]:
    """The submission as plain data, read here with the local pool's checks."""
    sub = read_submission(assignment, student, directory)
    return {"student": sub.student, "directory": str(sub.directory), "files": sub.files,
            "status": sub.status, "problem": sub.problem}


# --- the worker side ------------------------------------------------------------------------
class Resident:
    """One resident grading worker (pool.worker_main in its own process) and its socket."""

    def __init__(self, job: dict[str, Any]) -> None:
        ours, theirs = socket.socketpair()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "autograder.grading.pool", str(theirs.fileno()),
             json.dumps(job)], pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL)
        theirs.close()
        self.conn = Connection(ours.detach())

    def _recv(self, timeout_s: float) -> tuple[str, Any]:
        try:
            if not self.conn.poll(timeout_s):
                return "hung", None
            kind, payload = self.conn.recv()
            return str(kind), payload
        except (EOFError, OSError):
            return "died", None

    def grade(self, task: dict[str, Any], budget_s: float) -> tuple[str, Any]:
        """("result", json) or a failure: ("config" | "fatal" | "died" | "hung", detail).

        The worker asks for each task with "next" (at once when warm; after its start-up
        when new), then answers it with one result."""
        kind, payload = self._recv(START_S)
        if kind != "next":
            return kind, payload
        try:
            self.conn.send(task)
        except OSError:
            return "died", None
        return self._recv(budget_s)

    def close(self) -> None:
        try:
            self.conn.close()
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
            self.proc.wait()


_IDLE: dict[str, list[Resident]] = {}
_LOCK = threading.Lock()


def _residents(key: str) -> Iterator[Resident]:
    """Idle residents for this job, then new ones. Starting one for a new job (another
    assignment, seed or device) first stops the idle residents of other jobs: a long-lived
    cluster keeps one warm job per worker thread, not one per assignment ever graded."""
    while True:
        stale: list[Resident] = []
        with _LOCK:
            idle = _IDLE.setdefault(key, [])
            found = idle.pop() if idle else None
            if found is None:
                for other in [k for k in _IDLE if k != key]:
                    stale += _IDLE.pop(other)
        for resident in stale:
            resident.close()
        yield found if found is not None else Resident(json.loads(key))


def grade_remote(job: dict[str, Any], task: dict[str, Any], suite: str) -> dict[str, Any]:
    """The Dask task: grade one submission on this worker; returns plain data only."""
    course, slug = Path(job["course"]), job["slug"]
    try:
        assignment = load_assignment(course, slug)
    except (ConfigError, OSError) as err:
        return {"kind": "config", "detail": f"Dask worker {socket.gethostname()}: cannot "
                f"load {slug!r} from {course} ({err}). Every worker needs the course at the "
                "same path as the client (a shared filesystem)"}
    # One torch thread on the grader side: a Dask worker process per core is the setup here,
    # and the client's `threads` was sized for its own machine, not this one.
    options = replace(Options(**job["options"]), threads=1)
    if suite_sha(assignment, options) != suite:
        return {"kind": "config", "detail": f"Dask worker {socket.gethostname()}: its copy "
                f"of {course} has other tests, references or manifest than the client's (or "
                "another nlpgrade version). Sync the course and nlpgrade on every node"}
    key = json.dumps({**job, "options": asdict(options)}, sort_keys=True)
    budget = assignment.manifest.limits.submission_timeout_s + GRACE_S
    kind, detail = "died", None
    for _attempt, resident in zip(range(2), _residents(key), strict=False):
        kind, detail = resident.grade(task, budget)
        if kind == "result":
            with _LOCK:
                _IDLE[key].append(resident)
            return {"kind": "result", "result": detail}
        resident.close()
        if kind == "config":
            return {"kind": "config", "detail": str(detail)}
    return {"kind": kind, "detail": detail if isinstance(detail, str) else None}
