"""Notebooks: the release notebook, `release --check` on it, and notebook submissions graded
exactly like the same code as a .py file."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat
import pytest

from autograder.commands.release import release
from autograder.course import load_assignment
from autograder.notebooks.build import build_notebook, notebook_text
from autograder.notebooks.extract import NotebookError, extract_code, strip_ipython
from autograder.release import strip_markers
from tests.conftest import TOY


@pytest.fixture
def course(tmp_path: Path) -> Path:
    root = tmp_path / "course"
    shutil.copytree(TOY, root, ignore=shutil.ignore_patterns("submissions"))
    return root


def code_notebook(*sources: str) -> str:
    """A notebook as a student might write it by hand: code cells, no metadata."""
    cells = [nbformat.v4.new_code_cell(s) for s in sources]
    return nbformat.writes(nbformat.v4.new_notebook(cells=cells))


def test_release_writes_a_notebook_with_nbgrader_solution_and_locked_cells(course):
    assert release(course, [], check=False) == []
    nb = nbformat.read(course / "assignments" / "toy" / "toy.ipynb", as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    meta = [c.metadata["nbgrader"] for c in nb.cells]
    assert all(m["schema_version"] == 3 for m in meta)
    assert len({m["grade_id"] for m in meta}) == len(meta)
    solutions = [c.metadata["nbgrader"]["grade_id"] for c in code
                 if c.metadata["nbgrader"]["solution"]]
    assert solutions == ["double", "Counter", "softmax"]
    setup = code[0]
    assert setup.metadata["nbgrader"]["locked"] and "import torch" in setup.source
    assert 'raise NotImplementedError("double: see README §1")' in code[1].source
    assert "return x * 2" not in notebook_text(nb)
    last = nb.cells[-1]
    assert last.metadata["nlpgrade"]["role"] == "checks" and "run_public_checks" in last.source
    # The README's section 1 sits just before the cell that implements it.
    index = next(i for i, c in enumerate(nb.cells) if c.get("id") == "double")
    assert nb.cells[index - 1].source.startswith("## 1. Doubling: `double`")


def test_release_check_catches_a_stale_or_missing_notebook_and_leaked_solution_lines(course):
    assert release(course, [], check=False) == []
    assert release(course, [], check=True) == []
    path = course / "assignments" / "toy" / "toy.ipynb"
    path.write_text(path.read_text().replace("Fill in the solution", "Fill in the"))
    assert any("toy.ipynb: out of date" in p for p in release(course, [], check=True))
    path.unlink()
    assert any("toy.ipynb: missing" in p for p in release(course, [], check=True))
    assert release(course, [], check=False) == []
    # An instructor pastes a solution line into the task text: the check names its source.
    readme = course / "assignments" / "toy" / "README.md"
    readme.write_text(readme.read_text() + "\n    return x.softmax(dim=-1)\n")
    problems = release(course, [], check=True)
    assert any("README.md: contains solution code from solutions/toy/toy.py:" in p
               for p in problems)


def test_the_notebook_is_the_same_bytes_every_time(course):
    assignment = load_assignment(course, "toy")
    assert notebook_text(build_notebook(assignment)) == notebook_text(build_notebook(assignment))


def test_magics_and_shell_escapes_become_pass_but_strings_are_left_alone():
    source, removed = strip_ipython('%pip install torch\ndef f():\n    !ls\n    doc = """\n'
                                    '!not a command\n"""\n    files = !ls\n    return 1')
    assert removed == ["%pip install torch", "!ls", "files = !ls"]
    compile(source, "cell", "exec")
    assert "!not a command" in source
    assert strip_ipython("%%bash\nrm -rf /\n")[0] == ""
    assert strip_ipython("%%time\nx = 1\n")[0].strip() == "x = 1"


@pytest.mark.parametrize("data, message", [
    (b'{"cells": [', "not a readable Jupyter notebook"),
    (b"[" * 200_000, "nests too deeply"),
    (b"\xff\xfe\x00", "not UTF-8"),
    (b'{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}', "no code to grade"),
])
def test_unreadable_notebooks_say_what_to_do(data, message):
    with pytest.raises(NotebookError, match=message) as err:
        extract_code(data, name="toy.ipynb", module="toy.py")
    assert "toy.py" in str(err.value)


