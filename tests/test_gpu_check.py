"""bench/gpu_check.sh: the prepared GPU run says what it would do, and checks it could, on CPU."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import REPO


def test_gpu_check_dry_run_lists_the_three_steps_and_runs_nothing(tmp_path):
    out = tmp_path / "logs"
    proc = subprocess.run(["bash", str(REPO / "bench" / "gpu_check.sh"), "--dry-run", "--out",
                           str(out)], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHON": sys.executable})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for step in ("-m pytest -m gpu", "prove attention_variance linear_attention masking",
                 "--device cuda", "bench/minbert_finetune.py --timing-only --device cuda"):
        assert step in proc.stdout, proc.stdout
    assert "dry run: nothing was run" in proc.stdout
    assert not out.exists()


def test_gpu_check_refuses_to_run_without_a_gpu(tmp_path):
    import torch

    if torch.cuda.is_available():
        return  # on a GPU machine the real run is bench/gpu_check.sh itself
    proc = subprocess.run(["bash", str(REPO / "bench" / "gpu_check.sh"), "--out",
                           str(tmp_path / "logs")], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHON": sys.executable})
    assert proc.returncode == 2 and "nothing was run" in proc.stderr
