"""Terminal output of a graded batch: the class table and, per student, why points were lost."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from autograder.results import SubmissionResult, TestResult

STATUS_STYLE = {"passed": "green", "failed": "yellow", "error": "red", "timeout": "magenta",
                "crashed": "bold red", "skipped": "dim", "graded": "green",
                "missing": "dim", "import_error": "red", "grader_error": "bold magenta",
                "not_run": "dim"}


def first_line(text: str, width: int = 90) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= width else line[: width - 1] + "…"


def reason(result: SubmissionResult) -> str:
    """One line saying why the student got this score."""
    if result.status == "grader_error":
        return "NOT GRADED (grader error, not the student's): " + first_line(
            result.message.removeprefix("not graded: the grader failed while grading it ("
                                        ).split(")")[0], 60)
    if result.status != "graded" or not result.tests:  # no tests: a brief row, see grade
        return first_line(result.message)
    lost = [t for t in result.tests if t.status not in ("passed", "skipped")]
    if not lost:
        return "all tests passed"
    worst = lost[0]
    return f"{len(lost)} tests lost points; first: {worst.name}: {first_line(worst.output, 60)}"


def class_table(title: str, results: list[SubmissionResult]) -> Table:
    table = Table(title=title, title_justify="left", expand=False)
    table.add_column("Student", style="bold")
    table.add_column("Score", justify="right")
    table.add_column("Status")
    table.add_column("Reason", overflow="fold")
    for r in sorted(results, key=lambda r: r.student):
        pct = (r.score or 0.0) / r.max_score if r.max_score else 0.0
        colour = ("magenta" if r.score is None else "green" if pct >= 0.999
                  else "yellow" if pct >= 0.5 else "red")
        table.add_row(Text(r.student), Text(r.score_text(), style=colour),
                      Text(r.status, style=STATUS_STYLE.get(r.status, "")), Text(reason(r)))
    return table


def print_details(console: Console, result: SubmissionResult, *, max_groups: int = 6) -> None:
    """The tests that lost points, with their feedback, as a student would read it.

    Tests that failed for the same reason (the same first line of feedback) are shown once."""
    console.print(Text.assemble((result.student, "bold"),
                                f" — {result.score_text()} ({result.status})"))
    if result.status != "graded":
        for line in result.message.strip().splitlines()[:12]:
            console.print(f"    {line}", markup=False, highlight=False)
        return
    lost: list[TestResult] = [t for t in result.tests if t.status not in ("passed", "skipped")]
    groups: dict[str, list[TestResult]] = {}
    for t in lost:
        groups.setdefault(f"{t.status}: {first_line(t.output, 400)}", []).append(t)
    for tests in list(groups.values())[:max_groups]:
        t = tests[0]
        points = sum(x.max_score for x in tests)
        names = t.name if len(tests) == 1 else f"{t.name} and {len(tests) - 1} more"
        console.print(Text.assemble((f"  {t.status:>7}", STATUS_STYLE.get(t.status, "")),
                                    f" {names} (-{points:g})"), highlight=False)
        for line in t.output.strip().splitlines()[:4]:
            console.print(f"            {line}", markup=False, highlight=False)
    if len(groups) > max_groups:
        rest = sum(len(g) for g in list(groups.values())[max_groups:])
        console.print(f"            … and {rest} more tests (see the JSON report)")
    if result.stdout.strip():
        console.print(f"    printed {len(result.stdout)} characters (kept in the report)",
                      style="dim")
