"""README command 1: `nlpgrade demo` grades the bundled examples and explains each score."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from autograder.course import load_assignment


@pytest.mark.slow
def test_demo_grades_every_example_student_with_a_reason(repo, tmp_path):
    course = tmp_path / "course"
    for part in ("assignments", "solutions", "examples"):
        shutil.copytree(repo / part, course / part)
    proc = subprocess.run([sys.executable, "-m", "autograder.cli", "demo", "--course",
                           str(course), "masking"], capture_output=True, text=True,
                          timeout=600, env={**os.environ, "COLUMNS": "160"})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = json.loads((course / "reports" / "masking.json").read_text())
    scores = {s["student"]: (s["score"], s["status"]) for s in report["submissions"]}
    full = load_assignment(repo, "masking").manifest.points
    assert scores["alice"] == (full, "graded")
    assert scores["bob"] == (0.0, "graded")
    assert scores["frank"][1] == "import_error" and scores["grace"][1] == "missing"
    assert 0 < scores["carol"][0] < full and 0 < scores["erin"][0] < full
    for student in scores:
        assert student in proc.stdout
    assert "mask after the softmax" in proc.stdout
    assert (course / "gradebook.db").exists()
