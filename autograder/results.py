"""Result records: one per test, one per submission, one per batch, and their stable JSON form.

The JSON written by `--json` is the format documented in docs/results.md. Fields may be added
in later versions; none is ever renamed or removed.
"""

from __future__ import annotations

import csv
import json
import os
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any, Literal

TestStatus = Literal["passed", "failed", "error", "timeout", "crashed", "skipped", "not_run"]
SubmissionStatus = Literal["graded", "missing", "import_error", "grader_error"]

TEST_STATUSES: tuple[str, ...] = ("passed", "failed", "error", "timeout", "crashed", "skipped",
                                  "not_run")
SUBMISSION_STATUSES: tuple[str, ...] = ("graded", "missing", "import_error", "grader_error")

# What a student is told when the grader, not their code, failed. The details go to the
# instructor (`diagnostics`), never into feedback.
GRADER_ERROR_MESSAGE = ("not graded: the grader failed while grading it ({reason}). This is "
                        "not a problem with your code and it is not a score: your instructor "
                        "will grade it again.")


@dataclass
class TestResult:
    """The outcome of one test for one submission."""

    name: str
    score: float | None  # None: not run because the grader failed (status "not_run")
    max_score: float
    status: TestStatus
    output: str = ""
    visibility: Literal["public", "hidden"] = "hidden"
    module: str = ""  # the submitted file the test grades ("" when it is not one file's)


ModuleStatus = Literal["graded", "import_error"]


@dataclass
class ModuleResult:
    """The subtotal of one submitted file, for assignments of several files."""

    name: str  # the file, e.g. "classifier.py"
    score: float | None  # None only when the submission is a grader_error
    max_score: float
    status: ModuleStatus  # import_error: the file could not be imported; its tests did not run
    message: str = ""  # for import_error: the reason and the student's traceback


@dataclass
class SubmissionResult:
    """Everything the grader decided about one submission. `message` is the reason."""

    student: str
    score: float | None  # None only for `grader_error`: no score, never a 0
    max_score: float
    status: SubmissionStatus
    message: str = ""
    tests: list[TestResult] = field(default_factory=list)
    stdout: str = ""
    isolation: str = ""
    seed: int = 0
    duration_s: float = 0.0
    incomplete: bool = False  # the grader (not the student) failed: the next run regrades it
    diagnostics: str = ""  # for the instructor only (a grader_error's cause); never feedback
    modules: list[ModuleResult] = field(default_factory=list)  # per file (several files only)
    # Points of tests that were skipped here (worth 0 of 0), by reason, e.g. the `gpu` tests
    # on a CPU grader: why max_score is below the manifest's total.
    not_counted: dict[str, float] = field(default_factory=dict)

    @property
    def graded_score(self) -> float:
        """The score for arithmetic; a grader_error has none (check `has_score` first)."""
        if self.score is None:
            raise ValueError(f"{self.student}: not graded ({self.status}), so it has no score")
        return self.score

    @property
    def has_score(self) -> bool:
        return self.score is not None

    def score_text(self) -> str:
        """`65/77`, or `—/77` when there is no score."""
        got = "—" if self.score is None else f"{self.score:g}"
        return f"{got}/{self.max_score:g}"

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SubmissionResult:
        tests = [TestResult(**t) for t in data.get("tests", [])]
        modules = [ModuleResult(**m) for m in data.get("modules", [])]
        return cls(**{**data, "tests": tests, "modules": modules})

    def max_score_text(self) -> str:
        """`72`, or `72 (76 with the 4 points of tests skipped here: needs a CUDA device)`."""
        text = f"{self.max_score:g}"
        if not self.not_counted:
            return text
        extra = sum(self.not_counted.values())
        reasons = "; ".join(self.not_counted)
        return (f"{text} ({self.max_score + extra:g} with the {extra:g} point"
                f"{'s' * (extra != 1)} of tests skipped here: {reasons})")


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


@contextmanager
def atomic_text(path: Path, *, newline: str | None = None) -> Iterator[IO[str]]:
    """A text file that appears at `path` whole or not at all.

    Written to a temporary file in the same folder, flushed to disk, then renamed over
    `path` (rename is atomic); on any error the temporary file is removed and `path` is left
    as it was. Every report writer (JSON, CSV, ...) goes through here."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline=newline) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json_atomic(path: Path, data: Any) -> None:
    """Write JSON so that a reader never sees a half-written file."""
    with atomic_text(path) as f:
        json.dump(data, f, indent=2, ensure_ascii=False)
        f.write("\n")


def write_csv_atomic(path: Path, header: list[str], rows: Iterable[Iterable[Any]]) -> None:
    """Write CSV (RFC 4180, UTF-8) so that a reader never sees a half-written file."""
    with atomic_text(path, newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)


def write_batch_json_atomic(path: Path, batch: BatchResult,
                            submissions: Iterable[SubmissionResult]) -> None:
    """`batch.to_json()` with its submissions taken from an iterator, one at a time.

    The document is the same as `write_json_atomic(path, batch.to_json())` would write, but a
    class of any size is never held in memory at once."""
    header = json.dumps({**batch.to_json(), "submissions": []}, indent=2, ensure_ascii=False)
    head, tail = header.rsplit('"submissions": []', 1)
    with atomic_text(path) as f:
        f.write(head + '"submissions": [')
        i = -1
        for i, sub in enumerate(submissions):
            f.write("," if i else "")
            f.write("\n" + _indent(json.dumps(sub.to_json(), indent=2, ensure_ascii=False)))
        f.write(("\n  ]" if i >= 0 else "]") + tail + "\n")


def _indent(text: str, by: str = "    ") -> str:
    return "\n".join(by + line for line in text.splitlines())


def grader_error(student: str, *, max_score: float, reason: str, diagnostics: str = "",
                 tests: Sequence[tuple[str, float, str]] = (), isolation: str = "",
                 seed: int = 0, duration_s: float = 0.0) -> SubmissionResult:
    """The record of a submission the grader failed on: no score, regraded by the next run."""
    message = GRADER_ERROR_MESSAGE.format(reason=reason)
    return SubmissionResult(
        student=student, score=None, max_score=max_score, status="grader_error",
        message=message, incomplete=True, diagnostics=diagnostics, isolation=isolation,
        seed=seed, duration_s=duration_s,
        tests=[TestResult(name=name, score=None, max_score=pts, status="not_run",
                          output="not run: the grader failed (not your code)",
                          visibility=vis)  # type: ignore[arg-type]
               for name, pts, vis in tests])


def not_run(
    tests: Iterable[tuple[str, float, str]], reason: str, status: TestStatus = "error"
) -> list[TestResult]:
    """Every test listed, with zero points and the same reason: for missing/import errors."""
    return [
        TestResult(name=name, score=0.0, max_score=pts, status=status, output=reason,
                   visibility=vis)  # type: ignore[arg-type]
        for name, pts, vis in tests
    ]


def module_subtotals(tests: Sequence[TestResult], files: Sequence[str],
                     failed: dict[str, str]) -> list[ModuleResult]:
    """One subtotal per file in `files` (in that order) from its tests; `failed`: file ->
    why it could not be imported. Tests of no single file are not in any subtotal."""
    out = []
    for name in files:
        mine = [t for t in tests if t.module == name]
        score = None if any(t.score is None for t in mine) else sum(t.score or 0.0 for t in mine)
        out.append(ModuleResult(name=name, score=score,
                                max_score=sum(t.max_score for t in mine),
                                status="import_error" if name in failed else "graded",
                                message=failed.get(name, "")))
    return out
