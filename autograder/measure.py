"""Complexity from outside: what a call cost, as the kernel counts it, and how costs grow.

`measure(fn, ...)` runs a student's call and reads, from the fork server and never from the
student's process, the CPU time of every process of the submission during the call and the
peak resident memory the call added (autograder/sandbox/inside/usage.py). For a local callable
(the reference) the same counters of the grader's own process are read.

`assert_grows_linearly` decides O(n) against O(n²) from costs at n, 2n and 4n. It compares the
*increments* d1 = c(2n) − c(n) and d2 = c(4n) − c(2n): d2/d1 is 2 for linear work and 4 for
quadratic work, whatever fixed cost each call has (it cancels, so padding every call with busy
work hides nothing), and the limit 3 leaves about ±40 % for noise on either side. Growth below
`floor` (d2 < floor) is too small to judge and passes: tests choose sizes at which quadratic
work costs far more than the floor. Each cost is the minimum over `repeat` runs, which removes
most interference from other processes (CPU time, unlike wall time, is not inflated by load,
but cache effects remain).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

LINEAR_LIMIT = 3.0


@dataclass
class Measured:
    """One call and its cost. A number is None when the kernel could not tell."""

    result: Any
    cpu_s: float | None
    peak_bytes: int | None


def measure(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Measured:
    """Call `fn` and measure it from outside the student's process (see the module doc)."""
    from autograder.proxy import RemoteObject

    if isinstance(fn, RemoteObject):
        measured: Measured = fn._measure(args, kwargs)
        return measured
    from autograder.sandbox.inside import usage

    me = os.getpid()
    before = usage.usage(me, reset=True)
    started = time.process_time()
    result = fn(*args, **kwargs)
    cpu = time.process_time() - started
    after = usage.usage(me)
    peak = max(0, after["hwm"] - before["rss"]) if before["reset_ok"] else None
    return Measured(result=result, cpu_s=cpu, peak_bytes=peak)


def cheapest(calls: Sequence[Measured]) -> tuple[float | None, int | None]:
    """(the least CPU time, the least peak memory) over repeated runs of one call."""
    cpus = [c.cpu_s for c in calls if c.cpu_s is not None]
    peaks = [c.peak_bytes for c in calls if c.peak_bytes is not None]
    return (min(cpus) if cpus else None, min(peaks) if peaks else None)


def growth(costs: Mapping[int, float]) -> tuple[float, float]:
    """(d1, d2) for costs at exactly three sizes n, 2n, 4n."""
    sizes = sorted(costs)
    if len(sizes) != 3 or sizes[1] != 2 * sizes[0] or sizes[2] != 4 * sizes[0]:
        raise ValueError(f"need costs at n, 2n and 4n, got sizes {sizes}")
    c1, c2, c4 = (costs[n] for n in sizes)
    return c2 - c1, c4 - c2


def assert_grows_linearly(what: str, costs: Mapping[int, float | None], *, floor: float,
                          unit: str, variable: str = "n", hint: str = "",
                          limit: float = LINEAR_LIMIT) -> None:
    """Fail, with a message that teaches, when `costs` grow faster than linearly."""
    known = {n: c for n, c in costs.items() if c is not None}
    if len(known) != len(costs):
        # No /proc here: the rule cannot be judged, so no points ride on it (the test is
        # skipped, worth 0 of 0, with the reason).
        import pytest

        pytest.skip(f"{what}: this machine's kernel accounting (/proc) could not be read, so "
                    "growth was not measured")
    d1, d2 = growth(known)
    if d2 < floor:
        return
    ratio = d2 / max(d1, floor / 4)
    if ratio <= limit:
        return
    n1, n2, n4 = sorted(known)
    shown = ", ".join(f"{variable} = {n}: {_fmt(known[n], unit)}" for n in (n1, n2, n4))
    raise AssertionError(
        f"{what}: {shown}. Going from {variable} = {n2} to {n4} added {_fmt(d2, unit)}, "
        f"{ratio:.1f} times what going from {n1} to {n2} added ({_fmt(d1, unit)}); linear "
        f"growth adds about 2 times as much, quadratic 4 times (the limit is {limit:g}). "
        f"Measured by the kernel, outside your process.{' Hint: ' + hint if hint else ''}")


def _fmt(value: float, unit: str) -> str:
    if unit == "s":
        return f"{value * 1000:.1f} ms CPU"
    if unit == "bytes":
        return f"{value / 2**20:.1f} MiB"
    return f"{value:.3g} {unit}"
