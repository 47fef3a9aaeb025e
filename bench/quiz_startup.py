"""How fast does `nlpgrade quiz` start? Run by hand: `python bench/quiz_startup.py [-n 20]`.

Times, in fresh processes:
- `python -c pass`: the interpreter alone (the floor nothing can beat);
- `nlpgrade quiz --help`: argparse only;
- `nlpgrade quiz take quizzes/transformer.yaml --answers FILE`: load, validate (cited
  sections and giveaway checks included) and grade a 42-question quiz (its one symbolic
  question is left blank here, so no sympy);
- `nlpgrade quiz validate quizzes/transformer.yaml`.

Reports the median and best wall time of each, the median minus the interpreter's, and the
median CPU time (user + system) of the child, which stays meaningful on a busy machine where
wall time mostly measures waiting for a core. With `--imports`, also lists the slowest
imports of the `take --answers` path (-X importtime).
Timings are printed, never asserted: tests/quiz/test_quiz_startup.py checks what is
imported, which is what keeps these numbers low.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]


def answers_file(folder: Path) -> Path:
    """A plausible learner's answers to the transformer quiz: the first option everywhere, in
    the letters of the version with seed 1 (letters need the seed they refer to)."""
    quiz = yaml.safe_load((REPO / "quizzes" / "transformer.yaml").read_text(encoding="utf-8"))
    answers = {}
    for q in quiz["questions"]:
        if q["type"] == "symbolic":
            continue
        answers[q["id"]] = {"single": "a", "multiple": "a b", "true_false": True,
                            "numeric": 1, "short": "beam search",
                            "ordering": "abcdefghijklmnopqrstuvwxyz"[: len(q.get("items", []))],
                            }.get(q["type"], "x")
    path = folder / "learner.yaml"
    path.write_text(yaml.safe_dump({"quiz": "transformer", "seed": 1, "answers": answers}),
                    "utf-8")
    return path


def timed(argv: list[str], runs: int) -> tuple[list[float], list[float]]:
    """(wall seconds, CPU seconds) of each run."""
    env = {**os.environ, "NO_COLOR": "1"}
    wall, cpu = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(argv, cwd=REPO, env=env, check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        wall.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--runs", type=int, default=10)
    parser.add_argument("--imports", action="store_true", help="show the slowest imports")
    args = parser.parse_args()
    py = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        learner = answers_file(Path(tmp))
        quiz = ["-m", "autograder.cli", "quiz"]
        cases = {
            "python -c pass": [py, "-c", "pass"],
            "quiz --help": [py, *quiz, "--help"],
            "quiz take --answers": [py, *quiz, "take", "quizzes/transformer.yaml",
                                    "--answers", str(learner)],
            "quiz validate": [py, *quiz, "validate", "quizzes/transformer.yaml"],
        }
        timed(cases["quiz take --answers"], 1)  # warm the file cache and bytecode
        results = {name: timed(argv, args.runs) for name, argv in cases.items()}
        floor = statistics.median(results["python -c pass"][0])
        print(f"{'command':<22} {'median':>8} {'best':>8} {'minus python':>13} {'CPU':>8}"
              f"  ({args.runs} runs, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f})")
        for name, (wall, cpu) in results.items():
            med = statistics.median(wall)
            print(f"{name:<22} {med * 1000:7.0f}ms {min(wall) * 1000:7.0f}ms "
                  f"{(med - floor) * 1000:12.0f}ms {statistics.median(cpu) * 1000:7.0f}ms")
        if args.imports:
            proc = subprocess.run([py, "-X", "importtime", *cases["quiz take --answers"][1:]],
                                  cwd=REPO, capture_output=True, text=True)
            rows = [line.split("|") for line in proc.stderr.splitlines()
                    if line.startswith("import time:") and "cumulative" not in line]
            top = sorted(rows, key=lambda r: -int(r[1]))[:15]
            print("\nslowest imports of `quiz take --answers` (cumulative µs):")
            for _, cumulative, name in top:
                print(f"  {int(cumulative):>9}  {name.rstrip()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
