"""Symbolic grading that can't be fooled: near misses are rejected, equal forms are accepted,
the decision is algebraic, and the checking process is limited in memory and time."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from autograder import symbolic as symcheck
from autograder.quiz.loader import load_quiz, load_quizzes
from autograder.quiz.paths import all_quiz_files
from autograder.quiz.schema import Symbolic
from autograder.quiz.scoring import score_raw
from autograder.symbolic import Job, decide

VARIABLES = {"d": ["positive", "integer"], "mu": ["real"], "sigma": ["positive"]}
ALIASES = {"μ": "mu", "σ": "sigma"}

# Wrong answers that agree with the key to many digits somewhere. None may be accepted.
NEAR_MISSES = [
    ("d", "d + 1e-9"),
    ("d", "d*tanh(20d)"),
    ("d", "d+exp(-30d)"),
    ("d", "(d^4000+1)/(d^3999+1)"),
    ("d", "d + 10^-40"),
    ("d", "d*(1 + 10^-35)"),
    ("d", "d + exp(-1000d)"),
    ("d", "d^(1 + 10^-12)"),
    ("d", "d + sigma^2 - sigma*sigma + 10^-50"),
    ("d", "d + sin(d)^2 + cos(d)^2 - 1 + 1e-20"),
    ("d*mu^2", "d*mu^2 + 1e-15*mu"),
    ("d*mu^2", "d*abs(mu)*mu"),
    ("d*(sigma^4 + 2*mu^2*sigma^2)", "d*(sigma^4 + 2*mu^2*sigma^2)*(1 + 10^-40)"),
    ("d*(sigma^4 + 2*mu^2*sigma^2)", "d*sigma^4 + 2*d*mu^2*sigma^2 + exp(-100*sigma^2)"),
    ("4*d^2 + 4*d", "4*d^2 + 4*d + 1/(d^200 + 1)"),
]

# Right answers written differently. All must be accepted.
EQUIVALENT = [
    ("d", "sqrt(d^2)"),
    ("d", "abs(d)"),
    ("d", "exp(log(d))"),
    ("d", "(d^4000+d)/(d^3999+1)"),
    ("d", "sin(d)^2 + cos(d)^2 + d - 1"),
    ("d*mu^2", "mu*mu*d"),
    ("d*mu^2", "d μ²"),
    ("d*(sigma^4 + 2*mu^2*sigma^2)", "d σ⁴ + 2dμ²σ²"),
    ("d*(sigma^4 + 2*mu^2*sigma^2)", "d*(sigma^2 + mu^2)^2 - d*mu^4"),
    ("d*(sigma^4 + 2*mu^2*sigma^2)", "d*sigma^2*(sigma^2 + 2*mu^2)"),
    ("4*d^2 + 4*d", "4d(d+1)"),
    ("4*d^2 + 4*d", "(2d+1)^2 - 1"),
    ("4*d^2 + 4*d", "4*(d^2+d)"),
]


@pytest.mark.parametrize(("key", "answer"), NEAR_MISSES)
def test_a_near_miss_is_never_accepted(key: str, answer: str) -> None:
    decision = decide(Job(answer, key, VARIABLES, ALIASES))
    assert decision.verdict != "equal", decision.reason


@pytest.mark.parametrize(("key", "answer"), EQUIVALENT)
def test_an_equivalent_form_is_accepted(key: str, answer: str) -> None:
    decision = decide(Job(answer, key, VARIABLES, ALIASES))
    assert decision.verdict == "equal", decision.reason


def test_the_near_misses_of_the_issue_are_proven_different_not_just_undecided() -> None:
    for answer in ["d + 1e-9", "d*tanh(20d)", "d+exp(-30d)", "(d^4000+1)/(d^3999+1)"]:
        decision = decide(Job(answer, "d", VARIABLES, ALIASES))
        assert decision.verdict == "different", (answer, decision.reason)


def test_a_rejection_says_where_the_answers_differ() -> None:
    decision = decide(Job("d*tanh(20d)", "d", VARIABLES, ALIASES))
    assert decision.reason.startswith("at d = 1 your expression is 0.99999999999999999")
    decision = decide(Job("(d^4000+1)/(d^3999+1)", "d", VARIABLES, ALIASES))
    assert "the difference is" in decision.reason


def test_a_huge_power_is_rejected_quickly_without_being_expanded() -> None:
    """(d+mu+sigma)^4000 once grew the checker to 600 MB; a sample point now settles it."""
    start = time.perf_counter()
    decision = decide(Job("(d+mu+sigma)^4000", "d*mu^2", VARIABLES, ALIASES), memory_mb=128)
    assert decision.verdict == "different"
    assert time.perf_counter() - start < 10


def test_the_memory_limit_is_enforced_in_the_child(monkeypatch) -> None:
    def hog(job: Job) -> symcheck.Decision:
        blocks = [bytearray(16 * 1024 * 1024) for _ in range(64)]  # 1 GiB
        return symcheck.Decision("equal", f"allocated {len(blocks)} blocks")

    monkeypatch.setattr(symcheck, "decide_here", hog)
    monkeypatch.setattr(symcheck, "_can_fork", lambda: True)  # a thread left by another test
    decision = decide(Job("d", "d", VARIABLES), memory_mb=128)
    assert decision.verdict == "undecided"
    assert "more than 128 MiB" in decision.reason


def test_a_check_that_runs_too_long_is_killed_and_undecided(monkeypatch) -> None:
    def slow(job: Job) -> symcheck.Decision:
        time.sleep(60)  # stands in for a sympy call that never returns
        return symcheck.Decision("equal", "")

    monkeypatch.setattr(symcheck, "decide_here", slow)
    monkeypatch.setattr(symcheck, "_can_fork", lambda: True)  # must not spawn: it patches
    start = time.perf_counter()
    decision = decide(Job("d", "d", VARIABLES), timeout_s=0.5)
    assert decision.verdict == "undecided" and "within 0.5 s" in decision.reason
    assert time.perf_counter() - start < 5


def test_without_fork_the_check_runs_in_a_fresh_interpreter(monkeypatch) -> None:
    monkeypatch.setattr(symcheck, "_can_fork", lambda: False)
    assert decide(Job("d μ²", "d*mu^2", VARIABLES, ALIASES)).verdict == "equal"
    assert decide(Job("d + 1e-9", "d", VARIABLES, ALIASES)).verdict == "different"


@pytest.fixture
def qk_mean() -> Symbolic:
    by_id = {q.id: q for f in load_quizzes(all_quiz_files()) for q in f.quiz.questions}
    question = by_id["hw5-qk-mean"]
    assert isinstance(question, Symbolic)
    return question


@pytest.mark.parametrize("typed", ["d µ^2", "d μ^2", "E = d mu^2", "E[q·k] = d*mu^2",
                                   "E[qk^T]=mu^2 d"])
def test_the_micro_sign_and_a_named_left_hand_side_are_accepted(qk_mean: Symbolic,
                                                                typed: str) -> None:
    outcome = score_raw(qk_mean, typed, seed=1, rule="net-correct")
    assert outcome.status == "correct", outcome.feedback


def test_another_left_hand_side_is_explained_not_silently_graded(qk_mean: Symbolic) -> None:
    outcome = score_raw(qk_mean, "Var = d mu^2", seed=1, rule="net-correct")
    assert outcome.status == "invalid"
    assert "the question asks for 'E'" in outcome.feedback[0]


def test_an_undecided_answer_scores_zero_and_says_so(mini: Path, monkeypatch) -> None:
    question = load_quiz(mini).quiz.question("mini-symbolic")
    assert isinstance(question, Symbolic)
    monkeypatch.setattr(symcheck, "decide_here",
                        lambda job: symcheck.Decision("undecided", "sympy gave up"))
    monkeypatch.setattr(symcheck, "_can_fork", lambda: True)  # the patch lives in this process
    monkeypatch.setattr("autograder.quiz.symbolic._verdicts", {})
    outcome = score_raw(question, "d*mu^2*(2-1)", seed=1, rule="net-correct")
    assert (outcome.status, outcome.score, outcome.mark) == ("undecided", 0.0, "?")
    assert "could not decide" in outcome.feedback[0] and "sympy gave up" in outcome.feedback[0]
