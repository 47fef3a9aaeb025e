"""Complexity points rest on what the kernel counts, read from outside (issue 13, item 2).

The toy `growth` assignment asks for an O(n) function and checks it with
`autograder.measure`: CPU time and peak memory of the submission's processes at n, 2n, 4n,
read by the fork server. Quadratic work is caught however it is hidden: in the call, behind
a fixed busy loop in every call (the increments cancel it), in a forked child (its CPU time
reaches the parent when reaped), or as an n×n table that is never used.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import REPO, grade_by_cli

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
    report = grade_by_cli(toy_course, "growth", "growth.py", STUDENTS, tmp_path)
    got = {s["student"]: s for s in report["submissions"]}
    assert got["linear"]["score"] == 2
    for student in ("quadratic", "padded", "in_a_child", "table"):
        lost = {t["name"]: t for t in got[student]["tests"] if t["status"] != "passed"}
        assert list(lost) == ["test_work_grows_linearly"], (student, lost)
        message = lost["test_work_grows_linearly"]["output"]
        assert "Measured by the kernel" in message, message
        assert ("peak memory" if student == "table" else "CPU time") in message, message


TAMPER = '''

# --- the attack of issue 13: O(n²) work, and the jail's probe patched to report tiny numbers
import sys as _sys

_probes = _sys.modules.get("probes")
if _probes is not None:
    def _fake(fn, args, kwargs):
        report = _probes.ProbeReport()
        report.result = fn(*args, **kwargs)
        report.flops, report.max_numel, report.max_shape, report.peak_bytes = 1, 1, (1,), 1
        return report
    _probes.run_probed = _fake


def attention_from_svd(U, S, Vh, V):
    return (U @ torch.diag_embed(S) @ Vh) @ V  # the n×n matrix, on purpose
'''


def test_patched_probes_do_not_buy_complexity_points(tmp_path: Path) -> None:
    """Patching the jail's probe module lifted an O(n²) linear_attention to full marks; the
    points now rest on the kernel's numbers, which the student's process cannot change."""
    reference = (REPO / "solutions/linear_attention/linear_attention.py").read_text()
    honest = "\n".join(line for line in reference.splitlines() if "### " not in line)
    report = grade_by_cli(REPO, "linear_attention", "linear_attention.py",
                          {"honest": honest, "tampers": honest + TAMPER}, tmp_path)
    got = {s["student"]: s for s in report["submissions"]}
    assert got["honest"]["score"] == got["honest"]["max_score"]
    lost = {t["name"]: t["output"] for t in got["tampers"]["tests"] if t["status"] != "passed"}
    assert set(lost) == {"test_attention_from_svd_work_grows_linearly_in_n",
                         "test_attention_from_svd_largest_intermediate_is_below_n_squared"}
    assert all("Measured by the kernel" in message for message in lost.values())
