"""Per-student feedback as HTML and Markdown, from Jinja2 templates (HTML autoescaped).

What a student sees: each test's name, visibility, status, points and message; the reason for
the score; their own stdout, capped. Never test code: the results hold none.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from autograder.results import SubmissionResult

TEMPLATES = Path(__file__).with_name("templates")
STDOUT_SHOWN = 8000  # characters of the student's own output shown in the feedback
SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def environment(*, html: bool) -> Environment:
    """HTML escapes every value (student text included); Markdown is plain text."""
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), undefined=StrictUndefined,
                      autoescape=select_autoescape(["html.j2"], default=False)
                      if html else False,
                      keep_trailing_newline=True, trim_blocks=False, lstrip_blocks=False)
    env.filters["points"] = points
    env.filters["md"] = markdown_text
    return env


MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~])")


def markdown_text(value: object) -> str:
    """Text shown as itself in Markdown: no emphasis, links or raw HTML from a student."""
    text = MARKDOWN_SPECIAL.sub(r"\\\1", str(value))
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def points(value: float | None) -> str:
    """A score as shown: `3.5`, or `—` where there is none (not graded: never a 0)."""
    return "—" if value is None else f"{value:g}"


def capped(text: str, limit: int = STDOUT_SHOWN) -> tuple[str, int]:
    """(the first `limit` characters, how many more there were)."""
    return (text, 0) if len(text) <= limit else (text[:limit], len(text) - limit)


def file_stem(student: str) -> str:
    """A file name for a student id that cannot leave the output folder."""
    stem = SAFE_NAME.sub("_", student).strip("._") or "student"
    return stem[:100]


def context(result: SubmissionResult, *, title: str, slug: str) -> dict[str, Any]:
    stdout, cut = capped(result.stdout.rstrip())
    shown = [result.stdout, result.message, *(t.output for t in result.tests),
             *(m.message for m in result.modules)]
    longest = max((len(m) for m in re.findall(r"`+", "".join(shown))), default=0)
    return {"r": result, "title": title, "slug": slug, "stdout": stdout, "stdout_cut": cut,
            "counts": Counter(t.status for t in result.tests),
            "percent": round(100 * result.score / result.max_score, 1)
            if result.max_score and result.score is not None else None,
            "fence": "`" * max(3, longest + 1)}


def student_html(result: SubmissionResult, *, title: str, slug: str) -> str:
    template = environment(html=True).get_template("student.html.j2")
    return template.render(context(result, title=title, slug=slug))


def student_markdown(result: SubmissionResult, *, title: str, slug: str) -> str:
    template = environment(html=False).get_template("student.md.j2")
    return re.sub(r"\n{3,}", "\n\n", template.render(context(result, title=title, slug=slug)))


def write_feedback(results: list[SubmissionResult], folder: Path, *, title: str,
                   slug: str) -> dict[str, Path]:
    """feedback/<student>.html and .md for each result; returns student -> HTML path."""
    folder.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    used: set[str] = set()
    for result in results:
        stem = file_stem(result.student)
        while stem in used:
            stem += "_"
        used.add(stem)
        html = folder / f"{stem}.html"
        html.write_text(student_html(result, title=title, slug=slug), encoding="utf-8")
        (folder / f"{stem}.md").write_text(student_markdown(result, title=title, slug=slug),
                                           encoding="utf-8")
        written[result.student] = html
    return written
