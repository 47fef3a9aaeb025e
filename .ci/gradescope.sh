#!/usr/bin/env bash
# Gradescope, emulated: build autograder.zip, run its own setup.sh (a regular, non-editable
# install into a fresh venv under the home folder) and run_autograder in a Gradescope-shaped
# root (source/, submission/, results/), then check results.json: the reference scores full
# marks, the stub 0, and a grader failure writes no results.json and exits 1.
# Usage: .ci/gradescope.sh [NLPGRADE]   (the nlpgrade command that builds the zip)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
NLPGRADE="${1:-nlpgrade}"
SLUG=masking
WORK="$(mktemp -d /tmp/nlpgrade-gradescope.XXXXXX)"
export NLPGRADE_VENV="$HOME/.cache/nlpgrade-ci/gradescope-venv"
trap 'rm -rf "$WORK" "$NLPGRADE_VENV"' EXIT
rm -rf "$NLPGRADE_VENV"

"$NLPGRADE" gradescope build "$SLUG" -o "$WORK/autograder.zip" --course "$ROOT"
mkdir -p "$WORK/autograder/source" "$WORK/autograder/results"
python3 -m zipfile -e "$WORK/autograder.zip" "$WORK/autograder/source"
chmod +x "$WORK/autograder/source/setup.sh" "$WORK/autograder/source/run_autograder"
export NLPGRADE_GRADESCOPE_ROOT="$WORK/autograder"

echo "::: setup.sh (fresh venv at $NLPGRADE_VENV)"
bash "$WORK/autograder/source/setup.sh" >"$WORK/setup.log" 2>&1 || { cat "$WORK/setup.log"; exit 1; }
(cd "$WORK" && "$NLPGRADE_VENV/bin/python" - <<'PY'
import autograder, sys
assert "/site-packages/" in autograder.__file__, autograder.__file__  # not editable
print("installed non-editable at", autograder.__file__)
PY
)

run() {  # run_autograder on one submission file; prints results.json's score
    rm -rf "$WORK/autograder/submission" "$WORK/autograder/results"/*
    mkdir -p "$WORK/autograder/submission"
    cp "$1" "$WORK/autograder/submission/$SLUG.py"
    bash "$WORK/autograder/source/run_autograder" >"$WORK/run.log" 2>&1
}
check_score() {  # FILE EXPECTED
    run "$1" || { cat "$WORK/run.log"; exit 1; }
    python3 - "$WORK/autograder/results/results.json" "$2" <<'PY'
import json, sys
data = json.load(open(sys.argv[1]))
expected = sys.argv[2]
total = sum(t["max_score"] for t in data["tests"])
want = total if expected == "full" else float(expected)
assert data["score"] == want, (data["score"], want, data["output"][:500])
assert all({"name", "score", "max_score", "status", "output", "visibility"} <= set(t)
           for t in data["tests"])
print(f"results.json: {data['score']:g}/{total:g} as expected ({expected})")
PY
}
echo "::: run_autograder: the reference, then the stub"
check_score "$ROOT/solutions/$SLUG/$SLUG.py" full
check_score "$ROOT/assignments/$SLUG/$SLUG.py" 0

echo "::: run_autograder when the grader fails: no results.json, exit 1"
mv "$NLPGRADE_VENV/lib" "$NLPGRADE_VENV/lib.hidden"   # its packages vanish
if run "$ROOT/solutions/$SLUG/$SLUG.py"; then
    echo "run_autograder exited 0 with a broken grader"; exit 1
fi
mv "$NLPGRADE_VENV/lib.hidden" "$NLPGRADE_VENV/lib"
test ! -e "$WORK/autograder/results/results.json"
echo "no results.json, exit status non-zero: as expected"
