"""What can go wrong on the far side of the sandbox boundary, as grader-side exceptions.

Each maps to one test status: `StudentError` -> error, `SandboxTimeout` -> timeout, and
`SandboxCrashed` (and its subclasses) -> crashed. Messages are written for the student.
"""

from __future__ import annotations


class SandboxError(Exception):
    """Base class for everything the sandbox reports."""


class StudentError(SandboxError):
    """The student's code raised an exception. `traceback` is cut to the student's frames."""

    def __init__(self, type_name: str, message: str, traceback: str, *, call: str = "",
                 missing_module: str = "") -> None:
        self.type_name = type_name
        self.message = message
        self.traceback = traceback
        self.call = call
        # For ImportError: the module the student's process says it could not find. A claim,
        # not a fact: the grader checks it against the jail itself (plugin.jail_lacks).
        self.missing_module = missing_module
        where = f"{call} raised " if call else ""
        super().__init__(f"{where}{type_name}: {message}".rstrip(": "))

    def feedback(self) -> str:
        head = str(self)
        return f"{head}\n{self.traceback}".rstrip() if self.traceback else head


class SandboxTimeout(SandboxError):
    """A call (or the submission's budget) ran out of time; the sandbox was killed."""


class SandboxCrashed(SandboxError):
    """The sandboxed process died: a signal, out of memory, os._exit, an output flood..."""


class ProtocolViolation(SandboxCrashed):
    """The sandbox sent something the grader refuses: a bad header, a disallowed dtype,
    an oversized value. The sandbox is killed because the stream can no longer be trusted."""


class SandboxUnavailable(SandboxError):
    """The sandbox could not be started at all (an installation problem, not the student's)."""


class EnvironmentBroken(SandboxUnavailable):
    """The jail's Python cannot import what grading needs (torch, numpy, a preload): the
    grader's installation, not any student, is at fault."""

    def __init__(self, *, module: str, error: str, environment: str,
                 sys_path: list[str]) -> None:
        self.module = module
        self.error = error
        self.environment = environment
        self.sys_path = sys_path
        super().__init__(
            f"the sandbox cannot import {module!r} ({error}), although the grader runs in "
            f"{environment}. The jail showed it this path: {', '.join(sys_path[:8])}")
