"""Finding and reading submissions, with every refusal explained.

The grader only ever *reads* a submission's files, as bytes, and sends the text into the
sandbox. Nothing else in the student's folder (a conftest.py, a torch.py, a pytest.ini) is
looked at, and a file that is not a regular UTF-8 file of sensible size is refused here.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from autograder.course import Assignment, is_inside

MAX_SOURCE_BYTES = 1 << 20


@dataclass
class Submission:
    student: str
    directory: Path
    files: dict[str, str] = field(default_factory=dict)  # file name -> source text
    status: Literal["ok", "missing", "import_error"] = "ok"
    problem: str = ""


def discover(submissions_dir: Path) -> list[tuple[str, Path]]:
    """(student id, folder) for each sub-folder of SUBMISSIONS_DIR, sorted by id."""
    if not submissions_dir.is_dir():
        raise FileNotFoundError(f"{submissions_dir}: no such folder. Expected one sub-folder "
                                "per student: SUBMISSIONS_DIR/<student_id>/<module>.py")
    found = sorted((p.name, p) for p in submissions_dir.iterdir()
                   if p.is_dir() and not p.is_symlink() and not p.name.startswith("."))
    return found


def _reference_inodes(assignment: Assignment) -> set[tuple[int, int]]:
    inodes = set()
    if assignment.solution_dir.is_dir():
        for path in assignment.solution_dir.rglob("*"):
            try:
                st = path.stat()
            except OSError:
                continue
            inodes.add((st.st_dev, st.st_ino))
    return inodes


def read_source(path: Path, assignment: Assignment, refs: set[tuple[int, int]]) -> str:
    """The text of one submitted file; raises ValueError with the reason it is refused."""
    name = path.name
    st = path.lstat()
    if stat.S_ISLNK(st.st_mode):
        raise ValueError(f"{name} is a symbolic link; submit the file itself")
    if not stat.S_ISREG(st.st_mode):
        raise ValueError(f"{name} is not a regular file")
    if (st.st_dev, st.st_ino) in refs or is_inside(path, assignment.solution_dir):
        raise ValueError(f"{name} is a link to the instructor's files; submit your own file")
    if st.st_size > MAX_SOURCE_BYTES:
        raise ValueError(f"{name} is {st.st_size / 2**20:.1f} MiB; the limit for a source "
                         f"file is {MAX_SOURCE_BYTES >> 20} MiB")
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    with os.fdopen(fd, "rb") as f:
        data = f.read(MAX_SOURCE_BYTES + 1)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise ValueError(f"{name} is not UTF-8 text (byte 0x{data[err.start]:02x} at offset "
                         f"{err.start}): is it the right file? Save it as UTF-8 Python source"
                         ) from None
    if "\x00" in text:
        raise ValueError(f"{name} contains NUL bytes: it is not Python source")
    return text


def read_submission(assignment: Assignment, student: str, directory: Path) -> Submission:
    sub = Submission(student=student, directory=directory)
    missing = [m for m in assignment.manifest.modules
               if not os.path.lexists(directory / m)]
    if missing:
        present = sorted(p.name for p in directory.iterdir()) if directory.is_dir() else []
        sub.status = "missing"
        sub.problem = (f"{', '.join(missing)} not found in {directory} (found: "
                       f"{', '.join(present) or 'nothing'}). Submit a file named exactly "
                       f"{missing[0]}")
        return sub
    refs = _reference_inodes(assignment)
    for module in assignment.manifest.modules:
        try:
            sub.files[module] = read_source(directory / module, assignment, refs)
        except (ValueError, OSError) as err:
            sub.status = "import_error"
            sub.problem = str(err)
            return sub
    for helper in assignment.manifest.support:
        sub.files[helper] = (assignment.public_dir / helper).read_text(encoding="utf-8")
    return sub
