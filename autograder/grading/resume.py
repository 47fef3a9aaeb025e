"""Resuming a batch: which submissions the gradebook already holds a finished grade for.

A submission is finished when the student's current attempt in the gradebook graded the same
files (`submission_sha`) with the same test suite and run options (`suite_sha`), and the
grader did not fail on it (`incomplete`). Rerunning a command after a crash, a Ctrl-C or a
SIGKILL therefore grades only what is left; a changed submission, a fixed test or another
seed is graded again, and `--force` regrades everything. Either way a regrade is a new
attempt: the history is kept.
"""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from autograder import __version__
from autograder.course import Assignment
from autograder.gradebook import Gradebook
from autograder.grading.engine import Options
from autograder.grading.submission import MAX_SOURCE_BYTES, locate
from autograder.notebooks.extract import MAX_NOTEBOOK_BYTES

SUITE_SUFFIXES = (".py", ".yaml", ".yml", ".json")


def _file_digest(path: Path) -> bytes:
    """What the grader would read of one submitted file, without following links."""
    limit = MAX_NOTEBOOK_BYTES if path.suffix == ".ipynb" else MAX_SOURCE_BYTES
    try:
        st = path.lstat()
    except OSError:
        return b"absent"
    if stat.S_ISLNK(st.st_mode):
        return b"link:" + os.readlink(path).encode(errors="replace")
    if not stat.S_ISREG(st.st_mode):
        return b"not a file"
    if st.st_size > limit:
        return f"too big:{st.st_size}".encode()
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    with os.fdopen(fd, "rb") as f:
        return hashlib.sha256(f.read()).digest()


def submission_sha(assignment: Assignment, directory: Path) -> str:
    """A hash of the files the grader reads from one student's folder: each module's .py,
    or the notebook graded in its place (its content, not just its name)."""
    h = hashlib.sha256()
    for module in assignment.manifest.modules:
        path = locate(assignment, directory, module)
        name = path.name if path is not None else module
        digest = _file_digest(path) if path is not None else b"absent"
        h.update(name.encode() + b"\0" + digest + b"\0")
    if not all(locate(assignment, directory, m) for m in assignment.manifest.modules):
        listing = sorted(p.name for p in directory.iterdir()) if directory.is_dir() else []
        h.update(("found:" + "/".join(listing)).encode())  # the `missing` message lists them
    return h.hexdigest()


def suite_sha(assignment: Assignment, options: Options) -> str:
    """A hash of everything that decides a grade besides the submission: the manifest, the
    tests, the references and helpers, the seed, the device and the nlpgrade version."""
    h = hashlib.sha256(f"{__version__}\0{assignment.slug}\0{options.run_seed}\0"
                       f"{options.device}\0{options.public_only}\0".encode())
    for folder in (assignment.public_dir, assignment.solution_dir):
        files = sorted(p for p in folder.glob("*") if p.suffix in SUITE_SUFFIXES
                       and p.is_file()) if folder.is_dir() else []
        for path in files:
            if folder == assignment.public_dir and path.name in assignment.manifest.modules:
                continue  # the stub: students replace it
            h.update(f"{folder.name}/{path.name}\0".encode() + _file_digest(path))
    return h.hexdigest()


@dataclass
class Plan:
    """What a run grades (`todo`) and what it takes from the gradebook (`done`)."""

    todo: list[tuple[str, Path]] = field(default_factory=list)
    done: list[str] = field(default_factory=list)
    shas: dict[str, str] = field(default_factory=dict)  # student -> submission_sha
    suite: str = ""


def plan(gradebook: Gradebook | None, assignment: Assignment, students: list[tuple[str, Path]], *,
         options: Options, force: bool) -> Plan:
    result = Plan(suite=suite_sha(assignment, options))
    latest = {} if force or gradebook is None else gradebook.latest(assignment.slug)
    for student, directory in students:
        sha = submission_sha(assignment, directory)
        result.shas[student] = sha
        last = latest.get(student)
        if (last is not None and not last.incomplete and last.submission_sha == sha
                and last.suite_sha == result.suite):
            result.done.append(student)
        else:
            result.todo.append((student, directory))
    return result
