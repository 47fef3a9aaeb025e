"""The pytest plugin of a grading session: fixtures, collection checks, and the grading loop.

The grader owns the pytest session: its own ini (`-c`), no conftest, no assertion rewriting,
no plugin autoload. Tests are collected once per worker; `pytest_runtestloop` then runs all
of them for each submission it is handed, against that submission's sandbox.
"""

from __future__ import annotations

import importlib.util
import os
import random
import re
import sys
import time
import types
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pytest
import torch
from _pytest.runner import runtestprotocol

from autograder.course import Assignment
from autograder.grading.submission import Submission
from autograder.proxy import student_proxy
from autograder.results import (
    SubmissionResult,
    TestResult,
    TestStatus,
    grader_error,
    module_subtotals,
    not_run,
)
from autograder.sandbox.errors import (
    SandboxCrashed,
    SandboxTimeout,
    SandboxUnavailable,
    StudentError,
)
from autograder.sandbox.session import ImportFailed, SandboxSession
from autograder.sandbox.zygote_client import Zygote
from autograder.sanitize import clean_result

EXCINFO = pytest.StashKey[dict[str, Any]]()
MAX_RESTARTS = 10  # crashes of one submission before its remaining tests fail fast
MAX_MESSAGE = 4000
GPU_SKIP = "needs a CUDA device (--device cuda)"


