"""Grading the upload queue: a warm pool of the grader's own workers, fed over time.

One thread of the server runs the dispatcher. It keeps up to `workers` grading workers alive
(pool.worker_main: a trusted process with its own jailed zygote and pytest session, which pays
torch and the test collection once), each for one assignment. A worker asks for work ("next");
the dispatcher answers when the queue has an upload for its assignment, so a submission
reaches a warm worker at once. An assignment with queued work and no worker gets one: a free
slot, or the slot of an idle worker whose assignment has nothing queued.

Each result is recorded in the gradebook in the same transaction that marks its upload graded.
A worker that dies or hangs is replaced; its upload is tried once more, then recorded as
`grader_error` (no score). With `--scheduler`, batches of queued uploads go to a Dask cluster
through `grade_on_cluster` instead (docs/scale.md).
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import shutil
import socket
import threading
import time
from dataclasses import dataclass
from multiprocessing.connection import wait
from pathlib import Path
from typing import Any

from autograder.course import Assignment, load_assignment
from autograder.gradebook import Gradebook, Provenance
from autograder.grading.engine import Options
from autograder.grading.pool import GRACE_S, Job, Slot, lost
from autograder.grading.resume import submission_sha, suite_sha
from autograder.results import SubmissionResult
from autograder.web.config import ServerConfig
from autograder.web.queue import Claimed, Superseded, UploadQueue

log = logging.getLogger("nlpgrade.serve")
RETRY_AFTER_S = 30.0  # an assignment whose workers cannot start is retried after this
POLL_S = 1.0  # how often the queue is read when nothing wakes the dispatcher
MAX_TRIES = 2  # a worker died twice on the same upload: it is a grader_error
CLUSTER_BATCH = 64  # uploads per batch sent to a Dask cluster


@dataclass
class Live:
    """A worker slot of the server's pool: its assignment and what it is grading."""

    slot: Slot
    slug: str
    waiting: bool = False  # asked for work and is blocked until it gets some
    claimed: Claimed | None = None


