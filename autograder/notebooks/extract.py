"""The code of a submitted notebook, read as untrusted data: parsed, never executed here.

The grader only parses the JSON (`nbformat.reads`, after a size cap) and joins the source of
the chosen code cells into one module, which then goes to the sandbox like a `.py` file.

Which cells:

- when the notebook carries cell metadata (it came from `nlpgrade release` or nbgrader): the
  assignment's own code cells, i.e. nbgrader solution cells and locked code cells that are not
  tests or our public checks. Cells the student added are left out, with a note;
- otherwise every code cell, in order.

IPython syntax that is not Python (`%magic`, `!shell`, `x = !cmd`) is removed: each such
line becomes `pass`, so the indentation stays valid, and the feedback says what was removed.
A cell that starts with `%%time`, `%%timeit` or `%%capture` keeps its body; a cell with any
other cell magic (`%%bash`, `%%writefile`) is dropped. Lines inside triple-quoted strings are
left alone; a continuation line that starts with `%` (a modulo split across lines) is not
told apart from a magic.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field
from typing import Any

import nbformat

from autograder.notebooks.build import ROLE_CHECKS, ROLE_MODULE

MAX_NOTEBOOK_BYTES = 16 << 20  # a notebook with plots in its outputs is large; code is not
MAX_CELLS = 5000
MAX_CODE_BYTES = 1 << 20
MAGIC = re.compile(r"^(\s*)(?:[%!]|[A-Za-z_][\w.]*\s*=\s*[%!])")
PYTHON_CELL_MAGICS = {"%%time", "%%timeit", "%%capture"}  # their body is Python
FUTURE = re.compile(r"^from\s+__future__\s+import\s+[\w\s,()]+$")
TRIPLE = re.compile(r'"""|\'\'\'')


class NotebookError(ValueError):
    """The submitted notebook cannot be read; the message says what to do."""


@dataclass
class Extracted:
    code: str
    notes: list[str] = field(default_factory=list)


def _parse(data: bytes, name: str, module: str) -> Any:
    if len(data) > MAX_NOTEBOOK_BYTES:
        raise NotebookError(f"{name} is {len(data) / 2**20:.1f} MiB; the limit for a notebook "
                            f"is {MAX_NOTEBOOK_BYTES >> 20} MiB. Clear its outputs "
                            "(Kernel > Restart & Clear Output), save, and resubmit")
    advice = (f"Open it in Jupyter, save it, and resubmit; or submit {module} "
              "(File > Download as > Python)")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise NotebookError(f"{name} is not a Jupyter notebook (not UTF-8 text). {advice}"
                            ) from None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            nb = nbformat.reads(text, as_version=4)
    except RecursionError:
        raise NotebookError(f"{name} is not a readable Jupyter notebook (its JSON nests too "
                            f"deeply). {advice}") from None
    except Exception as err:  # nbformat raises many types for bad input
        detail = str(err).strip().splitlines()[0][:200] if str(err).strip() else ""
        raise NotebookError(f"{name} is not a readable Jupyter notebook ({type(err).__name__}"
                            f"{': ' + detail if detail else ''}). {advice}") from None
    cells = nb.get("cells") if isinstance(nb, dict) else None
    if not isinstance(cells, list):
        raise NotebookError(f"{name} has no list of cells: it is not a Jupyter notebook. "
                            f"{advice}")
    if len(cells) > MAX_CELLS:
        raise NotebookError(f"{name} has {len(cells)} cells; the limit is {MAX_CELLS}")
    return cells


def _source(cell: Any) -> str:
    source = cell.get("source", "")
    if isinstance(source, list):
        source = "".join(s for s in source if isinstance(s, str))
    return source if isinstance(source, str) else ""


