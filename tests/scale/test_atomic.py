"""Reports appear whole or not at all; the streamed batch JSON is the documented document."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from autograder.results import (
    BatchResult,
    SubmissionResult,
    atomic_text,
    write_batch_json_atomic,
    write_csv_atomic,
    write_json_atomic,
)
from autograder.results import TestResult as OneTest


def batch(n: int) -> BatchResult:
    subs = [SubmissionResult(f"s{i}", 1.0, 2.0, "graded", "1 of 2 tests passed",
                             [OneTest("test_a", 1.0, 1.0, "passed"),
                              OneTest("test_b", 0.0, 1.0, "failed", 'got "é"\nexpected 2')],
                             stdout="hi\n")
            for i in range(n)]
    return BatchResult("hw", 2.0, subs, isolation="bwrap", seed=3)


@pytest.mark.parametrize("n", [0, 1, 3])
def test_the_streamed_batch_json_is_byte_for_byte_the_documented_one(tmp_path: Path, n: int):
    whole, streamed = tmp_path / "whole.json", tmp_path / "streamed.json"
    b = batch(n)
    write_json_atomic(whole, b.to_json())
    write_batch_json_atomic(streamed, BatchResult("hw", 2.0, [], isolation="bwrap", seed=3),
                            iter(b.submissions))
    assert streamed.read_bytes() == whole.read_bytes()


def test_a_writer_that_fails_halfway_leaves_the_old_report_and_no_debris(tmp_path: Path):
    report = tmp_path / "scores.csv"
    write_csv_atomic(report, ["student", "score"], [["alice", 2]])

    def rows():
        yield ["bob", 1]
        raise RuntimeError("the gradebook went away")

    with pytest.raises(RuntimeError):
        write_csv_atomic(report, ["student", "score"], rows())
    assert list(csv.reader(report.open(newline=""))) == [["student", "score"], ["alice", "2"]]
    assert [p.name for p in tmp_path.iterdir()] == ["scores.csv"]


def test_atomic_text_replaces_the_file_in_one_step(tmp_path: Path):
    target = tmp_path / "out" / "report.txt"
    with atomic_text(target) as f:
        f.write("new")
        assert not target.exists()  # nothing visible until the end
    assert target.read_text() == "new"
    assert oct(target.stat().st_mode & 0o777) == "0o644"
