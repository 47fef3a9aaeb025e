"""Class statistics of a graded batch: score summary and the pass rate of each test."""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field

from autograder.results import SubmissionResult


@dataclass(frozen=True)
class TestRate:
    __test__ = False  # not a pytest test class

    name: str
    visibility: str
    max_score: float
    passed: int
    graded: int  # submissions where the test ran (graded submissions, not skipped)

    @property
    def rate(self) -> float:
        return self.passed / self.graded if self.graded else 0.0


@dataclass(frozen=True)
class Summary:
    n: int
    mean: float
    median: float
    min: float
    max: float
    full: int
    statuses: dict[str, int] = field(default_factory=dict)


def summary(results: list[SubmissionResult]) -> Summary:
    """Over the submissions that have a score (a grader_error has none: it is left out)."""
    scores = [r.score for r in results if r.score is not None]
    return Summary(n=len(scores), mean=statistics.fmean(scores) if scores else 0.0,
                   median=statistics.median(scores) if scores else 0.0,
                   min=min(scores, default=0.0), max=max(scores, default=0.0),
                   full=sum(1 for s, r in ((r.score, r) for r in results)
                            if s is not None and r.max_score and s >= r.max_score),
                   statuses=dict(Counter(r.status for r in results)))


def test_rates(results: list[SubmissionResult]) -> list[TestRate]:
    """Pass rate of each test over the graded submissions, in the tests' own order.

    Missing and import_error submissions are left out: they ran no test."""
    order: dict[str, tuple[str, float]] = {}
    passed: Counter[str] = Counter()
    ran: Counter[str] = Counter()
    for result in results:
        for test in result.tests:
            order.setdefault(test.name, (test.visibility, test.max_score))
            if result.status != "graded" or test.status == "skipped":
                continue
            ran[test.name] += 1
            passed[test.name] += test.status == "passed"
    return [TestRate(name, vis, pts, passed[name], ran[name])
            for name, (vis, pts) in order.items()]
