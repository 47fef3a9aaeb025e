"""Scoring without any UI: partial-credit rules, every question type, shuffling, answer files."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from autograder.quiz.answers import AnswerError, parse_response
from autograder.quiz.loader import load_quiz
from autograder.quiz.scoring import multiple_fraction, score_answers, score_raw
from autograder.quiz.shuffle import display_order

STEPS = ["Tokenize the text", "Map tokens to ids", "Look up embeddings",
         "Run the encoder layers", "Apply the classification head"]

# A check-all-that-apply question with 5 options, of which a, b, c are correct.
CORRECT = frozenset({0, 1, 2})
N = 5


@pytest.mark.parametrize(
    ("selected", "all_or_nothing", "net_correct", "each_answer"),
    [
        ({0, 1, 2}, 1.0, 1.0, 1.0),
        ({0, 1}, 0.0, 2 / 3, 4 / 5),  # one correct option missed
        ({0, 1, 2, 3}, 0.0, 2 / 3, 4 / 5),  # one wrong option picked
        ({0, 3}, 0.0, 0.0, 2 / 5),  # 1 right - 1 wrong = 0
        ({0, 1, 2, 3, 4}, 0.0, 1 / 3, 3 / 5),  # everything
        (set(), 0.0, 0.0, 2 / 5),  # nothing
        ({3, 4}, 0.0, 0.0, 0.0),  # only wrong ones; net-correct floors at 0
    ],
)
def test_each_partial_credit_rule_gives_the_hand_computed_fraction(
        selected: set[int], all_or_nothing: float, net_correct: float,
        each_answer: float) -> None:
    chosen = frozenset(selected)
    assert multiple_fraction(chosen, CORRECT, N, "all-or-nothing") == pytest.approx(all_or_nothing)
    assert multiple_fraction(chosen, CORRECT, N, "net-correct") == pytest.approx(net_correct)
    assert multiple_fraction(chosen, CORRECT, N, "each-answer") == pytest.approx(each_answer)


def test_net_correct_gives_random_guessing_less_than_each_answer() -> None:
    """Over every possible selection (a learner guessing uniformly at random), the expected
    net-correct score is far below each-answer's when one option of five is correct."""
    correct = frozenset({0})
    selections = [frozenset(s) for r in range(6) for s in itertools.combinations(range(5), r)]
    net = sum(multiple_fraction(s, correct, 5, "net-correct") for s in selections) / 32
    each = sum(multiple_fraction(s, correct, 5, "each-answer") for s in selections) / 32
    assert net == pytest.approx(1 / 32)  # only the exact answer earns anything
    assert each == pytest.approx(0.5)
    assert multiple_fraction(frozenset(), correct, 5, "each-answer") == pytest.approx(0.8)
    assert multiple_fraction(frozenset(range(5)), correct, 5, "net-correct") == 0.0


def test_shuffling_is_reproducible_from_the_seed_and_keeps_pinned_options(mini: Path) -> None:
    quiz = load_quiz(mini).quiz
    single = quiz.question("mini-single")
    assert single is not None and single.options[3].pin
    orders = {display_order(single, seed) for seed in range(40)}
    assert len(orders) > 1  # it does shuffle
    assert all(order[3] == 3 for order in orders)  # "None of the above" stays last
    assert display_order(single, 7) == display_order(single, 7)
    assert display_order(single, None) == (0, 1, 2, 3)


def test_ordering_questions_are_never_shown_already_solved(mini: Path) -> None:
    ordering = load_quiz(mini).quiz.question("mini-order")
    assert ordering is not None
    for seed in range(200):
        assert display_order(ordering, seed) != tuple(range(len(ordering.items)))


def test_letters_are_mapped_through_the_learners_shuffle(mini: Path) -> None:
    single = load_quiz(mini).quiz.question("mini-single")
    assert single is not None
    order = display_order(single, 7)
    shown_letter = "abcd"[order.index(0)]  # where the correct option ([CLS]) was shown
    outcome = score_raw(single, shown_letter, seed=7, rule="net-correct")
    assert outcome.status == "correct" and outcome.response == shown_letter
    wrong = "abcd"[order.index(1)]
    assert score_raw(single, wrong, seed=7, rule="net-correct").status == "incorrect"


