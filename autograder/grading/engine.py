"""Run one grading session: a jailed zygote, the grader's own pytest, a stream of submissions.

Used in-process by `nlpgrade check` and inside each pool worker by `nlpgrade grade`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import pytest
import torch

from autograder.course import Assignment
from autograder.grading.plugin import GradingPlugin
from autograder.grading.preflight import preflight
from autograder.grading.submission import Submission
from autograder.results import SubmissionResult
from autograder.sandbox.environment import ENGINE_PACKAGES
from autograder.sandbox.isolation import build_jail
from autograder.sandbox.zygote_client import Zygote
from autograder.yamlfile import ConfigError

PYTEST_INI = Path(__file__).with_name("pytest.ini")


@dataclass(frozen=True)
class Options:
    device: str = "cpu"
    run_seed: int = 0
    public_only: bool = False
    allow_weak: bool = False
    worker_index: int = 0
    # torch threads for the grader's own side of the tests (the references). Workers run side
    # by side, so one each by default; `nlpgrade grade` gives each cores // workers. The
    # sandbox is always single-threaded.
    threads: int = 1
    # Host paths the sandbox must never show even where an installation it needs contains
    # them (the course is always hidden): the submissions, the gradebook, the reports.
    hidden: tuple[str, ...] = ()


def pytest_args(assignment: Assignment, *, public_only: bool) -> list[str]:
    files = [str(assignment.public_tests)] if assignment.public_tests.is_file() else []
    if not public_only:
        if not assignment.has_solutions:
            raise ConfigError(f"{assignment.hidden_tests}: missing (grading needs the hidden "
                              "tests; students use `nlpgrade check`)")
        files.append(str(assignment.hidden_tests))
    if not files:
        raise ConfigError(f"{assignment.public_dir}: no tests to run")
    return ["-c", str(PYTEST_INI), "--rootdir", str(assignment.course), "--noconftest",
            "--assert=plain", "--import-mode=importlib", "-p", "no:cacheprovider",
            "-p", "no:terminal", "-p", "no:randomly", "-p", "no:stepwise",
            "-W", "ignore::pytest.PytestAssertRewriteWarning", *files]


def preloads(assignment: Assignment, *, public_only: bool) -> list[str]:
    """Modules the zygote imports once per worker: the manifest's, plus the probes' heavy
    dependency when the tests use `instrument` (the tests are the instructor's own code)."""
    from autograder.sandbox.inside.probes import PRELOAD

    files = [assignment.public_tests] + ([] if public_only else [assignment.hidden_tests])
    packages = assignment.manifest.packages
    uses_probes = (packages is None or "torch" in packages) and any(
        p.is_file() and "instrument(" in p.read_text(encoding="utf-8") for p in files)
    return [*assignment.manifest.preload, *([PRELOAD] if uses_probes else [])]


def start_zygote(assignment: Assignment, options: Options) -> Zygote:
    packages = assignment.manifest.packages
    jail = build_jail(assignment.course, worker_index=options.worker_index,
                      device=options.device, allow_weak=options.allow_weak,
                      forbidden=[assignment.course / "solutions",
                                 *(Path(p) for p in options.hidden)],
                      packages=packages)
    with_torch = packages is None or "torch" in (p.lower() for p in packages)
    zygote = Zygote(jail, preload=preloads(assignment, public_only=options.public_only),
                    torch=with_torch)
    zygote.start()
    return zygote


def isolation_label(zygote: Zygote, *, cap_processes: bool) -> str:
    jail = zygote.jail
    parts = [jail.level]
    if jail.level == "bwrap":
        parts.append("namespaces")
    if jail.uid != os.getuid():
        parts.append(f"uid {jail.uid}")
    parts.append("rlimits" + ("+nproc" if cap_processes else ""))
    if jail.python.views:
        packages = sorted({e.split("-")[0] for v in jail.python.views for e in v.entries
                           if e.endswith(".dist-info")} - set(ENGINE_PACKAGES))
        parts.append(f"packages({','.join(packages)})")
    return "+".join(parts)


def run_session(assignment: Assignment, tasks: Iterable[Submission],
                on_result: Callable[[SubmissionResult], None], options: Options,
                zygote: Zygote | None = None) -> None:
    """Collect the tests once, then grade every task. Raises ConfigError for test problems."""
    own = zygote is None
    torch.set_num_threads(max(1, options.threads))
    zygote = zygote or start_zygote(assignment, options)
    cap_processes = zygote.jail.uid != os.getuid() or os.getuid() == 0
    try:
        preflight(assignment, zygote, device=options.device, seed=options.run_seed,
                  cap_processes=cap_processes)
    except BaseException:
        if own:
            zygote.close()
        raise
    plugin = GradingPlugin(assignment, zygote=zygote, device=options.device,
                           run_seed=options.run_seed, public_only=options.public_only,
                           isolation=isolation_label(zygote, cap_processes=cap_processes),
                           cap_processes=cap_processes, tasks=tasks, on_result=on_result)
    saved = os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD")
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    try:
        code = pytest.main(pytest_args(assignment, public_only=options.public_only),
                           plugins=[plugin])
    finally:
        if saved is None:
            os.environ.pop("PYTEST_DISABLE_PLUGIN_AUTOLOAD", None)
        else:
            os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = saved
        if own:
            zygote.close()
    if plugin.problems:
        raise ConfigError("the tests of "
                          f"{assignment.slug!r} have problems:\n" + "\n".join(plugin.problems))
    if code not in (0, 1, 5):
        raise RuntimeError(f"the grading session of {assignment.slug!r} ended with pytest exit "
                           f"code {int(code)}")
