"""The local pool always finishes: workers that cannot even start stop the batch with a reason."""

from __future__ import annotations

import subprocess
import sys

from .test_resume import TOY

# Run from stdin, so a `spawn` worker cannot re-import the main module: it dies while starting,
# before asking for any work (like a broken install or an out-of-memory kill at start-up).
SCRIPT = f"""
from pathlib import Path
from autograder.grading.engine import Options
from autograder.grading.pool import Job, grade_batch
toy = Path({str(TOY)!r})
grade_batch(Job(str(toy), "toy", Options()), [("a", toy / "submissions" / "correct")],
            workers=2, on_result=print)
"""


def test_workers_that_die_while_starting_stop_the_batch_instead_of_respawning_forever():
    proc = subprocess.run([sys.executable, "-"], input=SCRIPT, capture_output=True, text=True,
                          timeout=240)
    assert proc.returncode == 1
    assert "3 grading workers in a row died while starting" in proc.stderr
    assert "rerun the same command to resume" in proc.stderr
