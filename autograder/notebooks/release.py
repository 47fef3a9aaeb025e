"""The notebook side of `nlpgrade release`: write or check `<slug>.ipynb`, and look for
solution code anywhere in the student release (in any file, notebooks' outputs included)."""

from __future__ import annotations

import difflib
import json
from pathlib import Path
from typing import Any

from autograder.course import Assignment, list_assignments, load_assignment
from autograder.notebooks.build import build_notebook, notebook_module, notebook_path, notebook_text
from autograder.release import KEEP, find_regions

MIN_LEAK_LINE = 16  # shorter lines (`return x`, `else:`) also occur in honest text


def release_notebook(assignment: Assignment, *, check: bool) -> list[str]:
    """Write the notebook, or (check) report it missing or stale. Returns the problems."""
    if notebook_module(assignment) is None or not assignment.solution_dir.is_dir():
        return []
    text = notebook_text(build_notebook(assignment))
    target = notebook_path(assignment)
    current = target.read_text(encoding="utf-8") if target.is_file() else None
    if current == text:
        return []
    rel = target.relative_to(assignment.course)
    if not check:
        target.write_text(text, encoding="utf-8")
        return []
    if current is None:
        return [f"{rel}: missing; run `nlpgrade release`"]
    diff = list(difflib.unified_diff(current.splitlines(), text.splitlines(),
                                     f"{rel} (committed)", f"{rel} (generated)", lineterm="",
                                     n=1))
    return [f"{rel}: out of date (edited by hand, run and saved with outputs, or its "
            "README/reference changed); run `nlpgrade release`\n" + "\n".join(diff[:20])]


def solution_lines(assignment: Assignment) -> dict[str, str]:
    """Distinctive lines of the reference's solution regions -> where they come from."""
    found: dict[str, str] = {}
    for module in assignment.manifest.modules:
        reference = assignment.reference_path(module)
        if not reference.is_file():
            continue
        lines = reference.read_text(encoding="utf-8").splitlines(keepends=True)
        stub = assignment.stub_path(module)
        public = set(line.strip() for line in stub.read_text(encoding="utf-8").splitlines()
                     ) if stub.is_file() else set()
        for region in find_regions(lines, reference):
            for number in range(region.begin + 1, region.end):
                text = lines[number].strip()
                if len(text) >= MIN_LEAK_LINE and not KEEP.match(text) and text not in public:
                    rel = reference.relative_to(assignment.course)
                    found.setdefault(text, f"{rel}:{number + 1}")
    return found


def _notebook_texts(path: Path) -> list[str]:
    try:
        nb: Any = json.loads(path.read_text(encoding="utf-8", errors="replace"))
    except (ValueError, RecursionError):
        return [path.read_text(encoding="utf-8", errors="replace")]
    texts: list[str] = []
    for cell in nb.get("cells", []) if isinstance(nb, dict) else []:
        if not isinstance(cell, dict):
            continue
        items = [cell.get("source", "")]
        for out in cell.get("outputs", []) or []:
            if isinstance(out, dict):
                items += [out.get("text", ""), *(out.get("data", {}) or {}).values()]
        for item in items:
            texts.append("".join(item) if isinstance(item, list) else str(item))
    return texts


def solution_leaks(course: Path) -> list[str]:
    """Release files that contain a line of a reference's solution regions."""
    problems: list[str] = []
    for slug in list_assignments(course):
        assignment = load_assignment(course, slug)
        hidden = solution_lines(assignment)
        if not hidden:
            continue
        for path in sorted(assignment.public_dir.rglob("*")):
            if not path.is_file() or path.suffix not in (".py", ".ipynb", ".md", ".txt"):
                continue
            texts = (_notebook_texts(path) if path.suffix == ".ipynb"
                     else [path.read_text(encoding="utf-8", errors="replace")])
            lines = {line.strip() for text in texts for line in text.splitlines()}
            hits = sorted(lines & hidden.keys())
            if hits:
                problems.append(f"{path.relative_to(course)}: contains solution code from "
                                f"{hidden[hits[0]]} ({hits[0][:60]!r}"
                                f"{f' and {len(hits) - 1} more lines' if len(hits) > 1 else ''}"
                                "); regenerate it with `nlpgrade release` or remove it")
    return problems
