"""Per-student feedback (HTML, Markdown) and the class report (CSV, PNGs, HTML summary)."""

from __future__ import annotations

import base64
import csv
import json
import re

from autograder import results as res
from autograder.commands import report as report_command
from autograder.feedback.render import STDOUT_SHOWN, file_stem, student_html, student_markdown
from autograder.results import SubmissionResult

PNG = b"\x89PNG\r\n\x1a\n"
HOSTILE = "<script>alert('x')</script>"


def results() -> list[SubmissionResult]:
    hostile = HOSTILE
    return [
        SubmissionResult("alice", 3.0, 3.0, "graded", "2 of 2 tests passed", tests=[
            res.TestResult("test_public_one", 1.0, 1.0, "passed", "", "public"),
            res.TestResult("test_hidden_two", 2.0, 2.0, "passed", "", "hidden")]),
        SubmissionResult(f"../{hostile}", 1.0, 3.0, "graded", "1 of 2 tests passed", tests=[
            res.TestResult("test_public_one", 1.0, 1.0, "passed", "", "public"),
            res.TestResult("test_hidden_two", 0.0, 2.0, "failed",
                       f"out[0]: got {hostile}, expected 2 ```", "hidden")],
            stdout="A" * (STDOUT_SHOWN + 500) + hostile),
        SubmissionResult("carol", 0.0, 3.0, "import_error", "SyntaxError: line 3", tests=[
            res.TestResult("test_public_one", 0.0, 1.0, "error", "not run", "public"),
            res.TestResult("test_hidden_two", 0.0, 2.0, "error", "not run", "hidden")]),
    ]


def test_student_html_escapes_everything_the_student_controls_and_caps_stdout():
    html = student_html(results()[1], title="Toy", slug="toy")
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "got &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;, expected 2" in html
    assert f"{500 + len(HOSTILE)} more characters not shown" in html
    assert "A" * STDOUT_SHOWN in html and "A" * (STDOUT_SHOWN + 1) not in html
    assert re.search(r"test_hidden_two</code>.*hidden.*failed.*0 / 2", html, re.S)
    assert "Where you lost points" in html


def test_student_markdown_lists_every_test_and_fences_messages_safely():
    md = student_markdown(results()[1], title="Toy", slug="toy")
    assert "| 2 | `test_hidden_two` | hidden | failed | 0/2 |" in md
    assert "\n````\nout[0]: got <script>" in md  # a longer fence than the message's ```
    assert "**Score: 1 / 3** (graded)" in md


def test_student_ids_cannot_escape_the_feedback_folder():
    assert "/" not in file_stem("../../etc/passwd") and file_stem("..") == "student"


def test_report_command_writes_csv_plots_summary_and_feedback(tmp_path, toy_course):
    data = {"assignment": "toy", "max_score": 3.0,
            "submissions": [r.to_json() for r in results()]}
    source = tmp_path / "toy.json"
    source.write_text(json.dumps(data))
    out = tmp_path / "report"
    assert report_command.main(["toy", "--course", str(toy_course), "--json", str(source),
                                "-o", str(out)]) == 0
    rows = list(csv.DictReader((out / "scores.csv").open()))
    assert [r["student"] for r in rows] == ["../<script>alert('x')</script>", "alice", "carol"]
    assert rows[1]["score"] == "3" and rows[1]["test_hidden_two"] == "2"
    assert rows[2]["status"] == "import_error"
    for png in ("histogram.png", "pass_rate.png"):
        assert (out / png).read_bytes().startswith(PNG)
    summary = (out / "summary.html").read_text()
    embedded = re.findall(r'src="data:image/png;base64,([^"]+)"', summary)
    assert len(embedded) == 2 and all(base64.b64decode(e).startswith(PNG) for e in embedded)
    assert "<script>" not in summary
    # Pass rate counts graded submissions only: 1 of 2 passed the hidden test.
    assert re.search(r"test_hidden_two</code>.*?1 / 2.*?50%", summary, re.S)
    pages = sorted(p.name for p in (out / "feedback").iterdir())
    assert pages == ["alice.html", "alice.md", "carol.html", "carol.md",
                     "script_alert_x_script.html", "script_alert_x_script.md"]


def test_report_without_results_says_to_grade_first(tmp_path, toy_course, capsys):
    code = report_command.main(["toy", "--course", str(toy_course), "--json",
                                str(tmp_path / "none.json")])
    assert code == 2 and "run `nlpgrade grade toy SUBMISSIONS_DIR` first" in capsys.readouterr(
        ).out.replace("\n", "")
