"""Grading rules enforced from outside the student's process (issue 13, item 1).

"By hand" used to be a source scan plus a call into the student's own process, which a
student could switch back (`getattr(torch, "enable_" + "grad")`). Now an assignment can
declare the only packages its sandbox shows (`packages: [numpy]`): torch and its autograd do
not exist there, so no spelling reaches them, and nothing the student's process says matters.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import grade_by_cli

pytestmark = pytest.mark.security

HONEST = '''
import numpy as np


def gradient(X, w, y):
    return X.T @ (X @ w - y)
'''
STUDENTS = {
    "honest": HONEST,
    "imports_torch": "import torch\n" + HONEST,
    "spells_it_out": '''
def gradient(X, w, y):
    t = __import__("to" + "rch")
    getattr(t, "enable_" + "grad")().__enter__()
    w = t.tensor(w, requires_grad=True)
    (0.5 * ((t.tensor(X) @ w - t.tensor(y)) ** 2).sum()).backward()
    return w.grad.numpy()
''',
    "looks_for_the_files": '''
import glob, sys
FOUND = [p for d in sys.path for p in glob.glob(d + "/torch*") + glob.glob(d + "/functorch*")]


def gradient(X, w, y):
    if FOUND:
        raise RuntimeError(f"found {FOUND}")
    return X.T @ (X @ w - y)
''',
}


def test_an_assignment_without_torch_in_its_sandbox_cannot_use_autograd(toy_course: Path,
                                                                         tmp_path: Path) -> None:
    data = grade_by_cli(toy_course, "by_hand", "by_hand.py", STUDENTS, tmp_path)
    got = {s["student"]: s for s in data["submissions"]}
    assert "packages(numpy)" in data["isolation"]
    assert got["honest"]["score"] == 3  # tensors arrive as arrays, arrays come back
    assert got["imports_torch"]["status"] == "import_error"
    assert "torch is not available in this assignment" in got["imports_torch"]["message"]
    assert got["spells_it_out"]["score"] == 0
    assert all("No module named 'torch'" in t["output"] for t in got["spells_it_out"]["tests"])
    assert got["looks_for_the_files"]["score"] == 3  # no torch file anywhere on its path
    assert all(s["status"] != "grader_error" for s in got.values())
