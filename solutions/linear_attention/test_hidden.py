"""Hidden tests for the linear_attention assignment: the ones that grade.

Layout: one block per function, in README order. Each test checks one property, so a
submission earns partial credit for what it gets right. Failure messages stand alone (the
student never sees this file): what was checked, got vs expected, and the likely mistake.

Inputs are built here from local generators seeded by constants, never by a reference
function, so no reference output is ever sent to the student (U, S, Vh and C, D are built
directly from orthonormal bases). Reference outputs are only compared against.

SVD factors are never compared directly (their signs are arbitrary): `low_rank_svd` is graded
through U diag(S) Vh, S, and the orthonormality of U and Vh; `projection_matrices` through
the identity Q (C K)ᵀ D = Q Kᵀ / √h, which is "for every V" written as one matrix.

Complexity (README "How the complexity is checked"): `instrument` runs the student's call in
the sandbox under torch's FLOP counter and a probe that records the largest tensor created.
Work must grow at most ×RATIO when n doubles with k, h, d fixed (a linear function gives
exactly ×2.0 in counted FLOPs, a quadratic one about ×4), and no tensor may have n² elements.
Both are exact counts, not timings, so they do not depend on the machine. Each complexity test
also checks the values, so a function that returns zeros quickly earns nothing.
"""

import math

import torch

from autograder.testing import (
    assert_close,
    assert_equal,
    assert_grows_linearly,
    cheapest,
    instrument,
    measure,
    points,
    student_raises,
)

RATIO = 2.2  # largest FLOP growth accepted when n doubles (linear: 2.0, quadratic: ~4.0)


# --------------------------------------------------------------------------------------------
# helpers (grader side only)
# --------------------------------------------------------------------------------------------

def _randn(*shape, seed, device, dtype=torch.float64, scale=1.0):
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(*shape, generator=g, dtype=torch.float64) * scale).to(device, dtype)


def _orthonormal(*batch, n, k, seed, device, dtype=torch.float64):
    """(..., n, k) with orthonormal columns (QR of a Gaussian matrix, in float64)."""
    q, _ = torch.linalg.qr(_randn(*batch, n, k, seed=seed, device="cpu"))
    return q.to(device, dtype)


def _low_rank_qk(*batch, n, h, k, seed, device, dtype=torch.float64):
    """Q, K (..., n, h) with rank(Q Kᵀ) = k: Q = A B with A (n, k), B (k, h), h > k."""
    A = _randn(*batch, n, k, seed=seed, device="cpu")
    B = _randn(*batch, k, h, seed=seed + 1, device="cpu")
    K = _randn(*batch, n, h, seed=seed + 2, device="cpu")
    return (A @ B).to(device, dtype), K.to(device, dtype)


def _svd_inputs(*batch, n, k, d, seed, device, dtype=torch.float64):
    """U (..., n, k), S (..., k) descending, Vh (..., k, n) orthonormal rows, V (..., n, d)."""
    U = _orthonormal(*batch, n=n, k=k, seed=seed, device=device, dtype=dtype)
    Vh = _orthonormal(*batch, n=n, k=k, seed=seed + 1, device=device, dtype=dtype).mT
    g = torch.Generator().manual_seed(seed + 2)
    S = torch.rand(*batch, k, generator=g, dtype=torch.float64).add(0.1).sort(
        dim=-1, descending=True).values.to(device, dtype)
    V = _randn(*batch, n, d, seed=seed + 3, device=device, dtype=dtype)
    return U, S, Vh, V


def _tol(expected):
    """Tolerances for results of SVDs and long sums, relative to the size of the values."""
    scale = float(expected.detach().abs().max()) if expected.numel() else 1.0
    if expected.dtype == torch.float64:
        return dict(rtol=1e-7, atol=1e-9 * max(scale, 1.0))
    return dict(rtol=1e-4, atol=1e-4 * max(scale, 1.0))


def _triple(result, name):
    if not (isinstance(result, (tuple, list)) and len(result) == 3):
        raise AssertionError(f"{name}: expected a tuple (U, S, Vh) of three tensors, got "
                             f"{type(result).__name__}")
    for label, t in zip("U S Vh".split(), result, strict=True):
        if not isinstance(t, torch.Tensor):
            raise AssertionError(f"{name}: {label}: type: got {type(t).__name__}, expected "
                                 "torch.Tensor")
    return result


def _pair(result, name):
    if not (isinstance(result, (tuple, list)) and len(result) == 2):
        raise AssertionError(f"{name}: expected a pair (C, D) of tensors, got "
                             f"{type(result).__name__}")
    for label, t in zip("CD", result, strict=True):
        if not isinstance(t, torch.Tensor):
            raise AssertionError(f"{name}: {label}: type: got {type(t).__name__}, expected "
                                 "torch.Tensor")
    return result


def _rebuild(U, S, Vh):
    return (U * S[..., None, :]) @ Vh  # U diag(S) Vh


def _svd_mistakes(P, k):
    """{description: U diag(S) Vh} for the typical mistakes of a truncated SVD."""
    U, S, Vh = torch.linalg.svd(P, full_matrices=False)
    return {
        "you keep the k SMALLEST singular values (torch.linalg.svd sorts them in descending "
        "order: keep the first k)": _rebuild(U[..., -k:], S[..., -k:], Vh[..., -k:, :]),
        "you take the first k COLUMNS of Vh and transpose them (torch.linalg.svd returns Vh = "
        "Vᵀ, whose ROWS are the right singular vectors: use Vh[..., :k, :])":
            _rebuild(U[..., :k], S[..., :k], Vh[..., :, :k].mT),
    }


