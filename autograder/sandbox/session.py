"""One submission's sandbox, seen from the grader: requests with deadlines, output capture,
crash diagnosis, and restart after a crash.

Everything read from the sandbox goes through `wire`'s validating decoder. Every wait has a
deadline, every pipe is drained while waiting, and any breach (time, output, size, protocol)
kills all of the submission's processes before the grader goes on.
"""

from __future__ import annotations

import os
import select
import signal
import time
from collections.abc import Callable, Sequence
from typing import Any

from autograder import wire
from autograder.sandbox.errors import (
    ProtocolViolation,
    SandboxCrashed,
    SandboxTimeout,
    StudentError,
)
from autograder.sandbox.limits import Limits
from autograder.sandbox.zygote_client import Child, Zygote


class ImportFailed(StudentError):
    """The student's module raised (or hung, or died) while being imported."""


class _Died(Exception):
    pass


SIGNAL_HINTS = {
    signal.SIGSEGV: "a segmentation fault (invalid memory access, e.g. through ctypes)",
    signal.SIGABRT: "an abort (a failed C-level assertion)",
    signal.SIGKILL: "SIGKILL: out of memory, or a limit was exceeded",
    signal.SIGXCPU: "the CPU-time limit",
    signal.SIGXFSZ: "writing a file larger than the file-size limit",
    signal.SIGBUS: "a bus error",
    signal.SIGFPE: "a floating-point exception",
}


def describe_status(status: dict[str, Any]) -> str:
    if "signal" in status or status.get("exit", 0) >= 128:
        signum = status.get("signal") or status["exit"] - 128
        try:
            name = signal.Signals(signum).name
        except ValueError:
            name = f"signal {signum}"
        return f"the sandbox process was killed by {name}: {SIGNAL_HINTS.get(signum, name)}"
    if "exit" in status:
        code = status["exit"]
        if code == 0:
            return ("the sandbox process exited (status 0) before replying: did your code call "
                    "os._exit() or close its output? Return values instead")
        return f"the sandbox process exited with status {code} before replying"
    if status.get("running"):
        return ("the sandbox closed its connection to the grader (did your code close file "
                "descriptors or stdout?), so it was stopped")
    return "the sandbox process disappeared"


