"""Whether two sympy expressions are equal, decided within a time limit that really holds.

Two checks run in a forked child process: numeric spot checks at random points that respect
each symbol's assumptions (a positive symbol gets positive values), evaluated at 30 digits,
and `sympy.simplify` of the difference. The parent kills the child with SIGKILL when
`timeout_s` runs out. A signal handler could not do that reliably, because sympy can sit
inside one C-level big-integer operation that never returns to the interpreter.

Where fork is unavailable (not POSIX) or unsafe (other threads are running), the checks run
in-process: simplify is interrupted by `signal.setitimer` on the main thread, and skipped
off the main thread, where the verdict rests on the numeric checks alone.

The public entry point is `autograder.expr.equivalent`, re-exported from here.
"""

from __future__ import annotations

import os
import random
import select
import signal
import threading
import time
from typing import Any

import mpmath
import sympy

_NUMERIC_PRECISION = 30  # decimal digits of the spot checks
_RELATIVE_TOLERANCE = 1e-9


def equivalent(
    a: sympy.Expr, b: sympy.Expr, *, timeout_s: float = 2.0, numeric_checks: int = 8
) -> bool:
    """True when `a` and `b` are the same function of their symbols.

    Equal when simplify(a - b) is 0, or when both agree at `numeric_checks` random points
    that respect the symbols' assumptions. A point where both are defined and they differ
    makes them different unless simplify proves the difference is zero within `timeout_s`.
    """
    if a - b == 0:  # the same after sympy's automatic canonical form
        return True
    if _can_fork():
        verdicts = _in_child(a, b, numeric_checks, timeout_s)
    else:
        verdicts = _in_process(a, b, numeric_checks, timeout_s)
    if verdicts.get("simplify") == "zero":
        return True
    return verdicts.get("numeric") == "equal"


def _numeric_verdict(a: sympy.Expr, b: sympy.Expr, checks: int) -> str:
    """'equal', 'different' or 'unknown' (too few points where both are defined)."""
    symbols = sorted(a.free_symbols | b.free_symbols, key=lambda s: s.name)
    rng = random.Random(20240917)  # fixed: the same question always gets the same points
    valid = 0
    for _ in range(4 * checks):
        point = {s: sympy.Float(_sample(s, rng), _NUMERIC_PRECISION) for s in symbols}
        va = _value(a, point)
        vb = _value(b, point)
        if va is None or vb is None:
            continue
        scale = max(mpmath.mpf(1), abs(va), abs(vb))
        if abs(va - vb) > _RELATIVE_TOLERANCE * scale:
            return "different"
        valid += 1
        if valid >= checks:
            return "equal"
    return "equal" if valid >= max(1, checks // 2) else "unknown"


def _value(e: sympy.Expr, point: dict[sympy.Symbol, sympy.Float]) -> Any:
    """The value of `e` at `point` as an mpmath number (no float overflow), or None where
    it is undefined."""
    try:
        v = e.evalf(_NUMERIC_PRECISION, subs=point)
        if not v.is_number or v.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
            return None
        z = v._to_mpmath(_NUMERIC_PRECISION * 4)
    except (TypeError, ValueError, AttributeError, ZeroDivisionError, ArithmeticError):
        return None
    if mpmath.isnan(z) or mpmath.isinf(z):
        return None
    return z


def _sample(s: sympy.Symbol, rng: random.Random) -> float:
    """A value that the symbol's assumptions allow: positive symbols get positive values."""
    if s.is_integer:
        if s.is_positive:
            return rng.randint(1, 12)
        if s.is_nonnegative:
            return rng.randint(0, 12)
        if s.is_negative:
            return -rng.randint(1, 12)
        if s.is_nonpositive:
            return -rng.randint(0, 12)
        value = rng.randint(-12, 12)
        return value if value != 0 or not s.is_nonzero else 1
    magnitude = 10 ** rng.uniform(-1.0, 0.7)  # 0.1 .. 5, spread over decades
    if s.is_positive or s.is_nonnegative:
        return magnitude
    if s.is_negative or s.is_nonpositive:
        return -magnitude
    return magnitude if rng.random() < 0.5 else -magnitude


def _simplify_verdict(a: sympy.Expr, b: sympy.Expr) -> str:
    return "zero" if sympy.simplify(a - b) == 0 else "nonzero"


def _can_fork() -> bool:
    return hasattr(os, "fork") and threading.active_count() == 1


def _in_child(a: sympy.Expr, b: sympy.Expr, checks: int, timeout_s: float) -> dict[str, str]:
    """Run both checks in a forked child; SIGKILL it when the time is up.

    The child writes `numeric=<verdict>` and then `simplify=<verdict>`, one line each. The
    parent stops reading as soon as the answer is settled.
    """
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: never returns, never runs the parent's cleanup
        code = 0
        try:
            os.close(read_fd)
            numeric = _numeric_verdict(a, b, checks)
            os.write(write_fd, f"numeric={numeric}\n".encode())
            if numeric != "equal":
                os.write(write_fd, f"simplify={_simplify_verdict(a, b)}\n".encode())
        except BaseException:
            code = 1
        finally:
            os._exit(code)
    os.close(write_fd)
    verdicts: dict[str, str] = {}
    buffer = b""
    deadline = time.monotonic() + timeout_s
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            ready, _, _ = select.select([read_fd], [], [], left)
            if not ready:
                break
            chunk = os.read(read_fd, 4096)
            if not chunk:
                break  # child finished (or died)
            buffer += chunk
            for line in buffer.decode().splitlines():
                key, _, value = line.partition("=")
                verdicts[key] = value
            if verdicts.get("numeric") == "equal" or "simplify" in verdicts:
                break
    finally:
        os.close(read_fd)
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        os.waitpid(pid, 0)
    return verdicts


class _Timeout(Exception):
    pass


def _in_process(a: sympy.Expr, b: sympy.Expr, checks: int, timeout_s: float) -> dict[str, str]:
    """The fallback without fork: numeric checks, then simplify under an interval timer."""
    verdicts = {"numeric": _numeric_verdict(a, b, checks)}
    if verdicts["numeric"] == "equal":
        return verdicts
    if threading.current_thread() is not threading.main_thread() or not hasattr(
        signal, "setitimer"
    ):
        return verdicts  # no way to stop simplify: rely on the numeric checks

    def on_alarm(signum: int, frame: object) -> None:
        raise _Timeout

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, timeout_s)
    try:
        verdicts["simplify"] = _simplify_verdict(a, b)
    except _Timeout:
        pass
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    return verdicts
