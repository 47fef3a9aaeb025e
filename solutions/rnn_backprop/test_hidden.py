"""Hidden tests for the rnn_backprop assignment: the ones that grade.

One block per function, in README order; each test checks one property so that a partly right
function earns part of its points. Messages stand alone (students never see this file).

The student's module runs in a numpy-only sandbox (assignment.yaml: `packages: [numpy]`):
torch, and with it every autograd, does not exist there, so "by hand" (README, Rules) needs no
check in these tests. Here, in the grader, torch is available: the oracle is torch.autograd in
float64 on the same inputs (`torch.from_numpy`), run on numpy inputs built from seeded local
generators. The student gets numpy arrays and returns numpy arrays, compared with numpy
expected values. Only inputs cross to the student (g_o_t and g_hs are inputs of the functions
under test, computed by the oracle); expected values never do.

bptt must be O(T): `test_bptt_work_grows_linearly_with_T` reads from the kernel, outside the
student's process (`autograder.measure`), the CPU time of bptt at T = 80, 160 and 320, and
compares the increments (see GROWTH_T; measured in NOTES.md).
"""

import numpy as np
import torch

from autograder.testing import (
    assert_close,
    assert_equal,
    assert_grows_linearly,
    cheapest,
    measure,
    points,
    student_raises,
)

SIZES = [  # (T, n_x, n_h, n_y)
    (3, 3, 4, 2),  # the handout's sizes
    (1, 2, 3, 2),
    (5, 1, 1, 3),
    (7, 4, 6, 5),
    (12, 3, 5, 2),
]
# bptt at T, 2T, 4T (NOTES.md has the measurements). An O(T²) bptt that walks back from every
# loss J_t costs about 20, 70 and 270 ms of CPU here, so 4T - 2T adds ~200 ms, 4 times what
# 2T - T adds; even a lean one (one matrix-vector product per pair (t, i)) adds ~75 ms. An O(T)
# bptt costs about 1.6, 3.2 and 6.5 ms: it adds ~3 ms, far below the floor, and its increments
# double. Honest submissions spend < 30 ms in this test; the O(T²) fakes 1-3 s.
GROWTH_T = (80, 160, 320)
GROWTH_FLOOR_S = 0.02  # growth of CPU time below this is too small to judge (and passes)


# --------------------------------------------------------------------------------------------
# the inputs and the oracle (grader side only)
# --------------------------------------------------------------------------------------------

def _problem(seed, T, n_x, n_h, n_y, *, dtype=np.float64, soft_targets=False):
    """Numpy inputs. W_hh has spectral radius 0.8: its powers neither explode nor vanish."""
    rng = np.random.default_rng(seed)
    xs = rng.standard_normal((T, n_x))
    h0 = rng.standard_normal(n_h)
    W_hx = rng.standard_normal((n_h, n_x)) * 0.5
    W_hh = rng.standard_normal((n_h, n_h))
    W_hh *= 0.8 / np.abs(np.linalg.eigvals(W_hh)).max()
    W_yh = rng.standard_normal((n_y, n_h))
    if soft_targets:
        logits = rng.standard_normal((T, n_y))
        ys = np.exp(logits) / np.exp(logits).sum(axis=-1, keepdims=True)
    else:
        ys = np.eye(n_y)[rng.integers(n_y, size=T)]
    p = dict(xs=xs, ys=ys, h0=h0, W_hx=W_hx, W_hh=W_hh, W_yh=W_yh)
    return {k: v.astype(dtype) for k, v in p.items()}