@pytest.mark.parametrize(
    ("qid", "answer", "status", "score"),
    [
        ("mini-single", "[CLS]", "correct", 1.0),
        ("mini-single", "[sep]", "incorrect", 0.0),
        ("mini-single", "a", "invalid", 0.0),  # a letter means nothing without a seed
        ("mini-multiple", ["Masked self-attention", "Encoder-decoder attention",
                           "Position-wise feed-forward network"], "correct", 1.0),
        ("mini-multiple", ["Masked self-attention", "Position-wise feed-forward network"],
         "partial", 2 / 3),
        ("mini-multiple", ["Masked self-attention", "Encoder-decoder attention",
                           "Position-wise feed-forward network", "A convolution over time"],
         "partial", 2 / 3),
        ("mini-multiple", "a b c", "invalid", 0.0),
        ("mini-multiple", "-", "incorrect", 0.0),
        ("mini-tf", True, "correct", 1.0),
        ("mini-tf", "f", "incorrect", 0.0),
        ("mini-numeric", 8.005, "correct", 1.0),
        ("mini-numeric", "64/8", "correct", 1.0),
        ("mini-numeric", 8.02, "incorrect", 0.0),
        ("mini-symbolic", "d*mu^2", "correct", 1.0),
        ("mini-symbolic", "mu mu d", "correct", 1.0),
        ("mini-symbolic", "d*mu", "incorrect", 0.0),
        ("mini-symbolic", "d*nu^2", "invalid", 0.0),
        ("mini-short", "  [sep] ", "correct", 1.0),
        ("mini-short", "CLS", "incorrect", 0.0),
        ("mini-order", STEPS, "correct", 2.0),
        ("mini-order", [STEPS[1], STEPS[0], *STEPS[2:]], "incorrect", 0.0),
        ("mini-order", "a b c d e", "invalid", 0.0),  # the solved order, by letter: no
        ("mini-order", STEPS[:3], "invalid", 0.0),
        ("mini-single", "z", "invalid", 0.0),
        ("mini-single", None, "unanswered", 0.0),
    ],
)
def test_without_a_seed_every_question_type_is_scored_by_option_text(
        mini: Path, qid: str, answer: object, status: str, score: float) -> None:
    quiz = load_quiz(mini).quiz
    question = quiz.question(qid)
    assert question is not None
    outcome = score_raw(question, answer, seed=None, rule=quiz.rule_for(question))
    assert (outcome.status, outcome.score) == (status, pytest.approx(score))


def test_an_invalid_answer_explains_what_was_expected(mini: Path) -> None:
    question = load_quiz(mini).quiz.question("mini-symbolic")
    assert question is not None
    outcome = score_raw(question, "d*nu^2", seed=None, rule="net-correct")
    assert outcome.feedback == ("column 3: unknown name 'nu' (variables: d, mu, sigma, μ, σ)",)
    with pytest.raises(AnswerError, match="is not an option here"):
        parse_response(load_quiz(mini).quiz.questions[0], "q", (0, 1, 2, 3))


def test_option_feedback_is_returned_for_the_options_picked(mini: Path) -> None:
    question = load_quiz(mini).quiz.question("mini-multiple")
    assert question is not None
    outcome = score_raw(question, ["Masked self-attention", "A convolution over time"],
                        seed=None, rule="net-correct")
    assert outcome.feedback == ("No convolutions in the Transformer.",)
    assert outcome.correct_answer.startswith("Masked self-attention; Encoder-decoder")


def test_a_quiz_level_rule_applies_unless_the_question_overrides_it(mini: Path,
                                                                     write_yaml) -> None:
    text = mini.read_text().replace("scoring: net-correct", "scoring: all-or-nothing")
    quiz = load_quiz(write_yaml("strict.yaml", text)).quiz
    question = quiz.question("mini-multiple")
    assert question is not None and quiz.rule_for(question) == "all-or-nothing"
    picked = ["Masked self-attention", "Encoder-decoder attention"]
    assert score_raw(question, picked, seed=None, rule=quiz.rule_for(question)).score == 0.0


def test_a_whole_answer_file_is_scored_against_the_seed_it_records(mini: Path) -> None:
    quiz = load_quiz(mini).quiz
    seed = 1234
    answers: dict[str, object] = {}
    for q in quiz.questions:  # answer everything right, in the letters of version 1234
        order = display_order(q, seed)
        if q.type == "single":
            answers[q.id] = "abcd"[order.index(0)]
        elif q.type == "multiple":
            answers[q.id] = ["abcdef"[order.index(i)] for i in (0, 1, 2)]
        elif q.type == "ordering":
            answers[q.id] = " ".join("abcde"[order.index(i)] for i in range(5))
    answers.update({"mini-tf": True, "mini-numeric": 8, "mini-symbolic": "d μ^2",
                    "mini-short": "sep"})
    outcomes = score_answers(quiz, answers, seed=seed)
    assert [o.status for o in outcomes] == ["correct"] * 7
    assert sum(o.score for o in outcomes) == quiz.max_score == 8
    assert sum(o.score for o in score_answers(quiz, answers, seed=seed + 1)) < 8


@pytest.mark.parametrize("seed", [None, 7, 99])
def test_a_recorded_answer_reads_back_as_the_same_response(mini: Path, seed: int | None) -> None:
    """Progress files store format_response(...); resuming parses it again."""
    from autograder.quiz.answers import format_response

    quiz = load_quiz(mini).quiz
    typed = {"mini-single": "b", "mini-multiple": "-", "mini-tf": "f",
             "mini-numeric": "2362368.125", "mini-symbolic": "d μ²", "mini-short": "sep",
             "mini-order": "e d c b a"}
    for q in quiz.questions:
        order = display_order(q, seed)
        response = parse_response(q, typed[q.id], order)
        assert parse_response(q, format_response(q, response, order), order) == response