def _weights(Q, K, *, scale=None, dim=-1):
    scale = 1 / math.sqrt(Q.shape[-1]) if scale is None else scale
    return torch.softmax(Q @ K.mT * scale, dim=dim)


def _weights_mistakes(Q, K):
    h = Q.shape[-1]
    return {
        "you forget the 1/√h scaling": _weights(Q, K, scale=1.0),
        "you scale by 1/h instead of 1/√h": _weights(Q, K, scale=1 / h),
        "you take the softmax over the queries (dim=-2) instead of the keys (dim=-1)":
            _weights(Q, K, dim=-2),
    }


def _linformer(Q, K, V, E, F, *, project=None, dim=-1, scale=None):
    scale = 1 / math.sqrt(Q.shape[-1]) if scale is None else scale
    projected = E @ (Q if project == "Q" else K)
    return torch.softmax(Q @ projected.mT * scale, dim=dim) @ (F @ V)


def _linformer_mistakes(Q, K, V, E, F):
    return {
        "you project the queries (E Q) instead of the keys (E K)":
            _linformer(Q, K, V, E, F, project="Q"),
        "you take the softmax over the queries (dim=-2) instead of the k projected keys "
        "(dim=-1)": _linformer(Q, K, V, E, F, dim=-2),
        "you forget the 1/√h scaling": _linformer(Q, K, V, E, F, scale=1.0),
        "you swap E and F (E projects the keys, F the values)": _linformer(Q, K, V, F, E),
    }


def _projection_product(Q, K, C, D):
    """Q (C K)ᵀ D: the n×n matrix that multiplies V. Grader side only."""
    return Q @ (C @ K).mT @ D


def _projection_mistakes(Q, K, k):
    h = Q.shape[-1]
    P = Q @ K.mT
    U = torch.linalg.svd(P / math.sqrt(h), full_matrices=False)[0]
    Uk = U[..., :, :k].mT  # (k, n): the top-k LEFT singular vectors, as rows
    return {
        "you leave out the 1/√h (put it into C or into D, exactly once)": P,
        "you divide by √h in both C and D (that is 1/h in total: put it into only one)":
            P / h,
        "you project onto the column space of P (the left singular vectors U) instead of "
        "its row space (the rows of Vh)": _projection_product(Q, K, Uk / math.sqrt(h), Uk),
    }


def _fmt_flops(x):
    return f"{x / 1e6:.2f} MFLOP" if x >= 1e5 else f"{x:,} FLOP"


def _measured(call, what):
    """The probe numbers of an instrumented call, or a failure that says why there are none."""
    if call.probe_error or call.flops is None or call.max_numel is None:
        reason = call.probe_error or "the probes returned no numbers"
        raise AssertionError(
            f"{what}: the work of your call could not be measured ({reason}), so the "
            "complexity points cannot be awarded. The probes count FLOPs and tensor sizes "
            "inside the sandbox: do not change torch's dispatch or flop-counter machinery. If "
            "you did not, ask your TA to regrade.")
    return call


def _check_linear_work(small, large, n, *, what, order, hint):
    """FLOPs (or, if no matmul was counted, the largest tensor) grow at most ×RATIO for n → 2n."""
    _measured(small, what)
    _measured(large, what)
    if small.flops > 0:
        ratio = large.flops / small.flops
        if ratio > RATIO:
            raise AssertionError(
                f"{what}: work grew ×{ratio:.2f} when n doubled ({n} → {2 * n}, with k, h, d "
                f"fixed): {_fmt_flops(small.flops)} → {_fmt_flops(large.flops)}; expected "
                f"{order}, which grows at most ×{RATIO}. ×4 means O(n²) work. Hint: {hint}")
        return
    if large.flops > 0:
        raise AssertionError(
            f"{what}: no FLOPs were counted at n={n} but {_fmt_flops(large.flops)} at n={2 * n}:"
            f" expected {order}. Hint: {hint}")
    # The FLOP counter only counts matrix products; a solution of element-wise products and
    # sums is judged by how its largest tensor grows instead.
    ratio = large.max_numel / max(small.max_numel, 1)
    if ratio > RATIO:
        raise AssertionError(
            f"{what}: the largest tensor grew ×{ratio:.2f} when n doubled ({n} → {2 * n}): "
            f"{small.max_numel} → {large.max_numel} elements; expected {order}, which grows at "
            f"most ×{RATIO}. Hint: {hint}")


# Kernel evidence: the CPU time and peak memory of the student's calls at n, 2n, 4n, read by
# the fork server outside the sandbox (autograder.measure). At n = 4096 an n×n float32 matrix
# is 64 MiB and building it costs n²·(k+d) multiply-adds (~10⁹): far above the floors (20 ms
# of CPU growth, 16 MiB of memory growth), while the honest O(nk(h+d)) work stays far below.
# Every point of these tests therefore rests on numbers the student's process cannot change;
# the probes (FLOPs, largest tensor) only add detail to the feedback.
KERNEL_SIZES = (1024, 2048, 4096)