class GraderFailed(Exception):
    """The grader, not the student, failed on this submission: it gets `grader_error`."""

    def __init__(self, reason: str, diagnostics: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.diagnostics = diagnostics


@dataclass
class Current:
    """The submission being graded right now."""

    submission: Submission
    session: SandboxSession
    proxy: Any


class GradingPlugin:
    def __init__(self, assignment: Assignment, *, zygote: Zygote, device: str, run_seed: int,
                 public_only: bool, isolation: str, cap_processes: bool,
                 tasks: Iterable[Submission],
                 on_result: Callable[[SubmissionResult], None]) -> None:
        self.assignment = assignment
        self.zygote = zygote
        self._device = device
        self.run_seed = run_seed
        self.public_only = public_only
        self.isolation = isolation
        self.cap_processes = cap_processes
        self.tasks = tasks
        self.on_result = on_result
        self.problems: list[str] = []
        self.current: Current | None = None
        # Paths of this machine that feedback must not show (a grader-side exception can
        # name them): the course, the home folder, the Python installation.
        self.host_paths = sorted({str(assignment.course), str(assignment.course.resolve()),
                                  os.path.expanduser("~"), sys.prefix, sys.base_prefix})
        self._reference: Any = None

    # --- fixtures -----------------------------------------------------------------------------
    @pytest.fixture
    def seed(self, request: pytest.FixtureRequest) -> int:
        value = zlib.crc32(f"{self.run_seed}:{request.node.name}".encode()) & 0x7FFFFFFF
        random.seed(value)
        np.random.seed(value)
        torch.random.default_generator.manual_seed(value)  # see server.seed_everything
        if self._device == "cuda":
            torch.cuda.manual_seed_all(value)
        return value

    @pytest.fixture
    def device(self) -> torch.device:
        return torch.device(self._device)

    @pytest.fixture
    def student(self, seed: int) -> Any:
        current = self.current
        if current is None:
            raise RuntimeError("the student fixture is only available while grading")
        session = current.session
        if not session.alive():
            if session.restarts >= MAX_RESTARTS:
                raise SandboxCrashed(f"not run: your code crashed or timed out {MAX_RESTARTS} "
                                     "times, and each time it had to be imported again, so "
                                     "the remaining tests were not run. Fix the crash above "
                                     "first (`nlpgrade check` shows it)")
            try:
                session.restart()
            except ImportFailed as err:
                raise SandboxCrashed(f"the sandbox could not be restarted: {err}") from None
            current.proxy = student_proxy(session, self.assignment.module_names,
                                          current.submission.files)
        session.request("seed", None, on_object=_refuse, on_handle=_refuse_handle, seed=seed)
        return current.proxy

    @pytest.fixture(scope="session")
    def reference(self) -> Any:
        if self._reference is None:
            self._reference = load_reference(self.assignment)
        return self._reference

    # --- collection ---------------------------------------------------------------------------
    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.problems.append(f"cannot collect {report.nodeid or 'the tests'}:\n"
                                 f"{report.longreprtext[-3000:]}")

    def pytest_collection_modifyitems(self, session: pytest.Session, config: pytest.Config,
                                      items: list[pytest.Item]) -> None:
        seen: dict[str, str] = {}
        total = 0.0
        for item in items:
            where = item.nodeid
            mark = item.get_closest_marker("points")
            if mark is None or not mark.args:
                self.problems.append(f"{where}: no @points(n): every graded test must declare "
                                     "its points (from autograder.testing import points)")
            else:
                total += float(mark.args[0])  # GPU tests count: the manifest declares all
            if item.name in seen:
                self.problems.append(f"{where}: the test name {item.name!r} is also used by "
                                     f"{seen[item.name]}; names must be unique")
            seen[item.name] = where
            if visibility(item, self.assignment) == "public" and "reference" in getattr(
                    item, "fixturenames", ()):
                self.problems.append(f"{where}: a public test may not use the `reference` "
                                     "fixture (students do not have it)")
            problem = module_problem(item, self.assignment)
            if problem:
                self.problems.append(f"{where}: {problem}")
            if item.get_closest_marker("gpu") and self._device != "cuda":
                item.add_marker(pytest.mark.skip(reason=GPU_SKIP))
        if not self.public_only:
            declared = self.assignment.manifest.points
            if abs(total - declared) > 1e-9:
                self.problems.append(
                    f"{self.assignment.public_dir / 'assignment.yaml'}: field 'points': says "
                    f"{declared:g}, but the tests add up to {total:g}")

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]
                                  ) -> pytest.TestReport:
        """A lean report: the grader explains failures itself (`explain`), from the exception
        kept in the item's stash. pytest's own rendering of a failure parses every source file
        on the traceback with `ast`, about 0.4 s per failed test, which made a stub cost ten
        times a correct submission."""
        excinfo = call.excinfo
        longrepr: Any = None
        outcome: Literal["passed", "failed", "skipped"] = "passed"
        if excinfo is not None:
            if isinstance(excinfo.value, pytest.skip.Exception):
                outcome = "skipped"
                longrepr = (str(item.path), item.location[1] or 0, excinfo.exconly())
            else:
                outcome = "failed"
                item.stash.setdefault(EXCINFO, {})[call.when] = excinfo.value
                longrepr = excinfo.exconly()[:MAX_MESSAGE]
        when = call.when
        assert when != "collect"  # makereport is a run-phase hook
        return pytest.TestReport(item.nodeid, item.location, {}, outcome, longrepr, when,
                                 duration=call.duration, start=call.start, stop=call.stop)

    # --- grading ------------------------------------------------------------------------------
    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> bool:
        if self.problems:
            return True
        for task in self.tasks:
            # Every string of the result is cleaned and capped here, on the grader's side,
            # before any store, file or terminal sees it (autograder/sanitize.py).
            self.on_result(clean_result(with_notes(self.grade(task, session.items), task),
                                        hide=self.host_paths))
        return True

    def grade(self, sub: Submission, items: list[pytest.Item]) -> SubmissionResult:
        result, failed = self._grade(sub, items)
        if result.status == "grader_error":
            return result
        owners = {item.name: owner(item, self.assignment) for item in items}
        for t in result.tests:
            t.module = owners.get(t.name, "")
        files = self.assignment.manifest.modules
        if len(files) > 1 and result.status in ("graded", "import_error"):
            result.modules = module_subtotals(result.tests, files, failed)
        result.not_counted = not_counted(items)
        return result

    def _grade(self, sub: Submission, items: list[pytest.Item]
               ) -> tuple[SubmissionResult, dict[str, str]]:
        """The result, and why each file that could not be imported failed."""
        started = time.monotonic()
        # A test skipped here (a `gpu` test on CPU, a skipif that holds) is worth 0 of 0, as it
        # is in a graded submission, so every row of a batch has the same maximum.
        listing = [(item.name, 0.0 if skipped_here(item) else item_points(item),
                    visibility(item, self.assignment)) for item in items]
        result = SubmissionResult(student=sub.student, score=0.0,
                                  max_score=sum(p for _, p, _ in listing), status="graded",
                                  isolation=self.isolation, seed=self.run_seed)
        if sub.status != "ok":
            result.status = sub.status
            result.message = sub.problem
            result.tests = not_run(listing, f"not run: {sub.problem}")
            return result, {}
        files = self.assignment.manifest.modules
        # Each file is imported on its own (must_import=()): one that fails costs its own
        # tests, and a test that uses it anyway fails with its import error.
        session = SandboxSession(self.zygote, files=sub.files,
                                 imports=self.assignment.module_names
                                 + self.assignment.support_names,
                                 limits=self.assignment.manifest.limits, seed=self.run_seed,
                                 device=self._device, cap_processes=self.cap_processes,
                                 must_import=())
        try:
            session.start()
        except ImportFailed as err:  # the import hung or crashed: nothing can be graded
            if self.jail_lacks(err):
                return self.lacking(sub, listing, err, started), {}
            reason = self.import_feedback(err)
            return self.import_error(result, listing, session, [reason], started), \
                dict.fromkeys(files, reason)
        except SandboxUnavailable as err:
            return self.failed(sub, listing, GraderFailed("the sandbox could not start",
                                                          str(err)), started), {}
        for problem in session.import_errors.values():
            if self.jail_lacks(problem):
                session.close()
                return self.lacking(sub, listing, problem, started), {}
        failed = {f"{name}.py": self.import_feedback(err)
                  for name, err in session.import_errors.items() if f"{name}.py" in files}
        if len(failed) == len(files):  # no file of the student's could be imported
            session.close()
            return self.import_error(result, listing, session, list(failed.values()),
                                     started), failed
        if session.missing_isolation:
            result.isolation += " (without: " + ", ".join(session.missing_isolation) + ")"
        self.current = Current(sub, session, student_proxy(session, self.assignment.module_names,
                                                           sub.files))
        runnable = [item for item in items
                    if skipped_here(item) or owner(item, self.assignment) not in failed]
        try:
            for item in items:
                if item not in runnable:
                    name = owner(item, self.assignment)
                    result.tests.append(TestResult(
                        item.name, 0.0, item_points(item), "error",
                        f"not run: {name} could not be imported.\n{failed[name]}"[:MAX_MESSAGE],
                        visibility(item, self.assignment)))
                    continue
                index = runnable.index(item)
                nextitem = runnable[index + 1] if index + 1 < len(runnable) else None
                result.tests.append(self.run_item(item, nextitem, session))
        except GraderFailed as err:
            return self.failed(sub, listing, err, started), {}
        finally:
            self.current = None
            session.close()
            # Items skipped for the time budget never ran their teardown: finish it, so the
            # next submission starts from a clean fixture stack.
            items[0].session._setupstate.teardown_exact(None)
        result.score = sum(t.score or 0.0 for t in result.tests)
        result.max_score = sum(t.max_score for t in result.tests)
        result.stdout = session.stdout_text()
        result.duration_s = round(time.monotonic() - started, 3)
        result.message = summary_line(result.tests)
        for name, reason in failed.items():
            lost = sum(t.max_score for t, item in zip(result.tests, items, strict=True)
                       if owner(item, self.assignment) == name)
            result.message += (f"\n{name} could not be imported, so its tests ({lost:g} "
                               f"points) did not run: {first_line(reason, 200)}")
        return result, failed

    def import_error(self, result: SubmissionResult, listing: Sequence[tuple[str, float, str]],
                     session: SandboxSession, reasons: list[str],
                     started: float) -> SubmissionResult:
        """`import_error`: no file of the submission could be imported."""
        result.status = "import_error"
        result.message = "\n".join([*reasons, f"Fix this first: run `nlpgrade check "
                                    f"{self.assignment.slug}` to see it on your machine."])
        result.tests = not_run(listing, "not run: your code could not be imported (the "
                               "reason is above)")
        result.stdout = session.stdout_text()
        result.duration_s = round(time.monotonic() - started, 3)
        return result

    def lacking(self, sub: Submission, listing: Sequence[tuple[str, float, str]],
                err: StudentError, started: float) -> SubmissionResult:
        """`grader_error`: the student's import failed on a package the jail should have."""
        return self.failed(sub, listing, GraderFailed(
            f"the sandbox lacks the package {self.jail_lacks(err)!r}, which the grader has",
            err.feedback()), started)

    def import_feedback(self, err: StudentError) -> str:
        """What a student reads about a module that could not be imported."""
        hint = (self.forbidden_hint(err) or self.not_installed_hint(err)
                or self.support_hint(err))
        return f"{err.feedback()}{hint}"

    def failed(self, sub: Submission, listing: Sequence[tuple[str, float, str]],
               err: GraderFailed, started: float) -> SubmissionResult:
        return grader_error(sub.student, max_score=sum(p for _, p, _ in listing),
                            reason=err.reason, diagnostics=f"{err.reason}\n{err.diagnostics}",
                            tests=listing,
                            isolation=self.isolation, seed=self.run_seed,
                            duration_s=round(time.monotonic() - started, 3))

    def allowed(self, name: str) -> bool:
        """May the student import this top-level package here (the manifest's `packages`)?
        A name outside them is missing by design: the student's problem, not the grader's."""
        packages = self.assignment.manifest.packages
        if packages is None:
            return True
        return any(name.lower().replace("_", "-") == p.lower().replace("_", "-")
                   for p in packages) or name in sys.stdlib_module_names

    def forbidden_hint(self, err: StudentError) -> str:
        """Why an import the assignment does not allow failed, and what to use instead."""
        name = err.missing_module.partition(".")[0]
        packages = self.assignment.manifest.packages
        if not name or packages is None or self.allowed(name):
            return ""
        return (f"\n{name} is not available in this assignment: its sandbox has only "
                f"{', '.join(packages)} (and Python's standard library), because the work is "
                "to be done by hand. Use " + " or ".join(packages) + " instead.")

    def not_installed_hint(self, err: StudentError) -> str:
        """Why an import of a package the grader does not have failed, and what to do."""
        name = err.missing_module.partition(".")[0]
        if (not name or name in self.own_modules() or name in sys.stdlib_module_names
                or grader_has(name)):
            return ""
        return (f"\n{name!r} is neither installed where your code is graded nor a file of "
                f"this assignment ({', '.join(self.assignment.manifest.modules)}): remove the "
                "import, or move it into the function that uses it (the grader calls your "
                "functions and classes; it never runs your training script), and put your own "
                "helpers in the files you submit.")

    def support_hint(self, err: StudentError) -> str:
        """Why `from utils import X` failed when the student's own utils.py has X: a support
        module is the grader's copy, never the student's."""
        module = err.missing_module.partition(".")[0]
        found = re.match(r"cannot import name '([^']+)'", err.message)
        if not found or module not in self.assignment.support_names:
            return ""
        return (f"\n{module}.py is a support file of this assignment: where your code is "
                "graded it is the grader's own copy, not yours (you submit only "
                f"{', '.join(self.assignment.manifest.modules)}), and it has no "
                f"{found.group(1)!r}. Define {found.group(1)} in the file that uses it, or drop "
                "the import.")

    def own_modules(self) -> set[str]:
        """The assignment's module names: submitted files and public helpers."""
        return {*self.assignment.module_names, *self.assignment.support_names}

    def jail_lacks(self, err: StudentError) -> str:
        """The package whose absence in the jail caused `err`, if the grader has it: then the
        jail's view of the environment is incomplete, which is the grader's fault. Decided by
        the zygote and the grader themselves, never by what the student's process claims.
        The assignment's own modules never count: the grader imports the reference's."""
        name = err.missing_module.partition(".")[0]
        if not name or not self.allowed(name) or name in self.own_modules():
            return ""
        try:
            grader_has = importlib.util.find_spec(name) is not None
        except (ImportError, ValueError):
            grader_has = False
        if not grader_has:
            return ""
        try:
            return "" if self.zygote.find([name]).get(name, True) else name
        except SandboxUnavailable:
            return name

    def run_item(self, item: pytest.Item, nextitem: pytest.Item | None,
                 session: SandboxSession) -> TestResult:
        pts = item_points(item)
        vis = visibility(item, self.assignment)
        if session.deadline <= time.monotonic():
            return TestResult(item.name, 0.0, pts, "timeout",
                              "not run: the submission's time budget of "
                              f"{session.limits.submission_timeout_s:.0f} s was used up", vis)
        item.stash[EXCINFO] = {}
        reports = runtestprotocol(item, log=False, nextitem=nextitem)
        errors = item.stash[EXCINFO]
        for report in reports:
            if report.skipped and report.when in ("setup", "call"):
                reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else "skipped"
                return TestResult(item.name, 0.0, 0.0, "skipped",
                                  str(reason).removeprefix("Skipped: "), vis)
            if report.failed and report.when in ("setup", "call"):
                exc = errors.get(report.when)
                if isinstance(exc, SandboxUnavailable):
                    raise GraderFailed("the sandbox stopped working", str(exc))
                if isinstance(exc, StudentError) and exc.missing_module:
                    missing = self.jail_lacks(exc)
                    if missing:
                        raise GraderFailed(f"the sandbox lacks the package {missing!r}, "
                                           "which the grader has", exc.feedback())
                status, message = explain(exc)
                if isinstance(exc, StudentError):
                    message += self.forbidden_hint(exc)
                return TestResult(item.name, 0.0, pts, status, message[:MAX_MESSAGE], vis)
        return TestResult(item.name, pts, pts, "passed", "", vis)


