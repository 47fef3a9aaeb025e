"""Checking an upload before it is queued: the assignment's files, .py or .ipynb, sizes, text.

An upload is data: its bytes are stored and later read by the grader exactly as a submission
folder is (autograder.grading.submission: UTF-8, no NUL bytes, notebooks parsed, never run);
here the same reader runs once at upload time, so a student learns at once that a file is
refused and why, instead of finding an import_error later. The browser's file name is only
used for its extension and shown back escaped; the file is stored under the module's name.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from autograder.course import Assignment
from autograder.grading.submission import MAX_SOURCE_BYTES, read_submission
from autograder.notebooks.extract import MAX_NOTEBOOK_BYTES

FIELD_PREFIX = "file:"  # the form field of module M is `file:M`


class UploadError(ValueError):
    """Why an upload is refused, in words for the student."""


@dataclass(frozen=True)
class Incoming:
    module: str  # the manifest's module this file is for
    filename: str  # what the browser sent (text, never a path to use)
    content: bytes


def limit_for(filename: str) -> int:
    return MAX_NOTEBOOK_BYTES if filename.lower().endswith(".ipynb") else MAX_SOURCE_BYTES


def stored_name(module: str, filename: str) -> str:
    """The name the grader reads: the module itself, or <module>.ipynb for a notebook."""
    lower = filename.lower()
    if lower.endswith(".py"):
        return module
    if lower.endswith(".ipynb"):
        return module.removesuffix(".py") + ".ipynb"
    raise UploadError(f"{module}: {filename!r} is neither Python source (.py) nor a Jupyter "
                      f"notebook (.ipynb). Upload your {module} (or its notebook)")


def check(assignment: Assignment, files: list[Incoming]) -> list[tuple[str, str, bytes]]:
    """(stored name, browser's name, content) for each module, or UploadError."""
    given = {f.module: f for f in files if f.filename or f.content}
    missing = [m for m in assignment.manifest.modules if m not in given]
    if missing:
        raise UploadError(f"missing: {', '.join(missing)}. This assignment needs every one "
                          f"of {', '.join(assignment.manifest.modules)} in each submission")
    out: list[tuple[str, str, bytes]] = []
    for module in assignment.manifest.modules:
        item = given[module]
        name = stored_name(module, item.filename)
        limit = limit_for(name)
        if len(item.content) > limit:
            raise UploadError(f"{module}: {item.filename!r} is {len(item.content) / 2**20:.1f}"
                              f" MiB; the limit is {limit >> 20} MiB. Submit your source, "
                              "without data or outputs")
        if not item.content.strip():
            raise UploadError(f"{module}: {item.filename!r} is empty")
        out.append((name, item.filename, item.content))
    with tempfile.TemporaryDirectory(prefix="nlpgrade-upload-") as tmp:
        for name, _, content in out:
            (Path(tmp) / name).write_bytes(content)
        submission = read_submission(assignment, "upload", Path(tmp))
    if submission.status != "ok":
        raise UploadError(submission.problem)
    return out
