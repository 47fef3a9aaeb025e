"""The GPU path: `--device cuda` grades in a sandbox that sees the GPU. Skipped on CPU."""

from __future__ import annotations

import pytest

from autograder.grading.engine import Options
from autograder.grading.pool import Job, grade_batch
from autograder.grading.submission import discover
from autograder.release import strip_markers

pytestmark = pytest.mark.gpu


def test_masking_reference_scores_full_marks_on_cuda(repo, masking, tmp_path):
    folder = tmp_path / "subs" / "ref"
    folder.mkdir(parents=True)
    (folder / "masking.py").write_text(strip_markers(masking.reference_path("masking.py")))
    results = []
    grade_batch(Job(str(repo), "masking", Options(device="cuda")), discover(tmp_path / "subs"),
                workers=1, on_result=results.append)
    (result,) = results
    assert result.score == result.max_score, [(t.name, t.output[:200]) for t in result.tests
                                              if t.status != "passed"]
