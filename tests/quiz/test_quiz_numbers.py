"""Numbers as people type them, tolerances from the precision asked for, keys shown exactly,
and short answers that forgive case, punctuation and declared spellings."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

from autograder.quiz.loader import load_quiz, load_quizzes
from autograder.quiz.numeric import NumberError, format_number, parse_number
from autograder.quiz.paths import all_quiz_files
from autograder.quiz.scoring import score_raw


@pytest.mark.parametrize(("typed", "value"), [
    ("2,362,368", 2362368), ("2 362 368", 2362368), ("2362368", 2362368),
    ("–0.9", Fraction(-9, 10)), ("−0.9", Fraction(-9, 10)), ("-0.9", Fraction(-9, 10)),
    ("10^4", 10000), ("10**4", 10000), ("1.5×10^4", 15000), ("1.5*10^4", 15000),
    ("2.5e-3", Fraction(1, 400)), ("1/3", Fraction(1, 3)), (".5", Fraction(1, 2)),
    ("2^20", 1048576),
])
def test_numbers_are_read_exactly_in_the_ways_people_write_them(typed: str,
                                                                value: Fraction) -> None:
    assert parse_number(typed) == value


def test_units_are_read_only_where_the_question_declares_them() -> None:
    assert parse_number("64 MiB", unit="MiB") == 64
    assert parse_number("64MiB", unit="MiB") == 64
    assert parse_number("1 GiB", unit="MiB", units={"GiB": 1024}) == 1024
    assert parse_number("15%", unit="%") == 15
    with pytest.raises(NumberError, match="unit 'MB' is not accepted here \\(use MiB\\)"):
        parse_number("64 MB", unit="MiB")
    with pytest.raises(NumberError, match="this question has no unit"):
        parse_number("15%")


@pytest.mark.parametrize(("typed", "message"), [
    ("0,5", "use '.' for decimals"), ("2,36,368", "use '.' for decimals"),
    ("eight", "is not a number"), ("1/0", "division by zero"), ("1e999", "out of range")])
def test_what_is_not_a_number_is_explained(typed: str, message: str) -> None:
    with pytest.raises(NumberError, match=message):
        parse_number(typed)


def test_keys_are_shown_exactly_never_rounded_to_six_digits() -> None:
    assert format_number(Fraction(2362368)) == "2362368"
    assert format_number(Fraction(10**20)) == "100000000000000000000"
    assert format_number(Fraction(1, 16)) == "0.0625"
    assert format_number(Fraction(1, 3), decimals=2) == "1/3 ≈ 0.33"


def bank() -> dict[str, object]:
    return {q.id: q for f in load_quizzes(all_quiz_files()) for q in f.quiz.questions}


@pytest.mark.parametrize(("qid", "typed", "status"), [
    ("bert-attention-params", "2,362,368", "correct"),
    ("bert-attention-params", "2.36237e+06", "incorrect"),  # the old display of the key
    ("bert-mlm-rate", "15%", "correct"),
    ("bert-mlm-rate", "15", "correct"),
    ("hw5-dj-do-value", "–0.7", "correct"),
    ("hw5-attention-memory", "64 MiB", "correct"),
    ("hw5-attention-memory", "0.0625 GiB", "correct"),
    ("hw5-masked-row-weights", "0.33", "correct"),  # 2 decimals asked for
    ("hw5-masked-row-weights", "1/3", "correct"),
    ("hw5-masked-row-weights", "0.3", "incorrect"),
    ("we-glove-weight-value", "0.178", "correct"),
    ("we-glove-weight-value", "0.18", "incorrect"),
    ("hw5-linear-attention-speedup", "1.6×10^1", "correct"),
])
def test_course_numeric_questions_read_real_answers(qid: str, typed: str, status: str) -> None:
    question = bank()[qid]
    outcome = score_raw(question, typed, seed=1, rule="net-correct")  # type: ignore[arg-type]
    assert outcome.status == status, (outcome.feedback, outcome.correct_answer)


def test_the_key_of_a_rounded_question_is_shown_with_the_precision_asked() -> None:
    outcome = score_raw(bank()["hw5-masked-row-weights"], "0.5", seed=1,  # type: ignore[arg-type]
                        rule="net-correct")
    assert outcome.correct_answer == "1/3 ≈ 0.33 (Give the answer to 2 decimal places)"
    outcome = score_raw(bank()["bert-attention-params"], "1", seed=1,  # type: ignore[arg-type]
                        rule="net-correct")
    assert outcome.correct_answer == "2362368"


def test_an_inexact_key_without_a_precision_is_rejected_by_validate(write_yaml,
                                                                    mini: Path) -> None:
    from autograder.quiz.loader import QuizError

    text = mini.read_text().replace("answer: 8\n", 'answer: "1/3"\n').replace(
        "    tolerance: {abs: 0.01}\n", "")
    with pytest.raises(QuizError, match="1/3 has no exact decimal form: set 'decimals'"):
        load_quiz(write_yaml("q.yaml", text))


@pytest.mark.parametrize(("typed", "status"), [
    ("[SEP]", "correct"), ("sep", "correct"), ("SEP.", "correct"), ("  [sep]! ", "correct"),
    ('"[SEP]"', "correct"), ("[CLS]", "incorrect")])
def test_short_answers_ignore_case_and_trailing_punctuation(mini: Path, typed: str,
                                                            status: str) -> None:
    question = load_quiz(mini).quiz.question("mini-short")
    assert question is not None
    assert score_raw(question, typed, seed=1, rule="net-correct").status == status


@pytest.mark.parametrize("typed", ["[MASK]", "mask", "<mask>", "<MASK>."])
def test_declared_spellings_of_a_short_answer_are_accepted(typed: str) -> None:
    outcome = score_raw(bank()["bert-mask-token-name"], typed, seed=1,  # type: ignore[arg-type]
                        rule="net-correct")
    assert outcome.status == "correct"