class SandboxSession:
    """The sandbox of one submission. Restartable; handles die with their generation."""

    def __init__(self, zygote: Zygote, *, files: dict[str, str], imports: list[str],
                 limits: Limits, seed: int, device: str, cap_processes: bool,
                 must_import: Sequence[str] | None = None) -> None:
        self.zygote = zygote
        self.files = files
        self.imports = imports
        # Modules whose import error makes start() raise ImportFailed (default: all of them).
        # The others that fail are left out and listed in `import_errors`.
        self.must_import = list(imports if must_import is None else must_import)
        self.import_errors: dict[str, ImportFailed] = {}
        self.limits = limits
        self.seed = seed
        self.device = device
        self.cap_processes = cap_processes
        self.wire_limits = wire.WireLimits(max_payload_bytes=limits.max_return_mb << 20)
        self.deadline = time.monotonic() + limits.submission_timeout_s
        self.child: Child | None = None
        self.generation = 0
        self.modules: dict[str, int] = {}
        self.missing_isolation: list[str] = []
        self.output = bytearray()
        self.output_total = 0
        self.restarts = 0
        self._inbuf = bytearray()

    # --- lifecycle ----------------------------------------------------------------------------
    def start(self) -> None:
        """Spawn and import the modules, each on its own. Raises ImportFailed when one of
        `must_import` fails, or the import hangs or crashes; SandboxTimeout/Crashed."""
        self.zygote.ensure_ready()
        self.generation += 1
        self._inbuf.clear()
        self.child = self.zygote.spawn({
            "rlimits": self.limits.rlimits(cap_processes=self.cap_processes),
            "tmp_mb": self.limits.tmp_mb,
            "device": self.device,
        })
        self.missing_isolation = list(self.child.missing)  # from the jail, not the student
        timeout = min(self.limits.import_timeout_s, self._budget_left())
        try:
            self._send("load", self.files, timeout, on_object=_refuse, seed=self.seed,
                       **{"import": self.imports})
            header, _ = self._receive(timeout, on_handle=_no_handle)
        except SandboxTimeout:
            raise ImportFailed(
                "TimeoutError",
                f"importing your code took longer than {timeout:.0f} s: is there an infinite "
                "loop, a sleep or heavy work at module level? Move it into a function",
                "") from None
        except SandboxCrashed as err:
            raise ImportFailed("Crash", f"while importing your code, {err}", "") from None
        if header["op"] == "import_error":
            self.kill()
            raise ImportFailed(str(header.get("type", "Error")), str(header.get("message", "")),
                               str(header.get("traceback", "")),
                               call=f"importing {header.get('module', 'your module')}",
                               missing_module=str(header.get("name") or "")[:200])
        if header["op"] != "ready":
            self.kill()
            raise ProtocolViolation(f"unexpected reply {header['op']!r} to the import")
        self.modules, self.import_errors = _loaded(header, self.imports)
        for name in self.must_import:
            if name in self.import_errors:
                self.kill()
                raise self.import_errors[name]

    def alive(self) -> bool:
        return self.child is not None

    def restart(self) -> None:
        """Start again after a crash or timeout. The time this takes counts against the
        submission's budget: most of it is the student's own import, and an import that
        sleeps just under its limit must not buy unlimited restarts."""
        self.restarts += 1
        self.start()

    def kill(self) -> dict[str, Any]:
        """Kill every process of this submission; returns the child's exit status."""
        if self.child is None:
            return {}
        child, self.child = self.child, None
        began = time.monotonic()
        try:
            self.zygote.sweep()
            status = self.zygote.wait(child.pid, timeout_s=2.0)
        finally:
            self._drain_output(child)
            child.close_fds()
            self.deadline += time.monotonic() - began  # killing is the grader's time
        return status

    def close(self) -> None:
        """End the submission: ask politely, then kill whatever is left."""
        if self.child is not None:
            try:
                self._send("exit", None, 1.0, on_object=_refuse)
                self._receive(1.0, on_handle=_no_handle)
            except Exception:
                pass
            self.kill()

    def stdout_text(self) -> str:
        text = self.output.decode("utf-8", errors="replace")
        if self.output_total > len(self.output):
            text += f"\n[... {self.output_total - len(self.output)} more bytes not kept]"
        return text

    # --- requests -----------------------------------------------------------------------------
    def request(self, op: str, value: Any = None, *, on_object: Callable[[Any], dict[str, Any]],
                on_handle: Callable[[int, str], Any],
                on_expr: Callable[[str, list[Any]], Any] | None = None,
                what: str = "your code", **meta: Any) -> tuple[dict[str, Any], Any]:
        """Send one request and return (header, value). Raises the errors of errors.py."""
        if self.child is None:
            raise SandboxCrashed("the sandbox is not running (it crashed earlier)")
        timeout = min(self.limits.call_timeout_s, self._budget_left())
        if timeout <= 0:
            self.kill()
            raise SandboxTimeout(
                f"the submission's time budget of {self.limits.submission_timeout_s:.0f} s is "
                "used up")
        try:
            self._send(op, value, timeout, on_object=on_object, **meta)
            header, reply = self._receive(timeout, on_handle=on_handle,
                                          on_expr=on_expr or _expr_text)
        except SandboxTimeout:
            raise SandboxTimeout(f"{what} did not finish within {timeout:.0f} s (an infinite "
                                 "loop, or far too much work?)") from None
        if header["op"] == "error":
            raise StudentError(str(header.get("type", "Error")), str(header.get("message", "")),
                               str(header.get("traceback", "")), call=what,
                               missing_module=str(header.get("name") or "")[:200])
        if header["op"] != "ok":
            self.kill()
            raise ProtocolViolation(f"unexpected reply {header['op']!r}")
        return header, reply

    # --- plumbing -----------------------------------------------------------------------------
    def _budget_left(self) -> float:
        return self.deadline - time.monotonic()

    def _send(self, op: str, value: Any, timeout: float, *,
              on_object: Callable[[Any], dict[str, Any]], **meta: Any) -> None:
        assert self.child is not None
        pieces = wire.encode_message(op, value, on_object=on_object, **meta)
        deadline = time.monotonic() + timeout
        child = self.child
        os.set_blocking(child.req_w, False)
        for piece in pieces:
            mv = memoryview(piece).cast("B")
            while len(mv):
                self._wait(deadline, write=True)
                try:
                    mv = mv[os.write(child.req_w, mv):]
                except BlockingIOError:
                    continue
                except BrokenPipeError:
                    self._died()

    def _receive(self, timeout: float, *, on_handle: Callable[[int, str], Any],
                 on_expr: Callable[[str, list[Any]], Any] = lambda t, s: t,
                 ) -> tuple[dict[str, Any], Any]:
        deadline = time.monotonic() + timeout
        try:
            (length,) = wire.HEADER_LEN.unpack(self._read(wire.HEADER_LEN.size, deadline))
            if length > self.wire_limits.max_header_bytes:
                raise wire.WireError(f"a reply header of {length} bytes")
            header = wire.parse_header(bytes(self._read(length, deadline)), self.wire_limits)
            buffers = [self._read(n, deadline) for n in header["buffers"]]
            value = wire.decode_message(header, buffers, self.wire_limits, on_handle=on_handle,
                                        on_expr=on_expr)
        except wire.WireError as err:
            self.kill()
            raise ProtocolViolation(f"the sandbox sent something the grader refuses: {err}. "
                                    "Return plain tensors, numbers, strings and containers"
                                    ) from None
        return header, value

    def _wait(self, deadline: float, *, write: bool = False) -> None:
        """Block until the request pipe is ready, draining output; kill on timeout."""
        assert self.child is not None
        child = self.child
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                self.kill()
                raise SandboxTimeout("timeout")
            fds = [child.out_r] if child.out_r >= 0 else []
            watch_r = fds + ([] if write else [child.resp_r])
            readable, writable, _ = select.select(watch_r, [child.req_w] if write else [], [],
                                                  min(left, 1.0))
            if child.out_r in readable:
                self._pump_output(child)
            if write and writable:
                return
            if not write and child.resp_r in readable:
                return

    def _read(self, n: int, deadline: float) -> bytearray:
        while len(self._inbuf) < n:
            self._wait(deadline)
            assert self.child is not None
            chunk = os.read(self.child.resp_r, max(n - len(self._inbuf), 1 << 16))
            if not chunk:
                self._died()
            self._inbuf += chunk
        data = self._inbuf[:n]
        del self._inbuf[:n]
        return data

    def _pump_output(self, child: Child) -> None:
        try:
            chunk = os.read(child.out_r, 1 << 16)
        except BlockingIOError:
            return
        if not chunk:
            os.close(child.out_r)
            child.out_r = -1
            return
        self.output_total += len(chunk)
        keep = (self.limits.keep_output_kb << 10) - len(self.output)
        if keep > 0:
            self.output += chunk[:keep]
        if self.output_total > self.limits.output_kb << 10:
            self.kill()
            raise SandboxCrashed(f"your code printed more than {self.limits.output_kb} KB, so "
                                 "the sandbox was stopped: remove debug prints and loops that "
                                 "print")

    def _drain_output(self, child: Child) -> None:
        while child.out_r >= 0:
            r, _, _ = select.select([child.out_r], [], [], 0)
            if not r:
                break
            try:
                chunk = os.read(child.out_r, 1 << 16)
            except (BlockingIOError, OSError):
                break
            if not chunk:
                break
            self.output_total += len(chunk)
            keep = (self.limits.keep_output_kb << 10) - len(self.output)
            if keep > 0:
                self.output += chunk[:keep]

    def _died(self) -> None:
        assert self.child is not None
        child = self.child
        status = self.zygote.wait(child.pid, timeout_s=1.0)
        self.kill()
        raise SandboxCrashed(describe_status(status))


