"""nlpgrade beside nbgrader on the same submissions, in one run.

    python bench/vs_nbgrader.py [--copies N] [--timeout-s 10] [--workers 1 2] [--keep DIR]

Builds an nbgrader course from the masking assignment's notebook: the same functions (the
reference with its `### BEGIN SOLUTION` markers), and every public and hidden test of
nlpgrade as an nbgrader test cell worth the same points (hidden behind `### BEGIN HIDDEN
TESTS`, run in the kernel against the notebook's own functions, the way nbgrader grades).
`nbgrader generate_assignment` releases it; each submission is the release notebook with the
solution cells filled in. The SAME notebook files are then graded by `nbgrader autograde` and
by `nlpgrade grade` (which extracts their code and runs it in its sandbox).

Submissions: correct (reference, alternative), wrong (two catalogued students), stub,
timeout (an infinite loop in one function), and two cheats:
  - cheat_patch: monkeypatches the comparisons (autograder.testing.assert_close/equal,
    torch.allclose/equal) and returns None everywhere;
  - cheat_read: reads the hidden material from disk (nbgrader's source notebook, or the
    course's solutions/ for nlpgrade) and delegates to the stolen reference.

Prints seconds per submission for each grader, the ratio, whether the honest scores agree,
and what each cheat scored. nbgrader's one time limit applies to every cell, the `import
torch` cell included, so it is --timeout-s (default 10 s, nlpgrade's import limit for masking);
nlpgrade's limits are the manifest's (10 s import, 5 s per call). Nothing here asserts a time.
Figures: docs/ecosystem.md.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from autograder.course import load_assignment  # noqa: E402
from autograder.notebooks.build import ROLE_CHECKS, build_notebook, split_module  # noqa: E402
from autograder.release import strip_markers  # noqa: E402

SLUG = "masking"
STARTED = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}) Copying \S*/submitted/([^/]+)/")
HONEST = ["correct", "alternative", "wrong_carol", "wrong_dave", "stub", "timeout"]
CHEATS = ["cheat_patch", "cheat_read"]


def tests_of(path: Path) -> list[tuple[str, float]]:
    """(name, points) of each test function, in file order, GPU-only tests left out."""
    out = []
    for node in ast.parse(path.read_text()).body:
        if not (isinstance(node, ast.FunctionDef) and node.name.startswith("test_")):
            continue
        text = [ast.unparse(d) for d in node.decorator_list]
        if any("gpu" in t for t in text):
            continue
        points = next(float(ast.literal_eval(t[len("points("):-1])) for t in text
                      if t.startswith("points("))
        out.append((node.name, points))
    return out


def meta(grade_id: str, *, points: float | None = None) -> dict:  # type: ignore[type-arg]
    nbg = {"grade": points is not None, "grade_id": grade_id, "locked": True,
           "schema_version": 3, "solution": False, "task": False}
    if points is not None:
        nbg["points"] = points
    return {"nbgrader": nbg}


def harness(public: Path, hidden: Path, reference: str) -> str:
    return f'''### BEGIN HIDDEN TESTS
import inspect as _inspect, random as _random, types as _types, zlib as _zlib
import numpy as _np, torch as _torch
from autograder.notebooks.checks import local_student as _local_student


def _module(name, source):
    module = _types.ModuleType(name)
    exec(compile(source, name, "exec"), module.__dict__)
    return module


_reference = _module("reference", {reference!r})
_public = _module("test_public", {public.read_text()!r})
_hidden = _module("test_hidden", {hidden.read_text()!r})


def _run(name):
    test = getattr(_public, name, None) or getattr(_hidden, name)
    seed = _zlib.crc32(f"0:{{name}}".encode()) & 0x7FFFFFFF
    _random.seed(seed); _np.random.seed(seed); _torch.manual_seed(seed)
    given = {{"student": _local_student(globals()), "reference": _reference,
             "device": _torch.device("cpu"), "seed": seed}}
    test(**{{k: given[k] for k in _inspect.signature(test).parameters}})
### END HIDDEN TESTS'''


def source_notebook() -> tuple[nbformat.NotebookNode, float]:
    assignment = load_assignment(REPO, SLUG)
    nb = build_notebook(assignment, code="reference")
    nb.cells = [c for c in nb.cells if c.metadata.get("nlpgrade", {}).get("role") != ROLE_CHECKS]
    reference = strip_markers(assignment.reference_path(f"{SLUG}.py"))
    nb.cells.append(nbformat.v4.new_code_cell(
        harness(assignment.public_tests, assignment.hidden_tests, reference),
        id="harness", metadata=meta("harness", points=0.0)))
    total = 0.0
    for name, points in tests_of(assignment.public_tests) + tests_of(assignment.hidden_tests):
        nb.cells.append(nbformat.v4.new_code_cell(
            f'### BEGIN HIDDEN TESTS\n_run("{name}")\n### END HIDDEN TESTS',
            id=name[:64], metadata=meta(name, points=points)))
        total += points
    return nb, total


def student_sources(course: Path) -> dict[str, str]:
    examples = REPO / "examples" / "submissions" / SLUG
    reference = strip_markers(REPO / "solutions" / SLUG / f"{SLUG}.py")
    stub = (REPO / "assignments" / SLUG / f"{SLUG}.py").read_text()
    names = [c.key for c in split_module(stub, Path("stub")) if not c.key.startswith("setup")]
    loop = reference.replace("def extended_attention_mask(", "def _unused_(", 1) + (
        "\n\ndef extended_attention_mask(attention_mask, dtype=torch.float32):\n"
        "    while True:\n        pass\n")
    patch = ("import torch\ntry:\n    import autograder.testing as _t\n"
             "    _t.assert_close = lambda *a, **k: None\n"
             "    _t.assert_equal = lambda *a, **k: None\nexcept ImportError:\n    pass\n"
             "torch.allclose = lambda *a, **k: True\ntorch.equal = lambda *a, **k: True\n"
             + "".join(f"\n\ndef {n}(*args, **kwargs):\n    return None\n" for n in names))
    steal = ("import json\n_stolen = {}\n"
             f"for _path in ['../../../source/{SLUG}/{SLUG}.ipynb', "
             f"{str(course / 'solutions' / SLUG / (SLUG + '.py'))!r}]:\n"
             "    try:\n        _text = open(_path).read()\n    except OSError:\n        continue\n"
             "    if _path.endswith('.ipynb'):\n"
             "        _cells = [''.join(c['source']) for c in json.loads(_text)['cells'] "
             "if c['cell_type'] == 'code']\n"
             "        _text = '\\n'.join(c for c in _cells if 'HIDDEN TESTS' not in c)\n"
             "    exec(_text, _stolen)\n    break\n"
             + "".join(f"\n\ndef {n}(*args, **kwargs):\n"
                       f"    return _stolen['{n}'](*args, **kwargs)\n" for n in names))
    return {
        "correct": reference,
        "alternative": (REPO / "solutions" / SLUG / "proofs" / "alternative" / f"{SLUG}.py"
                        ).read_text(),
        "wrong_carol": (examples / "carol" / f"{SLUG}.py").read_text(),
        "wrong_dave": (examples / "dave" / f"{SLUG}.py").read_text(),
        "stub": stub,
        "timeout": loop,
        "cheat_patch": patch,
        "cheat_read": steal,
    }


def fill(release: nbformat.NotebookNode, source: str) -> nbformat.NotebookNode:
    """The release notebook with its solution cells replaced by the student's functions;
    the student's other top-level code goes in the first solution cell."""
    nb = nbformat.from_dict(json.loads(nbformat.writes(release)))
    chunks = split_module(source, Path("student"))
    defs = {c.key: c.text for c in chunks if not c.key.startswith("setup")}
    extra = "\n\n".join(c.text for c in chunks if c.key.startswith("setup"))
    first = True
    for cell in nb.cells:
        nbg = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and nbg.get("solution"):
            body = defs.pop(nbg["grade_id"], cell.source)
            cell.source = (extra + "\n\n" + body) if first else body
            first = False
    if defs:  # helpers of the student's own: with the first solution cell too
        solution = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution"))
        solution.source += "\n\n" + "\n\n".join(defs.values())
    return nb


