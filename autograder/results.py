"""Result records: one per test, one per submission, one per batch, and their stable JSON form.

The JSON written by `--json` is the format documented in docs/results.md. Fields may be added
in later versions; none is ever renamed or removed.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

TestStatus = Literal["passed", "failed", "error", "timeout", "crashed", "skipped"]
SubmissionStatus = Literal["graded", "missing", "import_error"]

TEST_STATUSES: tuple[str, ...] = ("passed", "failed", "error", "timeout", "crashed", "skipped")
SUBMISSION_STATUSES: tuple[str, ...] = ("graded", "missing", "import_error")


@dataclass
class TestResult:
    """The outcome of one test for one submission."""

    name: str
    score: float
    max_score: float
    status: TestStatus
    output: str = ""
    visibility: Literal["public", "hidden"] = "hidden"


@dataclass
class SubmissionResult:
    """Everything the grader decided about one submission. `message` is the reason."""

    student: str
    score: float
    max_score: float
    status: SubmissionStatus
    message: str = ""
    tests: list[TestResult] = field(default_factory=list)
    stdout: str = ""
    isolation: str = ""
    seed: int = 0
    duration_s: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SubmissionResult:
        tests = [TestResult(**t) for t in data.get("tests", [])]
        return cls(**{**data, "tests": tests})


@dataclass
class BatchResult:
    """A graded batch: one assignment, many submissions."""

    assignment: str
    max_score: float
    submissions: list[SubmissionResult]
    isolation: str = ""
    seed: int = 0
    device: str = "cpu"

    def to_json(self) -> dict[str, Any]:
        return {
            "assignment": self.assignment,
            "max_score": self.max_score,
            "isolation": self.isolation,
            "seed": self.seed,
            "device": self.device,
            "submissions": [s.to_json() for s in self.submissions],
        }


def write_json_atomic(path: Path, data: Any) -> None:
    """Write JSON so that a reader never sees a half-written file (rename is atomic)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=2, ensure_ascii=False)
            f.write("\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def not_run(
    tests: Iterable[tuple[str, float, str]], reason: str, status: TestStatus = "error"
) -> list[TestResult]:
    """Every test listed, with zero points and the same reason: for missing/import errors."""
    return [
        TestResult(name=name, score=0.0, max_score=pts, status=status, output=reason,
                   visibility=vis)  # type: ignore[arg-type]
        for name, pts, vis in tests
    ]
