"""Students who try to stop or stall the class from the grader's side (issue 13, items 6-8).

Everything here goes through `nlpgrade grade` as an instructor runs it, on SQLite and on
PostgreSQL: student text that would crash a store or a terminal (NUL bytes, escape sequences,
rich markup, formulas, oversized fields and ids), a 7 MB import error, an expression that
would compute 10**(10**10) in the grader, and a submission that crashes in every call after an
import that sleeps just under its limit. The batch must end in bounded time, write a report of
bounded size, give every neighbour its grade, and record no `grader_error` for any of them.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.scale.conftest import db_url, postgres_admin, postgres_url  # noqa: F401

pytestmark = [pytest.mark.security, pytest.mark.slow]

ESCAPE = "\x1b]0;pwned\x07\x1b[2J\x1b[31m"
CORRECT = (REPO / "tests/fixtures/toy_course/submissions/correct/toy.py").read_text()

STUDENTS: dict[str, str] = {
    "honest": CORRECT,
    "prints-nul-and-escapes": CORRECT + f"\nprint('a\\x00b', {ESCAPE!r}, '[/x] [bold]x')\n",
    "<script>alert(1)<": CORRECT + "\nprint('<script>alert(1)</script> <img src=x onerror=1>')\n",
    "[red]markup-in-id[link=x]": CORRECT,
    "=HYPERLINK(\"x\")": CORRECT,
    "+1+1": CORRECT,
    "esc" + ESCAPE.replace("/", "") + "id": CORRECT,
    "l" * 250: CORRECT,
    "huge-import-error": "raise ImportError('x' * (7 << 20))\n",
    "crashes-every-call-after-a-slow-import": (
        "import os, time\ntime.sleep(3.5)\n"  # the toy's import limit is 4 s
        "def double(x):\n    os._exit(1)\n"
        "class Counter:\n    def __init__(self, start):\n        os._exit(1)\n"
        "def softmax(x):\n    os._exit(1)\n"),
}


def grade(course: Path, subs: Path, tmp: Path, url: str) -> tuple[subprocess.CompletedProcess[str],
                                                                 float]:
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "autograder.cli", "grade", "toy", str(subs), "--course",
         str(course), "--db", url, "--json", str(tmp / "report.json"), "--details"],
        capture_output=True, text=True, timeout=900, cwd=tmp,
        env={**os.environ, "COLUMNS": "200"})
    return proc, time.monotonic() - started


@pytest.fixture
def batch(toy_course: Path, tmp_path: Path) -> Path:
    subs = tmp_path / "subs"
    for student, source in STUDENTS.items():
        (subs / student).mkdir(parents=True)
        (subs / student / "toy.py").write_text(source)
    return subs


def test_student_text_cannot_crash_stall_or_deface_the_grader(toy_course: Path, batch: Path,
                                                              tmp_path: Path,
                                                              db_url: str) -> None:  # noqa: F811
    proc, elapsed = grade(toy_course, batch, tmp_path, db_url)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-3000:]  # no crash, no grader_error
    assert "\x1b" not in out and "\x00" not in out  # nothing reaches the terminal raw
    assert "MarkupError" not in out and "Traceback (most recent" not in out
    report = tmp_path / "report.json"
    assert report.stat().st_size < 2_000_000  # was 476 MB for the 7 MB import error
    data = {s["student"]: s for s in json.loads(report.read_text())["submissions"]}
    assert len(data) == len(STUDENTS)  # a row each, ids cleaned but kept apart
    assert data["honest"]["score"] == 7
    assert data["[red]markup-in-id[link=x]"]["score"] == 7
    assert all(s["status"] != "grader_error" for s in data.values())
    assert all(len(student) <= 200 for student in data)
    assert not any("\x1b" in s or "\x00" in s for s in json.dumps(data))
    huge = data["huge-import-error"]
    assert huge["status"] == "import_error" and len(huge["message"]) < 10_000
    assert all(len(t["output"]) < 500 for t in huge["tests"])  # not copied into every test
    slow = data["crashes-every-call-after-a-slow-import"]
    assert slow["status"] in ("graded", "import_error") and slow["score"] == 0
    # the toy's budget is 30 s: restarts no longer give the slow import its time back
    assert slow["duration_s"] < 45 and elapsed < 300, (slow["duration_s"], elapsed)


def test_report_files_escape_what_a_student_wrote(toy_course: Path, batch: Path,
                                                   tmp_path: Path) -> None:
    proc, _ = grade(toy_course, batch, tmp_path, f"sqlite:///{tmp_path / 'gb.db'}")
    assert proc.returncode == 0, proc.stdout[-2000:]
    out = tmp_path / "out"
    subprocess.run([sys.executable, "-m", "autograder.cli", "report", "toy", "--course",
                    str(toy_course), "--json", str(tmp_path / "report.json"), "--output",
                    str(out)], check=True, capture_output=True, text=True, cwd=tmp_path)
    rows = list(csv.reader((out / "scores.csv").open()))
    cells = [cell for row in rows for cell in row]
    assert "'=HYPERLINK(\"x\")" in cells and "'+1+1" in cells  # a text cell, never a formula
    assert not any(c.startswith(("=", "+", "@")) for c in cells)
    pages = list((out / "feedback").glob("*.md"))
    assert pages
    for page in pages:  # outside code fences (shown as code), no raw HTML from a student
        text = page.read_text()
        assert "\x1b" not in text
        assert "<script" not in re.sub(r"(`{3,})\n.*?\n\1", "", text, flags=re.S), page
    html = (out / "feedback").glob("*.html")
    assert not any("<script>alert" in p.read_text() for p in html)


def test_a_symbolic_answer_that_explodes_is_graded_in_bounded_time(tmp_path: Path) -> None:
    """`d**(d**d)` once computed 10**(10**10) in the grader until the watchdog, twice, and the
    student was marked as a grader problem. Now the child that evaluates it is killed."""
    reference = (REPO / "solutions/attention_variance/attention_variance.py").read_text()
    reference = "\n".join(line for line in reference.splitlines() if "### " not in line)
    subs = tmp_path / "subs"
    for student, formula in (("tower", "d**(d**d)"), ("huge-power", "(d + mu + sigma)**4000")):
        (subs / student).mkdir(parents=True)
        (subs / student / "attention_variance.py").write_text(
            reference + f"\n\ndef dot_product_mean(mu, sigma, d):\n    return {formula}\n")
    course = tmp_path / "course"
    for part in ("assignments/attention_variance", "solutions/attention_variance"):
        shutil.copytree(REPO / part, course / part)
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "autograder.cli", "grade", "attention_variance", str(subs),
         "--course", str(course), "--json", str(tmp_path / "r.json")],
        capture_output=True, text=True, timeout=900, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:]
    data = {s["student"]: s for s in json.loads((tmp_path / "r.json").read_text())
            ["submissions"]}
    for student in ("tower", "huge-power"):
        result = data[student]
        assert result["status"] == "graded" and 0 < result["score"] < result["max_score"]
        lost = [t for t in result["tests"] if t["name"].startswith("test_dot_product_mean")]
        assert all(t["status"] == "failed" for t in lost), lost
    assert time.monotonic() - started < 240
