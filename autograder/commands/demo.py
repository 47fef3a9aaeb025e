"""`nlpgrade demo`: grade the bundled example submissions and show why each got its score.

Equivalent to `nlpgrade grade SLUG examples/submissions/SLUG` for each assignment that has
examples: a table, each student's lost points with their feedback, the SQLite gradebook and
a JSON report. Then the demo checks itself: examples/expected.yaml records the score each
example student must get, and one verdict line says whether every one did (exit status 1
when any differs, 2 when grading could not run).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autograder.commands import grade as grade_command
from autograder.commands.common import add_course
from autograder.course import find_course_root
from autograder.yamlfile import ConfigError, load_yaml

EXPECTED = "expected.yaml"
ENTRY = re.compile(r"^\s*(?P<score>\d+(?:\.\d+)?)\s*/\s*(?P<max>\d+(?:\.\d+)?)"
                   r"(?:\s+(?P<status>[a-z_]+))?\s*$")


@dataclass(frozen=True)
class Expected:
    score: float
    max_score: float
    status: str = "graded"

    def __str__(self) -> str:
        tail = "" if self.status == "graded" else f" {self.status}"
        return f"{self.score:g}/{self.max_score:g}{tail}"


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="nlpgrade demo", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("slugs", nargs="*", help="assignments (default: every one with examples)")
    p.add_argument("--workers", type=int, default=2, help="parallel sandboxes (default: 2)")
    add_course(p)
    return p


def expected_scores(path: Path, slug: str) -> dict[str, Expected]:
    """The expected result of each example student of `slug`, for this grader's packages."""
    data = load_yaml(path)[0] or {}
    entry = data.get(slug)
    if entry is None:
        return {}
    if not isinstance(entry, dict) or not isinstance(entry.get("scores"), dict):
        raise ConfigError(f"{path}: {slug!r}: needs a mapping 'scores: {{student: SCORE/MAX}}'")
    table: dict[str, Any] = dict(entry["scores"])
    for package, override in (entry.get("without") or {}).items():
        if importlib.util.find_spec(str(package)) is None:
            table.update(override or {})
    out: dict[str, Expected] = {}
    for student, text in table.items():
        match = ENTRY.match(str(text))
        if match is None:
            raise ConfigError(f"{path}: {slug}.{student}: {text!r} is not 'SCORE/MAX' or "
                              "'SCORE/MAX STATUS' (e.g. 0/77 missing)")
        out[str(student)] = Expected(float(match["score"]), float(match["max"]),
                                     match["status"] or "graded")
    return out


def compare(report: Path, expected: dict[str, Expected], slug: str) -> list[str]:
    """What differs between a JSON report and the expected results (empty: all as expected)."""
    got = {s["student"]: s for s in json.loads(report.read_text(encoding="utf-8"))
           ["submissions"]}
    problems = []
    for student, want in sorted(expected.items()):
        sub = got.get(student)
        if sub is None:
            problems.append(f"{slug}/{student}: not in the report")
            continue
        have = Expected(sub["score"] if sub["score"] is not None else float("nan"),
                        sub["max_score"], sub["status"])
        if (have.status != want.status or have.max_score != want.max_score
                or abs(have.score - want.score) > 1e-9):
            problems.append(f"{slug}/{student}: got {have}, expected {want}")
    for student in sorted(set(got) - set(expected)):
        problems.append(f"{slug}/{student}: graded but has no expected score in {EXPECTED}")
    return problems


def main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    course = find_course_root(args.course)
    examples = course / "examples" / "submissions"
    slugs = args.slugs or sorted(p.name for p in examples.iterdir()
                                 if (p.is_dir() and (course / "assignments" / p.name).is_dir()))
    problems: list[str] = []
    checked = 0
    status = 0
    for slug in slugs:
        print(f"\n$ nlpgrade grade {slug} {examples.relative_to(course) / slug}")
        code = grade_command.main([slug, str(examples / slug), "--course", str(course),
                                   "--workers", str(args.workers)])
        status = max(status, code)
        if code == 2:
            problems.append(f"{slug}: not graded (see the error above)")
            continue
        expected = expected_scores(course / "examples" / EXPECTED, slug)
        report = course / "reports" / f"{slug}.json"
        problems += compare(report, expected, slug)
        checked += len(expected)
    if problems:
        print(f"\ndemo verdict: FAILED, {len(problems)} difference(s) from "
              f"examples/{EXPECTED}: " + "; ".join(problems))
        return max(status, 1)
    print(f"\ndemo verdict: OK, all {checked} example students of {len(slugs)} assignments "
          f"got the scores examples/{EXPECTED} expects")
    return status
