"""Public checks for rnn_backprop: run them with `nlpgrade check rnn_backprop rnn_backprop.py`.

They use the handout's sizes (x_t ∈ R^3, h_t ∈ R^4, y_t ∈ R^2, T = 3) and small worked
examples. Your functions get numpy arrays and return numpy arrays. The hidden tests that grade
your submission are more thorough: many sizes and seeds, T = 1, i > t, float32, the tanh extra
credit and the O(T) cost of bptt. The oracle there, as here, is torch.autograd in float64, run
by the grader on the same numbers: your code runs where only numpy exists (README, Rules).
"""

import math

import numpy as np
import torch

from autograder.testing import assert_close, assert_equal, points


def _handout_problem():
    rng = np.random.default_rng(2024)
    T, n_x, n_h, n_y = 3, 3, 4, 2
    return dict(xs=rng.standard_normal((T, n_x)),
                ys=np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 1.0]]),
                h0=rng.standard_normal(n_h),
                W_hx=rng.standard_normal((n_h, n_x)) * 0.5,
                W_hh=rng.standard_normal((n_h, n_h)) * 0.4,
                W_yh=rng.standard_normal((n_y, n_h)))


def _autograd_gradients(p):
    """The oracle: J computed forward with torch autograd, then torch.autograd.grad."""
    q = {k: torch.from_numpy(v) for k, v in p.items()}
    leaves = {k: q[k].clone().requires_grad_() for k in ("W_hx", "W_hh", "W_yh", "h0")}
    with torch.enable_grad():
        h, J = leaves["h0"], 0.0
        for t in range(q["xs"].shape[0]):
            h = leaves["W_hh"] @ h + leaves["W_hx"] @ q["xs"][t]
            J = J - (q["ys"][t] * torch.log_softmax(leaves["W_yh"] @ h, dim=-1)).sum()
        grads = torch.autograd.grad(J, list(leaves.values()))
    return {k: g.numpy() for k, g in zip(leaves, grads, strict=True)}


def _softmax_rows(o):
    e = np.exp(o - o.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


@points(1)
def test_rnn_forward_on_the_handout_sizes(student):
    """README §1: hs[0] = h_0, hs[t] = W_hh h_(t-1) + W_hx x_t, y_hats[t-1] = softmax(W_yh h_t)."""
    p = _handout_problem()
    hs = [p["h0"]]
    for t in range(3):
        hs.append(p["W_hh"] @ hs[-1] + p["W_hx"] @ p["xs"][t])
    hs = np.stack(hs)
    expected = (hs, _softmax_rows(hs[1:] @ p["W_yh"].T))
    got = student.rnn_forward(p["xs"], p["h0"], p["W_hx"], p["W_hh"], p["W_yh"])
    assert_close(got, expected, name="rnn_forward (T = 3, n_x = 3, n_h = 4, n_y = 2)",
                 hint="hs is (T+1, n_h) with hs[0] = h0; the softmax is over the classes")


@points(1)
def test_cross_entropy_of_a_worked_example(student):
    """README §2: J = -log 0.75 - log 0.5."""
    y_hats = np.array([[0.25, 0.75], [0.5, 0.5]])
    ys = np.array([[0.0, 1.0], [1.0, 0.0]])
    got = student.cross_entropy(y_hats, ys)
    got = float(got) if isinstance(got, np.ndarray) and got.shape == () else got
    assert_close(got, -math.log(0.75) - math.log(0.5), name="cross_entropy",
                 hint="J = -Σ_t Σ_i y_(t,i) log ŷ_(t,i): a sum, not a mean, as a number")


@points(1)
def test_grad_o_of_a_worked_example(student):
    """README §3: ŷ = (0.2, 0.8), y = (0, 1)."""
    got = student.grad_o(np.array([0.2, 0.8]), np.array([0.0, 1.0]))
    assert_close(got, np.array([0.2, -0.2]), name="grad_o([0.2, 0.8], [0, 1])",
                 mistakes={"you flip the sign (it is ŷ_t - y_t)": np.array([-0.2, 0.2])},
                 hint="differentiate J_t = -Σ_i y_(t,i) log softmax(o_t)_i with respect to o_t")


@points(1)
def test_grad_h_at_i_equal_t_and_for_a_later_state(student):
    """README §4: at i = t, ∂J_t/∂h_t = W_yhᵀ ∂J_t/∂o_t; for i > t it is zero."""
    p = _handout_problem()
    g_o = np.array([0.3, -0.3])
    got = student.grad_h(g_o, p["W_yh"], p["W_hh"], 2, 2)
    assert_close(got, p["W_yh"].T @ g_o, name="grad_h(t = 2, i = 2)",
                 hint="o_t = W_yh h_t, so the chain rule multiplies by W_yhᵀ")
    got = student.grad_h(g_o, p["W_yh"], p["W_hh"], 2, 3)
    assert_close(got, np.zeros(4), name="grad_h(t = 2, i = 3)",
                 hint="J_2 does not depend on h_3")


@points(1)
def test_grad_Whh_t_for_t_equal_1_is_one_outer_product(student):
    """README §5: ∂J_1/∂W_hh = (∂J_1/∂h_1) h_0ᵀ."""
    hs = np.random.default_rng(5).standard_normal((4, 4))
    g_hs = np.zeros((3, 4))
    g_hs[0] = [1.0, -2.0, 0.5, 3.0]
    got = student.grad_Whh_t(g_hs, hs, 1)
    assert_close(got, np.outer(g_hs[0], hs[0]), name="grad_Whh_t(g_hs, hs, t = 1)",
                 mistakes={"you transpose the outer product (it is (∂J_1/∂h_1) h_0ᵀ)":
                           np.outer(hs[0], g_hs[0])},
                 hint="z_1 = W_hh h_0 + W_hx x_1: pair ∂J_1/∂h_1 with h_0 = hs[0], "
                      "as a column times a row")


@points(1)
def test_grad_Whh_matches_autograd_on_the_handout_sizes(student):
    """README §6."""
    p = _handout_problem()
    got = student.grad_Whh(p["xs"], p["ys"], p["h0"], p["W_hx"], p["W_hh"], p["W_yh"])
    assert_close(got, _autograd_gradients(p)["W_hh"], name="grad_Whh (handout sizes)",
                 hint="∂J/∂W_hh = Σ_t ∂J_t/∂W_hh")


@points(1)
def test_bptt_matches_autograd_on_the_handout_sizes(student):
    """README §7."""
    p = _handout_problem()
    got = student.bptt(p["xs"], p["ys"], p["h0"], p["W_hx"], p["W_hh"], p["W_yh"])
    assert_close(got, _autograd_gradients(p), name="bptt (handout sizes)",
                 hint="a dict with the keys 'W_hx', 'W_hh', 'W_yh', 'h0', each the gradient "
                      "of J = Σ_t J_t")


@points(1)
def test_computational_graph_for_one_step(student):
    """README §8: the 11 edges of the graph with T = 1."""
    expected = {("h_0", "z_1"), ("W_hh", "z_1"), ("x_1", "z_1"), ("W_hx", "z_1"),
                ("z_1", "h_1"), ("h_1", "o_1"), ("W_yh", "o_1"), ("o_1", "y_hat_1"),
                ("y_hat_1", "J_1"), ("y_1", "J_1"), ("J_1", "J")}
    got = student.computational_graph(1)
    edges = sorted(tuple(e) for e in got) if isinstance(got, (list, tuple)) else got
    assert_equal(edges, sorted(expected), name="sorted(computational_graph(1))",
                 hint="an edge (a, b) means b is computed directly from a; list each edge once")
