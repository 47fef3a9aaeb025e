"""Item analysis of a graded class (classical test theory). Pure arithmetic, no I/O.

For each question, with x = the student's fraction of its points:
- difficulty p: the mean of x (high p = easy).
- discrimination D: mean x in the top 27% of students by total score minus the bottom 27%.
- corrected point-biserial r: the correlation of x with the total of the *other* questions
  (the item is left out of the total so that it does not correlate with itself).
Cronbach's alpha, over points: k/(k-1) * (1 - sum of item variances / variance of totals).
An item with D < 0 or r < 0 is answered better by weaker students: its key is likely wrong.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from autograder.results import SubmissionResult

GROUP_FRACTION = 0.27
KEY_FLAG = "negative discrimination: check the answer key"


@dataclass(frozen=True)
class ItemStats:
    question_id: str
    max_score: float
    difficulty: float
    discrimination: float | None
    point_biserial: float | None
    flags: tuple[str, ...]


@dataclass(frozen=True)
class Analysis:
    n_students: int
    n_excluded: int  # results that were not graded (unreadable answer files)
    group_size: int  # students in each of the upper and lower groups
    items: list[ItemStats]
    alpha: float | None
    mean_total: float
    max_total: float


def analyse(items: Sequence[tuple[str, float]], results: Sequence[SubmissionResult]
            ) -> Analysis:
    """`items`: (question id, max points) in quiz order. Ungraded results are left out."""
    graded = sorted((r for r in results if r.status == "graded"), key=lambda r: r.student)
    scores = [[_score(r, qid) for qid, _ in items] for r in graded]
    totals = [sum(row) for row in scores]
    n = len(graded)
    g = min(max(1, round(GROUP_FRACTION * n)), n // 2)
    ranked = sorted(range(n), key=lambda s: -totals[s])  # stable: ties keep name order
    upper, lower = ranked[:g], ranked[n - g:] if g else []
    stats = []
    for j, (qid, max_score) in enumerate(items):
        x = [row[j] / max_score for row in scores]
        rest = [totals[s] - scores[s][j] for s in range(n)]
        p = sum(x) / n if n else 0.0
        d = (_mean([x[s] for s in upper]) - _mean([x[s] for s in lower])) if g else None
        r = _pearson(x, rest)
        stats.append(ItemStats(qid, max_score, p, d, r, _flags(p, d, r, n)))
    return Analysis(n_students=n, n_excluded=len(results) - n, group_size=g, items=stats,
                    alpha=_alpha(scores, totals), mean_total=_mean(totals),
                    max_total=sum(m for _, m in items))


def _score(result: SubmissionResult, question_id: str) -> float:
    return next((t.score or 0.0 for t in result.tests if t.name == question_id), 0.0)


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def _variance(values: Sequence[float]) -> float:
    """Population variance (the ratio in alpha is the same with n - 1)."""
    m = _mean(values)
    return _mean([(v - m) ** 2 for v in values])


def _pearson(x: Sequence[float], y: Sequence[float]) -> float | None:
    vx, vy = _variance(x), _variance(y)
    if len(x) < 2 or vx <= 1e-15 or vy <= 1e-15:
        return None
    mx, my = _mean(x), _mean(y)
    cov = _mean([(a - mx) * (b - my) for a, b in zip(x, y, strict=True)])
    return cov / math.sqrt(vx * vy)


def _alpha(scores: list[list[float]], totals: list[float]) -> float | None:
    k = len(scores[0]) if scores else 0
    var_total = _variance(totals)
    if k < 2 or var_total <= 1e-15:
        return None
    item_vars = sum(_variance([row[j] for row in scores]) for j in range(k))
    return k / (k - 1) * (1 - item_vars / var_total)


def _flags(p: float, d: float | None, r: float | None, n: int) -> tuple[str, ...]:
    flags = []
    if (d is not None and d < 0) or (r is not None and r < 0):
        flags.append(KEY_FLAG)
    if n and p == 0:
        flags.append("no one got it right: check the answer key")
    elif n and p == 1:
        flags.append("everyone got it right: it does not discriminate")
    return tuple(flags)