def grader_has(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def owner(item: pytest.Item, assignment: Assignment) -> str:
    """The submitted file a test grades: its `module` marker, the only file of a one-file
    assignment, or "" (a test of the whole submission)."""
    mark = item.get_closest_marker("module")
    if mark is not None and mark.args:
        name = str(mark.args[0])
        return name if name.endswith(".py") else f"{name}.py"
    files = assignment.manifest.modules
    return files[0] if len(files) == 1 else ""


def module_problem(item: pytest.Item, assignment: Assignment) -> str:
    """Why a test's `module` marker is wrong ("" when it is right or absent)."""
    mark = item.get_closest_marker("module")
    if mark is None:
        return ""
    files = assignment.manifest.modules
    if len(mark.args) != 1 or not isinstance(mark.args[0], str) or mark.kwargs:
        return ("@pytest.mark.module takes one file name, e.g. "
                f"@pytest.mark.module({files[0]!r})")
    if owner(item, assignment) not in files:
        return (f"@pytest.mark.module({mark.args[0]!r}): not a file of the assignment "
                f"(assignment.yaml: modules: {files})")
    return ""


def skip_reason(item: pytest.Item) -> str:
    """The reason of the mark that skips `item` here (see skipped_here)."""
    for mark in [*item.iter_markers("skip"), *item.iter_markers("skipif")]:
        if mark.name == "skipif":
            condition = mark.args[0] if mark.args else mark.kwargs.get("condition", False)
            if isinstance(condition, str) or not condition:
                continue
        reason = mark.kwargs.get("reason") or (mark.args[0] if mark.name == "skip" and mark.args
                                               else "")
        return str(reason) or "skipped"
    return "skipped"


def not_counted(items: Sequence[pytest.Item]) -> dict[str, float]:
    """Points of the tests skipped here, by reason (e.g. the `gpu` tests on a CPU grader)."""
    out: dict[str, float] = {}
    for item in items:
        if skipped_here(item) and item_points(item):
            reason = skip_reason(item)
            out[reason] = out.get(reason, 0.0) + item_points(item)
    return out


def first_line(text: str, width: int) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line[:width]


def summary_line(tests: list[TestResult]) -> str:
    """`53 of 67 tests passed; 14 failed, losing 18 points`."""
    failed = [t for t in tests if t.status not in ("passed", "skipped")]
    line = f"{len(tests) - len(failed)} of {len(tests)} tests passed"
    if failed:
        lost = sum(t.max_score - (t.score or 0.0) for t in failed)
        line += f"; {len(failed)} failed, losing {lost:g} point{'s' * (lost != 1)}"
    return line


def with_notes(result: SubmissionResult, sub: Submission) -> SubmissionResult:
    """The reading notes (e.g. notebook commands removed) appended to the reason."""
    if sub.notes:
        result.message = "\n".join([result.message, *sub.notes]).strip()
    return result


def explain(exc: BaseException | None) -> tuple[TestStatus, str]:
    """(status, student-facing message) for the exception that ended a test."""
    if isinstance(exc, SandboxTimeout):
        return "timeout", str(exc)
    if isinstance(exc, SandboxCrashed):
        return "crashed", str(exc)
    if isinstance(exc, StudentError):
        return "error", exc.feedback()
    if isinstance(exc, AssertionError):
        return "failed", str(exc) or "a check failed (it has no message: please tell your " \
                                     "instructor)"
    if isinstance(exc, pytest.fail.Exception):
        return "failed", str(exc)
    if isinstance(exc, AttributeError) and "has no attribute" in str(exc):
        return "error", str(exc)
    if exc is None:
        return "error", "the test failed without an exception"
    return "error", (f"the test could not check your result ({type(exc).__name__}: {exc}); "
                     "check the return types against the README")


def skipped_here(item: pytest.Item) -> bool:
    """Will pytest skip this test before running it? A `skip` mark, or a `skipif` whose
    condition is already a true value (string conditions are left to pytest)."""
    if item.get_closest_marker("skip") is not None:
        return True
    for mark in item.iter_markers("skipif"):
        condition = mark.args[0] if mark.args else mark.kwargs.get("condition", False)
        if not isinstance(condition, str) and bool(condition):
            return True
    return False


def item_points(item: pytest.Item) -> float:
    mark = item.get_closest_marker("points")
    return float(mark.args[0]) if mark is not None and mark.args else 0.0


def visibility(item: pytest.Item, assignment: Assignment) -> Literal["public", "hidden"]:
    return "public" if item.path == assignment.public_tests else "hidden"


def load_reference(assignment: Assignment) -> Any:
    """Import the reference modules in the grader (support modules importable beside them)."""
    for directory in (assignment.public_dir, assignment.solution_dir):
        if str(directory) not in sys.path:
            sys.path.insert(0, str(directory))
    modules: dict[str, types.ModuleType] = {}
    for name in assignment.module_names:
        spec = importlib.util.spec_from_file_location(name, assignment.reference_path(
            f"{name}.py"))
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        modules[name] = module
    if len(modules) == 1:
        return next(iter(modules.values()))
    return types.SimpleNamespace(**modules)


def _refuse(obj: Any) -> dict[str, Any]:
    raise TypeError(f"cannot send {type(obj).__name__}")


def _refuse_handle(hid: int, type_name: str) -> Any:
    raise TypeError("unexpected handle")