def _loaded(header: dict[str, Any], names: list[str]
            ) -> tuple[dict[str, int], dict[str, ImportFailed]]:
    """(name -> handle, name -> its import error) from the sandbox's `ready` reply. The reply
    comes from the student's process: only the names asked for count, every field is checked
    and capped, and a name the reply does not account for failed."""
    handles = header.get("modules")
    failed = header.get("failed")
    handles = handles if isinstance(handles, dict) else {}
    failed = failed if isinstance(failed, dict) else {}
    modules: dict[str, int] = {}
    errors: dict[str, ImportFailed] = {}
    for name in names:
        hid = handles.get(name)
        if isinstance(hid, int) and not isinstance(hid, bool) and name not in failed:
            modules[name] = hid
            continue
        err = failed.get(name)
        err = err if isinstance(err, dict) else {}
        errors[name] = ImportFailed(
            str(err.get("type") or "ImportError")[:200],
            str(err.get("message") or "the module did not load")[:4000],
            str(err.get("traceback") or "")[-6000:], call=f"importing {name}.py",
            missing_module=str(err.get("name") or "")[:200])
    return modules, errors


def _refuse(obj: Any) -> dict[str, Any]:
    raise TypeError(f"cannot send a {type(obj).__name__} into the sandbox: only data crosses")


def _no_handle(hid: int, type_name: str) -> Any:
    raise wire.WireError("unexpected handle")


def _expr_text(text: str, symbols: list[Any]) -> wire.ExpressionText:
    return wire.ExpressionText(text)
