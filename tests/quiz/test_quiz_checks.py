"""validate: every error of a file in one pass, YAML coercions, cited sections that exist,
and the giveaways that let a learner score without knowing the material."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest
import yaml

from autograder.quiz.loader import QuizError, load_quizzes
from autograder.quiz.paths import all_quiz_files
from autograder.quiz.sources import SECTIONS_FILE, check_source, documents

HEADER = """\
id: bert
title: BERT
source: Quiz-3 notes
questions:
"""


def question(qid: str, body: str, *, tags: str = "[bert]",
             source: str = "Quiz 3 notes, section 'masking procedure'") -> str:
    common = f"""\
  - id: {qid}
    prompt: Pick one
    tags: {tags}
    source: "{source}"
    explanation: Because.
"""
    return common + textwrap.indent(textwrap.dedent(body), "    ")


def problems(path: Path) -> list[str]:
    with pytest.raises(QuizError) as err:
        load_quizzes([path], check_symbolic=True)
    return [str(p) for p in err.value.problems]


def line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


def test_a_duplicate_key_does_not_hide_the_other_errors_of_the_file(write_yaml) -> None:
    path = write_yaml("q.yaml", HEADER
                      + question("q1", "type: true_false\nanswer: true\nanswer: false\n")
                      + question("q2", "type: numeric\nanswer: 3\ntolerance: {}\n")
                      + question("q3", "type: single\noptions: [{text: alpha}, {text: beta}]\n")
                      + question("q4", "type: multi\n"))
    found = problems(path)
    assert len(found) == 4, found
    assert f"q.yaml:{line_of(path, 'answer: false')}: key 'answer' appears twice" in found[0]
    assert any("question 'q2': field 'tolerance': give 'abs' or 'rel'" in p for p in found)
    assert any("question 'q3': field 'options': no option is marked" in p for p in found)
    assert any("question 'q4': field 'type': unknown question type 'multi'" in p for p in found)


@pytest.mark.parametrize(("value", "read_as"), [
    ("1.10", "1.1"), ("1_000", "1000"), ("yes", "true"), ("null", "null"), ("017", "15")])
def test_an_unquoted_value_yaml_would_change_is_reported_with_the_fix(
        write_yaml, value: str, read_as: str) -> None:
    path = write_yaml("q.yaml", HEADER + question("version", f"""\
        type: single
        options:
          - {{text: {value}, correct: true}}
          - {{text: "2.0 is the other one"}}
          - {{text: "3.0 is the last one"}}
    """))
    [message] = problems(path)
    assert f"question 'version': field 'options[0].text': unquoted {value} is read by YAML " \
           f"as {read_as}; write it in quotes: \"{value}\"" in message


def test_a_number_that_survives_yaml_unchanged_needs_no_quotes(write_yaml) -> None:
    path = write_yaml("q.yaml", HEADER + question("heads", """\
        type: single
        options:
          - {text: 64, correct: true}
          - {text: 128}
          - {text: 512}
    """))
    load_quizzes([path])


@pytest.mark.parametrize(("source", "message"), [
    ("Homework 5 §2.3", "Homework 5 has no §2.3; did you mean"),
    ("Homework 5 §2.1", None),
    ("Homework 6 §1", "unknown document 'Homework 6'"),
    ("Transformer lecture, slide 'Multi-head attention'", None),
    ("Transformer lecture, slide 'Multihead attention'",
     "has no slide 'Multihead attention'; did you mean 'Multi-head attention'?"),
    ("Transformer lecture, section 'Beam search'", "is cited by slide"),
    ("NLP notes §3", "has no numbered sections"),
    ("Quiz-3 notes: BERT", "is not a citation"),
    ("Homework 5 §3.5 Q1; NLP notes, section 'The GloVe Model'", None),
])
def test_a_citation_must_name_a_section_that_exists(source: str, message: str | None) -> None:
    found = check_source(source)
    if message is None:
        assert found == []
    else:
        assert len(found) == 1 and message in found[0]


def test_every_bank_question_cites_sections_that_exist() -> None:
    for qf in load_quizzes(all_quiz_files()):
        for q in qf.quiz.questions:
            assert q.source and check_source(q.source) == [], (q.id, q.source)


def course_documents() -> Path | None:
    """The course's documents: $NLPGRADE_COURSE_DOCS (CI's fresh clone under /tmp sets it to
    the shared/course next to the checkout it came from), else a shared/course above here."""
    named = os.environ.get("NLPGRADE_COURSE_DOCS")
    if named and Path(named).is_dir():
        return Path(named)
    for parent in Path(__file__).resolve().parents:
        candidate = parent / "shared" / "course"
        if candidate.is_dir():
            return candidate
    return None


@pytest.mark.skipif(course_documents() is None, reason="shared/course is not checked out here")
def test_the_section_lists_match_the_course_documents() -> None:
    """Every listed title occurs in its document (the lists are copied, never the text)."""
    folder = course_documents()
    assert folder is not None
    data = yaml.safe_load(SECTIONS_FILE.read_text(encoding="utf-8"))
    for doc in documents().values():
        text = (folder / doc.file).read_text(encoding="utf-8").casefold()
        for title in doc.titles:
            assert title.casefold() in text, (doc.name, title)
        for number, title in doc.numbered.items():
            head = number.split()[0]
            assert (f"{head} " in text or f"## {head}" in text), (doc.name, number, title)
    assert set(data["documents"]) == {"hw5", "lecture", "notes", "quiz3", "interview"}


def test_a_key_that_is_clearly_the_longest_option_is_a_giveaway(write_yaml) -> None:
    path = write_yaml("q.yaml", HEADER + question("long", """\
        type: single
        options:
          - text: "Because the softmax saturates when the scores have a large variance"
            correct: true
          - {text: "To save time"}
          - {text: "For symmetry"}
    """))
    [message] = problems(path)
    assert "field 'options[0].text': giveaway: the key is the longest option by far" in message


def test_partial_credit_for_ticking_every_option_is_a_giveaway(write_yaml) -> None:
    path = write_yaml("q.yaml", HEADER + question("many", """\
        type: multiple
        options:
          - {text: alpha, correct: true}
          - {text: beta, correct: true}
          - {text: gamma, correct: true}
          - {text: delta}
    """))
    [message] = problems(path)
    assert "giveaway: ticking every option earns 67% under 'net-correct'" in message


def test_a_tag_that_names_the_answer_is_a_giveaway(write_yaml) -> None:
    path = write_yaml("q.yaml", HEADER + question("name", """\
        type: short
        accept: [beam search]
    """, tags="[decoding, beam-search]"))
    [message] = problems(path)
    assert "field 'tags[1]': giveaway: the tag 'beam-search' names the answer" in message


def test_validate_reports_true_false_keys_that_are_mostly_true(cli, write_yaml) -> None:
    body = "".join(question(f"t{i}", "type: true_false\nanswer: true\n") for i in range(6))
    path = write_yaml("q.yaml", HEADER + body)
    rc, _, err = cli("validate", path)
    assert rc == 1
    assert "giveaway: 6 of 6 true/false keys are true (100%)" in err


def test_the_bank_passes_every_giveaway_check(cli) -> None:
    rc, out, err = cli("validate")
    assert rc == 0, err
    assert "giveaway" not in err


def test_answering_the_first_option_everywhere_no_longer_pays() -> None:
    """The old attack: an answer file of all "a" (and all true). Without a seed, letters are
    not accepted at all; with a seed, "a" lands on the key about as often as chance."""
    from autograder.quiz.scoring import score_answers

    for qf in load_quizzes(all_quiz_files()):
        quiz = qf.quiz
        answers: dict[str, object] = {q.id: True if q.type == "true_false" else "a"
                                      for q in quiz.questions}
        seedless = score_answers(quiz, answers, seed=None)
        choice = [o for o, q in zip(seedless, quiz.questions, strict=True)
                  if q.type in ("single", "multiple", "ordering")]
        assert all(o.score == 0 for o in choice)
        total = sum(sum(o.score for o in score_answers(quiz, answers, seed=s)) / quiz.max_score
                    for s in range(20)) / 20
        assert total < 0.35, (quiz.id, total)
