"""The public checks, run in a student's own Jupyter kernel by the notebook's last cell.

This is a convenience for notebook users: it calls the functions defined in the kernel
directly (it is the student's own code on their own machine), with the same test file and
fixtures (`student`, `device`, `seed`) as `nlpgrade check`. It prints one line per test and
never raises, so the notebook runs cleanly from top to bottom even with stubs. The
authoritative run is `nlpgrade check` and the grader, which use the sandbox.
"""

from __future__ import annotations

import functools
import importlib.util
import inspect
import random
import sys
import traceback
import types
import zlib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from autograder.sandbox.errors import StudentError

MESSAGE_LINES = 6


def _as_student_error(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Student exceptions become StudentError, as they do through the sandbox."""

    @functools.wraps(fn)
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except Exception as err:
            frames = traceback.format_exception(type(err), err, err.__traceback__)[-3:]
            raise StudentError(type(err).__name__, str(err), "".join(frames),
                               call=getattr(fn, "__name__", "")) from err

    return call


def local_student(namespace: Mapping[str, Any]) -> types.SimpleNamespace:
    """The kernel's functions and classes, shaped like the grader's `student` proxy."""
    items: dict[str, Any] = {}
    for name, value in namespace.items():
        if name.startswith("_"):
            continue
        if inspect.isfunction(value):
            items[name] = _as_student_error(value)
        elif inspect.isclass(value) or isinstance(value, (int, float, str, bool)):
            items[name] = value
    return types.SimpleNamespace(**items, _sources={})


def find_tests(assignment: str) -> Path | None:
    """test_public.py beside the notebook (the kernel's cwd), else in the installed course."""
    here = Path.cwd() / "test_public.py"
    if here.is_file():
        return here
    try:
        from autograder.course import find_course_root

        course = find_course_root(None, need_solutions=False)
    except ValueError:
        return None
    path = course / "assignments" / assignment / "test_public.py"
    return path if path.is_file() else None


def _fixtures(test: Callable[..., Any], student: Any, run_seed: int) -> dict[str, Any]:
    import numpy as np
    import torch

    seed = zlib.crc32(f"{run_seed}:{test.__name__}".encode()) & 0x7FFFFFFF
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    available = {"student": student, "seed": seed, "device": torch.device("cpu")}
    wanted = inspect.signature(test).parameters
    missing = [name for name in wanted if name not in available]
    if missing:
        raise LookupError(f"needs {', '.join(missing)}, which only `nlpgrade check` provides")
    return {name: available[name] for name in wanted}


def _points(test: Callable[..., Any]) -> float:
    for mark in getattr(test, "pytestmark", []):
        if getattr(mark, "name", "") == "points" and mark.args:
            return float(mark.args[0])
    return 0.0


def run_public_checks(namespace: Mapping[str, Any], *, assignment: str,
                      tests: Path | None = None, run_seed: int = 0) -> tuple[float, float]:
    """Run the public tests against `namespace` (the notebook's globals()); print a report.

    Returns (points earned, points available)."""
    path = tests or find_tests(assignment)
    if path is None:
        print(f"test_public.py of {assignment!r} not found: open the notebook from the "
              "assignment's folder, or run `nlpgrade check` on your exported .py file")
        return 0.0, 0.0
    spec = importlib.util.spec_from_file_location(f"_public_checks_{assignment}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    student = local_student(namespace)
    earned = total = 0.0
    for name, test in vars(module).items():
        if not (name.startswith("test_") and inspect.isfunction(test)):
            continue
        pts = _points(test)
        total += pts
        try:
            test(**_fixtures(test, student, run_seed))
        except NotImplementedError as err:  # raised by a stub, not through the wrapper
            print(f"- {name} (0/{pts:g}): not implemented yet ({err})")
            continue
        except StudentError as err:
            if err.type_name == "NotImplementedError":
                print(f"- {name} (0/{pts:g}): not implemented yet ({err.message})")
            else:
                print(f"✗ {name} (0/{pts:g})\n      {err}")
            continue
        except Exception as err:
            lines = (str(err) or type(err).__name__).strip().splitlines()[:MESSAGE_LINES]
            print(f"✗ {name} (0/{pts:g})")
            for line in lines:
                print(f"      {line}")
            continue
        earned += pts
        print(f"✓ {name} ({pts:g}/{pts:g})")
    print(f"\npublic checks: {earned:g}/{total:g}. The grader also runs hidden tests; "
          "`nlpgrade check` runs these in the sandbox the grader uses.")
    sys.stdout.flush()
    return earned, total
