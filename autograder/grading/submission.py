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
from autograder.sanitize import student_id

MAX_SOURCE_BYTES = 1 << 20


@dataclass
class Submission:
    student: str
    directory: Path
    files: dict[str, str] = field(default_factory=dict)  # file name -> source text
    status: Literal["ok", "missing", "import_error"] = "ok"
    problem: str = ""
    notes: list[str] = field(default_factory=list)  # e.g. notebook commands removed


def discover(submissions_dir: Path) -> list[tuple[str, Path]]:
    """(student id, folder) for each sub-folder of SUBMISSIONS_DIR, sorted by id."""
    if not submissions_dir.is_dir():
        raise FileNotFoundError(f"{submissions_dir}: no such folder. Expected one sub-folder "
                                "per student: SUBMISSIONS_DIR/<student_id>/<module>.py")
    found = sorted((student_id(p.name), p) for p in submissions_dir.iterdir()
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


def read_bytes(path: Path, assignment: Assignment, refs: set[tuple[int, int]], *,
               limit: int = MAX_SOURCE_BYTES) -> bytes:
    """The bytes of one submitted file; raises ValueError with the reason it is refused."""
    name = path.name
    st = path.lstat()
    if stat.S_ISLNK(st.st_mode):
        raise ValueError(f"{name} is a symbolic link; submit the file itself")
    if not stat.S_ISREG(st.st_mode):
        raise ValueError(f"{name} is not a regular file")
    if (st.st_dev, st.st_ino) in refs or is_inside(path, assignment.solution_dir):
        raise ValueError(f"{name} is a link to the instructor's files; submit your own file")
    if st.st_size > limit:
        raise ValueError(f"{name} is {st.st_size / 2**20:.1f} MiB; the limit for this "
                         f"file is {limit >> 20} MiB")
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    with os.fdopen(fd, "rb") as f:
        data = f.read(limit + 1)
    if len(data) > limit:
        raise ValueError(f"{name} grew past {limit >> 20} MiB while it was read")
    return data


def read_source(path: Path, assignment: Assignment, refs: set[tuple[int, int]]) -> str:
    """The text of one submitted file; raises ValueError with the reason it is refused."""
    name = path.name
    data = read_bytes(path, assignment, refs)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise ValueError(f"{name} is not UTF-8 text (byte 0x{data[err.start]:02x} at offset "
                         f"{err.start}): is it the right file? Save it as UTF-8 Python source"
                         ) from None
    if "\x00" in text:
        raise ValueError(f"{name} contains NUL bytes: it is not Python source")
    return text


def notebook_names(assignment: Assignment, module: str) -> list[str]:
    """Notebook files accepted in place of `module`: <module>.ipynb, and <slug>.ipynb when
    the assignment has a single module."""
    names = [module.removesuffix(".py") + ".ipynb"]
    if len(assignment.manifest.modules) == 1 and f"{assignment.slug}.ipynb" not in names:
        names.append(f"{assignment.slug}.ipynb")
    return names


def locate(assignment: Assignment, directory: Path, module: str) -> Path | None:
    """The submitted file for `module`: the .py if present, else an accepted notebook."""
    for name in [module, *notebook_names(assignment, module)]:
        if os.path.lexists(directory / name):
            return directory / name
    return None


def read_module(path: Path, module: str, assignment: Assignment,
                refs: set[tuple[int, int]]) -> tuple[str, list[str]]:
    """(module source, notes for the feedback) from a .py or a notebook; raises ValueError.

    A notebook is parsed as data, never executed here (autograder.notebooks.extract)."""
    if path.suffix != ".ipynb":
        return read_source(path, assignment, refs), []
    from autograder.notebooks.extract import MAX_NOTEBOOK_BYTES, extract_code

    data = read_bytes(path, assignment, refs, limit=MAX_NOTEBOOK_BYTES)
    extracted = extract_code(data, name=path.name, module=module)
    return extracted.code, extracted.notes


def read_submission(assignment: Assignment, student: str, directory: Path) -> Submission:
    sub = Submission(student=student, directory=directory)
    found = {m: locate(assignment, directory, m) for m in assignment.manifest.modules}
    missing = [m for m, path in found.items() if path is None]
    if missing:
        present = sorted(p.name for p in directory.iterdir()) if directory.is_dir() else []
        sub.status = "missing"
        # No host path: this message is the student's feedback.
        sub.problem = (f"{', '.join(missing)} not found in your submission (found: "
                       f"{', '.join(present) or 'nothing'}). Submit a file named exactly "
                       f"{missing[0]} (or {' or '.join(notebook_names(assignment, missing[0]))})")
        return sub
    refs = _reference_inodes(assignment)
    for module, path in found.items():
        assert path is not None
        try:
            sub.files[module], notes = read_module(path, module, assignment, refs)
        except (ValueError, OSError) as err:
            sub.status = "import_error"
            sub.problem = str(err)
            return sub
        sub.notes += notes
        also = [n for n in notebook_names(assignment, module) if os.path.lexists(directory / n)]
        if path.suffix == ".py" and also:
            sub.notes.append(f"both {module} and {also[0]} were submitted; {module} was "
                             "graded")
    for helper in assignment.manifest.support:
        sub.files[helper] = (assignment.public_dir / helper).read_text(encoding="utf-8")
    return sub
