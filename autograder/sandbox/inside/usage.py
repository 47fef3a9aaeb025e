"""What the kernel says a submission used: CPU time and peak memory, read from /proc.

Runs in the fork server (the zygote), never in the student's process: the numbers come from
the kernel's accounting of every process of the submission (its pid 1 and all descendants,
alive or not yet reaped; reaped ones through their parents' `cutime`/`cstime`), so nothing
the student's code does in its own process can change them. Used for complexity checks from
outside (`autograder.testing.measure`).

- CPU: per process, the larger of its threads' scheduler run time (`schedstat`, ns) and its
  `utime + stime` (clock ticks, which also hold threads that have exited), plus the time of
  its reaped children.
- Memory: before a measured call, `clear_refs` resets each process's peak (VmHWM) to its
  current resident size (VmRSS); after it, the peak above that is what the call needed.
  Memory of processes that have already exited is not seen (their CPU time is).
"""

from __future__ import annotations

import os
from typing import Any

TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _stat(pid: int) -> list[str] | None:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def processes(root: int) -> list[int]:
    """`root` and every process below it."""
    children: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            fields = _stat(int(name))
            if fields is not None:
                children.setdefault(int(fields[1]), []).append(int(name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        if pid not in found:
            found.append(pid)
            todo += children.get(pid, [])
    return found


def _threads_ns(pid: int) -> int:
    total = 0
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return 0
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                total += int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            pass
    return total


def _memory_kb(pid: int) -> tuple[int, int]:
    """(VmRSS, VmHWM) in kB; 0 for a process without memory (a zombie)."""
    rss = hwm = 0
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    rss = int(line.split()[1])
                elif line.startswith("VmHWM:"):
                    hwm = int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return rss, hwm


def reset_peaks(pids: list[int]) -> bool:
    """Make each process's peak resident size its current one; False if one refused."""
    ok = True
    for pid in pids:
        try:
            with open(f"/proc/{pid}/clear_refs", "w") as f:
                f.write("5")
        except OSError:
            ok = ok and not os.path.exists(f"/proc/{pid}/status")  # gone: nothing to reset
    return ok


def usage(root: int, *, reset: bool = False) -> dict[str, Any]:
    """The submission's CPU seconds so far, resident and peak bytes, and process count."""
    pids = processes(root)
    reset_ok = reset_peaks(pids) if reset else True
    cpu = 0.0
    rss = hwm = 0
    for pid in pids:
        fields = _stat(pid)
        if fields is None:
            continue
        ticks = (int(fields[11]) + int(fields[12])) / TICK
        children = (int(fields[13]) + int(fields[14])) / TICK
        cpu += max(_threads_ns(pid) / 1e9, ticks) + children
        r, h = _memory_kb(pid)
        rss += r
        hwm += h
    return {"cpu_s": cpu, "rss": rss * 1024, "hwm": hwm * 1024, "processes": len(pids),
            "reset_ok": reset_ok}
