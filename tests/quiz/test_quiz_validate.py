"""`quiz validate` and the loader: each error names the file, line, question and field."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from autograder.quiz.loader import QuizError, load_quiz, load_quizzes
from autograder.quiz.paths import all_quiz_files

HEADER = """\
id: bert
title: BERT
source: Quiz-3 notes
questions:
"""


def question(qid: str, body: str) -> str:
    common = f"""\
  - id: {qid}
    prompt: A question
    tags: [bert]
    source: "Quiz 3 notes, section 'masking procedure'"
    explanation: Because.
"""
    return common + textwrap.indent(textwrap.dedent(body), "    ")


def problems(path: Path, *, check_symbolic: bool = True) -> list[str]:
    with pytest.raises(QuizError) as err:
        load_quizzes([path], check_symbolic=check_symbolic)
    return [str(p) for p in err.value.problems]


def line_of(path: Path, needle: str) -> int:
    lines = path.read_text().splitlines()
    return next(i for i, line in enumerate(lines, start=1) if needle in line)


def test_a_missing_option_text_names_file_line_question_and_field(tmp_path: Path,
                                                                  monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "quizzes").mkdir()
    path = tmp_path / "quizzes" / "bert.yaml"
    path.write_text(HEADER + question("mlm-80-10-10", """\
        type: single
        options:
          - text: "80% [MASK], 10% random, 10% unchanged"
            correct: true
          - text: "100% [MASK]"
          - feedback: this option lost its text
    """))
    line = line_of(path, "- feedback: this option lost its text")
    assert problems(path) == [
        f"quizzes/bert.yaml:{line}: question 'mlm-80-10-10': field 'options[2].text': missing"]


def test_an_unknown_question_type_lists_the_valid_ones(write_yaml) -> None:
    path = write_yaml("q.yaml", HEADER + question("q1", "type: multi\n"))
    [message] = problems(path)
    assert f"q.yaml:{line_of(path, '- id: q1')}: question 'q1': field 'type':" in message
    assert "unknown question type 'multi'" in message and "multiple" in message


def test_a_misspelled_field_suggests_the_right_name(write_yaml) -> None:
    path = write_yaml("q.yaml", HEADER + question("q1", """\
        type: true_false
        answer: true
        feedbak_true: nearly
    """))
    [message] = problems(path)
    assert f":{line_of(path, 'feedbak_true')}: question 'q1': field 'feedbak_true':" in message
    assert "did you mean 'feedback_true'?" in message


def test_an_empty_explanation_is_rejected(write_yaml) -> None:
    path = write_yaml("q.yaml", HEADER + question("q1", "type: true_false\nanswer: true\n")
                      .replace("explanation: Because.", "explanation: '   '"))
    [message] = problems(path)
    assert f":{line_of(path, 'explanation:')}: question 'q1': field 'explanation': " \
           "missing: say why the key is right" in message


def test_a_single_choice_question_needs_exactly_one_correct_option(write_yaml) -> None:
    path = write_yaml("q.yaml", HEADER + question("q1", """\
        type: single
        options:
          - {text: alpha, correct: true}
          - {text: beta, correct: true}
    """))
    [message] = problems(path)
    assert f":{line_of(path, 'options:')}: question 'q1': field 'options':" in message
    assert "2 are marked correct (options[0], options[1])" in message


def test_a_symbolic_answer_key_that_does_not_parse_is_reported_with_its_column(write_yaml) -> None:
    path = write_yaml("q.yaml", HEADER + question("qk-mean", """\
        type: symbolic
        answer: "d*mu^^2"
        variables: {d: {assumptions: [positive]}, mu: {}}
    """))
    [message] = problems(path)
    assert f":{line_of(path, 'answer:')}: question 'qk-mean': field 'answer': does not parse: " \
           "column 6:" in message


def test_symbolic_keys_are_only_parsed_when_asked_so_take_needs_no_sympy(write_yaml) -> None:
    path = write_yaml("q.yaml", HEADER + question("qk-mean", """\
        type: symbolic
        answer: "d*mu^^2"
        variables: {d: {}, mu: {}}
    """))
    load_quiz(path)  # no error without check_symbolic
    assert problems(path, check_symbolic=True)


def test_duplicate_ids_across_files_point_at_the_first_use(write_yaml) -> None:
    first = write_yaml("a.yaml", HEADER + question("shared", "type: true_false\nanswer: true\n"))
    second = write_yaml("b.yaml", HEADER.replace("id: bert", "id: other")
                        + question("shared", "type: true_false\nanswer: false\n"))
    with pytest.raises(QuizError) as err:
        load_quizzes([first, second])
    [message] = [str(p) for p in err.value.problems]
    assert "b.yaml:5: question 'shared': field 'id': duplicate id, first used at" in message
    assert message.endswith("a.yaml:5")


def test_a_duplicate_yaml_key_is_an_error_not_a_silent_overwrite(write_yaml) -> None:
    path = write_yaml("q.yaml", HEADER + question("q1", """\
        type: true_false
        answer: true
        answer: false
    """))
    [message] = problems(path)
    assert f"q.yaml:{line_of(path, 'answer: false')}: key 'answer' appears twice" in message


def test_invalid_yaml_reports_its_line(write_yaml) -> None:
    path = write_yaml("q.yaml", HEADER + "  - id: q1\n    prompt: a: b: c\n")
    [message] = problems(path)
    assert "q.yaml:6: not valid YAML: mapping values are not allowed" in message


def test_an_invalid_regex_in_a_short_answer_is_reported(write_yaml) -> None:
    path = write_yaml("q.yaml", HEADER + question("q1", """\
        type: short
        regex: ['(unclosed']
    """))
    [message] = problems(path)
    assert "field 'regex[0]': not a valid regular expression" in message


def test_validate_lists_every_problem_and_exits_1(cli, write_yaml) -> None:
    path = write_yaml("q.yaml", HEADER + question("q1", "type: single\noptions: [{text: a}, "
                                                        "{text: b}]\n")
                      + question("q2", "type: numeric\nanswer: 3\ntolerance: {}\n"))
    rc, out, err = cli("validate", path)
    assert rc == 1
    assert "question 'q1': field 'options': no option is marked 'correct: true'" in err
    assert "question 'q2': field 'tolerance': give 'abs' or 'rel'" in err
    assert "2 problems in 1 file(s)" in err


def test_the_course_quizzes_validate(cli) -> None:
    rc, out, err = cli("validate")
    assert rc == 0, err
    assert out.startswith("OK: ")


def test_the_course_has_well_over_80_questions_of_every_type() -> None:
    files = load_quizzes(all_quiz_files())
    questions = [q for f in files for q in f.quiz.questions]
    assert len(questions) >= 100
    assert {q.type for q in questions} == {"single", "multiple", "true_false", "numeric",
                                           "symbolic", "short", "ordering"}
    assert all(q.source.strip() and q.explanation.strip() for q in questions)


def test_the_attention_statistics_are_symbolic_questions_with_the_right_keys() -> None:
    from autograder.quiz import symbolic

    by_id = {q.id: q for f in load_quizzes(all_quiz_files()) for q in f.quiz.questions}
    mean, var = by_id["hw5-qk-mean"], by_id["hw5-qk-variance"]
    assert mean.type == var.type == "symbolic"
    assert symbolic.is_equivalent(mean, "d μ²")
    assert symbolic.is_equivalent(var, "d σ⁴ + 2 d μ² σ²")
    assert not symbolic.is_equivalent(var, "d σ⁴")


def test_an_unknown_topic_lists_the_topics_that_exist(cli) -> None:
    rc, _, err = cli("take", "transformers")
    assert rc == 2
    assert "no quiz 'transformers' (topics: bert, hw5-concepts, hw5-math, interview, " \
           "sentiment-nli, transformer, word-embeddings)" in err


def test_a_question_id_used_twice_in_one_file_is_reported_at_the_second_use(write_yaml) -> None:
    path = write_yaml("q.yaml", HEADER + question("same", "type: true_false\nanswer: true\n")
                      + question("same", "type: true_false\nanswer: false\n"))
    [message] = problems(path)
    second = [i for i, line in enumerate(path.read_text().splitlines(), 1) if "id: same" in line]
    assert message == (f"{path}:{second[1]}: question 'same': field 'id': duplicate id, "
                       f"first used at {path}:{second[0]}")
