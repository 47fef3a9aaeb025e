"""The release notebook `assignments/<slug>/<slug>.ipynb`, built from the stub and the README.

Layout, top to bottom:

- the README, one read-only markdown cell per `#`/`##` section, each placed just before the
  code cells it asks for (a function's section is the `§N` in its stub's `raise`), with a
  read-only cell after its introduction saying how to work in the notebook and what is graded;
- the module, one code cell per top-level function or class, in source order. Cells with a
  solution region are nbgrader *solution* cells; the rest (imports, constants, helpers) are
  *locked* read-only cells;
- a locked cell that runs the public checks in the student's kernel.

Cell metadata follows nbgrader's schema version 3 (`nbgrader.solution/grade/locked/task`,
`grade_id`, `schema_version`), so the notebook also drops into an nbgrader course. Each code
cell also says which module it belongs to under `metadata.nlpgrade`; the grader uses that to
extract the submitted code (see `extract.py`). Cell ids are derived from names, so the same
inputs always give the same bytes and `nlpgrade release --check` can compare them.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import nbformat
from nbformat.notebooknode import NotebookNode

from autograder.course import Assignment
from autograder.release import make_stub
from autograder.yamlfile import ConfigError

SCHEMA_VERSION = 3
ROLE_MODULE = "module"
ROLE_CHECKS = "checks"
CHECKS_ID = "public-checks"
SECTION = re.compile(r'see README §([0-9][0-9.]*)"')
HEADING = re.compile(r"^(#{1,2})\s+(?:§\s*)?(\d+(?:\.\d+)*)?")


@dataclass(frozen=True)
class Chunk:
    """Consecutive top-level statements of a module that become one code cell."""

    key: str  # the function or class name, or "setup-<k>" for other statements
    text: str


def split_module(source: str, path: Path) -> list[Chunk]:
    """One chunk per top-level def/class; runs of other statements are merged."""
    try:
        tree = ast.parse(source, filename=str(path))
    except SyntaxError as err:
        raise ConfigError(f"{path}:{err.lineno}: does not parse: {err.msg}") from None
    lines = source.splitlines(keepends=True)
    starts: list[tuple[int, str]] = []  # (0-based first line, key)
    setup = 0
    previous_was_def = True
    for node in tree.body:
        first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))]) - 1
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            starts.append((first, node.name))
            previous_was_def = True
        elif previous_was_def:
            starts.append((first, f"setup-{setup}"))
            setup += 1
            previous_was_def = False
    begins = []
    for i, (first, _) in enumerate(starts):
        begin = 0 if i == 0 else first
        # Comments just above a statement travel with it.
        while i > 0 and begin > 0 and lines[begin - 1].lstrip().startswith("#"):
            begin -= 1
        begins.append(begin)
    chunks = []
    for i, (_, key) in enumerate(starts):
        end = begins[i + 1] if i + 1 < len(begins) else len(lines)
        text = "".join(lines[begins[i]:end]).strip("\n")
        if text.strip():
            chunks.append(Chunk(key=key, text=text))
    return chunks


def readme_chunks(readme: Path) -> list[tuple[str | None, str]]:
    """(section number or None, markdown) for each `#`/`##` section, outside code fences."""
    if not readme.is_file():
        return []
    chunks: list[tuple[str | None, list[str]]] = [(None, [])]
    fenced = False
    for line in readme.read_text(encoding="utf-8").splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        match = None if fenced else HEADING.match(line)
        if match:
            chunks.append((match.group(2), [line]))
        else:
            chunks[-1][1].append(line)
    return [(number, "\n".join(body).strip("\n")) for number, body in chunks
            if "\n".join(body).strip()]


def _meta(grade_id: str, *, solution: bool, locked: bool, role: str | None,
          module: str | None) -> dict[str, Any]:
    meta: dict[str, Any] = {"nbgrader": {"grade": False, "grade_id": grade_id,
                                         "locked": locked, "schema_version": SCHEMA_VERSION,
                                         "solution": solution, "task": False}}
    if locked:
        meta["editable"] = False
        meta["deletable"] = False
    if role is not None:
        meta["nlpgrade"] = {"role": role, **({"module": module} if module else {})}
    return meta


def _cell_id(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "-", text)[:64]


def notebook_module(assignment: Assignment) -> str | None:
    """The module a notebook holds, or None when the assignment gets no notebook."""
    modules = assignment.manifest.modules
    wanted = assignment.manifest.notebook
    if wanted is False or (wanted is None and len(modules) != 1):
        return None
    if len(modules) != 1:
        raise ConfigError(f"{assignment.public_dir / 'assignment.yaml'}: field 'notebook': a "
                          "notebook holds one module, and this assignment has "
                          f"{len(modules)}; set notebook: false")
    return modules[0]


def notebook_path(assignment: Assignment) -> Path:
    return assignment.public_dir / f"{assignment.slug}.ipynb"


def intro(assignment: Assignment, module: str) -> str:
    slug = assignment.slug
    return (f"*Generated by `nlpgrade release` from the same source as `{module}`: the task "
            "text is the README.*\n\n"
            "**How to work here.** Fill in the solution cells (each function body that raises "
            "`NotImplementedError`), then run the last cell for the public checks. "
            f"Submit `{slug}.ipynb` (or `{module}`).\n\n"
            "**What is graded.** The grader takes the code of this notebook's own code cells "
            "(the read-only ones and the solution cells) and grades it like a `.py` file, "
            "in a sandbox, with hidden tests. Code cells you add are *not* graded, so define "
            "helpers inside a function's cell. `%magics` and `!shell` lines are not run by "
            "the grader.")


def checks_source(slug: str) -> str:
    return ("# Public checks (read-only): the same tests as\n"
            f"# `nlpgrade check {slug}`, run in this kernel.\n"
            "# The grader also runs hidden tests: more sizes, edge cases and devices.\n"
            "try:\n"
            "    from autograder.notebooks.checks import run_public_checks\n"
            "except ImportError:\n"
            "    print(\"Install nlpgrade to run the public checks here: pip install nlpgrade\")\n"
            "else:\n"
            f"    run_public_checks(globals(), assignment={slug!r})")


def build_notebook(assignment: Assignment, *,
                   code: Literal["stub", "reference"] = "stub") -> NotebookNode:
    """The notebook of `assignment`: its stub (or its reference, markers kept, for building
    an nbgrader source notebook) as nbgrader cells, with the README in between."""
    module = notebook_module(assignment)
    if module is None:
        raise ConfigError(f"{assignment.slug}: no notebook for an assignment of several "
                          "modules (see docs/ecosystem.md)")
    reference = assignment.reference_path(module)
    readme = assignment.public_dir / "README.md"
    stub_chunks = split_module(make_stub(reference, readme), reference)
    ref_chunks = split_module(reference.read_text(encoding="utf-8"), reference)
    if [c.key for c in stub_chunks] != [c.key for c in ref_chunks]:
        raise ConfigError(f"{reference}: the stub and the reference have different top-level "
                          "definitions; solution regions must sit inside function bodies")
    keys = [c.key for c in ref_chunks]
    twice = sorted({k for k in keys if keys.count(k) > 1})
    if twice:
        raise ConfigError(f"{reference}: {', '.join(twice)} defined more than once at the top "
                          "level; a notebook cell is named after each definition")
    by_key = {c.key: c for c in ref_chunks}
    cells: list[NotebookNode] = []
    sections = readme_chunks(readme)
    shown = 0

    def show_sections(upto: int) -> None:
        nonlocal shown
        while shown < min(upto, len(sections)):
            _, text = sections[shown]
            grade_id = f"task-{shown}"
            cells.append(nbformat.v4.new_markdown_cell(text, id=grade_id, metadata=_meta(
                grade_id, solution=False, locked=True, role=None, module=None)))
            shown += 1

    show_sections(1)  # the README's title and introduction, then how to work here
    cells.append(nbformat.v4.new_markdown_cell(intro(assignment, module), id="intro",
                                               metadata=_meta("intro", solution=False,
                                                              locked=True, role=None,
                                                              module=None)))
    for chunk in stub_chunks:
        match = SECTION.search(chunk.text)
        solution = match is not None
        if match:
            numbers = [n for n, _ in sections]
            if match.group(1) in numbers:
                show_sections(numbers.index(match.group(1)) + 1)
        text = chunk.text if code == "stub" else by_key[chunk.key].text
        grade_id = _cell_id(chunk.key)
        cells.append(nbformat.v4.new_code_cell(text, id=grade_id, metadata=_meta(
            grade_id, solution=solution, locked=not solution, role=ROLE_MODULE,
            module=module)))
    show_sections(len(sections))
    cells.append(nbformat.v4.new_code_cell(checks_source(assignment.slug), id=CHECKS_ID,
                                           metadata=_meta(CHECKS_ID, solution=False,
                                                          locked=True, role=ROLE_CHECKS,
                                                          module=None)))
    nb = nbformat.v4.new_notebook(cells=cells, metadata={
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
        "nlpgrade": {"assignment": assignment.slug, "module": module},
    })
    nbformat.validate(nb)
    return nb


def notebook_text(nb: NotebookNode) -> str:
    return nbformat.writes(nb) + "\n"
