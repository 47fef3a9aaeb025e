"""Pre-engine prover for minBERT: run the hidden tests in-process, without a sandbox.

    python solutions/minbert/proofs/prove_local.py      # reference, alternative, mistakes
    python solutions/minbert/proofs/prove_local.py --only adamw-coupled-l2 -k adamw

Until `nlpgrade prove minbert` runs through the engine, this checks the same four claims of
docs/authoring.md ("Proofs") locally: the reference scores full marks, proofs/alternative/
scores full marks, and every entry of proofs/mistakes.yaml fails the tests it lists with its
feedback text in the message (the stub is the engine's job). The `student` fixture is a plain
namespace of modules imported from a folder, NOT a sandboxed proxy: use this only on trusted
code. Each submission runs in a fresh Python process, so module names never collide.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
SOLUTION = HERE.parent
ROOT = SOLUTION.parents[1]
ASSIGNMENT = ROOT / "assignments" / "minbert"
MODULES = ("bert.py", "optimizer.py", "classifier.py")
MARKER = re.compile(r"^\s*### (BEGIN|END) SOLUTION\s*$")

CONFTEST = '''
import importlib, sys, types
from pathlib import Path
import pytest, torch

SUPPORT = ("config", "utils", "base_bert", "tokenizer", "sentiment_data", "train", "harness")


def _load(folder):
    """Import bert/optimizer/classifier from `folder` (support modules are shared)."""
    for name in ("bert", "optimizer", "classifier"):
        sys.modules.pop(name, None)
    sys.path.insert(0, str(folder))
    try:
        mods = {n: importlib.import_module(n) for n in ("bert", "optimizer", "classifier")}
    finally:
        sys.path.remove(str(folder))
    for name in ("bert", "optimizer", "classifier"):
        sys.modules.pop(name, None)
    mods.update({n: importlib.import_module(n) for n in SUPPORT})
    return types.SimpleNamespace(**mods)


sys.path.insert(0, r"@ASSIGNMENT@")
STUDENT = _load(Path(r"@STUDENT@"))
REFERENCE = _load(Path(r"@REFERENCE@"))


def pytest_configure(config):
    config.addinivalue_line("markers", "points(n): points of a test")
    config.addinivalue_line("markers", "gpu: needs CUDA")
    config.addinivalue_line("markers", "module(file): the submitted file a test grades")


@pytest.fixture
def student():
    return STUDENT


@pytest.fixture
def reference():
    return REFERENCE


@pytest.fixture
def device():
    return torch.device("cpu")


@pytest.fixture
def seed():
    return 1234
'''


def strip_markers(text: str) -> str:
    return "".join(line for line in text.splitlines(keepends=True) if not MARKER.match(line))


def run_hidden(student_dir: Path, workdir: Path, extra: list[str],
               source: Path = SOLUTION / "test_hidden.py") -> dict[str, dict]:
    """Run `source` with `student` = the modules in student_dir; {test: outcome}."""
    (workdir / "conftest.py").write_text(
        CONFTEST.replace("@ASSIGNMENT@", str(ASSIGNMENT)).replace("@STUDENT@", str(student_dir))
        .replace("@REFERENCE@", str(SOLUTION)))
    test = workdir / source.name
    test.write_text(source.read_text())
    report = workdir / "report.json"
    plugin = workdir / "collect_outcomes.py"
    plugin.write_text(
        "import json\nOUT = {}\n"
        "def pytest_runtest_logreport(report):\n"
        "    if report.when == 'call' or report.outcome != 'passed':\n"
        "        OUT[report.nodeid.split('::')[-1]] = {'outcome': report.outcome,\n"
        "            'message': str(report.longrepr)[-1500:] if report.longrepr else ''}\n"
        "def pytest_sessionfinish(session):\n"
        f"    open({str(report)!r}, 'w').write(json.dumps(OUT))\n")
    env = {**os.environ, "PYTHONPATH": str(workdir)}
    subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "collect_outcomes", "-p",
                    "no:cacheprovider", "--assert=plain", "-m", "not gpu", str(test), *extra],
                   cwd=workdir, env=env, capture_output=True, text=True)
    return json.loads(report.read_text()) if report.exists() else {}


def materialise(folder: Path, sources: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in sources.items():
        (folder / name).write_text(text)
    return folder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="mistake ids (default: all), or 'none'")
    parser.add_argument("-k", default="", help="pytest -k expression")
    parser.add_argument("--skip-clean", action="store_true",
                        help="skip the reference and alternative runs")
    parser.add_argument("--public", action="store_true",
                        help="run test_public.py on the reference and the alternative only")
    args = parser.parse_args(argv)
    extra = ["-k", args.k] if args.k else []
    reference = {m: strip_markers((SOLUTION / m).read_text()) for m in MODULES}
    problems = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        subjects: list[tuple[str, dict[str, str], dict | None]] = []
        if not args.skip_clean:
            subjects.append(("reference", reference, None))
            alt = {m: (HERE / "alternative" / m).read_text() for m in MODULES}
            subjects.append(("alternative", alt, None))
        mistakes = [] if args.public else yaml.safe_load((HERE / "mistakes.yaml").read_text())
        source = ASSIGNMENT / "test_public.py" if args.public else SOLUTION / "test_hidden.py"
        for entry in mistakes:
            if args.only is not None and entry["id"] not in args.only:
                continue
            sources = dict(reference)
            for edit in entry["edits"]:
                text = sources[entry["module"]]
                if edit["old"] not in text:
                    problems.append(f"{entry['id']}: edit text not found in {entry['module']}")
                    break
                sources[entry["module"]] = text.replace(edit["old"], edit["new"], 1)
            subjects.append((entry["id"], sources, entry))
        for name, sources, entry in subjects:
            outcomes = run_hidden(materialise(tmp / name / "sub", sources), tmp / name, extra,
                                  source)
            failed = {t: o for t, o in outcomes.items() if o["outcome"] != "passed"}
            if entry is None:
                status = "ok" if outcomes and not failed else f"FAILED {sorted(failed)}"
                if failed:
                    problems.append(f"{name}: {sorted(failed)}")
            else:
                lost = [t for t in entry["loses"] if t in failed]
                said = any(entry["feedback"] in failed[t]["message"] for t in lost)
                status = "ok" if len(lost) == len(entry["loses"]) and said else "NOT PROVEN"
                if status != "ok":
                    problems.append(f"{name}: lost {lost} of {entry['loses']}, feedback "
                                    f"{'found' if said else 'missing'}; failed: {sorted(failed)}")
            print(f"{name:34s} {len(outcomes) - len(failed):2d}/{len(outcomes):2d} passed  "
                  f"{status}", flush=True)
    for p in problems:
        print("PROBLEM:", p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