def _check_kernel_growth(fn, inputs, device, *, what, hint, memory):
    if device.type != "cpu":
        return  # CPU time and host memory do not see GPU work; the probes still judge it
    cpu, peak = {}, {}
    for n in KERNEL_SIZES:
        args = inputs(n)
        cpu[n], peak[n] = cheapest([measure(fn, *args) for _ in range(2)])
    if memory:
        assert_grows_linearly(f"{what}, peak memory", peak, floor=16 << 20, unit="bytes",
                              hint=hint)
    else:
        assert_grows_linearly(f"{what}, CPU time", cpu, floor=0.02, unit="s", hint=hint)


def _check_no_square(call, n, *, what, order, hint):
    """No tensor created during the call has n² elements or more."""
    _measured(call, what)
    if call.max_numel >= n * n:
        shape = "×".join(str(s) for s in call.max_shape) if call.max_shape else "?"
        times = call.max_numel / (n * n)
        size = "n²" if times == 1 else (f"{times:g}·n²" if times == int(times) else "> n²")
        raise AssertionError(
            f"{what}: largest intermediate {shape} = {size} (n={n}), expected {order}: no "
            f"tensor may have n² elements. Hint: {hint}")


# --------------------------------------------------------------------------------------------
# §1 attention_weights
# --------------------------------------------------------------------------------------------

@points(1)
def test_attention_weights_match_reference_with_h_different_from_n(student, reference, device):
    Q = _randn(40, 12, seed=1, device=device)
    K = _randn(40, 12, seed=2, device=device)
    assert_close(student.attention_weights(Q, K), reference.attention_weights(Q, K),
                 name="attention_weights(Q, K), Q and K (40, 12)",
                 mistakes=_weights_mistakes(Q, K),
                 hint="P = softmax(Q Kᵀ / √h) over the keys, with h = Q.shape[-1]")


@points(1)
def test_attention_weights_rows_sum_to_one_over_the_keys(student, device):
    Q = _randn(3, 24, 8, seed=3, device=device, scale=2.0)
    K = _randn(3, 24, 8, seed=4, device=device, scale=2.0)
    got = student.attention_weights(Q, K)
    assert_equal(tuple(got.shape), (3, 24, 24), name="attention_weights(Q, K).shape, Q (3, 24, 8)")
    assert_close(got.sum(dim=-1), torch.ones(3, 24, dtype=Q.dtype, device=device),
                 name="sum over the keys of attention_weights(Q, K)",
                 hint="each query's weights sum to 1: softmax over the LAST dim (the keys), "
                      "dim=-1, not over the queries")


@points(1)
def test_attention_weights_work_with_two_leading_dims_in_float32(student, reference, device):
    Q = _randn(2, 3, 32, 16, seed=5, device=device, dtype=torch.float32)
    K = _randn(2, 3, 32, 16, seed=6, device=device, dtype=torch.float32)
    assert_close(student.attention_weights(Q, K), reference.attention_weights(Q, K),
                 name="attention_weights(Q, K), Q (2, 3, 32, 16) float32",
                 mistakes=_weights_mistakes(Q, K),
                 hint="transpose the last two dims of K (K.transpose(-2, -1)) so any leading "
                      "dims broadcast, and keep the dtype of Q")


# --------------------------------------------------------------------------------------------
# §2 low_rank_svd
# --------------------------------------------------------------------------------------------

def _check_svd(got, P, k, expected, what):
    U, S, Vh = _triple(got, f"low_rank_svd({what}, k={k})")
    batch, n = tuple(P.shape[:-2]), P.shape[-2]
    for label, t, shape in (("U", U, (*batch, n, k)), ("S", S, (*batch, k)),
                            ("Vh", Vh, (*batch, k, n))):
        assert_equal(tuple(t.shape), shape, name=f"{label}.shape for {what}, k={k}",
                     hint="U (..., n, k), S (..., k), Vh (..., k, n): keep k columns of U and "
                          "k ROWS of Vh")
        assert_equal(t.dtype, P.dtype, name=f"{label}.dtype")
    rebuilt = _rebuild(U, S, Vh)
    assert_close(rebuilt, expected, name=f"U diag(S) Vh for {what}, k={k}", **_tol(expected),
                 mistakes=_svd_mistakes(P, k),
                 hint="keep the k largest singular values and their vectors")


@points(2)
def test_low_rank_svd_recovers_an_exactly_rank_k_matrix(student, device):
    n, k = 48, 5
    A = _randn(n, k, seed=10, device=device)
    B = _randn(k, n, seed=11, device=device)
    P = A @ B  # rank k exactly
    _check_svd(student.low_rank_svd(P, k), P, k, P, "a 48×48 matrix of rank 5")


@points(1)
def test_low_rank_svd_is_the_best_rank_k_approximation_of_a_full_rank_matrix(
        student, reference, device):
    P = _randn(40, 40, seed=12, device=device)
    k = 6
    expected = _rebuild(*reference.low_rank_svd(P, k))
    _check_svd(student.low_rank_svd(P, k), P, k, expected, "a full-rank 40×40 matrix")


@points(1)
def test_low_rank_svd_singular_values_are_the_k_largest_descending(student, reference, device):
    P = _randn(2, 32, 32, seed=13, device=device)
    k = 7
    _, S, _ = _triple(student.low_rank_svd(P, k), "low_rank_svd(P, k=7), P (2, 32, 32)")
    full = torch.linalg.svdvals(P)
    expected = reference.low_rank_svd(P, k)[1]
    assert_close(S, expected, name="S of low_rank_svd(P, k=7)", **_tol(expected),
                 mistakes={"you keep the k SMALLEST singular values (keep the first k: they come "
                           "in descending order)": full[..., -k:],
                           "you keep the k smallest in ascending order": full.flip(-1)[..., :k]})