@pytest.fixture(scope="module")
def graded(tmp_path_factory, grade):  # type: ignore[no-untyped-def]
    """One batch: the same two programs as .py and as notebooks, plus a corrupt notebook."""
    from tests.conftest import TOY

    course = tmp_path_factory.mktemp("nbcourse") / "course"
    shutil.copytree(TOY, course, ignore=shutil.ignore_patterns("submissions"))
    folder = course / "submissions"
    wrong = (TOY / "submissions" / "wrong_double" / "toy.py").read_text()
    reference = strip_markers(course / "solutions" / "toy" / "toy.py")
    head, double, counter, softmax = wrong.split("\n\n\n")
    students = {
        "wrong_py": ("toy.py", wrong),
        "wrong_nb": ("toy.ipynb", code_notebook(
            "%pip install torch\n" + head, "!ls -la\n" + double, counter,
            "%%bash\necho hi", softmax)),
        "reference_py": ("toy.py", reference),
        "corrupt_nb": ("toy.ipynb", code_notebook(wrong)[:-40]),
    }
    hidden = course / "solutions" / "toy" / "toy.py"  # what a thief would go for
    students["thief_nb"] = ("toy.ipynb", code_notebook(
        f"!cp {hidden} toy_stolen.py",
        f"try:\n    exec(open({str(hidden)!r}).read())\nexcept OSError as err:\n"
        "    print('no luck:', type(err).__name__)"))
    nb = build_notebook(load_assignment(course, "toy"), code="reference")
    nb.cells.insert(3, nbformat.v4.new_code_cell("print(double(3))  # scratch"))
    students["reference_nb"] = ("toy.ipynb", nbformat.writes(nb))
    for student, (name, text) in students.items():
        (folder / student).mkdir(parents=True)
        (folder / student / name).write_text(text)
    return grade(course, "toy", folder, workers=1)


def outcomes(result):  # type: ignore[no-untyped-def]
    return [(t.name, t.score, t.status) for t in result.tests]


def test_the_same_code_as_a_notebook_gets_the_same_score_and_tests(graded):
    assert graded["wrong_py"].score == graded["wrong_nb"].score < graded["wrong_py"].max_score
    assert outcomes(graded["wrong_py"]) == outcomes(graded["wrong_nb"])
    assert graded["reference_nb"].score == graded["reference_py"].score == 7.0
    assert outcomes(graded["reference_py"]) == outcomes(graded["reference_nb"])


def test_removed_commands_and_ignored_cells_are_noted_in_the_feedback(graded):
    message = graded["wrong_nb"].message
    assert "removed 3 notebook commands" in message and "`%pip install torch` (cell 1)" in message
    assert "not graded" in graded["reference_nb"].message  # the scratch cell
    assert "notebook" not in graded["wrong_py"].message


def test_a_corrupt_notebook_is_an_import_error_with_a_clear_message(graded):
    result = graded["corrupt_nb"]
    assert result.status == "import_error" and result.score == 0
    assert "toy.ipynb is not a readable Jupyter notebook" in result.message
    assert all("not readable" in t.output or "not a readable" in t.output for t in result.tests)


def test_a_notebook_cannot_reach_the_hidden_solutions(graded):
    """Shell escapes are removed, and the code runs in the sandbox, which cannot see solutions/."""
    result = graded["thief_nb"]
    assert result.status == "graded" and result.score == 0
    assert "no luck: FileNotFoundError" in result.stdout
    assert "`!cp" in result.message  # the removed shell escape is named in the feedback


def test_repository_notebooks_hold_only_stub_code(repo):
    for path in sorted((repo / "assignments").glob("*/*.ipynb")):
        nb = json.loads(path.read_text())
        assert all(not c.get("outputs") for c in nb["cells"]), path
        assert "### BEGIN SOLUTION" not in path.read_text(), path


def test_future_imports_repeated_in_later_cells_move_to_the_top():
    data = code_notebook('"""Doc."""\nfrom __future__ import annotations\nimport math',
                         "from __future__ import annotations\n\ndef f(x: int) -> int:\n"
                         "    return x")
    code = extract_code(data.encode(), name="toy.ipynb", module="toy.py").code
    compile(code, "toy.py", "exec")
    assert code.startswith("from __future__ import annotations\n")
    assert code.count("from __future__") == 1