class Grading:
    """What both dispatchers share: options, spool folders, recording results."""

    def __init__(self, config: ServerConfig, gradebook: Gradebook, queue: UploadQueue) -> None:
        self.config, self.gradebook, self.queue = config, gradebook, queue
        self.problems: dict[str, str] = {}  # slug -> why it cannot be graded now
        self._assignments: dict[str, Assignment] = {}
        self._suites: dict[str, str] = {}
        self._stop = threading.Event()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._thread: threading.Thread | None = None

    # --- life cycle -----------------------------------------------------------------------
    def start(self) -> None:
        recovered = self.queue.recover(lease_s=self.lease_s())
        if recovered:
            log.info("%d uploads left by a stopped server are queued again", recovered)
        self._thread = threading.Thread(target=self._main, name="nlpgrade-dispatch",
                                        daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self.wake()
        if self._thread is not None:
            self._thread.join(15)

    def wake(self) -> None:
        """New work: look at the queue now rather than at the next poll."""
        try:
            self._wake_w.send(b"w")
        except (BlockingIOError, OSError):
            pass

    def _drain_wake(self) -> None:
        try:
            while self._wake_r.recv(4096):
                pass
        except (BlockingIOError, OSError):
            pass

    def _main(self) -> None:
        try:
            self.run()
        except Exception:  # never silently: the staff pages show it too
            log.exception("the dispatcher stopped")
            self.problems["*"] = "the grading dispatcher stopped; see the server's log"

    def run(self) -> None:
        raise NotImplementedError

    # --- shared helpers -------------------------------------------------------------------
    def lease_s(self) -> float:
        longest = max((self.assignment(s).manifest.limits.submission_timeout_s
                       for s in self.slugs()), default=60.0)
        return longest + 2 * GRACE_S

    def slugs(self) -> list[str]:
        from autograder.course import list_assignments

        return list_assignments(self.config.course)

    def assignment(self, slug: str) -> Assignment:
        if slug not in self._assignments:
            self._assignments[slug] = load_assignment(self.config.course, slug)
        return self._assignments[slug]

    def options(self, slug: str) -> Options:
        db = self.config.db_url
        hidden = [str(self.config.data_dir.resolve())]
        if db.startswith("sqlite:///"):
            hidden.append(str(Path(db.removeprefix("sqlite:///")).resolve()))
        return Options(device=self.config.device, run_seed=self.assignment(slug).manifest.seed,
                       allow_weak=self.config.allow_weak, threads=1, hidden=tuple(hidden))

    def job(self, slug: str) -> Job:
        return Job(str(self.config.course), slug, self.options(slug))

    def spool(self, claimed: Claimed) -> Path:
        """The upload's files in a folder of their own, as the grader reads submissions."""
        folder = self.config.spool / str(claimed.upload.id)
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True, mode=0o700)
        for name, content in claimed.files.items():
            (folder / Path(name).name).write_bytes(content)
        return folder

    def record(self, claimed: Claimed, result: SubmissionResult) -> None:
        upload = claimed.upload
        folder = self.config.spool / str(upload.id)
        assignment = self.assignment(upload.assignment)
        if upload.assignment not in self._suites:
            self._suites[upload.assignment] = suite_sha(assignment, self.options(upload.assignment))
        provenance = Provenance(submission_sha=submission_sha(assignment, folder),
                                suite_sha=self._suites[upload.assignment],
                                device=self.config.device)
        try:
            self.gradebook.record(upload.assignment, result, provenance=provenance,
                                  also=lambda s, n: self.queue.mark_graded(s, upload.id, n))
        except Superseded:
            log.warning("upload %d was graded by another server meanwhile", upload.id)
        except Exception:
            log.exception("recording upload %d failed; it is queued again", upload.id)
            self.queue.release(upload.id)
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def give_up_or_retry(self, claimed: Claimed, kind: str, detail: Any) -> None:
        """A worker died with this upload: once more, else a grader_error (no score)."""
        upload = claimed.upload
        if self.queue.tries(upload.id) < MAX_TRIES:
            self.queue.release(upload.id)
            shutil.rmtree(self.config.spool / str(upload.id), ignore_errors=True)
        else:
            self.record(claimed, lost(self.assignment(upload.assignment), upload.student,
                                      kind, detail))


class PoolDispatcher(Grading):
    """The embedded default: a warm local pool of `config.workers` grading workers."""

    def __init__(self, config: ServerConfig, gradebook: Gradebook, queue: UploadQueue) -> None:
        super().__init__(config, gradebook, queue)
        self.live: list[Live] = []
        self._ctx = mp.get_context("spawn")
        self._retry_at: dict[str, float] = {}

    def run(self) -> None:
        try:
            for i in range(self.config.workers):
                if self.config.warm:
                    self._start(self.config.warm[i % len(self.config.warm)])
            while not self._stop.is_set():
                pending = self.queue.pending()
                self._feed(pending)
                self._scale(pending)
                waitables: list[Any] = [self._wake_r]
                for live in self.live:
                    waitables += [live.slot.conn, live.slot.proc.sentinel]
                ready = wait(waitables, timeout=POLL_S)
                self._drain_wake()
                for live in list(self.live):
                    self._handle(live, ready)
        finally:
            for live in self.live:
                live.slot.stop()

    def _start(self, slug: str) -> None:
        used = {live.slot.index for live in self.live}
        index = next(i for i in range(len(self.live) + 1) if i not in used)
        self.live.append(Live(Slot(self._ctx, self.job(slug), index), slug))
        log.info("starting grading worker %d for %s", index, slug)

    def _feed(self, pending: dict[str, int]) -> None:
        for live in self.live:
            if not live.waiting or not pending.get(live.slug):
                continue
            claimed = self.queue.claim(live.slug)
            if claimed is None:
                continue
            pending[live.slug] -= 1
            folder = self.spool(claimed)
            live.claimed, live.waiting = claimed, False
            live.slot.task = {"student": claimed.upload.student, "directory": str(folder)}
            live.slot.task_started = time.monotonic()
            live.slot.conn.send(live.slot.task)

    def _scale(self, pending: dict[str, int]) -> None:
        now = time.monotonic()
        for slug, count in pending.items():
            if count <= 0 or self._retry_at.get(slug, 0.0) > now:
                continue
            serving = [live for live in self.live if live.slug == slug]
            all_busy = not any(live.waiting or not live.slot.asked for live in serving)
            if serving and not (all_busy and len(self.live) < self.config.workers):
                continue  # its workers keep up, or there is no room for another
            if len(self.live) < self.config.workers:
                self._start(slug)
                continue
            if serving:
                continue
            idle = [live for live in self.live if live.waiting and not pending.get(live.slug)]
            if idle:
                self._retire(idle[0])
                self._start(slug)

    def _retire(self, live: Live) -> None:
        live.slot.stop()
        self.live.remove(live)

    def _handle(self, live: Live, ready: list[Any]) -> None:
        slot = live.slot
        budget = (self.assignment(live.slug).manifest.limits.submission_timeout_s + GRACE_S)
        event = slot.event(ready, hung=live.claimed is not None
                           and time.monotonic() - slot.task_started > budget)
        if event is None:
            return
        kind, payload = event
        if kind == "next":
            slot.asked, live.waiting = True, True
            self.problems.pop(live.slug, None)
        elif kind == "result" and live.claimed is not None:
            claimed, live.claimed, slot.task = live.claimed, None, None
            self.record(claimed, SubmissionResult.from_json(payload))
        else:  # config, fatal, died, hung, done: this worker is gone
            self._retire(live)
            if live.claimed is not None:
                self.give_up_or_retry(live.claimed, kind, payload)
            elif kind in ("config", "fatal", "died"):
                self.problems[live.slug] = (f"grading workers for {live.slug} cannot start "
                                            f"({kind}): {str(payload or '')[-2000:]}")
                self._retry_at[live.slug] = time.monotonic() + RETRY_AFTER_S
                log.error("%s", self.problems[live.slug])