@points(1)
def test_low_rank_svd_factors_have_orthonormal_columns_and_rows(student, device):
    P = _randn(3, 36, 36, seed=14, device=device)
    k = 5
    U, S, Vh = _triple(student.low_rank_svd(P, k), "low_rank_svd(P, k=5), P (3, 36, 36)")
    eye = torch.eye(k, dtype=P.dtype, device=device).expand(3, k, k)
    assert_close(U.mT @ U, eye, name="Uᵀ U (must be the k×k identity)", rtol=1e-7, atol=1e-9,
                 hint="the columns of U are orthonormal singular vectors: return them as "
                      "torch.linalg.svd gives them, without scaling by S")
    assert_close(Vh @ Vh.mT, eye, name="Vh Vhᵀ (must be the k×k identity)", rtol=1e-7,
                 atol=1e-9, hint="the ROWS of Vh are orthonormal singular vectors")
    if not bool((S >= 0).all()):
        raise AssertionError("S: singular values must be non-negative, got a negative one")


@points(1)
def test_low_rank_svd_works_batched_in_float32(student, reference, device):
    A = _randn(2, 3, 64, 4, seed=15, device=device)
    B = _randn(2, 3, 4, 64, seed=16, device=device)
    P = (A @ B + 1e-3 * _randn(2, 3, 64, 64, seed=17, device=device)).to(torch.float32)
    k = 4
    expected = _rebuild(*reference.low_rank_svd(P, k))
    _check_svd(student.low_rank_svd(P, k), P, k, expected, "P (2, 3, 64, 64) float32")


@points(1)
def test_low_rank_svd_accepts_k_equal_to_min_n_m(student, device):
    for n, m in ((6, 6), (5, 7)):
        P = _randn(n, m, seed=19 + n, device=device)
        k = min(n, m)
        what = f"low_rank_svd(P, k={k}), P {n}×{m} (k = min(n, m) is the largest valid k)"
        U, S, Vh = _triple(student.low_rank_svd(P, k), what)
        for label, t, shape in (("U", U, (n, k)), ("S", S, (k,)), ("Vh", Vh, (k, m))):
            assert_equal(tuple(t.shape), shape, name=f"{label}.shape of {what}")
        assert_close(_rebuild(U, S, Vh), P, name=f"U diag(S) Vh of {what}", **_tol(P),
                     hint="k may be as large as min(n, m): then U diag(S) Vh is P itself. "
                          "Reject only k < 1 or k > min(n, m)")


@points(1)
def test_low_rank_svd_rejects_k_above_min_n_m_of_a_non_square_matrix(student):
    P = _randn(4, 6, seed=26, device="cpu")
    try:
        with student_raises("ValueError"):
            student.low_rank_svd(P, 5)
    except AssertionError as err:
        raise AssertionError(f"low_rank_svd(P 4×6, k=5): {err}. Hint: a 4×6 matrix has only "
                             "min(n, m) = 4 singular values, so k must be in [1, min(n, m)], "
                             "not [1, max(n, m)]") from None


@points(1)
def test_low_rank_svd_rejects_k_outside_one_to_n(student):
    P = _randn(8, 8, seed=18, device="cpu")
    with student_raises("ValueError"):
        student.low_rank_svd(P, 0)
    with student_raises("ValueError"):
        student.low_rank_svd(P, 9)


# --------------------------------------------------------------------------------------------
# §3 attention_from_svd
# --------------------------------------------------------------------------------------------

def _svd_attention_mistakes(U, S, Vh, V):
    return {
        "you leave out S (U Vh V instead of U diag(S) Vh V)": U @ (Vh @ V),
        "you divide by S instead of multiplying": U @ ((Vh @ V) / S[..., :, None]),
    }


@points(2)
def test_attention_from_svd_equals_P_V_for_an_exactly_rank_k_P(student, device):
    U, S, Vh, V = _svd_inputs(2, n=96, k=6, d=10, seed=20, device=device)
    P = _rebuild(U, S, Vh)  # rank 6 by construction
    expected = P @ V
    assert_close(student.attention_from_svd(U, S, Vh, V), expected,
                 name="attention_from_svd(U, S, Vh, V), n=96, k=6, d=10, batch 2",
                 **_tol(expected), mistakes=_svd_attention_mistakes(U, S, Vh, V),
                 hint="P V = U diag(S) (Vh V): multiply S into the rows of Vh V")


@points(1)
def test_attention_from_svd_works_with_two_leading_dims_in_float32(student, reference, device):
    U, S, Vh, V = _svd_inputs(2, 3, n=64, k=5, d=7, seed=21, device=device, dtype=torch.float32)
    expected = reference.attention_from_svd(U, S, Vh, V)
    assert_close(student.attention_from_svd(U, S, Vh, V), expected,
                 name="attention_from_svd, batch (2, 3), n=64, k=5, d=7, float32",
                 **_tol(expected), mistakes=_svd_attention_mistakes(U, S, Vh, V),
                 hint="S is (..., k): S[..., :, None] scales the k rows of Vh V, whatever the "
                      "leading dims")


