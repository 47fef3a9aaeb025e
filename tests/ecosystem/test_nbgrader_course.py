"""`nlpgrade grade --nbgrader-course`: nbgrader's layout in and out, nbgrader's own gradebook
(read back by the real `nbgrader export`), and the late penalty."""

from __future__ import annotations

import csv
import json
import shutil
from datetime import datetime, timedelta, timezone

import nbformat
import pytest

from autograder.commands import grade as grade_command
from autograder.course import LatePenalty
from autograder.nbgrader_course.late import lateness, parse_timestamp
from tests.conftest import TOY

DUE = datetime(2026, 3, 1, 23, 59, tzinfo=timezone.utc)


def test_timestamps_in_nbgrader_format_parse_as_utc():
    assert parse_timestamp("2026-03-02 01:00:00.123456 UTC") == datetime(
        2026, 3, 2, 1, 0, 0, 123456, tzinfo=timezone.utc)
    assert parse_timestamp("2026-03-02T01:00:00-05:00").utcoffset() == timedelta(hours=-5)


@pytest.mark.parametrize("delay, percent", [
    (timedelta(minutes=-1), 0.0), (timedelta(minutes=10), 0.0),  # on time, within grace
    (timedelta(minutes=16), 10.0), (timedelta(hours=24, minutes=15), 10.0),
    (timedelta(hours=24, minutes=16), 20.0), (timedelta(days=30), 50.0)])
def test_late_rule_takes_percent_per_started_day_after_grace_capped(delay, percent):
    rule = LatePenalty(percent_per_day=10, max_percent=50, grace_minutes=15)
    assert lateness(DUE + delay, DUE, rule).percent == percent
    assert lateness(DUE + delay, None, rule).percent == 0.0


@pytest.fixture(scope="module")
def nbgrader_run(tmp_path_factory):  # type: ignore[no-untyped-def]
    base = tmp_path_factory.mktemp("nbg")
    course = base / "course"
    shutil.copytree(TOY, course, ignore=shutil.ignore_patterns("submissions"))
    manifest = course / "assignments" / "toy" / "assignment.yaml"
    manifest.write_text(manifest.read_text() + "due: 2026-03-01T23:59:00Z\n"
                        "late_penalty: {percent_per_day: 10, max_percent: 50}\n")
    root = base / "nbgrader"
    correct = (TOY / "submissions" / "correct" / "toy.py").read_text()
    submissions = {
        "alice": ("toy.py", correct, "2026-03-01 20:00:00.000000 UTC"),
        "bob": ("toy.ipynb", nbformat.writes(nbformat.v4.new_notebook(cells=[
            nbformat.v4.new_code_cell(correct)])), "2026-03-03 08:00:00.000000 UTC"),
        "carol": ("notes.txt", "forgot", "2026-03-01 10:00:00.000000 UTC"),
    }
    for student, (name, text, stamp) in submissions.items():
        folder = root / "submitted" / student / "toy"
        folder.mkdir(parents=True)
        (folder / name).write_text(text)
        (folder / "timestamp.txt").write_text(stamp)
    (root / "submitted" / "alice" / "toy" / "link").symlink_to(course / "solutions")
    code = grade_command.main(["toy", "--course", str(course), "--nbgrader-course", str(root),
                               "--workers", "1", "--json", str(base / "toy.json")])
    assert code == 0
    return root


def test_autograded_and_feedback_follow_nbgrader_layout(nbgrader_run):
    root = nbgrader_run
    alice = root / "autograded" / "alice" / "toy"
    assert sorted(p.name for p in alice.iterdir()) == ["nlpgrade-result.json", "timestamp.txt",
                                                       "toy.py"]  # the symlink is not copied
    assert json.loads((alice / "nlpgrade-result.json").read_text())["score"] == 7.0
    feedback = root / "feedback" / "bob" / "toy"
    assert {p.name for p in feedback.iterdir()} == {"toy.html", "toy.md", "timestamp.txt"}
    assert "late by 32.0 h (2 started days" in (feedback / "toy.md").read_text()
    report = json.loads((root.parent / "toy.json").read_text())  # for `nlpgrade report`
    assert {s["student"]: s["score"] for s in report["submissions"]} == {
        "alice": 7.0, "bob": pytest.approx(5.6), "carol": 0.0}


def test_scores_go_into_nbgrader_gradebook_and_nbgrader_export_reads_them(nbgrader_run):
    from nbgrader.api import Gradebook
    from nbgrader.plugins.export import CsvExportPlugin

    root = nbgrader_run
    out = root / "grades.csv"
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:  # what `nbgrader export` runs
        CsvExportPlugin(to=str(out)).export(gb)
    rows = {r["student_id"]: r for r in csv.DictReader(out.open())}
    assert float(rows["alice"]["score"]) == 7.0 and float(rows["alice"]["max_score"]) == 7.0
    # bob: 2 started days late at 10% per day: 7 - 1.4
    assert float(rows["bob"]["raw_score"]) == 7.0
    assert float(rows["bob"]["late_submission_penalty"]) == pytest.approx(1.4)
    assert float(rows["bob"]["score"]) == pytest.approx(5.6)
    assert float(rows["carol"]["score"]) == 0.0  # missing: still a row, with zero


def test_without_nbgrader_the_csv_has_nbgrader_exports_columns(tmp_path):
    from autograder.nbgrader_course.gradebook import EXPORT_COLUMNS, Graded, write_export_csv
    from autograder.results import SubmissionResult
    from autograder.results import TestResult as Outcome

    result = SubmissionResult("bob", 5.6, 7.0, "graded", tests=[
        Outcome("test_a", 3.0, 3.0, "passed"), Outcome("test_b", 4.0, 4.0, "passed")])
    path = tmp_path / "export.csv"
    write_export_csv(path, "toy", due=DUE, max_score=7.0,
                     graded=[Graded(result, DUE + timedelta(days=1), 1.4)])
    rows = list(csv.DictReader(path.open()))
    assert list(rows[0]) == EXPORT_COLUMNS
    assert (rows[0]["raw_score"], rows[0]["late_submission_penalty"], rows[0]["score"]) == (
        "7", "1.4", "5.6")
    assert rows[0]["duedate"] == "2026-03-01 23:59:00"
