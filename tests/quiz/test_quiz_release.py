"""Quizzes that count: a key-free copy for learners, graded against the instructor's copy,
and no key printed for a blank answer."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from autograder.quiz.answers import label
from autograder.quiz.loader import load_quiz
from autograder.quiz.release import digest, secret_order
from autograder.quiz.shuffle import display_order


@pytest.fixture
def released(cli, mini: Path, tmp_path: Path) -> Path:
    out = tmp_path / "learners" / "mini.yaml"
    rc, _, err = cli("release", mini, "-o", out)
    assert rc == 0 and "no keys" in err
    return out


def test_the_released_copy_carries_no_keys_and_no_solved_order(released: Path,
                                                               mini: Path) -> None:
    text = released.read_text()
    data = yaml.safe_load(text)
    for banned in ("correct", "answer", "accept", "regex", "explanation", "feedback", "tags"):
        assert f"{banned}:" not in text, banned
    assert "d*mu^2" not in text and "separates segments" not in text
    instructor = load_quiz(mini).quiz
    order = next(q["items"] for q in data["questions"] if q["id"] == "mini-order")
    assert order != instructor.question("mini-order").items  # type: ignore[union-attr]
    assert data["release"] == {"of": "mini", "digest": digest(instructor)}
    assert load_quiz(released).quiz.release is not None


def test_the_secret_order_depends_on_what_the_copy_leaves_out(mini: Path, write_yaml) -> None:
    quiz = load_quiz(mini).quiz
    edited = mini.read_text().replace("[CLS] is prepended;", "[CLS] comes first;")
    other = load_quiz(write_yaml("edited.yaml", edited)).quiz
    assert [secret_order(q) for q in quiz.questions] == [secret_order(q) for q in
                                                          load_quiz(mini).quiz.questions]
    assert digest(quiz) != digest(other)  # the explanation feeds the secret


def answers_as_seen(released: Path, seed: int) -> dict[str, object]:
    """What a learner who knows everything types, reading the released copy's options."""
    copy = load_quiz(released).quiz
    right = {"mini-single": ["[CLS]"], "mini-multiple": ["Masked self-attention",
             "Encoder-decoder attention", "Position-wise feed-forward network"],
             "mini-order": ["Tokenize the text", "Map tokens to ids", "Look up embeddings",
                            "Run the encoder layers", "Apply the classification head"]}
    answers: dict[str, object] = {"mini-tf": True, "mini-numeric": 8,
                                  "mini-symbolic": "d mu^2", "mini-short": "sep"}
    for q in copy.questions:
        if q.id in right:
            order = display_order(q, seed)
            texts = ([q.options[i].text for i in order] if hasattr(q, "options")
                     else [q.items[i] for i in order])  # type: ignore[union-attr]
            answers[q.id] = " ".join(label(texts.index(t)) for t in right[q.id])
    return answers


def test_answers_to_the_copy_are_graded_against_the_instructors_quiz(
        cli, released: Path, mini: Path, write_yaml) -> None:
    sheet = {"quiz": "mini", "student": "ada", "seed": 31,
             "release": load_quiz(released).quiz.release.digest,  # type: ignore[union-attr]
             "answers": answers_as_seen(released, 31)}
    rc, out, _ = cli("take", mini, "--answers", write_yaml("ada.yaml", sheet))
    assert rc == 0 and "Score: 8/8 (ada, seed 31, release" in out


def test_answers_to_an_older_release_are_refused_not_misgraded(
        cli, released: Path, mini: Path, write_yaml, tmp_path: Path) -> None:
    sheet = {"quiz": "mini", "student": "bo", "seed": 31, "release": "0123456789ab",
             "answers": answers_as_seen(released, 31)}
    folder = write_yaml("class/bo.yaml", sheet).parent
    rc, out, _ = cli("grade", mini, folder, "--db", f"sqlite:///{tmp_path / 'g.db'}")
    assert rc == 0 and "import_error" in out


def test_the_copy_cannot_grade_itself(cli, released: Path, write_yaml) -> None:
    rc, _, err = cli("take", released, "--answers", write_yaml("a.yaml", {"answers": {}}))
    assert rc == 2 and "key-free copy: it cannot grade" in err


def test_a_blank_answer_file_reveals_no_keys(cli, mini: Path, write_yaml) -> None:
    rc, out, _ = cli("take", mini, "--answers", write_yaml("blank.yaml", {"quiz": "mini"}))
    assert rc == 0
    assert "correct:" not in out and "[CLS]" not in out and "d*mu^2" not in out
    assert "✗ mini-single: 0/1  (unanswered)" in out
