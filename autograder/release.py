"""Student stubs from reference solutions: one source, two views.

Each `### BEGIN SOLUTION` … `### END SOLUTION` region of a reference becomes

    # Step 1: …            (full-line comments starting with "# Step" or "# Hint" survive)
    raise NotImplementedError("causal_mask: see README §3")

where §3 is the number of the first README heading that names the function in backticks.
Everything else (docstrings, signatures, classes, imports) is kept as written.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

from autograder.yamlfile import ConfigError

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
KEEP = re.compile(r"#\s*(step|hint)\b", re.IGNORECASE)
HEADING = re.compile(r"^#{1,6}\s+(?:§\s*)?(\d+(?:\.\d+)*)\.?\s+(.*)$")


@dataclass(frozen=True)
class Region:
    begin: int  # 0-based line index of the BEGIN marker
    end: int  # 0-based line index of the END marker
    indent: str


def find_regions(lines: list[str], path: Path) -> list[Region]:
    regions: list[Region] = []
    open_at: int | None = None
    for i, line in enumerate(lines):
        text = line.strip()
        if text == BEGIN:
            if open_at is not None:
                raise ConfigError(f"{path}:{i + 1}: {BEGIN} inside the region opened at line "
                                  f"{open_at + 1}; close it first with {END}")
            open_at = i
        elif text == END:
            if open_at is None:
                raise ConfigError(f"{path}:{i + 1}: {END} without a {BEGIN}")
            indent = lines[open_at][: len(lines[open_at]) - len(lines[open_at].lstrip())]
            regions.append(Region(open_at, i, indent))
            open_at = None
        elif BEGIN.lower() in text.lower() or END.lower() in text.lower():
            raise ConfigError(f"{path}:{i + 1}: a solution marker must be alone on its line, "
                              f"exactly {BEGIN!r} or {END!r}")
    if open_at is not None:
        raise ConfigError(f"{path}:{open_at + 1}: {BEGIN} is never closed with {END}")
    return regions


def enclosing_functions(source: str, path: Path) -> dict[int, str]:
    """0-based line -> qualified name of the innermost function containing it."""
    try:
        tree = ast.parse(source, filename=str(path))
    except SyntaxError as err:
        raise ConfigError(f"{path}:{err.lineno}: the reference does not parse: {err.msg}"
                          ) from None
    owner: dict[int, str] = {}

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = f"{prefix}{child.name}"
                if not isinstance(child, ast.ClassDef):
                    for line in range(child.lineno - 1, (child.end_lineno or child.lineno)):
                        owner[line] = name
                visit(child, f"{name}.")
            else:
                visit(child, prefix)

    visit(tree, "")
    return owner


def readme_sections(readme: Path) -> list[tuple[str, str]]:
    """(section number, heading text) for each numbered heading of the README."""
    if not readme.is_file():
        return []
    out = []
    for line in readme.read_text(encoding="utf-8").splitlines():
        match = HEADING.match(line.strip())
        if match:
            out.append((match.group(1), match.group(2)))
    return out


def section_for(qualname: str, sections: list[tuple[str, str]], readme: Path) -> str:
    parts = qualname.split(".")
    # "Counter.add", then "add", then the enclosing class "Counter"
    candidates = [qualname, parts[-1], *[".".join(parts[:i]) for i in range(len(parts) - 1, 0,
                                                                        -1)]]
    for name in candidates:
        for number, text in sections:
            if f"`{name}`" in text or f"`{name}(" in text:
                return number
    raise ConfigError(
        f"{readme}: no numbered heading names `{parts[-1]}` in backticks (e.g. "
        f"'## 3. Title: `{parts[-1]}` (4 points)'), so its stub cannot point students to "
        "the task")


def make_stub(reference: Path, readme: Path) -> str:
    """The stub text generated from `reference`."""
    source = reference.read_text(encoding="utf-8")
    lines = source.splitlines(keepends=True)
    regions = find_regions(lines, reference)
    owners = enclosing_functions(source, reference)
    sections = readme_sections(readme)
    out: list[str] = []
    cursor = 0
    for region in regions:
        qualname = owners.get(region.begin)
        if qualname is None:
            raise ConfigError(f"{reference}:{region.begin + 1}: a solution region must be "
                              "inside a function or method body")
        out.extend(lines[cursor:region.begin])
        for line in lines[region.begin + 1:region.end]:
            if KEEP.match(line.strip()):
                out.append(line)
        number = section_for(qualname, sections, readme)
        out.append(f'{region.indent}raise NotImplementedError("{qualname}: see README '
                   f'§{number}")\n')
        cursor = region.end + 1
    out.extend(lines[cursor:])
    stub = "".join(out)
    try:
        compile(stub, str(reference), "exec")
    except SyntaxError as err:
        raise ConfigError(f"{reference}: the generated stub does not compile (line "
                          f"{err.lineno}: {err.msg}); check the marker indentation") from None
    return stub


def strip_markers(reference: Path) -> str:
    """The reference without its marker lines: what a perfect student would submit."""
    return "".join(line for line in reference.read_text(encoding="utf-8").splitlines(
        keepends=True) if line.strip() not in (BEGIN, END))
