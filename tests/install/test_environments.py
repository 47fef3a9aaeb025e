"""The jail runs the grader's own environment, wherever and however it is installed (issue 12).

Each test makes a real virtual environment with the interpreter running the suite and grades
the toy course from it, as a user of that environment would (`python -m autograder.cli`). The
venvs share this interpreter's packages (`--system-site-packages`), so each costs seconds, not
a torch install; .ci/run additionally installs from nothing, as a new user does.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from autograder.sandbox.environment import JAIL_ROOT, python_environment
from tests.conftest import REPO
from tests.install.conftest import make_venv, run_nlpgrade

pytestmark = pytest.mark.slow

PROBE = '''
import os, sys

def double(x):
    return x * 2

def where():
    """What the student's process can see of the host (for the test, not the grade)."""
    return {"executable": sys.executable, "path": [p for p in sys.path if p],
            "cwd": os.getcwd()}
'''


@pytest.mark.parametrize("location, copies", [("/tmp", False), ("/var/tmp", True), ("~", False)],
                         ids=["venv-under-tmp", "copies-under-var-tmp", "venv-under-home"])
def test_a_venv_grades_the_reference_full_wherever_it_lives(toy_course: Path, location: str,
                                                           copies: bool,
                                                           tmp_path: Path) -> None:
    """A venv under /tmp (hidden by the jail's private /tmp before) or made with --copies
    grades the toy reference and its correct student full; the sandbox sees only neutral
    paths, nothing of where the venv or the course live on the host."""
    venv = make_venv(Path(location).expanduser(), copies=copies)
    try:
        report = tmp_path / "report.json"
        proc = run_nlpgrade(venv, ["grade", "toy", str(toy_course / "submissions"),
                                   "--course", str(toy_course), "--json", str(report),
                                   "--db", f"sqlite:///{tmp_path / 'gb.db'}"], cwd=tmp_path)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        data = json.loads(report.read_text())
        by_student = {s["student"]: s for s in data["submissions"]}
        assert by_student["correct"]["score"] == by_student["correct"]["max_score"] == 7
        assert all(s["status"] != "grader_error" for s in data["submissions"])
        assert data["isolation"].startswith("bwrap")
    finally:
        shutil.rmtree(venv.parent, ignore_errors=True)


def test_the_sandbox_shows_installations_at_neutral_paths(tmp_path: Path) -> None:
    """Inside bubblewrap the interpreter and packages appear under /opt/nlpgrade (or /usr),
    and a forbidden folder inside an installation is covered."""
    site = Path(sysconfig.get_paths()["purelib"])
    env = python_environment(forbidden=[site / "not-a-real-course"], neutral=True)
    for path in [env.executable, *env.site_dirs, *env.home.split(":")]:
        assert path == "/usr" or path.startswith((str(JAIL_ROOT), "/usr/")), path
    assert env.masks == []  # a forbidden path that does not exist needs no mask
    hidden = site / "pip"  # stands for a course that lives inside an installation
    env = python_environment(forbidden=[hidden], neutral=True)
    assert [str(m).endswith("site-packages/pip") for m in env.masks] == [True]
    assert str(env.masks[0]).startswith((str(JAIL_ROOT), "/usr/"))


def test_a_venv_that_is_the_course_folder_itself_is_refused(tmp_path: Path) -> None:
    from autograder.sandbox.environment import EnvironmentLayoutError

    with pytest.raises(EnvironmentLayoutError, match="itself"):
        python_environment(forbidden=[Path(sys.prefix)], neutral=True)


def test_the_student_sees_no_host_path(toy_course: Path, tmp_path: Path) -> None:
    """sys.executable, sys.path and the cwd of the student's process are jail paths."""
    from autograder.course import load_assignment
    from autograder.grading.engine import Options, start_zygote
    from autograder.proxy import student_proxy
    from autograder.sandbox.limits import Limits
    from autograder.sandbox.session import SandboxSession

    assignment = load_assignment(toy_course, "toy")
    zygote = start_zygote(assignment, Options())
    try:
        session = SandboxSession(zygote, files={"toy.py": PROBE}, imports=["toy"],
                                 limits=Limits(), seed=0, device="cpu", cap_processes=True)
        session.start()
        seen = student_proxy(session, ["toy"], {"toy.py": PROBE}).where()
        session.close()
    finally:
        zygote.close()
    host = [str(REPO), str(toy_course), sys.prefix, str(Path.home())]
    for path in [seen["executable"], *seen["path"]]:
        assert not any(path.startswith(h) for h in host if h not in ("/usr",)), path
    assert seen["cwd"] == "/tmp"


def test_a_wheel_install_grades_from_site_packages(toy_course: Path, tmp_path: Path,
                                                   wheel: Path) -> None:
    """`pip install .` (not editable) is what Gradescope's setup.sh does: pytest.ini and the
    templates must come with the package, and grading must work from site-packages."""
    venv = make_venv(tmp_path)
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--no-deps",
                    "--no-index", str(wheel)], check=True)
    where = subprocess.run([str(venv / "bin" / "python"), "-c",
                            "import autograder; print(autograder.__file__)"],
                           capture_output=True, text=True, check=True, cwd=tmp_path).stdout
    assert where.startswith(str(venv)), where  # the wheel's copy, not this checkout
    report = tmp_path / "report.json"
    proc = subprocess.run([str(venv / "bin" / "nlpgrade"), "grade", "toy",
                           str(toy_course / "submissions"), "--course", str(toy_course),
                           "--json", str(report), "--db", f"sqlite:///{tmp_path / 'gb.db'}"],
                          capture_output=True, text=True, cwd=tmp_path, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    scores = {s["student"]: s["score"] for s in json.loads(report.read_text())["submissions"]}
    assert scores["correct"] == 7 and scores["stub"] == 0
