"""Submissions of several files are graded file by file (tests/fixtures/toy_course, `pair`).

Each file is imported on its own in the sandbox: one that fails costs only its own tests (a
`module` marker says which), with its traceback; the others are graded. Only when no file
imports is the submission an `import_error`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.feedback.render import student_html, student_markdown
from autograder.gradebook import Gradebook
from autograder.report import class_table
from autograder.results import SubmissionResult
from autograder.sanitize import clean_result

LEFT = '"""Left."""\n\n\ndef scale(x, k):\n    return k * x\n'
RIGHT = '"""Right."""\n\nimport helper\n\n\ndef offset(x):\n    return helper.ONE + x\n'
SUBMISSIONS = {
    "correct": {"left.py": LEFT, "right.py": RIGHT},
    "left_broken": {"left.py": "def scale(x, k)\n    return k * x\n", "right.py": RIGHT},
    "right_needs_a_package": {"left.py": LEFT,
                              "right.py": "import pandas_that_nobody_installed\n" + RIGHT},
    "right_needs_its_own_file": {"left.py": LEFT, "right.py": "from loss import f\n" + RIGHT},
    # A name the student added to their own copy of a support file (a real CS224N submission
    # imported AverageMeter from its edited utils.py): the grader's copy lacks it.
    "right_needs_its_own_helper": {"left.py": LEFT,
                                   "right.py": "from helper import AverageMeter\n" + RIGHT},
    "both_broken": {"left.py": "raise ValueError('left is not done')\n",
                    "right.py": "import pandas_that_nobody_installed\n"},
}


@pytest.fixture(scope="module")
def pair(toy_course: Path, grade, tmp_path_factory) -> dict[str, SubmissionResult]:  # type: ignore[no-untyped-def]
    folder = tmp_path_factory.mktemp("pair")
    for student, files in SUBMISSIONS.items():
        (folder / student).mkdir()
        for name, text in files.items():
            (folder / student / name).write_text(text)
    return grade(toy_course, "pair", folder)


def by_name(result: SubmissionResult) -> dict[str, object]:
    return {t.name: t for t in result.tests}


def subtotals(result: SubmissionResult) -> dict[str, tuple]:
    return {m.name: (m.score, m.max_score, m.status) for m in result.modules}


def test_a_correct_submission_has_a_subtotal_per_file(pair):
    r = pair["correct"]
    assert (r.status, r.score, r.max_score) == ("graded", 10.0, 10.0)
    assert subtotals(r) == {"left.py": (4.0, 4.0, "graded"), "right.py": (5.0, 5.0, "graded")}
    assert {t.name: t.module for t in r.tests} == {
        "test_offset_of_one": "right.py",  # a module-level pytestmark
        "test_scale_by_one": "left.py",  # ... that a test's own marker overrides
        "test_scale": "left.py", "test_offset": "right.py", "test_offset_of_zero": "right.py",
        "test_both_together": "", "test_skipped_here": "left.py"}


def test_a_file_that_does_not_import_costs_only_its_own_tests(pair):
    r = pair["left_broken"]
    assert r.status == "graded" and r.score == 5.0
    assert subtotals(r) == {"left.py": (0.0, 4.0, "import_error"),
                            "right.py": (5.0, 5.0, "graded")}
    tests = by_name(r)
    assert tests["test_scale"].status == "error"
    assert tests["test_scale"].output.startswith("not run: left.py could not be imported")
    assert "SyntaxError" in tests["test_scale"].output
    assert "SyntaxError" in r.modules[0].message and "left.py, line 1" in r.modules[0].message
    # A test of the whole submission that uses the broken file fails with its import error.
    together = tests["test_both_together"]
    assert together.status == "error" and "importing left.py" in together.output
    assert "left.py could not be imported" in r.message


def test_a_missing_package_costs_only_the_file_that_imports_it_and_says_what_to_do(pair):
    r = pair["right_needs_a_package"]
    assert r.status == "graded" and r.score == 4.0
    assert subtotals(r)["right.py"] == (0.0, 5.0, "import_error")
    message = r.modules[1].message
    assert "No module named 'pandas_that_nobody_installed'" in message
    assert "neither installed where your code is graded" in message
    # The student's own extra file is their problem too, never the grader's.
    own = pair["right_needs_its_own_file"]
    assert own.status == "graded" and subtotals(own)["right.py"][2] == "import_error"
    assert "No module named 'loss'" in own.modules[1].message


def test_a_name_missing_from_the_graders_copy_of_a_support_file_is_explained(pair):
    r = pair["right_needs_its_own_helper"]
    assert r.status == "graded" and r.score == 4.0
    message = r.modules[1].message
    assert "cannot import name 'AverageMeter' from 'helper'" in message
    assert "helper.py is a support file of this assignment" in message
    assert "the grader's own copy, not yours" in message and "'AverageMeter'" in message


def test_a_submission_where_no_file_imports_is_an_import_error(pair):
    r = pair["both_broken"]
    assert (r.status, r.score) == ("import_error", 0.0)
    assert "left is not done" in r.message and "pandas_that_nobody_installed" in r.message
    assert all(m.status == "import_error" for m in r.modules)
    assert all(t.output.startswith("not run: your code could not be imported")
               for t in r.tests if t.status != "skipped")


def test_the_maximum_says_which_tests_were_skipped_here(pair):
    r = pair["correct"]
    reason = "needs a device this grader lacks (pip install 'toy[gpu]')"
    assert r.not_counted == {reason: 1.0}
    assert r.max_score_text() == f"10 (11 with the 1 point of tests skipped here: {reason})"


def test_subtotals_survive_json_and_the_gradebook(pair, tmp_path):
    r = pair["left_broken"]
    again = SubmissionResult.from_json(json.loads(json.dumps(r.to_json())))
    assert again == r
    book = Gradebook(f"sqlite:///{tmp_path / 'gb.db'}")
    book.record("pair", r)
    stored = book.current("pair", "left_broken")
    book.close()
    assert stored is not None
    assert stored.modules == r.modules and stored.not_counted == r.not_counted
    assert [t.module for t in stored.tests] == [t.module for t in r.tests]
    assert SubmissionResult.from_json({k: v for k, v in r.to_json().items()
                                       if k not in ("modules", "not_counted")}).modules == []


def test_feedback_and_the_terminal_show_the_subtotals(pair):
    r = clean_result(pair["left_broken"])
    md = student_markdown(r, title="Pair", slug="pair")
    assert "## By file" in md and "| `left.py` | could not be imported | 0/4 |" in md
    assert "### left.py could not be imported" in md
    html = student_html(r, title="Pair", slug="pair")
    assert "<h2>By file</h2>" in html and "import error" in html
    assert "11 with the 1 point of tests skipped here" in html
    from rich.console import Console

    console = Console(width=200, record=True)
    console.print(class_table("pair", list(pair.values())))
    text = console.export_text()
    assert "left.py · right.py" in text and "0/4 · 5/5" in text
    assert "left.py could not be imported" in text
    assert "maximum 10 (11 with the 1 point" in text
    assert "'toy[gpu]'" in text  # the reason is text, never rich markup


def test_check_grades_the_files_that_import_and_says_why_one_did_not(toy_course, tmp_path):
    for name, text in SUBMISSIONS["left_broken"].items():
        (tmp_path / name).write_text(text)
    proc = subprocess.run([sys.executable, "-m", "autograder.cli", "check", "pair",
                           str(tmp_path / "left.py"), str(tmp_path / "right.py"), "--course",
                           str(toy_course)], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "COLUMNS": "120"})
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "public tests: 1/2" in proc.stdout
    assert "by file: left.py 0/1 (import error) · right.py 1/1" in proc.stdout
    assert "left.py could not be imported" in proc.stdout and "SyntaxError" in proc.stdout