def _oracle(p, activation="identity"):
    """Forward with torch autograd on the same numbers: states, logits, losses J_t, leaves."""
    xs, ys = torch.from_numpy(p["xs"]), torch.from_numpy(p["ys"])
    leaves = {k: torch.from_numpy(p[k]).clone().requires_grad_()
              for k in ("h0", "W_hx", "W_hh", "W_yh")}
    with torch.enable_grad():
        hs, os_, Js = [leaves["h0"]], [], []
        for t in range(xs.shape[0]):
            z = leaves["W_hh"] @ hs[-1] + leaves["W_hx"] @ xs[t]
            h = torch.tanh(z) if activation == "tanh" else z
            h.retain_grad()
            o = leaves["W_yh"] @ h
            o.retain_grad()
            hs.append(h)
            os_.append(o)
            Js.append(-(ys[t] * torch.log_softmax(o, dim=-1)).sum())
    return hs, os_, Js, leaves


def _oracle_bptt(p, activation="identity"):
    """{"W_hx", "W_hh", "W_yh", "h0"}: ∂J/∂ each, by autograd, as numpy arrays."""
    hs, os_, Js, leaves = _oracle(p, activation)
    keys = ("W_hx", "W_hh", "W_yh", "h0")
    with torch.enable_grad():
        grads = torch.autograd.grad(sum(Js), [leaves[k] for k in keys])
    return {k: g.numpy() for k, g in zip(keys, grads, strict=True)}


def _step_grads(p, t):
    """For J_t alone, as numpy: ∂J_t/∂o_t, g_hs (T, n_h) with ∂J_t/∂h_i, ∂J_t/∂W_hh, and hs."""
    hs, os_, Js, leaves = _oracle(p)
    n_h = p["h0"].shape[0]
    with torch.enable_grad():
        wanted = [os_[t - 1], leaves["W_hh"]] + hs[1:]
        grads = torch.autograd.grad(Js[t - 1], wanted, allow_unused=True)
    g_hs = torch.stack([torch.zeros(n_h, dtype=torch.float64) if g is None else g
                        for g in grads[2:]])
    return (grads[0].numpy(), g_hs.numpy(), grads[1].numpy(),
            torch.stack(hs).detach().numpy())


# --------------------------------------------------------------------------------------------
# typical mistakes, computed here from the inputs
# --------------------------------------------------------------------------------------------

def _grad_h_variant(g_o, W_yh, W_hh, t, i, *, transpose=True, extra=0, future=False):
    if i > t and not future:
        return np.zeros(W_hh.shape[0], dtype=g_o.dtype)
    M = W_hh.T if transpose else W_hh
    return np.linalg.matrix_power(M, t - i + extra) @ (W_yh.T @ g_o)  # a negative power inverts


def _grad_h_mistakes(g_o, W_yh, W_hh, t, i):
    if i > t:
        return {}
    m = {"you use W_hh instead of W_hhᵀ (the chain rule through z = W_hh h gives W_hhᵀ)":
         _grad_h_variant(g_o, W_yh, W_hh, t, i, transpose=False),
         "you multiply by W_hhᵀ one time too many: (W_hhᵀ)^(t-i+1) instead of (W_hhᵀ)^(t-i)":
         _grad_h_variant(g_o, W_yh, W_hh, t, i, extra=1)}
    if i < t:
        m["you multiply by W_hhᵀ one time too few: (W_hhᵀ)^(t-i-1) instead of (W_hhᵀ)^(t-i)"] \
            = _grad_h_variant(g_o, W_yh, W_hh, t, i, extra=-1)
    if W_yh.shape[0] == W_yh.shape[1]:
        m["you use W_yh instead of W_yhᵀ"] = np.linalg.matrix_power(W_hh.T, t - i) @ (W_yh @ g_o)
    return m


def _number(got):
    """A 0-dim array counts as the number it holds (np.sum and friends return either)."""
    return float(got) if isinstance(got, np.ndarray) and got.shape == () else got


# --------------------------------------------------------------------------------------------
# §1 rnn_forward
# --------------------------------------------------------------------------------------------

def _forward_args(p):
    return p["xs"], p["h0"], p["W_hx"], p["W_hh"], p["W_yh"]


