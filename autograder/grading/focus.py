"""Focused grading, for proofs: some submissions run only some tests.

`Options.focus` names a JSON file written by `nlpgrade prove`:

    {"students": {"mutant-0001": ["test_a", "test_b"], ...},
     "files": {"mistake-x": {"files": ["bert.py"], "tests": ["test_c"]}, ...}}

"students" (`prove --mutants`): a mutant of the reference only needs the tests that exercise
the function it changes, and is killed by its first failing test, so it runs only the listed
tests and stops at its first failure.

"files" (a catalogued mistake of a several-file assignment): the mistake edits one file and
the others are the reference's own, so it runs every test of the listed files, plus the
listed tests (the ones its catalogue entry says it loses), and all of them: the proof reads
their feedback.

For a student listed there, every other test is reported as skipped (worth 0 of 0). Students
not listed are graded in full, and without `Options.focus` nothing changes: this plugin is not
even registered.
"""

from __future__ import annotations

import json
from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import pytest


class _Grading(Protocol):
    assignment: Any  # the Assignment being graded
    current: Any  # the GradingPlugin's submission being graded (None between submissions)


@dataclass(frozen=True)
class Focus:
    """What one student runs: `tests`, every test of `files`, and whether it stops early."""

    tests: frozenset[str]
    files: frozenset[str] = frozenset()
    stop_at_first_failure: bool = True


def load_focus(path: str) -> dict[str, Focus]:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    focus = {student: Focus(frozenset(tests))
             for student, tests in data.get("students", {}).items()}
    for student, spec in data.get("files", {}).items():
        focus[student] = Focus(frozenset(spec.get("tests", [])), frozenset(spec["files"]),
                               stop_at_first_failure=False)
    return focus


class FocusPlugin:
    def __init__(self, grading: _Grading, focus: dict[str, Focus]) -> None:
        self.grading = grading
        self.focus = focus
        self.killed: set[str] = set()

    def _student(self) -> str | None:
        current = self.grading.current
        return None if current is None else str(current.submission.student)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        from autograder.grading.plugin import owner

        student = self._student()
        focus = self.focus.get(student or "")
        if student is None or focus is None:
            return
        if student in self.killed:
            pytest.skip("not run: an earlier test already failed")
        if item.name.split("[")[0] in focus.tests:
            return
        if focus.files:
            if owner(item, self.grading.assignment) not in focus.files:
                pytest.skip("not run: it grades another file, the same as the reference's")
            return
        pytest.skip("not run: it does not exercise the changed function")

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item,
                                  call: pytest.CallInfo[None]) -> Generator[None, Any, Any]:
        report = yield
        student = self._student()
        focus = self.focus.get(student or "")
        if focus is not None and focus.stop_at_first_failure and getattr(report, "failed",
                                                                         False):
            self.killed.add(student)  # type: ignore[arg-type]
        return report
