"""The quiz path stays light: no torch, and nothing heavy before it is needed.

Timings live in bench/quiz_startup.py; here we check what gets imported, which is what
makes `nlpgrade quiz` start fast.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
HEAVY = ["torch", "numpy", "sympy", "sqlalchemy", "fsrs", "yaml", "pydantic", "rich"]

PROBE = """
import json, sys
from autograder.cli import main
try:
    code = main(sys.argv[1:])
except SystemExit as exit_:
    code = exit_.code
print(json.dumps({"code": code, "loaded": [m for m in %r if m in sys.modules]}),
      file=sys.stderr)
"""


def imported(*args: object) -> tuple[int, list[str]]:
    proc = subprocess.run([sys.executable, "-c", PROBE % (HEAVY,), *map(str, args)],
                          cwd=REPO, capture_output=True, text=True, timeout=120)
    report = json.loads(proc.stderr.strip().splitlines()[-1])
    return report["code"], report["loaded"]


def test_quiz_help_imports_nothing_but_argparse() -> None:
    code, loaded = imported("quiz", "--help")
    assert code == 0
    assert loaded == []


def test_grading_an_answer_file_never_imports_torch_sympy_or_the_gradebook(
        write_yaml) -> None:
    answers = write_yaml("a.yaml", {"quiz": "transformer", "answers": {"tf-beam-size-one": True}})
    code, loaded = imported("quiz", "take", "transformer", "--answers", answers)
    assert code == 0
    assert "torch" not in loaded
    assert loaded == ["yaml", "pydantic"]


def test_sympy_is_imported_only_when_a_symbolic_answer_is_graded(write_yaml) -> None:
    answers = write_yaml("a.yaml", {"quiz": "hw5-math", "answers": {"hw5-qk-mean": "d mu^2"}})
    code, loaded = imported("quiz", "take", "hw5-math", "--answers", answers)
    assert code == 0
    assert "sympy" in loaded and "torch" not in loaded
