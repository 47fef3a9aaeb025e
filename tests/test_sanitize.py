"""Student text made safe in one place (autograder/sanitize.py)."""

from __future__ import annotations

from autograder.results import SubmissionResult, TestResult
from autograder.sanitize import clean, clean_result, csv_cell, student_id


def test_control_characters_and_escape_sequences_are_removed() -> None:
    assert clean("a\x00b\x1b[31mred\x1b[0m\x1b]0;title\x07\r\nz", limit=100) == "abred\nz"


def test_fields_are_capped_with_a_note() -> None:
    text = clean("x" * 50, limit=10)
    assert text.startswith("x" * 10) and "40 more characters" in text


def test_student_ids_fit_the_gradebook_and_stay_unique() -> None:
    assert student_id("alice") == "alice"
    long_a, long_b = student_id("a" * 300), student_id("a" * 299 + "b")
    assert len(long_a) <= 200 and len(long_b) <= 200 and long_a != long_b
    assert "\x1b" not in student_id("e\x1b[2Jvil") and student_id("e\x1b[2Jvil") != "evil"
    assert student_id(student_id("a" * 300)) == student_id("a" * 300)  # idempotent


def test_feedback_never_names_the_graders_paths() -> None:
    result = SubmissionResult(
        "s", 0.0, 1.0, "graded", message="see /srv/course/solutions/x.py",
        tests=[TestResult("t", 0.0, 1.0, "error", "FileNotFoundError: /srv/course/data/y")],
        diagnostics="/srv/course/solutions/x.py failed")
    clean_ = clean_result(result, hide=["/srv/course", "/usr"])
    assert "/srv/course" not in clean_.message + clean_.tests[0].output
    assert "/srv/course" in clean_.diagnostics  # the instructor's copy keeps it


def test_csv_cells_never_start_a_formula() -> None:
    assert csv_cell("=1+1") == "'=1+1" and csv_cell("@SUM(A1)") == "'@SUM(A1)"
    assert csv_cell("alice") == "alice"