def _metadata(cell: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    meta = cell.get("metadata")
    meta = meta if isinstance(meta, dict) else {}
    nbg, ours = meta.get("nbgrader"), meta.get("nlpgrade")
    return (nbg if isinstance(nbg, dict) else {}), (ours if isinstance(ours, dict) else {})


def _is_assignment_cell(cell: Any) -> bool:
    nbg, ours = _metadata(cell)
    if ours.get("role") == ROLE_CHECKS:
        return False
    if ours.get("role") == ROLE_MODULE or nbg.get("solution") is True:
        return True
    # nbgrader: locked read-only code (imports, helpers) is part of the module; grade cells
    # that are not solutions are nbgrader's own tests.
    return nbg.get("locked") is True and nbg.get("grade") is not True


def strip_ipython(source: str) -> tuple[str, list[str]]:
    """(source with magics and shell escapes replaced by `pass`, the lines removed)."""
    lines = source.split("\n")
    removed: list[str] = []
    first = next((i for i, line in enumerate(lines) if line.strip()), 0)
    if lines and lines[first].lstrip().startswith("%%"):
        magic = lines[first].strip()
        if magic.split()[0] not in PYTHON_CELL_MAGICS:  # %%bash, %%writefile: not Python
            return "", [magic]
        removed.append(magic)
        lines[first] = ""
    in_string = False
    for i, line in enumerate(lines):
        match = None if in_string else MAGIC.match(line)
        if match:
            removed.append(line.strip())
            lines[i] = f"{match.group(1)}pass  # removed by nlpgrade: notebook command"
        elif len(TRIPLE.findall(line)) % 2 == 1:
            in_string = not in_string
    return "\n".join(lines), removed


def hoist_future_imports(code: str) -> str:
    """`from __future__` lines moved to the top: a kernel compiles each cell on its own, so
    a notebook may repeat them in any cell, but a module must start with them."""
    lines = code.split("\n")
    future = [line for line in lines if FUTURE.match(line)]
    if not future:
        return code
    rest = [line for line in lines if not FUTURE.match(line)]
    return "\n".join([*dict.fromkeys(line.strip() for line in future), *rest])


def extract_code(data: bytes, *, name: str, module: str) -> Extracted:
    """The module code of notebook `name` (its bytes); raises NotebookError."""
    cells = _parse(data, name, module)
    code_cells = [(i, c) for i, c in enumerate(cells, start=1)
                  if isinstance(c, dict) and c.get("cell_type") == "code"]
    tagged = any(any(_metadata(c)) for _, c in code_cells)
    notes: list[str] = []
    if tagged:
        chosen = [(i, c) for i, c in code_cells if _is_assignment_cell(c)]
        added = [i for i, c in code_cells if not _is_assignment_cell(c)
                 and not _metadata(c)[1] and not _metadata(c)[0] and _source(c).strip()]
        if added:
            cells_text = ", ".join(map(str, added[:10])) + (" …" if len(added) > 10 else "")
            notes.append(f"{name}: code cells you added (cell {cells_text}) were not graded: "
                         "only the assignment's own cells are; define helpers inside a "
                         "function's cell")
    else:
        chosen = code_cells
    parts: list[str] = []
    removed: list[str] = []
    for index, cell in chosen:
        source, gone = strip_ipython(_source(cell))
        removed += [f"`{line[:60]}` (cell {index})" for line in gone]
        if source.strip():
            parts.append(f"# --- {name}, cell {index} ---\n{source.rstrip()}\n")
    if removed:
        shown = ", ".join(removed[:5]) + (f" and {len(removed) - 5} more" if len(removed) > 5
                                          else "")
        notes.append(f"{name}: removed {len(removed)} notebook command"
                     f"{'s' if len(removed) > 1 else ''} the grader does not run: {shown}")
    if not parts:
        raise NotebookError(f"{name} has no code to grade (no code cells"
                            f"{' of the assignment' if tagged else ''}). Fill in the solution "
                            f"cells, save, and resubmit; or submit {module}")
    code = hoist_future_imports("\n\n".join(parts))
    if len(code.encode("utf-8")) > MAX_CODE_BYTES:
        raise NotebookError(f"{name}: its code is over {MAX_CODE_BYTES >> 20} MiB")
    return Extracted(code=code, notes=notes)
