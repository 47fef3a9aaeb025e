"""`nlpgrade grade --scheduler`: a real Dask LocalCluster (2 worker processes) grades exactly
like the local pool, in the same sandbox."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from autograder.commands import grade as grade_command
from autograder.grading.distributed import grade_on_cluster, task_resources
from autograder.grading.engine import Options
from autograder.grading.pool import Job
from autograder.results import SubmissionResult
from autograder.yamlfile import ConfigError

from .test_gradebook import socket_closed_port

# One of each outcome but timeouts and floods (tests/test_engine.py covers those).
STUDENTS = ["correct", "wrong_double", "segfault", "syntax_error", "absent"]


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=":0") as cluster:
        yield str(cluster.scheduler_address)


@pytest.fixture(scope="module")
def subs(toy_course: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("cluster") / "subs"
    for student in STUDENTS:
        shutil.copytree(toy_course / "submissions" / student, folder / student)
    return folder


def comparable(result: dict[str, object]) -> dict[str, object]:
    """A result without what differs between any two runs, even two local ones: its time,
    the sandbox uid (one per grading process) and how many bytes a student printing in a loop
    managed to print before being stopped (the kept 16 KB are compared)."""
    isolation = re.sub(r"uid \d+", "uid N", str(result["isolation"]))
    stdout = re.sub(r"\[\.\.\. \d+ more bytes not kept\]", "[... N more bytes not kept]",
                    str(result["stdout"]))
    return {**result, "duration_s": None, "isolation": isolation, "stdout": stdout}


def test_the_cluster_grades_exactly_like_the_local_pool_in_the_same_sandbox(
        scheduler: str, subs: Path, toy_course: Path, tmp_path: Path, grade) -> None:
    out = tmp_path / "cluster.json"
    code = grade_command.main(["toy", str(subs), "--course", str(toy_course), "--scheduler",
                               scheduler, "--db", f"sqlite:///{tmp_path / 'gb.db'}",
                               "--json", str(out)])
    assert code == 0
    on_cluster = {s["student"]: s for s in json.loads(out.read_text())["submissions"]}
    local = grade(toy_course, "toy", subs, workers=1)
    assert sorted(on_cluster) == sorted(local) == sorted(STUDENTS)
    for student, result in local.items():
        assert comparable(on_cluster[student]) == comparable(result.to_json()), student
    assert all(s["isolation"].startswith("bwrap+namespaces+") and "rlimits+nproc" in
               s["isolation"] for s in on_cluster.values())


def test_an_unreachable_scheduler_says_where_and_what_to_start(toy_course: Path,
                                                               subs: Path) -> None:
    with socket_closed_port() as port:
        address = f"tcp://127.0.0.1:{port}"
        with pytest.raises(ConfigError, match=rf"--scheduler {address}: no Dask scheduler "
                                              r"answered there .* `dask scheduler`"):
            grade_on_cluster(Job(str(toy_course), "toy", Options()), [("a", subs / "correct")],
                             scheduler=address, on_result=lambda r: None,
                             connect_timeout_s=2)


def test_cuda_tasks_ask_for_a_gpu_and_refuse_a_cluster_without_one(
        scheduler: str, toy_course: Path, subs: Path) -> None:
    assert task_resources(Options(device="cuda")) == {"GPU": 1}
    assert task_resources(Options()) is None
    results: list[SubmissionResult] = []
    with pytest.raises(ConfigError, match=r"--device cuda: no worker of .* advertises a GPU\. "
                                          r"Start GPU workers with `dask worker .* "
                                          r"--resources GPU=1`"):
        grade_on_cluster(Job(str(toy_course), "toy", Options(device="cuda")),
                         [("correct", subs / "correct")], scheduler=scheduler,
                         on_result=results.append)
    assert results == []


def test_a_worker_keeps_residents_warm_for_one_job_and_stops_the_others(monkeypatch) -> None:
    from autograder.grading import distributed

    class Fake:
        def __init__(self, job: dict[str, object]) -> None:
            self.job, self.closed = job, False

        def close(self) -> None:
            self.closed = True

    monkeypatch.setattr(distributed, "Resident", Fake)
    monkeypatch.setattr(distributed, "_IDLE", {})
    first = next(distributed._residents('{"slug": "a"}'))
    distributed._IDLE['{"slug": "a"}'].append(first)  # type: ignore[arg-type]
    assert next(distributed._residents('{"slug": "a"}')) is first  # reused while warm
    distributed._IDLE['{"slug": "a"}'].append(first)  # type: ignore[arg-type]
    other = next(distributed._residents('{"slug": "b"}'))
    assert other.job == {"slug": "b"} and first.closed
    assert '{"slug": "a"}' not in distributed._IDLE
