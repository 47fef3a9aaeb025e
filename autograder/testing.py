"""The test-authoring API: points, layered comparisons with teaching messages, probes.

Everything here runs in the grader. Values from the student arrive as plain data rebuilt by
the grader's own decoder, so nothing the student does can change how they compare.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest
import torch

# Complexity measured from outside the student's process (the kernel's CPU time and peak
# memory) is in autograder/measure.py; it is part of this test API.
from autograder.measure import Measured, assert_grows_linearly, cheapest, measure
from autograder.sandbox.errors import StudentError

__all__ = [
    "points",
    "assert_close",
    "assert_equal",
    "instrument",
    "Instrumented",
    "StudentError",
    "student_raises",
    "source_of",
    "default_tolerance",
]


def points(n: float) -> pytest.MarkDecorator:
    """Decorator: the test is worth `n` points. Every graded test must declare its points."""
    if not isinstance(n, (int, float)) or isinstance(n, bool) or n < 0 or not math.isfinite(n):
        raise ValueError(f"points({n!r}): points must be a finite number >= 0")
    return pytest.mark.points(float(n))


# Tolerances by dtype: (rtol, atol). float32 follows torch.testing's defaults; the wider
# half-precision ones absorb the rounding of a different but correct order of operations.
_TOLERANCES: dict[torch.dtype, tuple[float, float]] = {
    torch.float64: (1e-7, 1e-9),
    torch.float32: (1.3e-6, 1e-5),
    torch.float16: (1e-3, 1e-3),
    torch.bfloat16: (1.6e-2, 1e-2),
    torch.complex64: (1.3e-6, 1e-5),
    torch.complex128: (1e-7, 1e-9),
}


def default_tolerance(dtype: torch.dtype) -> tuple[float, float]:
    """(rtol, atol) used when a check does not give its own; exact for ints and bools."""
    return _TOLERANCES.get(dtype, (0.0, 0.0))


class _Mismatch(Exception):
    """Internal: a layered check failed; the message is the student-facing explanation."""


def _describe_type(value: Any) -> str:
    from autograder.proxy import RemoteObject

    if isinstance(value, RemoteObject):
        return f"a remote {value._type_name} object"
    if isinstance(value, torch.Tensor):
        return "torch.Tensor"
    if isinstance(value, np.ndarray):
        return "numpy.ndarray"
    if value is None:
        return "None"
    return type(value).__name__


def _fmt_index(index: Sequence[int]) -> str:
    return "[" + ", ".join(str(int(i)) for i in index) + "]" if len(index) else ""


def _fmt_value(v: Any) -> str:
    if isinstance(v, (bool, np.bool_)):
        return str(bool(v))
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    return f"{float(v):.6g}"


def _as_tensor(value: Any, name: str, expected: torch.Tensor) -> torch.Tensor:
    if isinstance(value, torch.Tensor):
        return value
    raise _Mismatch(f"{name}: type: got {_describe_type(value)}, expected torch.Tensor")


def _compare_tensors(got: Any, expected: torch.Tensor, name: str, rtol: float | None,
                     atol: float | None, check_dtype: bool) -> None:
    g = _as_tensor(got, name, expected)
    if tuple(g.shape) != tuple(expected.shape):
        raise _Mismatch(f"{name}: shape: got {tuple(g.shape)}, expected {tuple(expected.shape)}")
    if check_dtype and g.dtype != expected.dtype:
        raise _Mismatch(f"{name}: dtype: got {g.dtype}, expected {expected.dtype}")
    g = g.detach().cpu()
    e = expected.detach().cpu()
    if g.numel() == 0:
        return
    exact = not (e.is_floating_point() or e.is_complex())
    if exact:
        if g.dtype != e.dtype:
            g = g.to(e.dtype) if not g.is_floating_point() else g
        diff = g != e
        if not bool(diff.any()):
            return
        idx = tuple(int(i) for i in diff.nonzero()[0])
        raise _Mismatch(
            f"{name}{_fmt_index(idx)}: got {_fmt_value(g[idx].item())}, expected "
            f"{_fmt_value(e[idx].item())} ({int(diff.sum())} of {e.numel()} elements differ)"
        )
    d_rtol, d_atol = default_tolerance(e.dtype)
    rtol = d_rtol if rtol is None else rtol
    atol = d_atol if atol is None else atol
    g = g.to(torch.promote_types(g.dtype, e.dtype)) if g.dtype != e.dtype else g
    g64, e64 = g.to(torch.float64), e.to(torch.float64)
    nan_got, nan_exp = torch.isnan(g64), torch.isnan(e64)
    if bool((nan_got & ~nan_exp).any()):
        idx = tuple(int(i) for i in (nan_got & ~nan_exp).nonzero()[0])
        count = int((nan_got & ~nan_exp).sum())
        raise _Mismatch(
            f"{name}{_fmt_index(idx)}: got nan, expected {_fmt_value(e64[idx].item())} "
            f"({count} of {e.numel()} elements are NaN where a number was expected)"
        )
    err = (g64 - e64).abs()
    err = torch.where(nan_got & nan_exp, torch.zeros_like(err), err)
    both_inf_same = torch.isinf(e64) & (g64 == e64)
    err = torch.where(both_inf_same, torch.zeros_like(err), err)
    bad = err > atol + rtol * e64.abs()
    bad |= nan_exp & ~nan_got
    bad |= torch.isinf(e64) & (g64 != e64)  # the threshold at an expected ±inf is inf itself
    if not bool(bad.any()):
        return
    worst = torch.where(bad, torch.nan_to_num(err, nan=math.inf), torch.zeros_like(err))
    idx = tuple(int(i) for i in np.unravel_index(int(worst.argmax()), tuple(e.shape)))
    raise _Mismatch(
        f"{name}{_fmt_index(idx)}: got {_fmt_value(g64[idx].item())}, expected "
        f"{_fmt_value(e64[idx].item())} (max abs err {float(worst.max()):.2e} > atol {atol:.0e}"
        f" + rtol {rtol:.0e}·|expected|; {int(bad.sum())} of {e.numel()} elements differ)"
    )


def _compare(got: Any, expected: Any, name: str, rtol: float | None, atol: float | None,
             check_dtype: bool) -> None:
    if isinstance(expected, torch.Tensor):
        _compare_tensors(got, expected, name, rtol, atol, check_dtype)
    elif isinstance(expected, np.ndarray):
        if not isinstance(got, np.ndarray):
            raise _Mismatch(f"{name}: type: got {_describe_type(got)}, expected numpy.ndarray")
        _compare_tensors(torch.from_numpy(np.ascontiguousarray(got)),
                         torch.from_numpy(np.ascontiguousarray(expected)), name, rtol, atol,
                         check_dtype)
    elif isinstance(expected, (tuple, list)):
        if not isinstance(got, (tuple, list)):
            raise _Mismatch(f"{name}: type: got {_describe_type(got)}, expected a "
                            f"{type(expected).__name__} of {len(expected)} items")
        if len(got) != len(expected):
            raise _Mismatch(f"{name}: length: got {len(got)} items, expected {len(expected)}")
        for i, (g, e) in enumerate(zip(got, expected, strict=True)):
            _compare(g, e, f"{name}[{i}]", rtol, atol, check_dtype)
    elif isinstance(expected, Mapping):
        if not isinstance(got, Mapping):
            raise _Mismatch(f"{name}: type: got {_describe_type(got)}, expected a dict")
        missing = [k for k in expected if k not in got]
        extra = [k for k in got if k not in expected]
        if missing or extra:
            raise _Mismatch(f"{name}: keys: missing {sorted(map(str, missing))}, "
                            f"unexpected {sorted(map(str, extra))}")
        for k in expected:
            _compare(got[k], expected[k], f"{name}[{k!r}]", rtol, atol, check_dtype)
    elif isinstance(expected, bool) or expected is None or isinstance(expected, str):
        if type(got) is not type(expected) or got != expected:
            raise _Mismatch(f"{name}: got {got!r}, expected {expected!r}")
    elif isinstance(expected, (int, float)):
        if isinstance(got, torch.Tensor) and got.ndim == 0:
            got = got.item()
        if isinstance(got, bool) or not isinstance(got, (int, float)):
            raise _Mismatch(f"{name}: type: got {_describe_type(got)}, expected a number")
        if isinstance(expected, int) and (atol in (None, 0)) and (rtol in (None, 0)):
            if got != expected:
                raise _Mismatch(f"{name}: got {got!r}, expected {expected!r}")
            return
        r = 1e-7 if rtol is None else rtol
        a = 1e-9 if atol is None else atol
        if not (math.isfinite(float(got)) or got == expected) or abs(got - expected) > a + r * abs(
            expected
        ):
            raise _Mismatch(f"{name}: got {_fmt_value(got)}, expected {_fmt_value(expected)} "
                            f"(abs err {abs(float(got) - float(expected)):.2e} > atol {a:.0e} + "
                            f"rtol {r:.0e}·|expected|)")
    else:
        if got != expected:
            raise _Mismatch(f"{name}: got {got!r}, expected {expected!r}")


def _matches(got: Any, candidate: Any, rtol: float | None, atol: float | None) -> bool:
    try:
        _compare(got, candidate, "", rtol, atol, check_dtype=False)
    except _Mismatch:
        return False
    return True


def assert_close(
    got: Any,
    expected: Any,
    *,
    name: str = "output",
    rtol: float | None = None,
    atol: float | None = None,
    check_dtype: bool = True,
    mistakes: Mapping[str, Any] | None = None,
    hint: str | None = None,
) -> None:
    """Check type → shape → dtype → values; fail with a message that teaches.

    `mistakes` maps a description ("you mask after the softmax") to the value that mistake
    produces; when the student's value matches one, the message names it. `hint` is added to
    every failure.
    """
    try:
        _compare(got, expected, name, rtol, atol, check_dtype)
    except _Mismatch as err:
        message = str(err)
        for description, value in (mistakes or {}).items():
            if _matches(got, value, rtol, atol) and not _matches(value, expected, rtol, atol):
                message += f". Your result matches what you get when {description}"
                break
        if hint:
            message += f". Hint: {hint}"
        raise AssertionError(message) from None


def assert_equal(
    got: Any,
    expected: Any,
    *,
    name: str = "output",
    check_dtype: bool = True,
    mistakes: Mapping[str, Any] | None = None,
    hint: str | None = None,
) -> None:
    """`assert_close` with zero tolerance: for masks, ids, counts and strings."""
    assert_close(got, expected, name=name, rtol=0.0, atol=0.0, check_dtype=check_dtype,
                 mistakes=mistakes, hint=hint)


@dataclass
class Instrumented:
    """A call run under the work and memory probes. Numbers are None when a probe failed."""

    result: Any
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)
    flops: int | None = None
    max_numel: int | None = None
    max_shape: tuple[int, ...] | None = None
    peak_bytes: int | None = None
    probe_error: str | None = None


def instrument(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Instrumented:
    """Run `fn(*args, **kwargs)` under the FLOP counter and the largest-tensor probe.

    For student callables the probes run inside the sandbox (best effort: a hostile student
    can tamper with them, so use them for feedback on complexity, not as the only guard of
    correctness). For local callables (the reference) they run here.
    """
    from autograder.proxy import RemoteCallable
    from autograder.sandbox.inside import probes

    if isinstance(fn, RemoteCallable):
        return fn._instrument(args, kwargs)
    report = probes.run_probed(fn, args, kwargs)
    return Instrumented(result=report.result, args=args, kwargs=kwargs, flops=report.flops,
                        max_numel=report.max_numel, max_shape=report.max_shape,
                        peak_bytes=report.peak_bytes, probe_error=report.error)


@contextlib.contextmanager
def student_raises(type_name: str) -> Iterator[None]:
    """Expect the student's code to raise `type_name` (a name such as "ValueError")."""
    try:
        yield
    except StudentError as err:
        if err.type_name != type_name:
            raise AssertionError(
                f"expected your code to raise {type_name}, but it raised {err.type_name}: "
                f"{err.message}") from None
        return
    raise AssertionError(f"expected your code to raise {type_name}, but it returned normally")


def source_of(student: Any, module: str | None = None) -> str:
    """The submitted source text of `module` (default: the only submitted module)."""
    sources: dict[str, str] = student._sources
    if module is None:
        if len(sources) != 1:
            raise ValueError(f"source_of: name a module, one of {sorted(sources)}")
        return next(iter(sources.values()))
    return sources[module]



__all__ = ["Instrumented", "Measured", "assert_close", "assert_equal", "assert_grows_linearly",
           "cheapest", "instrument", "measure", "points", "source_of", "student_raises"]
