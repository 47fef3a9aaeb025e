"""The wheel is complete: every file the package reads at run time is in it (issue 12)."""

from __future__ import annotations

import subprocess
import zipfile
from pathlib import Path

from tests.conftest import REPO


def test_the_wheel_holds_every_tracked_file_of_the_package(wheel: Path) -> None:
    tracked = {name for name in subprocess.run(
        ["git", "ls-files", "autograder"], cwd=REPO, capture_output=True, text=True,
        check=True).stdout.splitlines() if (REPO / name).is_file()}
    with zipfile.ZipFile(wheel) as zf:
        packed = {n for n in zf.namelist() if n.startswith("autograder/")}
    assert tracked - packed == set(), "files the package has but the wheel lacks"
    assert not [n for n in packed if "__pycache__" in n or n.endswith(".pyc")]
    for needed in ("autograder/grading/pytest.ini",
                   "autograder/migrations/versions/0001_initial.py",
                   "autograder/feedback/templates/student.html.j2"):
        assert needed in packed
