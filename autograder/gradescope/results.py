"""Our result of one submission as Gradescope's `results.json`.

Spec: https://gradescope-autograders.readthedocs.io/en/latest/specs/ . Gradescope knows only
the test statuses "passed" and "failed": a test that errored, timed out or crashed is
"failed", and its output starts with our status in brackets so the student still sees it.
"""

from __future__ import annotations

from typing import Any

from autograder.course import GradescopeOptions
from autograder.results import SubmissionResult


def test_entry(number: int, test: Any, options: GradescopeOptions) -> dict[str, Any]:
    status = "passed" if test.status in ("passed", "skipped") else "failed"
    prefix = "" if test.status in ("passed", "failed") else f"[{test.status}] "
    return {
        "name": test.name,
        "number": str(number),
        "score": test.score,
        "max_score": test.max_score,
        "status": status,
        "output": f"{prefix}{test.output}".strip(),
        "tags": [test.visibility, test.status],
        "visibility": (options.public_visibility if test.visibility == "public"
                       else options.hidden_visibility),
    }


def results_json(result: SubmissionResult, *, options: GradescopeOptions,
                 execution_time: float) -> dict[str, Any]:
    """The whole results.json of one submission."""
    output = result.message.strip()
    if result.isolation:
        output += f"\n\n(graded by nlpgrade in a sandbox: {result.isolation}; seed " \
                  f"{result.seed})"
    return {
        "score": result.score,
        "execution_time": round(execution_time, 3),
        "output": output,
        "output_format": "text",
        "stdout_visibility": options.stdout_visibility,
        "tests": [test_entry(i, t, options) for i, t in enumerate(result.tests, start=1)],
    }


GRADER_FAILED = ("nlpgrade could not grade this submission: the grader itself failed ({reason})."
                 " No results.json was written, so Gradescope records no score (never a 0)"
                 " and shows 'The autograder failed to execute correctly'. Instructors: fix "
                 "the cause below, then use Gradescope's 'Regrade all submissions'.")
