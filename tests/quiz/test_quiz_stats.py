"""Item analysis on a small class whose numbers were computed by hand."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from autograder import results as res
from autograder.quiz.itemstats import KEY_FLAG, analyse

# Six students, four one-point items. q4's key is "wrong": the strong students miss it.
#            q1 q2 q3 q4   total
MATRIX = {"s1": (1, 1, 1, 0),  # 3
          "s2": (1, 1, 1, 0),  # 3
          "s3": (0, 0, 1, 1),  # 2
          "s4": (1, 1, 0, 0),  # 2
          "s5": (0, 0, 0, 1),  # 1
          "s6": (0, 0, 0, 0)}  # 0
ITEMS = [("q1", 1.0), ("q2", 1.0), ("q3", 1.0), ("q4", 1.0)]

# By hand (population variances throughout):
# - difficulty p: q1..q3 = 3/6 = 0.5; q4 = 2/6 = 1/3.
# - groups: round(0.27 * 6) = 2 students each; upper = s1, s2 (3, 3), lower = s5, s6 (1, 0).
#   D = p(upper) - p(lower): q1..q3 = 1 - 0 = 1; q4 = 0 - 1/2 = -1/2.
# - corrected point-biserial, r = cov(x, rest) / (sd(x) sd(rest)), rest = total - item:
#   q1: x = (1,1,0,1,0,0), rest = (2,2,2,1,1,0): cov = 1/6, var x = 1/4, var rest = 5/9,
#       r = (1/6) / sqrt(5/36) = 1/sqrt(5) = 0.44721.  q2 is the same as q1.
#   q3: x = (1,1,1,0,0,0), rest = (2,2,1,2,1,0): cov = 1/6, var rest = 5/9 -> 0.44721 too.
#   q4: x = (0,0,1,0,1,0), rest = (3,3,1,2,0,0): cov = -1/3, var x = 2/9, var rest = 19/12,
#       r = -(1/3) / sqrt(38/108) = -sqrt(6/19) = -0.56195.
# - alpha: item variances 1/4, 1/4, 1/4, 2/9 sum to 35/36; totals (3,3,2,2,1,0) have
#   variance 41/36; alpha = 4/3 * (1 - 35/41) = 8/41 = 0.19512.
EXPECTED = {"q1": (0.5, 1.0, 0.44721), "q2": (0.5, 1.0, 0.44721), "q3": (0.5, 1.0, 0.44721),
            "q4": (1 / 3, -0.5, -0.56195)}


def results() -> list[res.SubmissionResult]:
    out = []
    for student, row in MATRIX.items():
        tests = [res.TestResult(name=q, score=float(x), max_score=1.0,
                                status="passed" if x else "failed")
                 for (q, _), x in zip(ITEMS, row, strict=True)]
        out.append(res.SubmissionResult(student=student, score=float(sum(row)), max_score=4.0,
                                    status="graded", tests=tests))
    return out


def test_difficulty_discrimination_and_point_biserial_match_the_hand_computation() -> None:
    analysis = analyse(ITEMS, results())
    assert analysis.n_students == 6 and analysis.group_size == 2
    for item in analysis.items:
        p, d, r = EXPECTED[item.question_id]
        assert item.difficulty == pytest.approx(p)
        assert item.discrimination == pytest.approx(d)
        assert item.point_biserial == pytest.approx(r, abs=1e-5)


def test_cronbachs_alpha_matches_the_hand_computation() -> None:
    assert analyse(ITEMS, results()).alpha == pytest.approx(8 / 41)


def test_only_the_item_with_negative_discrimination_is_flagged_as_a_likely_wrong_key() -> None:
    flagged = [i.question_id for i in analyse(ITEMS, results()).items if KEY_FLAG in i.flags]
    assert flagged == ["q4"]


def test_unreadable_submissions_are_left_out_and_counted() -> None:
    broken = res.SubmissionResult(student="zed", score=0.0, max_score=4.0, status="import_error")
    analysis = analyse(ITEMS, [*results(), broken])
    assert (analysis.n_students, analysis.n_excluded) == (6, 1)
    assert analysis.alpha == pytest.approx(8 / 41)


def test_items_everyone_gets_right_have_no_correlation_and_say_why() -> None:
    rows = [r for r in results()]
    for r in rows:
        r.tests.append(res.TestResult(name="easy", score=1.0, max_score=1.0, status="passed"))
    item = analyse([*ITEMS, ("easy", 1.0)], rows).items[-1]
    assert item.point_biserial is None and item.difficulty == 1.0
    assert item.flags == ("everyone got it right: it does not discriminate",)


@pytest.fixture
def tf_class(write_yaml) -> tuple[Path, Path]:
    """The same class as answer files to a four-question true/false quiz."""
    questions = [{"id": q, "type": "true_false", "prompt": f"Statement {q}", "tags": ["t"],
                  "source": "Homework 5 §1 Q1", "explanation": "Because.",
                  "answer": True}
                 for q, _ in ITEMS]
    quiz = write_yaml("tf.yaml", {"id": "tf", "title": "TF", "source": "test",
                                  "questions": questions})
    for student, row in MATRIX.items():
        write_yaml(f"class/{student}.yaml", {"quiz": "tf", "answers": {
            q: bool(x) for (q, _), x in zip(ITEMS, row, strict=True)}})
    return quiz, quiz.parent / "class"


def test_stats_on_an_answer_folder_prints_and_writes_the_analysis(cli, tf_class,
                                                                  tmp_path: Path) -> None:
    quiz, folder = tf_class
    out = tmp_path / "stats.json"
    rc, text, _ = cli("stats", quiz, folder, "--json", out)
    assert rc == 0
    data = json.loads(out.read_text())
    assert data["alpha"] == pytest.approx(8 / 41)
    assert [round(i["point_biserial"], 5) for i in data["items"]] == [0.44721] * 3 + [-0.56195]
    assert "Cronbach's alpha 0.195" in text
    assert "negative discrimination: check the answer key" in text


def test_stats_reads_the_gradebook_after_grade(cli, tf_class, tmp_path: Path) -> None:
    quiz, folder = tf_class
    url = f"sqlite:///{tmp_path / 'g.db'}"
    assert cli("grade", quiz, folder, "--db", url)[0] == 0
    rc, text, _ = cli("stats", quiz, "--db", url)
    assert rc == 0 and "6 students" in text and "0.195" in text


def test_stats_without_results_says_how_to_get_them(cli, tf_class, tmp_path: Path) -> None:
    quiz, _ = tf_class
    rc, _, err = cli("stats", quiz, "--db", f"sqlite:///{tmp_path / 'empty.db'}")
    assert rc == 2 and "no results for quiz:tf; run `nlpgrade quiz grade` first" in err
