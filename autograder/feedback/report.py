"""The class report of one assignment: scores.csv, two PNG plots, an HTML summary that embeds
them, and each student's feedback (HTML and Markdown)."""

from __future__ import annotations

import base64
import csv
from dataclasses import dataclass
from pathlib import Path

from autograder.feedback import plots
from autograder.feedback.render import environment, write_feedback
from autograder.feedback.stats import summary, test_rates
from autograder.report import reason
from autograder.results import SubmissionResult, atomic_text
from autograder.sanitize import csv_cell


@dataclass(frozen=True)
class ReportFiles:
    csv: Path
    histogram: Path
    pass_rate: Path
    summary: Path
    feedback: Path  # the folder of per-student files


def write_csv(results: list[SubmissionResult], path: Path) -> None:
    """One row per student: score, status, reason, then each test's score (in test order)."""
    names: list[str] = []
    for result in results:
        names += [t.name for t in result.tests if t.name not in names]
    with atomic_text(path, newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["student", "score", "max_score", "percent", "status", "reason",
                         *map(csv_cell, names)])
        for r in results:
            by_name = {t.name: t.score for t in r.tests}
            writer.writerow([csv_cell(r.student), _number(r.score), f"{r.max_score:g}",
                             f"{100 * r.score / r.max_score:.1f}"
                             if r.max_score and r.score is not None else "",
                             r.status, csv_cell(reason(r)),
                             *(_number(by_name.get(n)) for n in names)])


def _number(value: float | None) -> str:
    """A score cell: empty when there is none (a grader_error is not graded, not 0)."""
    return "" if value is None else f"{value:g}"


def write_report(results: list[SubmissionResult], folder: Path, *, title: str, slug: str,
                 max_score: float, source: str) -> ReportFiles:
    folder.mkdir(parents=True, exist_ok=True)
    results = sorted(results, key=lambda r: r.student)
    files = ReportFiles(csv=folder / "scores.csv", histogram=folder / "histogram.png",
                        pass_rate=folder / "pass_rate.png", summary=folder / "summary.html",
                        feedback=folder / "feedback")
    write_csv(results, files.csv)
    rates = test_rates(results)
    histogram = plots.histogram([r.score for r in results if r.score is not None], max_score,
                                title=slug)
    pass_rate = plots.pass_rates(rates, title=slug)
    files.histogram.write_bytes(histogram)
    files.pass_rate.write_bytes(pass_rate)
    pages = write_feedback(results, files.feedback, title=title, slug=slug)
    students = [{"student": r.student, "score": r.score, "max_score": r.max_score,
                 "status": r.status, "reason": reason(r),
                 "link": f"feedback/{pages[r.student].name}",
                 "md_link": f"feedback/{pages[r.student].with_suffix('.md').name}"}
                for r in results]
    html = environment(html=True).get_template("summary.html.j2").render(
        title=title, slug=slug, max_score=max_score, stats=summary(results), tests=rates,
        students=students, source=source,
        histogram=base64.b64encode(histogram).decode("ascii"),
        pass_rate=base64.b64encode(pass_rate).decode("ascii"))
    with atomic_text(files.summary) as f:
        f.write(html)
    return files