def _svd_calls(student, reference, device, n):
    k, d = 8, 16
    U, S, Vh, V = _svd_inputs(n=n, k=k, d=d, seed=22, device=device, dtype=torch.float32)
    call = instrument(student.attention_from_svd, U, S, Vh, V)
    expected = reference.attention_from_svd(U, S, Vh, V)
    assert_close(call.result, expected, name=f"attention_from_svd, n={n}, k={k}, d={d}",
                 **_tol(expected))
    return call


SVD_ORDER = "O(nkd)"
SVD_HINT = ("multiply from the right, U (S[:, None] * (Vh V)): never form U diag(S) Vh, "
            "which is n×n")


def _svd_big(device):
    return lambda n: _svd_inputs(n=n, k=8, d=64, seed=23, device=device, dtype=torch.float32)


@points(2)
def test_attention_from_svd_work_grows_linearly_in_n(student, reference, device):
    small = _svd_calls(student, reference, device, 256)
    large = _svd_calls(student, reference, device, 512)
    _check_linear_work(small, large, 256, what="attention_from_svd", order=SVD_ORDER,
                       hint=SVD_HINT)
    _check_kernel_growth(student.attention_from_svd, _svd_big(device), device,
                         what="attention_from_svd", hint=SVD_HINT, memory=False)


@points(2)
def test_attention_from_svd_largest_intermediate_is_below_n_squared(student, reference, device):
    call = _svd_calls(student, reference, device, 512)
    _check_no_square(call, 512, what="attention_from_svd", order="O(nk)", hint=SVD_HINT)
    _check_kernel_growth(student.attention_from_svd, _svd_big(device), device,
                         what="attention_from_svd", hint=SVD_HINT, memory=True)


# --------------------------------------------------------------------------------------------
# §4 projection_matrices
# --------------------------------------------------------------------------------------------

def _check_projections(got, Q, K, k, what):
    C, D = _pair(got, f"projection_matrices(Q, K, k={k}), {what}")
    shape = (*Q.shape[:-2], k, Q.shape[-2])
    for label, t in (("C", C), ("D", D)):
        assert_equal(tuple(t.shape), shape, name=f"{label}.shape for {what}, k={k}",
                     hint="C and D are (..., k, n): they shrink n keys/values to k")
        assert_equal(t.dtype, Q.dtype, name=f"{label}.dtype")
    expected = Q @ K.mT / math.sqrt(Q.shape[-1])
    assert_close(_projection_product(Q, K, C, D), expected,
                 name=f"Q (C K)ᵀ D (must equal Q Kᵀ/√h, so that it gives P V for every V), {what}",
                 **_tol(expected), mistakes=_projection_mistakes(Q, K, k),
                 hint="take the top-k right singular vectors Vh (k, n) of P = Q Kᵀ/√h: "
                      "D = Vh and C = Vh/√h")


@points(2)
def test_projections_reproduce_P_V_for_every_V_when_rank_is_k(student, device):
    Q, K = _low_rank_qk(n=64, h=12, k=4, seed=30, device=device)
    _check_projections(student.projection_matrices(Q, K, 4), Q, K, 4, "n=64, h=12, rank 4")


@points(1)
def test_projections_also_work_when_k_exceeds_the_rank(student, device):
    Q, K = _low_rank_qk(n=40, h=10, k=3, seed=31, device=device)
    _check_projections(student.projection_matrices(Q, K, 6), Q, K, 6,
                       "n=40, h=10, rank 3 < k=6")


@points(1)
def test_projections_work_batched_in_float32(student, device):
    Q, K = _low_rank_qk(2, 3, n=48, h=16, k=5, seed=32, device=device, dtype=torch.float32)
    _check_projections(student.projection_matrices(Q, K, 5), Q, K, 5,
                       "batch (2, 3), n=48, h=16, rank 5, float32")


@points(1)
def test_projections_accept_k_of_one(student, device):
    Q, K = _low_rank_qk(n=12, h=5, k=1, seed=34, device=device)
    _check_projections(student.projection_matrices(Q, K, 1), Q, K, 1,
                       "n=12, h=5, rank 1, k=1 (the smallest valid k)")


@points(1)
def test_projections_accept_k_equal_to_n(student, device):
    Q, K = _randn(10, 6, seed=35, device=device), _randn(10, 6, seed=36, device=device)
    _check_projections(student.projection_matrices(Q, K, 10), Q, K, 10,
                       "n=10, h=6, k=n=10 (the largest valid k)")


@points(1)
def test_projection_matrices_reject_k_outside_one_to_n(student):
    Q, K = _low_rank_qk(n=8, h=4, k=2, seed=33, device="cpu")
    with student_raises("ValueError"):
        student.projection_matrices(Q, K, 0)
    with student_raises("ValueError"):
        student.projection_matrices(Q, K, 9)


# --------------------------------------------------------------------------------------------
# §5 projected_attention
# --------------------------------------------------------------------------------------------

def _projected_mistakes(Q, K, V, C, D):
    return {
        "you swap C and D (C projects the keys, D the values)": Q @ (D @ K).mT @ (C @ V),
        "you divide by √h again (C and D already carry the scaling)":
            Q @ (C @ K).mT @ (D @ V) / math.sqrt(Q.shape[-1]),
    }


