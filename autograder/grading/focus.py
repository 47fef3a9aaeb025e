"""Focused grading, for mutation runs: some submissions run only some tests, and stop early.

A mutant of the reference only needs the tests that exercise the function it changes, and
is killed by its first failing test. `Options.focus` names a JSON file (written by
`nlpgrade prove --mutants`):

    {"students": {"mutant-0001": ["test_a", "test_b"], ...}}

For a student listed there, every other test is reported as skipped (worth 0 of 0), and once
one of its tests has failed the remaining ones are skipped too. Students not listed are graded
in full, and without `Options.focus` nothing changes: this plugin is not even registered.
"""

from __future__ import annotations

import json
from collections.abc import Generator
from pathlib import Path
from typing import Any, Protocol

import pytest


class _Grading(Protocol):
    current: Any  # the GradingPlugin's submission being graded (None between submissions)


def load_focus(path: str) -> dict[str, frozenset[str]]:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return {student: frozenset(tests) for student, tests in data["students"].items()}


class FocusPlugin:
    def __init__(self, grading: _Grading, focus: dict[str, frozenset[str]]) -> None:
        self.grading = grading
        self.focus = focus
        self.killed: set[str] = set()

    def _student(self) -> str | None:
        current = self.grading.current
        return None if current is None else str(current.submission.student)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        student = self._student()
        tests = self.focus.get(student or "")
        if student is None or tests is None:
            return
        if student in self.killed:
            pytest.skip("not run: an earlier test already failed")
        if item.name.split("[")[0] not in tests:
            pytest.skip("not run: it does not exercise the changed function")

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item,
                                  call: pytest.CallInfo[None]) -> Generator[None, Any, Any]:
        report = yield
        student = self._student()
        if student in self.focus and getattr(report, "failed", False):
            self.killed.add(student)  # type: ignore[arg-type]
        return report
