"""Grader side of the fork server: start the jailed zygote, ask it to spawn and kill.

The zygote pays the torch import once per worker; each submission then costs a fork.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any

from autograder.sandbox.errors import EnvironmentBroken, SandboxCrashed, SandboxUnavailable
from autograder.sandbox.isolation import Jail


@dataclass
class Child:
    """One spawned submission process: its pipes, as seen from the grader."""

    pid: int
    gpid: int | None
    req_w: int
    resp_r: int
    out_r: int
    missing: list[str] = field(default_factory=list)  # isolation the jail could not set up

    def close_fds(self) -> None:
        for fd in (self.req_w, self.resp_r, self.out_r):
            try:
                os.close(fd)
            except OSError:
                pass


class Zygote:
    """A jailed fork server. Start it early; `ensure_ready` waits for its torch import."""

    def __init__(self, jail: Jail, *, preload: list[str] | None = None, torch: bool = True,
                 start_timeout_s: float = 180.0) -> None:
        self.jail = jail
        self.preload = list(preload or [])
        self.torch = torch  # False: a numpy-only assignment (the zygote never imports it)
        self.start_timeout_s = start_timeout_s
        self.proc: subprocess.Popen[bytes] | None = None
        self.ctl: socket.socket | None = None
        self.info: dict[str, Any] = {}
        self.log = tempfile.TemporaryFile(prefix="nlpgrade-zygote-")
        self.started_at = 0.0

    # --- lifecycle ----------------------------------------------------------------------------
    def start(self) -> None:
        self.ctl, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        fd = theirs.fileno()
        self.started_at = time.monotonic()
        data = [os.open(src, os.O_RDONLY | os.O_CLOEXEC) for src, _ in self.jail.data_files]
        try:
            self.proc = subprocess.Popen(
                [*self.jail.argv(data), str(fd)], pass_fds=(fd, *data), env=self.jail.env,
                stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log,
                cwd=self.jail.cwd, start_new_session=True)
        finally:
            for descriptor in data:
                os.close(descriptor)
        theirs.close()
        config = {"uid": self.jail.uid, "gid": self.jail.gid, "preload": self.preload,
                  "own_pid_namespace": self.jail.own_pid_namespace,
                  "python": self.jail.python.zygote_config(), "torch": self.torch}
        self.ctl.send(json.dumps(config).encode())
        self.info = {}

    def _log_tail(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-3000:]

    def ensure_ready(self) -> None:
        """Start the zygote if needed and wait until it has imported torch."""
        if self.proc is None or self.proc.poll() is not None:
            if self.proc is not None:
                self.close()
            self.start()
        if self.info:
            return
        assert self.ctl is not None
        left = self.start_timeout_s - (time.monotonic() - self.started_at)
        self.ctl.settimeout(max(left, 0.1))
        try:
            msg = self.ctl.recv(1 << 16)
        except (TimeoutError, OSError) as err:
            raise SandboxUnavailable(
                f"the sandbox did not start within {self.start_timeout_s:.0f} s ({err}).\n"
                f"{self._log_tail()}") from None
        if not msg:
            raise SandboxUnavailable(
                "the sandbox exited while starting (isolation level "
                f"{self.jail.level}). Its output:\n{self._log_tail()}")
        info = json.loads(msg)
        if info.get("op") == "broken":
            self.close()
            raise EnvironmentBroken(module=str(info.get("module", "?")),
                                    error=str(info.get("error", "")),
                                    environment=self.jail.python.description,
                                    sys_path=[str(p) for p in info.get("sys_path", [])])
        self.info = info

    def _ask(self, request: dict[str, Any], fds: list[int] | None = None,
             timeout_s: float = 30.0) -> dict[str, Any]:
        self.ensure_ready()
        assert self.ctl is not None
        self.ctl.settimeout(timeout_s)
        try:
            if fds:
                socket.send_fds(self.ctl, [json.dumps(request).encode()], fds)
            else:
                self.ctl.send(json.dumps(request).encode())
            reply = self.ctl.recv(1 << 16)
        except (TimeoutError, OSError) as err:
            self.close()
            raise SandboxUnavailable(f"the sandbox's fork server stopped answering ({err}); "
                                     "it will be restarted") from None
        if not reply:
            self.close()
            raise SandboxUnavailable(f"the sandbox's fork server died:\n{self._log_tail()}")
        result: dict[str, Any] = json.loads(reply)
        return result

    # --- requests -----------------------------------------------------------------------------
    def spawn(self, request: dict[str, Any]) -> Child:
        req_r, req_w = os.pipe()
        resp_r, resp_w = os.pipe()
        out_r, out_w = os.pipe()
        try:
            reply = self._ask({"op": "spawn", **request}, [req_r, resp_w, out_w])
        finally:
            for fd in (req_r, resp_w, out_w):
                os.close(fd)
        if reply.get("op") != "spawned":
            for fd in (req_w, resp_r, out_r):
                os.close(fd)
            raise SandboxCrashed(f"the sandbox could not start: {reply.get('error', reply)}")
        os.set_blocking(out_r, False)
        return Child(pid=reply["pid"], gpid=reply.get("gpid"), req_w=req_w, resp_r=resp_r,
                     out_r=out_r, missing=[str(m) for m in reply.get("missing", [])])

    def wait(self, pid: int, timeout_s: float = 2.0) -> dict[str, Any]:
        return self._ask({"op": "wait", "pid": pid, "timeout_s": timeout_s},
                         timeout_s=timeout_s + 10)

    def find(self, names: list[str]) -> dict[str, bool]:
        """Which of these top-level packages the jail's environment has (nothing runs)."""
        return {str(k): bool(v) for k, v in self._ask({"op": "find", "names": names})
                ["found"].items()}

    def usage(self, root: int, *, reset: bool = False) -> dict[str, Any]:
        """The kernel's account of the submission whose pid 1 is `root` (see usage.py)."""
        reply = self._ask({"op": "usage", "root": root, "reset": reset})
        return {k: reply[k] for k in ("cpu_s", "rss", "hwm", "processes", "reset_ok")}

    def sweep(self) -> int:
        """Kill every process in the jail but the zygote."""
        return int(self._ask({"op": "sweep"})["killed"])

    def close(self) -> None:
        if self.ctl is not None:
            try:
                self.ctl.settimeout(2)
                self.ctl.send(json.dumps({"op": "exit"}).encode())
            except OSError:
                pass
            self.ctl.close()
            self.ctl = None
        if self.proc is not None:
            if self.proc.poll() is None:
                try:
                    os.killpg(self.proc.pid, 9)
                except (ProcessLookupError, PermissionError):
                    self.proc.kill()
            self.proc.wait()
            self.proc = None
        self.info = {}