@points(2)
def test_projected_attention_matches_reference_with_h_different_from_d(
        student, reference, device):
    n, k, h, d = 80, 6, 12, 20
    Q, K, V = (_randn(2, n, w, seed=40 + i, device=device) for i, w in enumerate((h, h, d)))
    C = _randn(2, k, n, seed=43, device=device, scale=0.1)
    D = _randn(2, k, n, seed=44, device=device, scale=0.1)
    expected = reference.projected_attention(Q, K, V, C, D)
    assert_close(student.projected_attention(Q, K, V, C, D), expected,
                 name=f"projected_attention, batch 2, n={n}, k={k}, h={h}, d={d}",
                 **_tol(expected), mistakes=_projected_mistakes(Q, K, V, C, D),
                 hint="Q (C K)ᵀ (D V), with no softmax and no extra scaling")


@points(1)
def test_projected_attention_broadcasts_shared_projections_in_float32(
        student, reference, device):
    n, k, h, d = 64, 4, 8, 5
    f32 = torch.float32
    Q, K, V = (_randn(2, 3, n, w, seed=45 + i, device=device, dtype=f32)
               for i, w in enumerate((h, h, d)))
    C = _randn(k, n, seed=48, device=device, dtype=f32, scale=0.1)
    D = _randn(k, n, seed=49, device=device, dtype=f32, scale=0.1)
    expected = reference.projected_attention(Q, K, V, C, D)
    assert_close(student.projected_attention(Q, K, V, C, D), expected,
                 name="projected_attention, Q (2, 3, 64, 8), C and D (4, 64) shared, float32",
                 **_tol(expected), mistakes=_projected_mistakes(Q, K, V, C, D),
                 hint="use @ (torch.matmul) and .transpose(-2, -1) so (k, n) projections "
                      "broadcast over the leading dims")


@points(1)
def test_projected_attention_equals_scaled_QKt_V_with_exact_projections(student, device):
    """HW5 §3.3: with C = Vh/√h, D = Vh from the row space of Q Kᵀ, the result is P V."""
    n, k, h, d = 72, 3, 10, 14
    Q, K = _low_rank_qk(n=n, h=h, k=k, seed=50, device=device)
    V = _randn(n, d, seed=51, device=device)
    Vh = torch.linalg.svd(Q @ K.mT, full_matrices=False)[2][..., :k, :]  # row space of Q Kᵀ
    expected = (Q @ K.mT / math.sqrt(h)) @ V
    assert_close(student.projected_attention(Q, K, V, Vh / math.sqrt(h), Vh), expected,
                 name="projected_attention with exact projections (must equal (Q Kᵀ/√h) V)",
                 **_tol(expected), hint="Q (C K)ᵀ (D V)")


PROJ_HINT = ("compute C K (k×h) and D V (k×d) first, then Q (C K)ᵀ (n×k), then multiply by "
             "D V; grouping it as (Q (C K)ᵀ D) V builds an n×n matrix")


def _projected_call(student, reference, device, n):
    k, h, d = 8, 16, 24
    f32 = torch.float32
    Q, K, V = (_randn(n, w, seed=52 + i, device=device, dtype=f32)
               for i, w in enumerate((h, h, d)))
    C = _randn(k, n, seed=55, device=device, dtype=f32, scale=n ** -0.5)
    D = _randn(k, n, seed=56, device=device, dtype=f32, scale=n ** -0.5)
    call = instrument(student.projected_attention, Q, K, V, C, D)
    expected = reference.projected_attention(Q, K, V, C, D)
    assert_close(call.result, expected, name=f"projected_attention, n={n}, k={k}, h={h}, d={d}",
                 **_tol(expected))
    return call


def _projected_big(device, seed):
    def inputs(n):
        f32 = torch.float32
        Q, K, V = (_randn(n, w, seed=seed + i, device=device, dtype=f32)
                   for i, w in enumerate((16, 16, 24)))
        P, R = (_randn(8, n, seed=seed + 3 + i, device=device, dtype=f32, scale=n ** -0.5)
                for i in range(2))
        return Q, K, V, P, R
    return inputs


@points(2)
def test_projected_attention_work_grows_linearly_in_n(student, reference, device):
    small = _projected_call(student, reference, device, 256)
    large = _projected_call(student, reference, device, 512)
    _check_linear_work(small, large, 256, what="projected_attention", order="O(nk(h+d))",
                       hint=PROJ_HINT)
    _check_kernel_growth(student.projected_attention, _projected_big(device, 57), device,
                         what="projected_attention", hint=PROJ_HINT, memory=False)


@points(2)
def test_projected_attention_never_builds_an_n_by_n_tensor(student, reference, device):
    call = _projected_call(student, reference, device, 512)
    _check_no_square(call, 512, what="projected_attention", order="O(nk)", hint=PROJ_HINT)
    _check_kernel_growth(student.projected_attention, _projected_big(device, 57), device,
                         what="projected_attention", hint=PROJ_HINT, memory=True)


# --------------------------------------------------------------------------------------------
# §6 linformer_attention
# --------------------------------------------------------------------------------------------

@points(2)
def test_linformer_matches_reference_with_h_different_from_d(student, reference, device):
    n, k, h, d = 96, 8, 12, 20
    Q, K, V = (_randn(2, n, w, seed=60 + i, device=device) for i, w in enumerate((h, h, d)))
    E = _randn(2, k, n, seed=63, device=device, scale=n ** -0.5)
    F = _randn(2, k, n, seed=64, device=device, scale=n ** -0.5)
    expected = reference.linformer_attention(Q, K, V, E, F)
    assert_close(student.linformer_attention(Q, K, V, E, F), expected,
                 name=f"linformer_attention, batch 2, n={n}, k={k}, h={h}, d={d}",
                 **_tol(expected), mistakes=_linformer_mistakes(Q, K, V, E, F),
                 hint="softmax(Q (E K)ᵀ / √h) over the k projected keys, times F V")


