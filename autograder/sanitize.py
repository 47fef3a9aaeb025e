"""Text from a submission, made safe to store and show: the one place every such string goes.

Everything a student controls reaches the grader as text: their folder name (the student id),
their exception messages and tracebacks, what their code printed, the notes the grader makes
about their files. Before any of it is stored (SQLite, PostgreSQL), written (JSON, CSV, HTML,
Markdown) or shown (a terminal), it passes through here, on the grader's side:

- NUL and other control characters are removed (PostgreSQL refuses NUL in text; escape
  sequences would reach the instructor's terminal), `\\r\\n` and lone `\\r` become `\\n`;
- lone surrogates and other undecodable characters become U+FFFD;
- every field is capped at a length of its own, with a note saying how much was cut;
- a student id is additionally made to fit the gradebook (200 characters) and to stay unique.

Escaping for a particular output (rich markup, HTML, Markdown, CSV formulas) is the writer's
job and is done there; this module only guarantees clean, bounded text.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from autograder.results import SubmissionResult, TestResult

# Caps, in characters. A test's output and a submission's message are what a student reads;
# 4 000 characters is a long traceback. stdout keeps what the sandbox kept (16 KB by default).
LIMITS = {
    "message": 8_000,
    "output": 4_000,
    "stdout": 64_000,
    "diagnostics": 16_000,
    "isolation": 200,
    "name": 300,
}
STUDENT_ID_MAX = 200  # the gradebook's column
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_ESCAPE = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])")


def clean(text: object, *, limit: int) -> str:
    """`text` as a clean string of at most about `limit` characters."""
    value = text if isinstance(text, str) else str(text)
    value = value.encode("utf-8", "replace").decode("utf-8", "replace")  # lone surrogates
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    value = _ESCAPE.sub("", value)
    value = _CONTROL.sub("", value)
    if len(value) > limit:
        cut = len(value) - limit
        value = value[:limit] + f"\n[… {cut} more characters not kept]"
    return value


def clean_field(text: object, field: str) -> str:
    return clean(text, limit=LIMITS[field])


def student_id(raw: str) -> str:
    """A folder name as a student id: clean, at most 200 characters, and unique: an id that
    had to change keeps a short hash of the original, so two folders never merge."""
    value = clean(raw, limit=10 * STUDENT_ID_MAX).replace("\n", " ").strip()
    if value == raw and len(value) <= STUDENT_ID_MAX and value:
        return value
    digest = hashlib.sha256(raw.encode("utf-8", "surrogateescape")).hexdigest()[:10]
    return f"{value[:STUDENT_ID_MAX - 12] or 'student'}~{digest}"


def redact(text: str, hide: Sequence[str]) -> str:
    """`text` without the grader's own paths (the course, the home folder, the environment):
    what a student reads names none of them."""
    for path in sorted((p for p in hide if p not in GENERIC), key=len, reverse=True):
        text = text.replace(path, "…")
    return text


GENERIC = {"", "/", "/usr", "/usr/local", "/root", "/home", "/opt", "/tmp"}  # name no one


def clean_test(test: TestResult, hide: Sequence[str] = ()) -> TestResult:
    return replace(test, name=clean_field(test.name, "name"),
                   output=redact(clean_field(test.output, "output"), hide))


def clean_result(result: SubmissionResult, *, hide: Sequence[str] = ()) -> SubmissionResult:
    """Every string of a result, cleaned and capped (the student id included); `hide`:
    host paths removed from what the student reads (never from `diagnostics`, which is the
    instructor's)."""
    return replace(
        result,
        student=student_id(result.student),
        message=redact(clean_field(result.message, "message"), hide),
        stdout=clean_field(result.stdout, "stdout"),
        isolation=clean_field(result.isolation, "isolation"),
        diagnostics=clean_field(result.diagnostics, "diagnostics"),
        tests=[clean_test(t, hide) for t in result.tests],
        modules=[replace(m, message=clean_field(m.message, "message")) for m in result.modules],
    )


_FORMULA = ("=", "+", "-", "@", "\t", "\r", "|")


def csv_cell(text: str) -> str:
    """A text cell a spreadsheet will not run as a formula (OWASP's CSV injection rule)."""
    return "'" + text if text.startswith(_FORMULA) else text
