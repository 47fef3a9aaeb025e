"""A real `nlpgrade serve` in a child process on loopback, for the browser and load tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from autograder.gradebook import Gradebook
from autograder.web.accounts import FAST_HASHER, Accounts

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def add_users(db_url: str, people: list[tuple[str, str]], password: str) -> None:
    """(login, role) users with `password`, hashed at argon2's lowest cost (tests only)."""
    book = Gradebook(db_url)
    accounts = Accounts(book.engine, hasher=FAST_HASHER)
    for login, role in people:
        accounts.upsert(login, name=login.capitalize(), role=role)
        accounts.set_password(login, password)
    book.close()


class Server:
    """`nlpgrade serve` on 127.0.0.1:<free port>; start() waits until it answers."""

    def __init__(self, tmp: Path, *, workers: int = 1, port: int | None = None) -> None:
        self.tmp, self.workers = tmp, workers
        self.port = port or free_port()
        self.db_url = f"sqlite:///{tmp / 'gradebook.db'}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = tmp / "server.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, *, timeout_s: float = 120.0) -> None:
        command = [sys.executable, "-m", "autograder.cli", "serve", "--course", str(REPO),
                   "--db", self.db_url, "--data", str(self.tmp / "data"), "--port",
                   str(self.port), "--workers", str(self.workers), "--warm", "masking",
                   "--fast-password-hashes"]
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT,
                                         cwd=self.tmp, start_new_session=True)
        deadline = time.monotonic() + timeout_s
        while True:
            assert self.proc.poll() is None, self.log.read_text()[-3000:]
            try:
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "the server did not answer in time"
            time.sleep(0.1)  # polling the port: the condition is the answer, not a time

    def kill(self) -> None:
        """SIGKILL the server (its grading workers die with it: PR_SET_PDEATHSIG)."""
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
