"""Terminal output of a graded batch: the class table and, per student, why points were lost."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from autograder.results import ModuleResult, SubmissionResult, TestResult

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
    broken = [m for m in result.modules if m.status == "import_error"]
    if broken:
        return "; ".join(f"{m.name} could not be imported: {first_line(error_line(m), 60)}"
                         for m in broken)
    lost = [t for t in result.tests if t.status not in ("passed", "skipped")]
    if not lost:
        return "all tests passed"
    worst = lost[0]
    return (f"{len(lost)} test{'s' * (len(lost) != 1)} lost points; first: {worst.name}: "
            f"{first_line(worst.output, 60)}")


def error_line(module: ModuleResult) -> str:
    """The line of an import failure that says what went wrong (`... raised X: why`)."""
    return first_line(module.message.split(" raised ", 1)[-1], 200)


def module_text(module: ModuleResult) -> str:
    """`bert.py 45/45`, `classifier.py 0/11 (import error)`."""
    got = "—" if module.score is None else f"{module.score:g}"
    tail = " (import error)" if module.status == "import_error" else ""
    return f"{module.name} {got}/{module.max_score:g}{tail}"


def max_caption(results: list[SubmissionResult]) -> str:
    """Why the maximum is what it is, when tests were skipped here (e.g. `gpu` tests on CPU)."""
    counted = next((r for r in results if r.not_counted), None)
    return "" if counted is None else f"maximum {counted.max_score_text()}"


def class_table(title: str, results: list[SubmissionResult]) -> Table:
    caption = max_caption(results)
    table = Table(title=title, title_justify="left", expand=False,
                  caption=Text(caption) if caption else None, caption_justify="left")
    files = next((tuple(m.name for m in r.modules) for r in results if r.modules), ())
    table.add_column("Student", style="bold")
    table.add_column("Score", justify="right")
    if files:
        table.add_column(" · ".join(files), justify="right")
    table.add_column("Status")
    table.add_column("Reason", overflow="fold")
    for r in sorted(results, key=lambda r: r.student):
        pct = (r.score or 0.0) / r.max_score if r.max_score else 0.0
        colour = ("magenta" if r.score is None else "green" if pct >= 0.999
                  else "yellow" if pct >= 0.5 else "red")
        cells = [Text(r.student), Text(r.score_text(), style=colour)]
        if files:
            cells.append(by_file(r))
        table.add_row(*cells, Text(r.status, style=STATUS_STYLE.get(r.status, "")),
                      Text(reason(r)))
    return table


def by_file(result: SubmissionResult) -> Text:
    """`45/45 · 16/16 · 0/11` (a file that could not be imported in red)."""
    text = Text()
    for i, m in enumerate(result.modules):
        got = "—" if m.score is None else f"{m.score:g}"
        style = "red" if m.status == "import_error" else ""
        text.append(" · " if i else "")
        text.append(f"{got}/{m.max_score:g}", style=style)
    return text


def print_details(console: Console, result: SubmissionResult, *, max_groups: int = 6) -> None:
    """The tests that lost points, with their feedback, as a student would read it.

    Tests that failed for the same reason (the same first line of feedback) are shown once."""
    console.print(Text.assemble((result.student, "bold"),
                                f" — {result.score_text()} ({result.status})"))
    if result.modules:
        console.print(Text("    by file: " + " · ".join(module_text(m) for m in result.modules)),
                      highlight=False)
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
