"""Complexity points rest on what the kernel counts, read from outside (issue 13, item 2).

The toy `growth` assignment asks for an O(n) function and checks it with
`autograder.measure`: CPU time and peak memory of the submission's processes at n, 2n, 4n,
read by the fork server. Quadratic work is caught however it is hidden: in the call, behind
a fixed busy loop in every call (the increments cancel it), in a forked child (its CPU time
reaches the parent when reaped), or as an n×n table that is never used.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.security, pytest.mark.slow]

QUADRATIC = "float(sum(a + b for a in values for b in values))"
STUDENTS = {
    "linear": "def total_of_pair_sums(values):\n    return 2 * len(values) * sum(values)\n",
    "quadratic": f"def total_of_pair_sums(values):\n    return {QUADRATIC}\n",
    "padded": ("import time\n\ndef total_of_pair_sums(values):\n"
               "    end = time.process_time() + 0.5\n"
               "    while time.process_time() < end:\n        pass\n"
               f"    return {QUADRATIC}\n"),
    "in_a_child": ("import os\n\ndef total_of_pair_sums(values):\n    pid = os.fork()\n"
                   f"    if pid == 0:\n        {QUADRATIC}\n        os._exit(0)\n"
                   "    os.waitpid(pid, 0)\n    return 2 * len(values) * sum(values)\n"),
    "table": ("def total_of_pair_sums(values):\n"
              "    table = bytearray(len(values) * len(values) * 8)\n"
              "    return 2 * len(values) * sum(values) + 0 * len(table)\n"),
}


def test_quadratic_work_is_caught_from_outside_however_it_is_hidden(toy_course: Path,
                                                                      tmp_path: Path) -> None:
    subs = tmp_path / "subs"
    for student, source in STUDENTS.items():
        (subs / student).mkdir(parents=True)
        (subs / student / "growth.py").write_text(source)
    report = tmp_path / "r.json"
    proc = subprocess.run([sys.executable, "-m", "autograder.cli", "grade", "growth", str(subs),
                           "--course", str(toy_course), "--json", str(report), "--db",
                           f"sqlite:///{tmp_path / 'gb.db'}"],
                          capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:]
    got = {s["student"]: s for s in json.loads(report.read_text())["submissions"]}
    assert got["linear"]["score"] == 2
    for student in ("quadratic", "padded", "in_a_child", "table"):
        lost = {t["name"]: t for t in got[student]["tests"] if t["status"] != "passed"}
        assert list(lost) == ["test_work_grows_linearly"], (student, lost)
        message = lost["test_work_grows_linearly"]["output"]
        assert "Measured by the kernel" in message, message
        assert ("peak memory" if student == "table" else "CPU time") in message, message
