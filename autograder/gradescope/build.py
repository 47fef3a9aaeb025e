"""`autograder.zip` for Gradescope: setup.sh, run_autograder, nlpgrade itself, and the course.

Gradescope unzips it into /autograder/source. Contents:

    setup.sh                   installs Python, bubblewrap and nlpgrade (once, at image build)
    run_autograder             grades /autograder/submission into /autograder/results
    nlpgrade-gradescope.json   which assignment, and whether weak isolation is allowed
    constraints.txt            the CPU torch pin (when the course has constraints/cpu.txt)
    nlpgrade/                  this package's source (pyproject.toml, README.md, autograder/)
    course/assignments/<slug>/ the student release
    course/solutions/<slug>/   the reference modules and test_hidden.py, nothing else

The hidden tests and the reference must be in the zip: the grader side needs them. They are
never shown to a student: the sandbox's view of the filesystem does not include
/autograder/source (and the solutions folder is made root-only before grading), results.json
carries test names and feedback messages only, and hidden tests are `after_published` by
default (assignment.yaml: gradescope.hidden_visibility).
"""

from __future__ import annotations

import json
import stat
import zipfile
from pathlib import Path

from autograder.course import HIDDEN_TESTS, Assignment
from autograder.gradescope.run import CONFIG
from autograder.yamlfile import ConfigError

PACKAGE = Path(__file__).resolve().parent.parent  # the autograder/ package
CHECKOUT = PACKAGE.parent
VENV = "/opt/nlpgrade-venv"
SKIP_PARTS = {"__pycache__", ".pytest_cache", ".mypy_cache"}

SETUP_SH = f"""#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image: Python, bubblewrap
# and nlpgrade (a regular, non-editable install) in a virtual environment of its own.
# NLPGRADE_GRADESCOPE_ROOT and NLPGRADE_VENV exist for trial runs outside Gradescope.
set -euo pipefail
ROOT="${{NLPGRADE_GRADESCOPE_ROOT:-/autograder}}"
VENV="${{NLPGRADE_VENV:-{VENV}}}"
if ! command -v bwrap >/dev/null || ! python3 -c 'import venv, ensurepip' 2>/dev/null; then
  apt-get update
  apt-get install -y --no-install-recommends python3 python3-venv python3-pip bubblewrap
fi
python3 -m venv "$VENV"
"$VENV/bin/pip" install --upgrade pip
CONSTRAINTS="$ROOT/source/constraints.txt"
if [ -f "$CONSTRAINTS" ]; then
  "$VENV/bin/pip" install -c "$CONSTRAINTS" "$ROOT/source/nlpgrade"
else
  "$VENV/bin/pip" install "$ROOT/source/nlpgrade"
fi
"""

RUN_AUTOGRADER = f"""#!/usr/bin/env bash
# Gradescope runs this for each submission. nlpgrade grades /autograder/submission in its
# sandbox and writes /autograder/results/results.json; when the grader itself fails it
# writes none and exits 1, so Gradescope shows the submission as not graded (never a 0).
# NLPGRADE_GRADESCOPE_ROOT and NLPGRADE_VENV exist for trial runs outside Gradescope.
set -uo pipefail
ROOT="${{NLPGRADE_GRADESCOPE_ROOT:-/autograder}}"
PYTHON="${{NLPGRADE_VENV:-{VENV}}}/bin/python"
cd "$ROOT"
exec "$PYTHON" -m autograder.gradescope.run --root "$ROOT"
"""


def _add(zf: zipfile.ZipFile, arcname: str, data: bytes, *, executable: bool = False) -> None:
    info = zipfile.ZipInfo(arcname, date_time=(2020, 1, 1, 0, 0, 0))
    mode = 0o755 if executable else 0o644
    info.external_attr = (stat.S_IFREG | mode) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    zf.writestr(info, data)


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and not p.is_symlink()
                  and not SKIP_PARTS & set(p.relative_to(folder).parts)
                  and p.suffix not in (".pyc", ".db"))


def contents(assignment: Assignment, *, allow_weak: bool) -> dict[str, tuple[bytes, bool]]:
    """arcname -> (bytes, executable), everything the zip holds."""
    if not assignment.has_solutions:
        raise ConfigError(f"{assignment.hidden_tests}: missing; the Gradescope autograder "
                          "needs the hidden tests")
    out: dict[str, tuple[bytes, bool]] = {
        "setup.sh": (SETUP_SH.encode(), True),
        "run_autograder": (RUN_AUTOGRADER.encode(), True),
        CONFIG: (json.dumps({"assignment": assignment.slug,
                             "allow_weak_isolation": allow_weak}, indent=2).encode(), False),
    }
    constraints = assignment.course / "constraints" / "cpu.txt"
    if not constraints.is_file():
        constraints = CHECKOUT / "constraints" / "cpu.txt"
    if constraints.is_file():
        out["constraints.txt"] = (constraints.read_bytes(), False)
    for name in ("pyproject.toml", "README.md"):
        if not (CHECKOUT / name).is_file():
            raise ConfigError(f"{CHECKOUT / name}: missing; build the zip from a checkout "
                              "of nlpgrade (pip install -e .)")
        out[f"nlpgrade/{name}"] = ((CHECKOUT / name).read_bytes(), False)
    for path in _files(PACKAGE):
        out[f"nlpgrade/autograder/{path.relative_to(PACKAGE).as_posix()}"] = (
            path.read_bytes(), False)
    for path in _files(assignment.public_dir):
        rel = path.relative_to(assignment.course).as_posix()
        out[f"course/{rel}"] = (path.read_bytes(), False)
    solution = f"course/solutions/{assignment.slug}"
    for name in [*assignment.manifest.modules, HIDDEN_TESTS]:
        path = assignment.solution_dir / name
        if not path.is_file():
            raise ConfigError(f"{path}: missing reference module")
        out[f"{solution}/{name}"] = (path.read_bytes(), False)
    return out


def build_zip(assignment: Assignment, target: Path, *, allow_weak: bool = False) -> list[str]:
    """Write the zip; returns its member names."""
    files = contents(assignment, allow_weak=allow_weak)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    with zipfile.ZipFile(tmp, "w") as zf:
        for name, (data, executable) in files.items():
            _add(zf, name, data, executable=executable)
    tmp.replace(target)
    return list(files)
