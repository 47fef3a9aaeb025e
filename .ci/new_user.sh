#!/usr/bin/env bash
# The README's two commands, verbatim, the way a new user runs them: a fresh clone under /tmp
# and a fresh virtual environment made by an interpreter without torch (Debian's python3).
# Command 2 runs the whole suite from that install, so every proof (the references at full
# marks included, tests/test_proofs.py) is checked there too.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
WORK="$(mktemp -d /tmp/nlpgrade-new-user.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT

# `python3` is Debian's /usr/bin/python3 for the README's commands (not a pyenv/conda one).
mkdir -p "$WORK/bin"
ln -s /usr/bin/python3 "$WORK/bin/python3"
export PATH="$WORK/bin:$PATH"
if ! /usr/bin/python3 -c 'import venv, ensurepip' 2>/dev/null; then
    SUDO=$([ "$(id -u)" = 0 ] && echo "" || echo "sudo")
    $SUDO apt-get update -qq && $SUDO env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq python3-venv >/dev/null
fi

git clone -q --no-hardlinks "$ROOT" "$WORK/nlpgrade"
# The course documents (shared/course, beside the checkout, never in the repo): the quiz
# tests check every cited section title against them when they are there.
if [ -d "$ROOT/../shared/course" ]; then
    export NLPGRADE_COURSE_DOCS="$(cd "$ROOT/../shared/course" && pwd)"
fi
cd "$WORK/nlpgrade"
COMMAND_1="$(python3 .ci/readme_command.py 1)"
COMMAND_2="$(python3 .ci/readme_command.py 2)"

echo "::: README command 1, in $PWD: $COMMAND_1"
bash -euo pipefail -c "$COMMAND_1" | tee "$WORK/demo.log"
grep -q "^demo verdict: OK" "$WORK/demo.log"

echo "::: README command 2, in $PWD: $COMMAND_2"
bash -euo pipefail -c "$COMMAND_2"

bash -euo pipefail -c ". .venv/bin/activate && nlpgrade release --check"

echo "::: Gradescope, emulated (setup.sh, run_autograder, results.json)"
.ci/gradescope.sh "$PWD/.venv/bin/nlpgrade"
