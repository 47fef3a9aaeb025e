"""The engine, black-box: fake submissions go in, results come out (tests/fixtures/toy_course)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.gradebook import Gradebook
from autograder.results import SUBMISSION_STATUSES, TEST_STATUSES, SubmissionResult

TEST_NAMES = ["test_double_of_ones_is_twos", "test_double_matches_the_reference_on_random_input",
              "test_counter_keeps_its_total_between_calls", "test_softmax_rows_sum_to_one"]


@pytest.fixture(scope="module")
def toy_results(toy_course: Path, grade) -> dict[str, SubmissionResult]:  # type: ignore[no-untyped-def]
    folder = toy_course / "submissions"
    (folder / "garbage").mkdir(exist_ok=True)
    (folder / "garbage" / "toy.py").write_bytes(bytes(range(256)) * 4)
    return grade(toy_course, "toy", folder)


def by_name(result: SubmissionResult) -> dict[str, object]:
    return {t.name: t for t in result.tests}


def test_every_submission_gets_a_row_with_every_test_listed(toy_results):
    assert len(toy_results) == 12
    for result in toy_results.values():
        assert result.status in SUBMISSION_STATUSES
        assert [t.name for t in result.tests] == TEST_NAMES, result.student
        assert all(t.status in TEST_STATUSES for t in result.tests)
        assert result.status == "graded" or result.message, result.student


def test_correct_submission_scores_full_marks(toy_results):
    r = toy_results["correct"]
    assert (r.status, r.score, r.max_score) == ("graded", 7.0, 7.0)
    assert "bwrap" in r.isolation


def test_wrong_value_fails_with_got_expected_and_the_named_mistake(toy_results):
    t = by_name(toy_results["wrong_double"])["test_double_matches_the_reference_on_random_input"]
    assert t.status == "failed" and t.score == 0
    assert "got" in t.output and "expected" in t.output and "atol" in t.output
    assert "you add one instead of doubling" in t.output
    assert toy_results["wrong_double"].score == 5.0  # the counter and softmax still count


def test_softmax_over_the_wrong_dim_is_named(toy_results):
    t = by_name(toy_results["wrong_dim"])["test_softmax_rows_sum_to_one"]
    assert t.status == "failed" and "over dim 0" in t.output


def test_student_exception_is_an_error_with_the_students_traceback(toy_results):
    t = by_name(toy_results["raises"])["test_softmax_rows_sum_to_one"]
    assert t.status == "error"
    assert "ValueError: softmax is not done yet" in t.output
    assert 'File "toy.py"' in t.output and "test_hidden" not in t.output


def test_infinite_loop_times_out_and_the_other_tests_still_run(toy_results):
    r = toy_results["slow"]
    assert by_name(r)["test_softmax_rows_sum_to_one"].status == "timeout"
    assert r.score == 5.0


def test_segfault_is_a_crash_and_the_sandbox_restarts_for_the_next_tests(toy_results):
    r = toy_results["segfault"]
    tests = by_name(r)
    assert tests["test_double_of_ones_is_twos"].status == "crashed"
    assert "SIGSEGV" in tests["test_double_of_ones_is_twos"].output
    assert tests["test_counter_keeps_its_total_between_calls"].status == "passed"
    assert tests["test_softmax_rows_sum_to_one"].status == "passed"


def test_student_output_is_captured_and_capped(toy_results):
    r = toy_results["chatty"]
    assert r.stdout.startswith("hello from the student")
    assert "more bytes not kept" in r.stdout
    assert any(t.status == "crashed" and "printed more than 64 KB" in t.output for t in r.tests)


def test_syntax_error_is_an_import_error_that_says_where(toy_results):
    r = toy_results["syntax_error"]
    assert r.status == "import_error" and r.score == 0
    assert "SyntaxError" in r.message and "nlpgrade check toy" in r.message
    assert all(t.output.startswith("not run: your code could not be imported") for t in r.tests)


def test_infinite_loop_at_import_is_an_import_error(toy_results):
    r = toy_results["import_loop"]
    assert r.status == "import_error" and "module level" in r.message


def test_missing_file_is_missing_with_what_was_found(toy_results):
    r = toy_results["absent"]
    assert r.status == "missing" and "README.txt" in r.message and "toy.py" in r.message


def test_binary_garbage_is_refused_before_the_sandbox(toy_results):
    r = toy_results["garbage"]
    assert r.status == "import_error" and "not UTF-8" in r.message


def test_untouched_stub_scores_zero(toy_results):
    r = toy_results["stub"]
    assert r.status == "graded" and r.score == 0
    assert "see README §1" in by_name(r)["test_double_of_ones_is_twos"].output


def test_gradebook_regrade_replaces_rows_and_never_duplicates(tmp_path, toy_results):
    book = Gradebook(f"sqlite:///{tmp_path / 'gb.db'}")
    for _ in range(2):
        for result in toy_results.values():
            book.record("toy", result)
    rows = list(book.submissions("toy"))
    assert len(rows) == len(toy_results)
    assert {r.student: r.score for r in rows} == {s: r.score for s, r in toy_results.items()}
    assert [t.name for t in rows[0].tests] == TEST_NAMES


def test_grade_command_writes_the_documented_json_and_the_gradebook(toy_course, tmp_path):
    out = tmp_path / "toy.json"
    db = tmp_path / "gb.db"
    subs = tmp_path / "subs"
    (subs / "alice").mkdir(parents=True)
    (subs / "alice" / "toy.py").write_text(
        (toy_course / "submissions" / "correct" / "toy.py").read_text())
    proc = subprocess.run(
        [sys.executable, "-m", "autograder.cli", "grade", "toy", str(subs), "--course",
         str(toy_course), "--json", str(out), "--db", f"sqlite:///{db}", "--workers", "1"],
        capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr + proc.stdout
    assert "alice" in proc.stdout and "7/7" in proc.stdout
    data = json.loads(out.read_text())
    assert set(data) >= {"assignment", "max_score", "submissions"}
    sub = data["submissions"][0]
    assert set(sub) >= {"student", "score", "max_score", "status", "message", "tests"}
    assert set(sub["tests"][0]) >= {"name", "score", "max_score", "status", "output"}
    assert db.exists()


def test_check_runs_only_the_public_tests_and_exits_zero_when_they_pass(toy_course):
    good = toy_course / "submissions" / "correct" / "toy.py"
    proc = subprocess.run([sys.executable, "-m", "autograder.cli", "check", "toy", str(good),
                           "--course", str(toy_course)], capture_output=True, text=True,
                          timeout=300, env={**os.environ, "COLUMNS": "120"})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "test_double_of_ones_is_twos" in proc.stdout
    assert "test_softmax_rows_sum_to_one" not in proc.stdout  # hidden stays hidden
    assert "hidden tests" in proc.stdout


def test_check_without_the_solutions_folder_works_for_students(toy_course, tmp_path):
    release = tmp_path / "release"
    (release / "assignments").mkdir(parents=True)
    import shutil

    shutil.copytree(toy_course / "assignments" / "toy", release / "assignments" / "toy")
    bad = tmp_path / "toy.py"
    bad.write_text((toy_course / "submissions" / "correct" / "toy.py").read_text().replace(
        "return x * 2", "return x * 3"))
    proc = subprocess.run([sys.executable, "-m", "autograder.cli", "check", "toy", str(bad),
                           "--course", str(release)], capture_output=True, text=True,
                          timeout=300, env={**os.environ, "COLUMNS": "120"})
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "double(ones(3))[0]: got 3, expected 2" in proc.stdout
