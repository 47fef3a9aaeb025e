"""Hostile submissions, graded in one ordinary batch next to an honest neighbour.

Each must score what its honest part deserves (0 for pure attacks), leave no trace outside
its sandbox, never change the neighbour's score, and let the batch finish in its budget.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import threading
import time
from pathlib import Path

import pytest

from autograder.release import strip_markers
from autograder.results import SubmissionResult
from tests.security.hostile import ATTACKS, Attack

pytestmark = [pytest.mark.security, pytest.mark.slow]

SECRET = "nlpgrade-canary-secret-3f9c2a"
HIDDEN_CODE_MARKERS = ("### BEGIN SOLUTION", "def _mlm_batch(")


class Listener:
    """A loopback TCP server in the grader that counts who reaches it."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self.stop.set()
        self.thread.join()
        self.sock.close()


def sandbox_processes() -> list[int]:
    """Processes running under the sandbox uid range (see isolation.sandbox_uid)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                uid = entry.stat().st_uid
            except OSError:
                continue
            if uid >= 200_000:
                found.append(int(entry.name))
    return found


@pytest.fixture(scope="module")
def battlefield(tmp_path_factory, repo, masking, grade):  # type: ignore[no-untyped-def]
    root = tmp_path_factory.mktemp("security")
    canary = root / "canary"
    canary.mkdir()
    (canary / "secret.txt").write_text(SECRET)
    submissions = root / "submissions"
    honest = strip_markers(masking.reference_path("masking.py"))
    neighbour = submissions / "neighbour" / "masking.py"
    neighbour.parent.mkdir(parents=True)
    neighbour.write_text(honest)
    listener = Listener()
    fill = {"{canary}": str(canary), "{port}": str(listener.port), "{neighbour}": str(neighbour),
            "{solutions}": str(repo / "solutions")}

    def render(text: str) -> str:
        for key, value in fill.items():
            text = text.replace(key, value)
        return text

    for attack in ATTACKS:
        folder = submissions / attack.name
        folder.mkdir()
        target = folder / "masking.py"
        if attack.name == "binary_garbage":
            target.write_bytes(bytes(range(256)) * 8)
        elif attack.name == "symlink_to_the_reference":
            target.symlink_to(masking.reference_path("masking.py"))
        else:
            target.write_text(render(attack.source) if attack.pure
                              else honest + "\n\n" + render(attack.source))
        for name, text in attack.extra_files.items():
            (folder / name).write_text(render(text))
    neighbour_hash = hashlib.sha256(neighbour.read_bytes()).hexdigest()
    os.environ["NLPGRADE_TEST_SECRET"] = SECRET  # the workers inherit the grader's env
    started = time.monotonic()
    try:
        results = grade(repo, "masking", submissions)
    finally:
        os.environ.pop("NLPGRADE_TEST_SECRET", None)
        listener.close()
    elapsed = time.monotonic() - started
    return {"results": results, "canary": canary, "listener": listener, "elapsed": elapsed,
            "neighbour": neighbour, "neighbour_hash": neighbour_hash, "masking": masking}


def extended(result: SubmissionResult) -> tuple[list, list]:
    ext = [t for t in result.tests if "extended" in t.name]
    rest = [t for t in result.tests if "extended" not in t.name]
    return ext, rest


@pytest.mark.parametrize("attack", ATTACKS, ids=[a.name for a in ATTACKS])
def test_hostile_submission_gets_what_its_honest_part_deserves(battlefield, attack: Attack):
    result: SubmissionResult = battlefield["results"][attack.name]
    max_score = battlefield["masking"].manifest.points
    assert len(result.tests) > 0 and result.max_score == max_score
    if attack.expect == "full":
        lost = [(t.name, t.status, t.output[:200]) for t in result.tests if t.status != "passed"]
        assert result.score == max_score, lost
    elif attack.expect == "zero":
        assert result.score == 0
    elif attack.expect == "import_error":
        assert result.status == "import_error" and result.score == 0
        assert attack.message.lower() in result.message.lower() or not attack.message
    else:
        ext, rest = extended(result)
        assert all(t.status == "passed" for t in rest), [(t.name, t.status, t.output[:200])
                                                         for t in rest if t.status != "passed"]
        assert all(t.status != "passed" for t in ext if t.name !=
                   "test_extended_mask_rejects_a_mask_that_is_not_two_dimensional")
        assert any(t.status in attack.statuses for t in ext), [(t.name, t.status) for t in ext]
        if attack.message:
            assert any(attack.message.lower() in t.output.lower() for t in ext), [
                t.output[:300] for t in ext]


def test_the_honest_neighbour_is_untouched_and_scores_full_marks(battlefield):
    result = battlefield["results"]["neighbour"]
    assert result.score == result.max_score
    digest = hashlib.sha256(battlefield["neighbour"].read_bytes()).hexdigest()
    assert digest == battlefield["neighbour_hash"]


def test_no_attack_left_a_trace_outside_its_sandbox(battlefield):
    assert sorted(p.name for p in battlefield["canary"].iterdir()) == ["secret.txt"]
    assert battlefield["listener"].connections == 0


def test_no_secret_or_hidden_code_reaches_any_feedback(battlefield):
    dump = json.dumps([r.to_json() for r in battlefield["results"].values()])
    assert SECRET not in dump
    for marker in HIDDEN_CODE_MARKERS:
        assert marker not in dump


def test_no_sandboxed_process_outlives_the_batch(battlefield):
    deadline = time.monotonic() + 10  # the kernel tears pid namespaces down asynchronously
    while sandbox_processes() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert sandbox_processes() == []


def test_the_batch_finishes_within_its_time_budget(battlefield):
    budget = battlefield["masking"].manifest.limits.submission_timeout_s
    for result in battlefield["results"].values():
        assert result.duration_s <= budget + 15, (result.student, result.duration_s)
    n = len(battlefield["results"])
    assert battlefield["elapsed"] < n * budget / 2  # two workers, far below the worst case