class ClusterDispatcher(Grading):
    """`--scheduler ADDRESS`: batches of queued uploads graded on a Dask cluster."""

    def run(self) -> None:
        while not self._stop.is_set():
            pending = {s: n for s, n in self.queue.pending().items() if n}
            if not pending:
                self._wait_wake()
                continue
            self._grade_batch(next(iter(pending)))

    def _grade_batch(self, slug: str) -> None:
        from autograder.grading.distributed import grade_on_cluster
        from autograder.yamlfile import ConfigError

        assert self.config.scheduler is not None
        batch = self._claim_batch(slug)
        by_student = {c.upload.student: c for c in batch}
        todo = [(c.upload.student, self.spool(c)) for c in batch]

        def on_result(result: SubmissionResult) -> None:
            claimed = by_student.pop(result.student, None)
            if claimed is not None:  # results are matched by student: one each per batch
                self.record(claimed, result)

        try:
            grade_on_cluster(self.job(slug), todo, scheduler=self.config.scheduler,
                             on_result=on_result)
            self.problems.pop(slug, None)
        except (ConfigError, OSError) as err:
            self.problems[slug] = f"the Dask cluster cannot grade {slug}: {err}"
            log.error("%s", self.problems[slug])
            for claimed in by_student.values():
                self.queue.release(claimed.upload.id)
            self._stop.wait(RETRY_AFTER_S)

    def _wait_wake(self) -> bool:
        ready = wait([self._wake_r], timeout=POLL_S)
        self._drain_wake()
        return bool(ready)

    def _claim_batch(self, slug: str) -> list[Claimed]:
        """Up to CLUSTER_BATCH uploads, one per student (results are matched by student)."""
        batch: list[Claimed] = []
        seen: set[str] = set()
        while len(batch) < CLUSTER_BATCH:
            claimed = self.queue.claim(slug)
            if claimed is None:
                break
            if claimed.upload.student in seen:
                self.queue.release(claimed.upload.id)
                break
            seen.add(claimed.upload.student)
            batch.append(claimed)
        return batch


def make_dispatcher(config: ServerConfig, gradebook: Gradebook,
                    queue: UploadQueue) -> Grading:
    if config.scheduler:
        return ClusterDispatcher(config, gradebook, queue)
    return PoolDispatcher(config, gradebook, queue)