@points(1)
def test_linformer_broadcasts_shared_projections_in_float32(student, reference, device):
    n, k, h, d = 64, 4, 8, 6
    f32 = torch.float32
    Q, K, V = (_randn(2, 3, n, w, seed=65 + i, device=device, dtype=f32)
               for i, w in enumerate((h, h, d)))
    E = _randn(k, n, seed=68, device=device, dtype=f32, scale=n ** -0.5)
    F = _randn(k, n, seed=69, device=device, dtype=f32, scale=n ** -0.5)
    expected = reference.linformer_attention(Q, K, V, E, F)
    assert_close(student.linformer_attention(Q, K, V, E, F), expected,
                 name="linformer_attention, Q (2, 3, 64, 8), E and F (4, 64) shared, float32",
                 **_tol(expected), mistakes=_linformer_mistakes(Q, K, V, E, F))


@points(1)
def test_linformer_with_identity_projections_equals_softmax_attention(student, device):
    """With k = n and E = F = I nothing is projected away: softmax(Q Kᵀ/√h) V."""
    n, h, d = 24, 6, 9
    Q, K, V = (_randn(n, w, seed=70 + i, device=device) for i, w in enumerate((h, h, d)))
    eye = torch.eye(n, dtype=Q.dtype, device=device)
    expected = _weights(Q, K) @ V
    assert_close(student.linformer_attention(Q, K, V, eye, eye), expected,
                 name="linformer_attention with E = F = I (must equal softmax(Q Kᵀ/√h) V)",
                 **_tol(expected), mistakes=_linformer_mistakes(Q, K, V, eye, eye))


LINFORMER_HINT = ("project first: E K (k×h) and F V (k×d), then softmax(Q (E K)ᵀ/√h) is n×k; "
                  "computing Q Kᵀ first (n×n) and projecting afterwards gives the same numbers "
                  "at O(n²) cost")


def _linformer_call(student, reference, device, n):
    k, h, d = 8, 16, 24
    f32 = torch.float32
    Q, K, V = (_randn(n, w, seed=72 + i, device=device, dtype=f32)
               for i, w in enumerate((h, h, d)))
    E = _randn(k, n, seed=75, device=device, dtype=f32, scale=n ** -0.5)
    F = _randn(k, n, seed=76, device=device, dtype=f32, scale=n ** -0.5)
    call = instrument(student.linformer_attention, Q, K, V, E, F)
    expected = reference.linformer_attention(Q, K, V, E, F)
    assert_close(call.result, expected, name=f"linformer_attention, n={n}, k={k}, h={h}, d={d}",
                 **_tol(expected))
    return call


@points(2)
def test_linformer_work_grows_linearly_in_n(student, reference, device):
    small = _linformer_call(student, reference, device, 256)
    large = _linformer_call(student, reference, device, 512)
    _check_linear_work(small, large, 256, what="linformer_attention", order="O(nk(h+d))",
                       hint=LINFORMER_HINT)
    _check_kernel_growth(student.linformer_attention, _projected_big(device, 77), device,
                         what="linformer_attention", hint=LINFORMER_HINT, memory=False)


@points(1)
def test_linformer_never_builds_an_n_by_n_tensor(student, reference, device):
    call = _linformer_call(student, reference, device, 512)
    _check_no_square(call, 512, what="linformer_attention", order="O(nk)", hint=LINFORMER_HINT)
    _check_kernel_growth(student.linformer_attention, _projected_big(device, 77), device,
                         what="linformer_attention", hint=LINFORMER_HINT, memory=True)


# --------------------------------------------------------------------------------------------
# §7 effective_rank
# --------------------------------------------------------------------------------------------

# σ² of these shares: cumulative 0.40, 0.70, 0.85, 0.93, 0.97, 0.99, 1.00 (far from the
# energies tested, so rounding cannot move an answer).
SHARES = [40.0, 30.0, 15.0, 8.0, 4.0, 2.0, 1.0]
ENERGY_RANKS = {0.3: 1, 0.6: 2, 0.8: 3, 0.9: 4, 0.95: 5}


def _with_singular_values(sigma, n, seed, device, dtype=torch.float64):
    """An n×n matrix with the given singular values (then zeros), random singular vectors."""
    s = torch.zeros(n, dtype=torch.float64)
    s[: len(sigma)] = torch.as_tensor(sigma, dtype=torch.float64)
    U = _orthonormal(n=n, k=n, seed=seed, device="cpu")
    W = _orthonormal(n=n, k=n, seed=seed + 1, device="cpu")
    return ((U * s) @ W.mT).to(device, dtype)


def _rank_mistakes(sigma, energy):
    s = torch.as_tensor(sigma, dtype=torch.float64)
    right = int((s.square().cumsum(0) / s.square().sum() < energy).sum()) + 1
    plain = int((s.cumsum(0) / s.sum() < energy).sum()) + 1
    out = {"you return one less than the count (r is the number of prefixes short of "
           "`energy`, PLUS ONE: the first prefix that reaches it)": right - 1,
           "you return one more than the smallest r": right + 1}
    if plain != right:
        out["you sum the singular values σ instead of their squares σ²"] = plain
    return out