def _softmax(o, axis):
    e = np.exp(o - o.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _forward_mistakes(p, reference):
    hs, y_hats = reference.rnn_forward(*_forward_args(p))
    o = hs[1:] @ p["W_yh"].T
    return {
        "you take the softmax over time (axis=0) instead of over the classes (axis=-1)":
            (hs, _softmax(o, axis=0)),
        "you return the logits o_t instead of ŷ_t = softmax(o_t)": (hs, o),
    }


@points(2)
def test_rnn_forward_matches_the_recurrence_for_many_sizes(student, reference):
    for seed, size in enumerate(SIZES):
        p = _problem(100 + seed, *size)
        got = student.rnn_forward(*_forward_args(p))
        assert_close(got, reference.rnn_forward(*_forward_args(p)),
                     name=f"rnn_forward (T, n_x, n_h, n_y) = {size}",
                     mistakes=_forward_mistakes(p, reference),
                     hint="hs is (T+1, n_h) with hs[0] = h_0 and hs[t] = W_hh h_(t-1) + W_hx x_t; "
                          "y_hats[t-1] = softmax(W_yh h_t)")


@points(1)
def test_rnn_forward_with_one_step(student, reference):
    p = _problem(7, 1, 3, 4, 2)
    assert_close(student.rnn_forward(*_forward_args(p)), reference.rnn_forward(*_forward_args(p)),
                 name="rnn_forward with T = 1",
                 hint="with T = 1, hs is (2, n_h): h_0 then h_1")


@points(1)
def test_rnn_forward_keeps_float32(student, reference):
    p = _problem(8, 4, 3, 4, 2, dtype=np.float32)
    assert_close(student.rnn_forward(*_forward_args(p)), reference.rnn_forward(*_forward_args(p)),
                 name="rnn_forward on float32 inputs", rtol=1e-5, atol=1e-6,
                 hint="create new arrays with the dtype of the inputs "
                      "(np.zeros(..., dtype=xs.dtype), or np.stack of the states)")


# --------------------------------------------------------------------------------------------
# §2 cross_entropy
# --------------------------------------------------------------------------------------------

def _ce_mistakes(y_hats, ys):
    ll = ys * np.log(y_hats)
    return {"you average over time steps instead of summing (J = Σ_t J_t)":
            float(-ll.sum() / ys.shape[0]),
            "you average over all entries instead of summing": float(-ll.mean()),
            "you forget the minus sign": float(ll.sum())}


@points(2)
def test_cross_entropy_sums_over_time_and_classes(student, reference):
    for seed, soft in ((1, False), (2, True), (3, False)):
        p = _problem(200 + seed, 5, 2, 3, 4, soft_targets=soft)
        y_hats = reference.rnn_forward(*_forward_args(p))[1]
        got = _number(student.cross_entropy(y_hats, p["ys"]))
        assert_close(got, reference.cross_entropy(y_hats, p["ys"]),
                     name=f"cross_entropy ({'distribution' if soft else 'one-hot'} targets)",
                     mistakes=_ce_mistakes(y_hats, p["ys"]),
                     hint="J = -Σ_t Σ_i y_(t,i) log ŷ_(t,i), a number")


@points(1)
def test_cross_entropy_with_one_step(student, reference):
    y_hats = np.array([[0.25, 0.75]])
    ys = np.array([[0.0, 1.0]])
    assert_close(_number(student.cross_entropy(y_hats, ys)), reference.cross_entropy(y_hats, ys),
                 name="cross_entropy(ŷ = [[0.25, 0.75]], y = [[0, 1]])",
                 mistakes=_ce_mistakes(y_hats, ys), hint="J = -log 0.75, a number")


# --------------------------------------------------------------------------------------------
# §3 grad_o
# --------------------------------------------------------------------------------------------

@points(2)
def test_grad_o_matches_autograd_on_random_steps(student):
    for seed, (soft, n_y) in enumerate(((False, 2), (True, 5), (False, 1), (True, 3))):
        p = _problem(300 + seed, 3, 2, 3, n_y, soft_targets=soft)
        hs, os_, Js, _ = _oracle(p)
        with torch.enable_grad():
            (expected,) = torch.autograd.grad(Js[1], [os_[1]])
        y_hat = torch.softmax(os_[1].detach(), dim=-1).numpy()
        got = student.grad_o(y_hat, p["ys"][1])
        assert_close(got, expected.numpy(), name=f"grad_o (n_y = {n_y})",
                     mistakes={"you flip the sign: ∂J_t/∂o_t = ŷ_t - y_t, not y_t - ŷ_t":
                               p["ys"][1] - y_hat,
                               "you return ŷ_t and forget to subtract y_t": y_hat},
                     hint="∂J_t/∂o_t = ŷ_t - y_t (HW5 §2.2.1)")


# --------------------------------------------------------------------------------------------
# §4 grad_h
# --------------------------------------------------------------------------------------------

@points(3)
def test_grad_h_matches_autograd_for_every_i_up_to_t(student):
    for seed, size in enumerate(SIZES):
        T = size[0]
        p = _problem(400 + seed, *size)
        for t in sorted({1, T, (T + 1) // 2}):
            g_o, g_hs, _, _ = _step_grads(p, t)
            for i in range(1, t + 1):
                got = student.grad_h(g_o, p["W_yh"], p["W_hh"], t, i)
                assert_close(got, g_hs[i - 1], name=f"grad_h (n_h = {size[2]}, t = {t}, i = {i})",
                             mistakes=_grad_h_mistakes(g_o, p["W_yh"], p["W_hh"], t, i),
                             hint="∂J_t/∂h_i = (W_hhᵀ)^(t-i) W_yhᵀ ∂J_t/∂o_t (HW5 §2.2.2)")


@points(1)
def test_grad_h_is_zero_when_i_is_after_t(student):
    p = _problem(450, 5, 3, 4, 2)
    g_o, g_hs, _, _ = _step_grads(p, 2)
    for i in (3, 5):
        got = student.grad_h(g_o, p["W_yh"], p["W_hh"], 2, i)
        assert_close(got, np.zeros(4), name=f"grad_h (t = 2, i = {i})",
                     mistakes={"you apply the formula for i > t too (a negative power of W_hhᵀ):"
                               " J_t does not depend on later states, so ∂J_t/∂h_i = 0 when i > t":
                               _grad_h_variant(g_o, p["W_yh"], p["W_hh"], 2, i, future=True)},
                     hint="J_t does not depend on h_i when i > t: return zeros of shape (n_h,)")


@points(1)
def test_grad_h_at_i_equal_t_is_W_yh_transpose_times_g_o(student):
    p = _problem(460, 4, 2, 3, 3)
    g_o, g_hs, _, _ = _step_grads(p, 4)
    got = student.grad_h(g_o, p["W_yh"], p["W_hh"], 4, 4)
    assert_close(got, g_hs[3], name="grad_h (t = i = 4)",
                 mistakes=_grad_h_mistakes(g_o, p["W_yh"], p["W_hh"], 4, 4),
                 hint="at i = t there is no step back in time: ∂J_t/∂h_t = W_yhᵀ ∂J_t/∂o_t")


@points(1)
def test_grad_h_rejects_zero_based_indices(student):
    p = _problem(470, 3, 2, 3, 2)
    g_o = np.array([0.5, -0.5])
    # i = 0 and t = 0 are both 0-based slips (README §4: raise if t < 1 or i < 1); t = 0 with
    # i = 1 matters on its own: it is "i > t", so an unchecked t quietly returns zeros.
    for t, i in ((2, 0), (0, 1), (0, 0)):
        with student_raises("ValueError"):
            student.grad_h(g_o, p["W_yh"], p["W_hh"], t, i)


@points(1)
def test_grad_h_keeps_float32(student):
    p = _problem(480, 3, 2, 3, 2, dtype=np.float32)
    g_o = np.array([0.5, -0.5], dtype=np.float32)
    for t, i in ((3, 1), (1, 3)):  # a step back in time, and the zeros of i > t
        got = student.grad_h(g_o, p["W_yh"], p["W_hh"], t, i)
        assert_close(got, _grad_h_variant(g_o, p["W_yh"], p["W_hh"], t, i),
                     name=f"grad_h on float32 inputs (t = {t}, i = {i})", rtol=1e-5, atol=1e-6,
                     hint="return arrays in the dtype of the inputs (README, Conventions): "
                          "np.zeros(n_h, dtype=g_o_t.dtype) for i > t")


# --------------------------------------------------------------------------------------------
# §5 grad_Whh_t
# --------------------------------------------------------------------------------------------

def _whh_t_mistakes(g_hs, hs, t):
    g, h = g_hs[:t], hs[:t]
    return {"you transpose the outer product: it is (∂J_t/∂h_i) h_(i-1)ᵀ, not h_(i-1) (∂J_t/∂h_i)ᵀ":
            h.T @ g,
            "you pair ∂J_t/∂h_i with h_i instead of h_(i-1) (z_i = W_hh h_(i-1) + ...)":
            g.T @ hs[1:t + 1],
            "you keep only the term i = t of the sum over i": np.outer(g_hs[t - 1], hs[t - 1])}


@points(2)
def test_grad_Whh_t_matches_autograd(student):
    for seed, size in enumerate(SIZES):
        T = size[0]
        p = _problem(500 + seed, *size)
        for t in sorted({1, T, (T + 1) // 2}):
            _, g_hs, expected, hs = _step_grads(p, t)
            got = student.grad_Whh_t(g_hs, hs, t)
            assert_close(got, expected, name=f"grad_Whh_t (n_h = {size[2]}, T = {T}, t = {t})",
                         mistakes=_whh_t_mistakes(g_hs, hs, t),
                         hint="∂J_t/∂W_hh = Σ_(i=1..t) (∂J_t/∂h_i) h_(i-1)ᵀ, "
                              "with h_(i-1) = hs[i-1]")


@points(1)
def test_grad_Whh_t_with_t_equal_1_matches_autograd(student):
    p = _problem(550, 4, 3, 4, 2)
    _, g_hs, expected, hs = _step_grads(p, 1)
    got = student.grad_Whh_t(g_hs, hs, 1)
    assert_close(got, expected, name="grad_Whh_t (t = 1)", mistakes=_whh_t_mistakes(g_hs, hs, 1),
                 hint="for t = 1 the sum has one term: (∂J_1/∂h_1) h_0ᵀ")


# --------------------------------------------------------------------------------------------
# §6 grad_Whh
# --------------------------------------------------------------------------------------------

def _bptt_args(p):
    return p["xs"], p["ys"], p["h0"], p["W_hx"], p["W_hh"], p["W_yh"]


def _no_recurrence(p):
    """∂J/∂W_hh when the gradient stops at each step (only the term i = t of each J_t)."""
    hs = torch.stack(_oracle(p)[0]).detach().numpy()
    y_hats = _softmax(hs[1:] @ p["W_yh"].T, axis=-1)
    g = (y_hats - p["ys"]) @ p["W_yh"]  # (T, n_h)
    return g.T @ hs[:-1]


@points(2)
def test_grad_Whh_matches_autograd_for_many_sizes(student):
    for seed, size in enumerate(SIZES):
        p = _problem(600 + seed, *size, soft_targets=seed % 2 == 1)
        expected = _oracle_bptt(p)["W_hh"]
        got = student.grad_Whh(*_bptt_args(p))
        assert_close(got, expected, name=f"grad_Whh (T, n_x, n_h, n_y) = {size}",
                     mistakes={"you transpose it (∂J/∂W_hh is laid out like W_hh)": expected.T,
                               "you keep only i = t in each ∂J_t/∂W_hh (no gradient through "
                               "time)": _no_recurrence(p)},
                     hint="∂J/∂W_hh = Σ_t ∂J_t/∂W_hh, each from grad_o, grad_h and grad_Whh_t")


@points(1)
def test_grad_Whh_with_one_step(student):
    p = _problem(650, 1, 3, 4, 2)
    got = student.grad_Whh(*_bptt_args(p))
    assert_close(got, _oracle_bptt(p)["W_hh"], name="grad_Whh with T = 1",
                 hint="with T = 1, ∂J/∂W_hh = (W_yhᵀ (ŷ_1 - y_1)) h_0ᵀ")


# --------------------------------------------------------------------------------------------
# §7 bptt
# --------------------------------------------------------------------------------------------

BPTT_HINT = ("δ_t = W_yhᵀ (ŷ_t - y_t) + W_hhᵀ ∂J/∂z_(t+1), then ∂J/∂W_hh += ∂J/∂z_t h_(t-1)ᵀ, "
             "∂J/∂W_hx += ∂J/∂z_t x_tᵀ, ∂J/∂W_yh += (ŷ_t - y_t) h_tᵀ")


def _bptt_mistakes(p):
    expected = _oracle_bptt(p)
    return {"you transpose the outer products (each gradient is laid out like its weight)":
            {k: (v.T if v.ndim == 2 else v) for k, v in expected.items()},
            "you flip the sign of ∂J/∂o_t (it is ŷ_t - y_t)":
            {k: -v for k, v in expected.items()}}


def _check_dict(got, name):
    if not isinstance(got, dict):
        raise AssertionError(f"{name}: type: got {type(got).__name__}, expected a dict with the "
                             "keys 'W_hx', 'W_hh', 'W_yh', 'h0'")


@points(1)
def test_bptt_returns_the_four_gradients_with_their_shapes(student):
    p = _problem(700, 3, 3, 4, 2)
    got = student.bptt(*_bptt_args(p))
    _check_dict(got, "bptt")
    expected = _oracle_bptt(p)
    assert_equal(sorted(got), sorted(expected), name="bptt(...).keys()")
    for k in expected:
        assert_equal(tuple(getattr(got[k], "shape", ())), tuple(expected[k].shape),
                     name=f"bptt(...)[{k!r}].shape",
                     hint="each gradient has the shape of its parameter")


@points(3)
def test_bptt_matches_autograd_for_many_sizes_and_seeds(student):
    for seed, size in enumerate(SIZES + [(20, 2, 3, 4)]):
        p = _problem(710 + seed, *size, soft_targets=seed % 2 == 0)
        got = student.bptt(*_bptt_args(p))
        _check_dict(got, "bptt")
        mistakes = _bptt_mistakes(p)
        if size[0] > 1:
            mistakes["you drop the gradient that flows back from step t+1 (δ_t must add "
                     "W_hhᵀ ∂J/∂z_(t+1))"] = {"W_hh": _no_recurrence(p)}
        expected = _oracle_bptt(p)
        for key in ("W_yh", "W_hh", "W_hx", "h0"):
            assert_close(got.get(key), expected[key],
                         name=f"bptt(...)[{key!r}] (T, n_x, n_h, n_y) = {size}",
                         mistakes={m: v[key] for m, v in mistakes.items() if key in v},
                         hint=BPTT_HINT)


@points(1)
def test_bptt_with_one_step(student):
    p = _problem(730, 1, 2, 3, 2)
    got = student.bptt(*_bptt_args(p))
    _check_dict(got, "bptt (T = 1)")
    assert_close(got, _oracle_bptt(p), name="bptt (T = 1)",
                 hint="with T = 1 nothing flows back from the future")


@points(1)
def test_bptt_gradient_of_h0_is_W_hh_transpose_times_dJ_dz1(student):
    p = _problem(740, 6, 3, 5, 3)
    got = student.bptt(*_bptt_args(p))
    _check_dict(got, "bptt")
    assert_close(got.get("h0"), _oracle_bptt(p)["h0"], name="bptt(...)['h0']",
                 hint="∂J/∂h_0 = W_hhᵀ ∂J/∂z_1: one more step back after t = 1")


@points(3)
def test_bptt_work_grows_linearly_with_T(student):
    costs, calls = {}, []
    for T in GROWTH_T:
        p = _problem(750 + T, T, 3, 4, 2)
        calls = [measure(student.bptt, *_bptt_args(p)) for _ in range(2)]
        costs[T] = cheapest(calls)[0]
    assert_grows_linearly(
        "bptt, CPU time", costs, floor=GROWTH_FLOOR_S, unit="s", variable="T",
        hint="you seem to redo the backward pass for every loss J_t (O(T²) work). Make one "
             "sweep from t = T down to 1, carrying δ_t = ∂J/∂h_t, as in README §7")
    got = calls[-1].result  # the largest T: the O(T) points are for gradients that are right
    _check_dict(got, f"bptt (T = {GROWTH_T[-1]})")
    assert_close(got, _oracle_bptt(p), name=f"bptt (T = {GROWTH_T[-1]})",
                 hint="the points for O(T) work need the right gradients too; " + BPTT_HINT)


@points(2)
def test_bptt_with_tanh_matches_autograd(student):
    for seed, size in enumerate(((4, 3, 4, 2), (1, 2, 2, 3), (9, 2, 5, 3))):
        p = _problem(760 + seed, *size)
        expected = _oracle_bptt(p, "tanh")
        got = student.bptt(*_bptt_args(p), activation="tanh")
        _check_dict(got, "bptt(activation='tanh')")
        assert_close(got, expected, name=f"bptt(activation='tanh') (T, n_x, n_h, n_y) = {size}",
                     mistakes={"you ignore the activation (ψ = identity)": _oracle_bptt(p)},
                     hint="with h_t = tanh(z_t), ∂J/∂z_t = δ_t ⊙ (1 - h_t²) (extra credit)")


@points(1)
def test_bptt_rejects_an_unknown_activation(student):
    p = _problem(770, 2, 2, 2, 2)
    with student_raises("ValueError"):
        student.bptt(*_bptt_args(p), activation="relu")


# --------------------------------------------------------------------------------------------
# §8 computational_graph
# --------------------------------------------------------------------------------------------

def _edges(got, name):
    if not isinstance(got, (list, tuple)) or not all(
            isinstance(e, (list, tuple)) and len(e) == 2 and all(isinstance(n, str) for n in e)
            for e in got):
        raise AssertionError(f"{name}: expected a list of (a, b) pairs of node names")
    return [tuple(e) for e in got]


def _check_graph(got, expected, name):
    edges = _edges(got, name)
    if len(set(edges)) != len(edges):
        dup = next(e for e in edges if edges.count(e) > 1)
        raise AssertionError(f"{name}: the edge {dup} appears more than once: list each once")
    missing, extra = sorted(set(expected) - set(edges)), sorted(set(edges) - set(expected))
    if missing or extra:
        message = (f"{name}: {len(edges)} edges, expected {len(expected)}; missing "
                   f"{missing[:6]}{' ...' if len(missing) > 6 else ''}, unexpected "
                   f"{extra[:6]}{' ...' if len(extra) > 6 else ''}")
        reversed_ = [e for e in extra if (e[1], e[0]) in set(expected)]
        if reversed_:
            message += (f". {reversed_[0]} points the wrong way: an edge (a, b) means b is "
                        "computed from a")
        raise AssertionError(message)


@points(2)
def test_computational_graph_for_several_T(student, reference):
    for T in (2, 5):
        _check_graph(student.computational_graph(T), reference.computational_graph(T),
                     f"computational_graph({T})")


@points(1)
def test_computational_graph_with_one_step_matches(student, reference):
    _check_graph(student.computational_graph(1), reference.computational_graph(1),
                 "computational_graph(1)")
