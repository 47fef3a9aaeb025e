"""Grading rules enforced from outside the student's process (issue 13, item 1).

"By hand" used to be a source scan plus a call into the student's own process, which a
student could switch back (`getattr(torch, "enable_" + "grad")`). Now an assignment can
declare the only packages its sandbox shows (`packages: [numpy]`): torch and its autograd do
not exist there, so no spelling reaches them, and nothing the student's process says matters.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

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
    subs = tmp_path / "subs"
    for student, source in STUDENTS.items():
        (subs / student).mkdir(parents=True)
        (subs / student / "by_hand.py").write_text(source)
    report = tmp_path / "r.json"
    proc = subprocess.run([sys.executable, "-m", "autograder.cli", "grade", "by_hand", str(subs),
                           "--course", str(toy_course), "--json", str(report), "--db",
                           f"sqlite:///{tmp_path / 'gb.db'}"],
                          capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:]
    data = json.loads(report.read_text())
    got = {s["student"]: s for s in data["submissions"]}
    assert "packages(numpy)" in data["isolation"]
    assert got["honest"]["score"] == 3  # tensors arrive as arrays, arrays come back
    assert got["imports_torch"]["status"] == "import_error"
    assert "torch is not available in this assignment" in got["imports_torch"]["message"]
    assert got["spells_it_out"]["score"] == 0
    assert all("No module named 'torch'" in t["output"] for t in got["spells_it_out"]["tests"])
    assert got["looks_for_the_files"]["score"] == 3  # no torch file anywhere on its path
    assert all(s["status"] != "grader_error" for s in got.values())
