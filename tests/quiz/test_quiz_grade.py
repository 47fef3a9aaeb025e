"""Grading a class into the gradebook the assignments use (real SQLite through SQLAlchemy)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from autograder.gradebook import Gradebook

# Hand-written answer files have no seed, so they name options by their text.
MULTIPLE = ["Masked self-attention", "Encoder-decoder attention",
            "Position-wise feed-forward network"]
STEPS = ["Tokenize the text", "Map tokens to ids", "Look up embeddings",
         "Run the encoder layers", "Apply the classification head"]
RIGHT = {"mini-single": "[CLS]", "mini-multiple": MULTIPLE, "mini-tf": True,
         "mini-numeric": 8, "mini-symbolic": "d*mu^2", "mini-short": "[SEP]",
         "mini-order": STEPS}


@pytest.fixture
def answers(write_yaml) -> Path:
    write_yaml("answers/alice.yaml", {"quiz": "mini", "student": "alice", "answers": RIGHT})
    write_yaml("answers/bob.yaml", {"quiz": "mini", "answers": {
        **RIGHT, "mini-multiple": [MULTIPLE[0], MULTIPLE[2]], "mini-numeric": 9,
        "mini-symbolic": "d*mu"}})
    write_yaml("answers/carol.json", json.dumps({"quiz": "mini", "student": "carol",
                                                  "answers": {"mini-tf": False}}))
    write_yaml("answers/dave.yaml", "quiz: mini\nanswers:\n  mini-single: [a\n")
    write_yaml("answers/erin.yaml", {"quiz": "bert", "answers": {}})
    return Path(write_yaml("answers/.keep", "").parent)


def test_each_student_becomes_a_submission_with_one_test_per_question(
        cli, mini: Path, answers: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'gradebook.db'}"
    rc, out, _ = cli("grade", mini, answers, "--db", url)
    assert rc == 0
    book = Gradebook(url)
    results = {r.student: r for r in book.submissions("quiz:mini")}
    book.close()
    assert sorted(results) == ["alice", "bob", "carol", "dave", "erin"]
    alice, bob, carol = results["alice"], results["bob"], results["carol"]
    assert (alice.score, alice.max_score, alice.status) == (8.0, 8.0, "graded")
    assert [t.name for t in alice.tests] == list(RIGHT)
    assert {t.status for t in alice.tests} == {"passed"}
    assert bob.score == pytest.approx(8 - 1 / 3 - 1 - 1)
    multiple = next(t for t in bob.tests if t.name == "mini-multiple")
    assert (multiple.status, multiple.score) == ("failed", pytest.approx(2 / 3))
    assert ("partial: answered Masked self-attention; Position-wise feed-forward network; "
            "correct: Masked self-attention; Encoder-decoder attention") in multiple.output
    assert carol.score == 0.0 and carol.tests[0].output == "not answered"
    assert "5 students" in out and "recorded in sqlite:///" in out


def test_unreadable_or_foreign_answer_files_get_a_zero_row_with_the_reason(
        cli, mini: Path, answers: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'gradebook.db'}"
    cli("grade", mini, answers, "--db", url)
    book = Gradebook(url)
    results = {r.student: r for r in book.submissions("quiz:mini")}
    book.close()
    dave, erin = results["dave"], results["erin"]
    assert dave.status == "import_error" and dave.score == 0.0
    assert "dave.yaml:4: not valid YAML" in dave.message
    assert len(dave.tests) == 7 and all(t.output == dave.message for t in dave.tests)
    assert erin.status == "import_error"
    assert "answers are for quiz 'bert', not 'mini'" in erin.message


def test_regrading_replaces_rows_instead_of_adding_them(cli, mini: Path, answers: Path,
                                                        tmp_path: Path, write_yaml) -> None:
    url = f"sqlite:///{tmp_path / 'gradebook.db'}"
    cli("grade", mini, answers, "--db", url)
    write_yaml("answers/bob.yaml", {"quiz": "mini", "answers": RIGHT})
    cli("grade", mini, answers, "--db", url)
    book = Gradebook(url)
    results = list(book.submissions("quiz:mini"))
    book.close()
    assert len(results) == 5
    assert next(r for r in results if r.student == "bob").score == 8.0


def test_the_default_gradebook_is_in_the_current_directory(cli, mini: Path, answers: Path,
                                                           tmp_path: Path,
                                                           monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    rc, _, _ = cli("grade", mini, answers)
    assert rc == 0
    book = Gradebook(f"sqlite:///{tmp_path / 'gradebook.db'}")
    assert len(list(book.submissions("quiz:mini"))) == 5
    book.close()


def test_json_output_uses_the_results_format(cli, mini: Path, answers: Path,
                                             tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    cli("grade", mini, answers, "--db", f"sqlite:///{tmp_path / 'g.db'}", "--json", out)
    data = json.loads(out.read_text())
    assert data["assignment"] == "quiz:mini" and data["max_score"] == 8.0
    assert [s["student"] for s in data["submissions"]] == ["alice", "bob", "carol", "dave",
                                                          "erin"]
    assert data["submissions"][0]["tests"][0] == {
        "name": "mini-single", "score": 1.0, "max_score": 1.0, "status": "passed",
        "output": "correct: answered [CLS]", "visibility": "public",
        "module": ""}  # a quiz is one unit: no submitted file owns the question


def test_two_files_for_one_student_stop_the_batch_before_anything_is_recorded(
        cli, mini: Path, write_yaml, tmp_path: Path) -> None:
    write_yaml("dup/a.yaml", {"student": "alice", "answers": {}})
    folder = write_yaml("dup/b.yaml", {"student": "alice", "answers": {}}).parent
    url = f"sqlite:///{tmp_path / 'g.db'}"
    rc, _, err = cli("grade", mini, folder, "--db", url)
    assert rc == 2
    assert "b.yaml: field 'student': student 'alice' also has answers in" in err
    assert not (tmp_path / "g.db").exists()


def test_take_with_answers_grades_one_file_without_prompting(cli, mini: Path, answers: Path,
                                                             tmp_path: Path) -> None:
    out = tmp_path / "bob.json"
    rc, text, _ = cli("take", mini, "--answers", answers / "bob.yaml", "--json", out)
    assert rc == 0
    assert "✓ mini-single: 1/1" in text
    assert "◐ mini-multiple: 0.67/1" in text
    assert "Score: 5.67/8 (bob, options named by text)" in text
    assert json.loads(out.read_text())["score"] == pytest.approx(17 / 3)
