"""Shared helpers for the platform's own tests: grade a folder through the real engine."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from autograder.course import find_course_root, load_assignment
from autograder.grading.engine import Options
from autograder.grading.pool import Job, grade_batch
from autograder.grading.submission import discover
from autograder.results import SubmissionResult

# The fixture course's own test files are graded by the engine, not collected here.
collect_ignore = ["fixtures"]

REPO = Path(__file__).resolve().parent.parent
TOY = Path(__file__).resolve().parent / "fixtures" / "toy_course"


def grade_folder(course: Path, slug: str, folder: Path, *, workers: int = 2,
                 seed: int = 0) -> dict[str, SubmissionResult]:
    """Grade SUBMISSIONS_DIR through the pool, exactly like `nlpgrade grade`."""
    results: list[SubmissionResult] = []
    grade_batch(Job(str(course), slug, Options(run_seed=seed)), discover(folder),
                workers=workers, on_result=results.append)
    return {r.student: r for r in results}


def grade_by_cli(course: Path, slug: str, module: str, sources: dict[str, str],
                 tmp: Path) -> dict[str, Any]:
    """Grade one file per student (student -> source of `module`) with `nlpgrade grade` in
    a child process, as an instructor runs it; returns its JSON report."""
    subs = tmp / "subs"
    for student, source in sources.items():
        (subs / student).mkdir(parents=True)
        (subs / student / module).write_text(source)
    report = tmp / "r.json"
    proc = subprocess.run([sys.executable, "-m", "autograder.cli", "grade", slug, str(subs),
                           "--course", str(course), "--json", str(report), "--db",
                           f"sqlite:///{tmp / 'gb.db'}"],
                          capture_output=True, text=True, timeout=600, cwd=tmp)
    assert proc.returncode == 0, proc.stdout[-3000:]
    data: dict[str, Any] = json.loads(report.read_text())
    return data


@pytest.fixture(scope="session")
def repo() -> Path:
    return find_course_root(REPO)


@pytest.fixture(scope="session")
def toy_course(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private copy of the toy course (tests may add submissions to it)."""
    root = tmp_path_factory.mktemp("toy") / "course"
    shutil.copytree(TOY, root)
    return root


@pytest.fixture(scope="session")
def grade() -> Callable[..., dict[str, SubmissionResult]]:
    return grade_folder


@pytest.fixture(scope="session")
def masking(repo: Path):  # type: ignore[no-untyped-def]
    return load_assignment(repo, "masking")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """GPU tests skip cleanly where torch sees no CUDA device (CI never has one)."""
    import torch

    if torch.cuda.is_available():
        return
    skip = pytest.mark.skip(reason="needs a CUDA device")
    for item in items:
        if item.get_closest_marker("gpu"):
            item.add_marker(skip)