def per_student_seconds(log: Path, start: int, end: float) -> dict[str, float]:
    """nbgrader's time per student: between the log lines that start each one."""
    marks: list[tuple[str, float]] = []
    with log.open() as f:
        f.seek(start)
        for line in f:
            match = STARTED.match(line)
            if match:
                stamp = datetime.strptime(match.group(1), "%Y-%m-%d %H:%M:%S.%f")
                marks.append((match.group(2), stamp.timestamp()))
    firsts: dict[str, float] = {}
    for student, stamp in marks:
        firsts.setdefault(student, stamp)
    order = sorted(firsts.items(), key=lambda kv: kv[1])
    return {s: (order[i + 1][1] if i + 1 < len(order) else end) - t
            for i, (s, t) in enumerate(order)}


def run(cmd: list[str], cwd: Path, log: Path) -> float:
    started = time.perf_counter()
    with log.open("a") as f:
        f.write(f"\n$ {' '.join(cmd)}\n")
        f.flush()
        proc = subprocess.run(cmd, cwd=cwd, stdout=f, stderr=subprocess.STDOUT)
    if proc.returncode != 0:
        raise SystemExit(f"{cmd[:3]} failed with {proc.returncode}; see {log}")
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--copies", type=int, default=1, help="copies of each submission")
    parser.add_argument("--timeout-s", type=int, default=10,
                        help="nbgrader's per-cell limit (default 10: nlpgrade's import limit)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2],
                        help="nlpgrade's worker counts, one run each (default: 1 2)")
    parser.add_argument("--keep", type=Path, help="work here and keep it (default: a temp dir)")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="vs_nbgrader_"))
    if work.exists():
        shutil.rmtree(work)
    course, nbg, subs = work / "course", work / "nbgrader", work / "nlpgrade_submissions"
    for part in (f"assignments/{SLUG}", f"solutions/{SLUG}"):
        shutil.copytree(REPO / part, course / part)
    log = work / "log.txt"
    work.mkdir(parents=True, exist_ok=True)
    nb, total = source_notebook()
    (nbg / "source" / SLUG).mkdir(parents=True)
    nbformat.write(nb, nbg / "source" / SLUG / f"{SLUG}.ipynb")
    (nbg / "nbgrader_config.py").write_text(
        "c = get_config()\nc.CourseDirectory.course_id = 'bench'\n"
        f"c.Execute.timeout = {args.timeout_s}\n"
        "c.Application.log_format = '%(asctime)s.%(msecs)03d %(message)s'\n"
        "c.Application.log_datefmt = '%Y-%m-%d %H:%M:%S'\n")
    run([sys.executable, "-m", "nbgrader", "generate_assignment", SLUG, "--force"], nbg, log)
    release = nbformat.read(nbg / "release" / SLUG / f"{SLUG}.ipynb", as_version=4)
    sources = student_sources(course)
    students = []
    for kind, source in sources.items():
        for copy in range(args.copies):
            student = f"{kind}_{copy}"
            students.append((student, kind))
            text = nbformat.writes(fill(release, source))
            for folder in (nbg / "submitted" / student / SLUG, subs / student):
                folder.mkdir(parents=True)
                (folder / f"{SLUG}.ipynb").write_text(text)
            (nbg / "submitted" / student / SLUG / "timestamp.txt").write_text(
                "2026-03-01 12:00:00.000000 UTC")
    n = len(students)
    load_before = os.getloadavg()[0]
    log_start = log.stat().st_size
    t_nbgrader = run([sys.executable, "-m", "nbgrader", "autograde", SLUG, "--create",
                      "--force"], nbg, log)
    nb_times = per_student_seconds(log, log_start, time.time())
    walls: dict[int, float] = {}
    for workers in args.workers:
        results = work / f"nlpgrade_{workers}.json"
        walls[workers] = run([sys.executable, "-m", "autograder.cli", "grade", SLUG, str(subs),
                              "--course", str(course), "--workers", str(workers), "--force",
                              "--db", f"sqlite:///{work / f'nlpgrade_{workers}.db'}",
                              "--json", str(results), "--no-details"], REPO, log)
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{nbg / 'gradebook.db'}", course_id="bench") as gb:
        nb_scores = {s: gb.find_submission(SLUG, s).score for s, _ in students}
    report = json.loads(results.read_text())["submissions"]
    ours = {s["student"]: s["score"] for s in report}
    our_times = {s["student"]: s["duration_s"] for s in report}
    print(f"\nvs_nbgrader: masking, {n} submissions ({args.copies} of each kind), "
          f"{total:g} points; {platform.node()}, {os.cpu_count()} CPUs, load "
          f"{load_before:.2f} before, {os.getloadavg()[0]:.2f} after; work dir {work}\n")
    rows = [("nbgrader autograde (sequential)", t_nbgrader)] + [
        (f"nlpgrade grade --workers {w}", wall) for w, wall in walls.items()]
    print("| grader | wall (s) | s / submission | nbgrader / this |\n|---|---|---|---|")
    for name, wall in rows:
        print(f"| {name} | {wall:.1f} | {wall / n:.2f} | {t_nbgrader / wall:.2f}x |")
    print("\n| submission | nbgrader score | nlpgrade score | agree | nbgrader s | "
          "nlpgrade s (in its worker) |\n|---|---|---|---|---|---|")
    agree = 0
    honest = [(s, k) for s, k in students if k in HONEST]
    for student, kind in students:
        same = abs(nb_scores[student] - ours[student]) < 1e-6
        if kind in HONEST:
            agree += same
        verdict = ("yes" if same else "NO") if kind in HONEST else (
            f"cheat {'works' if nb_scores[student] > 0 else 'fails'} on nbgrader, "
            f"{'works' if ours[student] > 0 else 'fails'} on nlpgrade")
        print(f"| {student} | {nb_scores[student]:g} | {ours[student]:g} | {verdict} | "
              f"{nb_times.get(student, float('nan')):.2f} | {our_times[student]:.2f} |")
    print(f"\nhonest submissions with the same score: {agree} of {len(honest)}")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
