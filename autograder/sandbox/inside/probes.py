"""Work and memory probes for one call: FLOPs, the largest tensor made, peak live bytes.

Used inside the sandbox for student calls and in the grader for reference calls. The numbers
are best effort: a student who tampers with torch inside the sandbox can change what is
counted here, so tests use them for complexity feedback, not as the only correctness guard.
Imports only torch and the standard library (it is copied into the sandbox).
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import Any

import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_flatten
from torch.utils.flop_counter import FlopCounterMode

# The first FlopCounterMode use imports torch._dynamo, which takes seconds. The grader preloads
# it in the zygote (once per worker) when the assignment's tests use `instrument`.
PRELOAD = "torch._dynamo"


def _mv_flops(a_shape: Any, b_shape: Any, *args: Any, out_shape: Any = None,
              **kwargs: Any) -> int:
    """Matrix (m, n) times vector (n,): one multiply and one add per matrix entry."""
    return 2 * int(a_shape[0]) * int(a_shape[1])


def _dot_flops(a_shape: Any, b_shape: Any, *args: Any, out_shape: Any = None,
               **kwargs: Any) -> int:
    return 2 * int(a_shape[0])


# torch's counter knows the matrix products (mm, bmm, addmm, baddbmm, convolutions, attention)
# but not their vector forms, which hand-written RNN and gradient code uses (W @ h is an mv).
EXTRA_FLOPS = {torch.ops.aten.mv: _mv_flops, torch.ops.aten.dot: _dot_flops,
               torch.ops.aten.vdot: _dot_flops}


@dataclass
class ProbeReport:
    result: Any = None
    exception: BaseException | None = None
    flops: int | None = None
    max_numel: int | None = None
    max_shape: tuple[int, ...] | None = None
    peak_bytes: int | None = None
    error: str | None = None

    def numbers(self) -> dict[str, Any]:
        return {"flops": self.flops, "max_numel": self.max_numel,
                "max_shape": list(self.max_shape) if self.max_shape is not None else None,
                "peak_bytes": self.peak_bytes, "error": self.error}


class TensorWatch(TorchDispatchMode):
    """Records the largest tensor each op creates and the peak of live created bytes.

    Size is counted by storage, so a view (expand, transpose) of an existing tensor does not
    count as creating a big one; a fresh n×n result does."""

    def __init__(self) -> None:
        super().__init__()
        self.max_numel = 0
        self.max_shape: tuple[int, ...] = ()
        self.live = 0
        self.peak = 0
        self.seen: set[int] = set()

    def _release(self, key: int, nbytes: int) -> None:
        self.live -= nbytes
        self.seen.discard(key)

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):  # type: ignore[no-untyped-def]
        out = func(*args, **(kwargs or {}))
        for t in tree_flatten(out)[0]:
            if not isinstance(t, torch.Tensor):
                continue
            storage = t.untyped_storage()
            key = storage.data_ptr()
            nbytes = storage.nbytes()
            numel = nbytes // max(t.element_size(), 1)
            if numel > self.max_numel:
                self.max_numel, self.max_shape = numel, tuple(t.shape)
            if key and key not in self.seen:
                self.seen.add(key)
                self.live += nbytes
                self.peak = max(self.peak, self.live)
                try:
                    weakref.finalize(t, self._release, key, nbytes)
                except TypeError:
                    pass
        return out


def run_probed(fn: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> ProbeReport:
    """Call fn under the probes. A probe that fails yields None numbers and `error`, never a
    crash; an exception from fn itself is returned in `exception`."""
    report = ProbeReport()
    try:
        counter = FlopCounterMode(display=False, custom_mapping=EXTRA_FLOPS)
        watch = TensorWatch()
    except Exception as exc:  # probes unavailable: still run the call
        report.error = f"probes unavailable: {exc}"
        try:
            report.result = fn(*args, **kwargs)
        except BaseException as call_exc:
            report.exception = call_exc
        return report
    try:
        with counter, watch:
            report.result = fn(*args, **kwargs)
    except BaseException as exc:
        report.exception = exc
        return report
    try:
        report.flops = int(counter.get_total_flops())
        report.max_numel = int(watch.max_numel)
        report.max_shape = watch.max_shape
        report.peak_bytes = int(watch.peak)
    except Exception as exc:
        report.error = f"probe failed: {exc}"
    return report