@points(2)
def test_effective_rank_of_matrices_with_known_singular_values(student, device):
    sigma = [math.sqrt(s) for s in SHARES]
    P = _with_singular_values(sigma, 16, seed=80, device=device)
    for energy, rank in ENERGY_RANKS.items():
        assert_equal(student.effective_rank(P, energy), rank,
                     name=f"effective_rank(P, energy={energy}) with σ² shares {SHARES} (%)",
                     mistakes=_rank_mistakes(sigma, energy),
                     hint="r is the smallest count of top singular values whose σ² sum reaches "
                          "`energy` of the total Σσ²")


@points(1)
def test_effective_rank_uses_0_9_by_default(student, device):
    sigma = [math.sqrt(s) for s in SHARES]
    P = _with_singular_values(sigma, 12, seed=81, device=device)
    assert_equal(student.effective_rank(P), 4, name="effective_rank(P) (default energy 0.9)",
                 mistakes=_rank_mistakes(sigma, 0.9))


@points(1)
def test_effective_rank_of_random_attention_matrices_matches_reference(
        student, reference, device):
    for seed, n in ((82, 32), (83, 64)):
        Q = _randn(n, 8, seed=seed, device=device, scale=2.0)
        K = _randn(n, 8, seed=seed + 10, device=device, scale=2.0)
        P = torch.softmax(Q @ K.mT / math.sqrt(8), dim=-1)
        for energy in (0.5, 0.9):
            expected = reference.effective_rank(P, energy)
            assert_equal(student.effective_rank(P, energy), expected,
                         name=f"effective_rank(P, energy={energy}) for a random {n}×{n} "
                              "attention matrix")


@points(1)
def test_effective_rank_of_a_batch_is_a_long_tensor_of_ranks(student, device):
    sigmas = ([math.sqrt(s) for s in SHARES], [3.0, 0.5], [1.0] * 8)
    P = torch.stack([_with_singular_values(s, 10, seed=84 + i, device=device)
                     for i, s in enumerate(sigmas)])  # (3, 10, 10)
    expected = torch.tensor([4, 1, 8], device=device)  # 0.9 of Σσ²: 4 of 7, 1 (0.97), 8 of 8
    assert_equal(student.effective_rank(P, 0.9), expected,
                 name="effective_rank(P, 0.9) for a batch P (3, 10, 10)",
                 hint="for a batch, return one rank per matrix as a torch.long tensor of shape "
                      "(...): count along the last dim (dim=-1)")


@points(1)
def test_effective_rank_of_a_single_matrix_is_a_python_int(student, device):
    P = _with_singular_values([3.0, 2.0, 1.0, 0.5], 4, seed=88, device=device)
    got = student.effective_rank(P, 0.9)
    if isinstance(got, bool) or not isinstance(got, int):
        what = (f"a {got.ndim}-d torch.Tensor" if isinstance(got, torch.Tensor)
                else type(got).__name__)
        raise AssertionError(f"effective_rank(P, 0.9) for one 4×4 matrix: type: got {what}, "
                             "expected a Python int. Hint: for a single matrix the count is a "
                             "0-d tensor: convert it with int(...)")
    assert_equal(got, 2, name="effective_rank(P, 0.9), σ = (3, 2, 1, 0.5)")


@points(1)
def test_effective_rank_accepts_energy_one(student, device):
    P = _with_singular_values([3.0, 2.0, 1.0, 0.5], 4, seed=89, device=device)
    assert_equal(student.effective_rank(P, 1.0), 4,
                 name="effective_rank(P, energy=1.0), σ = (3, 2, 1, 0.5)",
                 hint="energy = 1 is valid (keep all of Σσ²: every non-zero singular value); "
                      "only energy <= 0 or > 1 is rejected")


@points(1)
def test_effective_rank_never_exceeds_the_number_of_singular_values(student, device):
    P = _randn(16, 6, 6, seed=90, device=device)  # full rank: energy 1 needs all 6
    assert_equal(student.effective_rank(P, 1.0), torch.full((16,), 6, device=device),
                 name="effective_rank(P, 1.0) for a batch of 16 full-rank 6×6 matrices",
                 mistakes={"you count one more when rounding makes the last share 0.9999999 < "
                           "1.0 (clamp r to the number of singular values)":
                           (torch.full((16,), 6, device=device)
                            + (torch.linalg.svdvals(P).square().cumsum(-1)[..., -1]
                               < torch.linalg.svdvals(P).square().sum(-1)))},
                 hint="r can never exceed min(n, m): clamp it")


@points(1)
def test_effective_rank_when_a_share_equals_energy_exactly(student, device):
    P = torch.eye(4, dtype=torch.float64, device=device)  # σ² = 1, 1, 1, 1: shares exact
    for energy, rank in ((0.25, 1), (0.5, 2), (0.75, 3)):
        assert_equal(student.effective_rank(P, energy), rank,
                     name=f"effective_rank(I₄, energy={energy}): the top {rank} hold exactly "
                          f"{energy:.0%}",
                     mistakes={"you count the prefixes with share <= energy (a share equal to "
                               "energy already reaches it: count share < energy)": rank + 1},
                     hint="r is the smallest count whose share is AT LEAST energy")


@points(1)
def test_effective_rank_rejects_energy_outside_zero_to_one(student):
    P = _randn(6, 6, seed=87, device="cpu")
    with student_raises("ValueError"):
        student.effective_rank(P, 0.0)
    with student_raises("ValueError"):
        student.effective_rank(P, 1.5)
