"""Quiz outcomes as the platform's result records (autograder/results.py).

A quiz is graded like an assignment: one SubmissionResult per learner, one TestResult per
question (named by the question id), recorded under the assignment name `quiz:<quiz id>`.
"""

from __future__ import annotations

from collections.abc import Sequence

from autograder.quiz.schema import Quiz
from autograder.quiz.scoring import Outcome
from autograder.results import SubmissionResult, TestResult, TestStatus, not_run


def assignment_name(quiz: Quiz) -> str:
    return f"quiz:{quiz.id}"


def test_result(outcome: Outcome) -> TestResult:
    status: TestStatus = "passed" if outcome.is_correct else "failed"
    if outcome.status == "unanswered":
        output = "not answered"
    else:
        output = f"{outcome.status}: answered {outcome.response or '(nothing)'}"
        if outcome.status == "invalid":  # unreadable: no key, or blanks would reveal it
            output += f" ({'; '.join(outcome.feedback)})"
        elif not outcome.is_correct:
            output += f"; correct: {outcome.correct_answer}"
    return TestResult(name=outcome.question_id, score=outcome.score,
                      max_score=outcome.max_score, status=status, output=output,
                      visibility="public")


def submission_result(quiz: Quiz, student: str, outcomes: Sequence[Outcome], *,
                      seed: int | None, message: str = "") -> SubmissionResult:
    return SubmissionResult(
        student=student,
        score=round(sum(o.score for o in outcomes), 6),
        max_score=quiz.max_score,
        status="graded",
        message=message,
        tests=[test_result(o) for o in outcomes],
        seed=seed or 0,
    )


def unreadable(quiz: Quiz, student: str, reason: str) -> SubmissionResult:
    """An answer file that cannot be read still gets a row: zero, with the reason."""
    return SubmissionResult(
        student=student, score=0.0, max_score=quiz.max_score, status="import_error",
        message=reason,
        tests=not_run([(q.id, q.points, "public") for q in quiz.questions], reason),
    )
