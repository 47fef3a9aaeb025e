"""Backpropagation through time, by hand, for the handout's linear RNN.

Homework 5, §2 (README.md has the task; its sections are cited as README §N below).

The model of HW5 §2, for t = 1 .. T (time indices are 1-based, as in the handout):

    z_t = W_hh h_{t-1} + W_hx x_t
    h_t = ψ(z_t)                      ψ = identity (tanh in the extra credit)
    o_t = W_yh h_t
    ŷ_t = σ(o_t)                      σ = softmax
    J_t = -Σ_i y_{t,i} log ŷ_{t,i}    J = Σ_t J_t

Shapes (no batch dimension): x_t ∈ R^{n_x}, h_t ∈ R^{n_h}, y_t ∈ R^{n_y};
W_hx is (n_h, n_x), W_hh is (n_h, n_h), W_yh is (n_y, n_h). A sequence is stored as a numpy
array with time first: xs[t-1] = x_t, ys[t-1] = y_t, hs[t] = h_t (hs[0] = h_0).

The gradients are written by hand, with numpy: the grader runs this module where numpy is the
only package installed, so there is no autograd to call (README, "Rules").
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "softmax",
    "rnn_forward",
    "cross_entropy",
    "grad_o",
    "grad_h",
    "grad_Whh_t",
    "grad_Whh",
    "bptt",
    "computational_graph",
]


def softmax(o: np.ndarray, axis: int = -1) -> np.ndarray:
    """σ(o)_i = exp(o_i) / Σ_j exp(o_j), along `axis` (given: nothing to implement here).

    Subtracting max_j o_j first leaves σ unchanged and keeps exp from overflowing.

    Args:
        o: logits, any shape.
        axis: the axis of the classes.

    Returns:
        An array of the shape and dtype of `o`, summing to 1 along `axis`.
    """
    e = np.exp(o - o.max(axis=axis, keepdims=True))  # same shape as o
    return e / e.sum(axis=axis, keepdims=True)


def rnn_forward(
    xs: np.ndarray, h0: np.ndarray, W_hx: np.ndarray, W_hh: np.ndarray, W_yh: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Run the RNN of HW5 §2 with ψ = identity (README §1).

        z_t = W_hh h_{t-1} + W_hx x_t,   h_t = z_t,   ŷ_t = σ(W_yh h_t)

    Args:
        xs: (T, n_x) inputs, xs[t-1] = x_t.
        h0: (n_h,) initial state h_0.
        W_hx: (n_h, n_x). W_hh: (n_h, n_h). W_yh: (n_y, n_h).

    Returns:
        hs: (T+1, n_h) states with hs[0] = h_0 and hs[t] = h_t.
        y_hats: (T, n_y) predictions, y_hats[t-1] = ŷ_t (each row sums to 1).
    """
    T, n_x = xs.shape  # time steps, input size
    # Step 1: for t = 1..T, z_t = W_hh h_{t-1} + W_hx x_t and h_t = ψ(z_t) = z_t.
    hs = [h0]
    for t in range(1, T + 1):
        z_t = W_hh @ hs[t - 1] + W_hx @ xs[t - 1]  # (n_h,)
        hs.append(z_t)
    hs = np.stack(hs)  # (T+1, n_h)
    # Step 2: o_t = W_yh h_t for every t at once, then a softmax over the classes.
    o = hs[1:] @ W_yh.T  # (T, n_h) @ (n_h, n_y) -> (T, n_y)
    return hs, softmax(o, axis=-1)


def cross_entropy(y_hats: np.ndarray, ys: np.ndarray) -> float:
    """The loss of HW5 §2, summed over time and classes (README §2).

        J = Σ_t J_t = -Σ_t Σ_i y_{t,i} log ŷ_{t,i}

    Args:
        y_hats: (T, n_y) predictions ŷ_t (rows are distributions).
        ys: (T, n_y) targets y_t, one-hot or distributions.

    Returns:
        J as a float (a sum, not a mean).
    """
    return float(-(ys * np.log(y_hats)).sum())  # (T, n_y) -> a number


def grad_o(y_hat_t: np.ndarray, y_t: np.ndarray) -> np.ndarray:
    """∂J_t/∂o_t, the gradient of the loss at step t w.r.t. the logits (HW5 §2.2.1, README §3).

        ∂J_t/∂o_t = ŷ_t - y_t          (y_t sums to 1)

    Args:
        y_hat_t: (n_y,) prediction ŷ_t. y_t: (n_y,) target.

    Returns:
        (n_y,) array.
    """
    return y_hat_t - y_t  # (n_y,)


def grad_h(g_o_t: np.ndarray, W_yh: np.ndarray, W_hh: np.ndarray, t: int,
           i: int) -> np.ndarray:
    """∂J_t/∂h_i, how the loss at step t depends on the state at step i (HW5 §2.2.2, README §4).

    J_t depends on h_i only through h_t = W_hh^{t-i} h_i + (terms without h_i), so

        ∂J_t/∂h_i = (W_hhᵀ)^{t-i} W_yhᵀ g_{o_t}      for 1 <= i <= t, g_{o_t} = ∂J_t/∂o_t
        ∂J_t/∂h_i = 0                               for i > t (the past ignores the future)

    Args:
        g_o_t: (n_y,) the gradient ∂J_t/∂o_t.
        W_yh: (n_y, n_h). W_hh: (n_h, n_h).
        t: the step of the loss, t >= 1. i: the step of the state, i >= 1.

    Returns:
        (n_h,) array.

    Raises:
        ValueError: if t < 1 or i < 1 (time is 1-based).
    """
    if t < 1 or i < 1:
        raise ValueError(f"grad_h: t and i are 1-based, got t={t}, i={i}")
    n_y, n_h = W_yh.shape  # classes, hidden size
    if i > t:
        return np.zeros(n_h, dtype=g_o_t.dtype)
    # Step 1: back through o_t = W_yh h_t.
    g = W_yh.T @ g_o_t  # (n_h,) = ∂J_t/∂h_t
    # Step 2: t - i steps back through h_k = W_hh h_{k-1} + ... (each step multiplies by W_hhᵀ).
    for _ in range(t - i):
        g = W_hh.T @ g  # (n_h,)
    return g


def grad_Whh_t(g_hs: np.ndarray, hs: np.ndarray, t: int) -> np.ndarray:
    """∂J_t/∂W_hh, the gradient of the loss at one step (HW5 §2.2.3, README §5).

    W_hh is used at every step i <= t, in z_i = W_hh h_{i-1} + ...; with ψ = identity,
    ∂J_t/∂z_i = ∂J_t/∂h_i = g_{h_i}, so

        ∂J_t/∂W_hh = Σ_{i=1}^{t} g_{h_i} h_{i-1}ᵀ        (a sum of outer products)

    Args:
        g_hs: (T, n_h) with g_hs[i-1] = g_{h_i} = ∂J_t/∂h_i (rows i > t are zero).
        hs: (T+1, n_h) states from rnn_forward, hs[i] = h_i and hs[0] = h_0.
        t: the step of the loss, 1 <= t <= T.

    Returns:
        (n_h, n_h) array, laid out like W_hh.
    """
    # Step 1: the rows i = 1..t: ∂J_t/∂h_i and the state h_{i-1} that W_hh multiplied.
    g = g_hs[:t]  # (t, n_h)
    h_prev = hs[:t]  # (t, n_h): h_0 .. h_{t-1}
    # Step 2: Σ_i g_i h_{i-1}ᵀ as one matrix product.
    return h_prev.T @ g  # (n_h, t) @ (t, n_h) -> (n_h, n_h)


def grad_Whh(xs: np.ndarray, ys: np.ndarray, h0: np.ndarray, W_hx: np.ndarray,
             W_hh: np.ndarray, W_yh: np.ndarray) -> np.ndarray:
    """∂J/∂W_hh = Σ_t g_{W_hh,t}, from the per-step pieces (HW5 §2.2.4, README §6).

    g_{W_hh,t} = ∂J_t/∂W_hh. Use rnn_forward, grad_o, grad_h and grad_Whh_t. (This direct sum
    costs O(T²) products; bptt in README §7 gets every gradient in O(T).)

    Args:
        xs: (T, n_x). ys: (T, n_y). h0: (n_h,). W_hx, W_hh, W_yh: as in rnn_forward.

    Returns:
        (n_h, n_h) array.
    """
    hs, y_hats = rnn_forward(xs, h0, W_hx, W_hh, W_yh)  # (T+1, n_h), (T, n_y)
    T = xs.shape[0]
    total = np.zeros_like(W_hh)  # (n_h, n_h)
    for t in range(1, T + 1):
        g_o_t = grad_o(y_hats[t - 1], ys[t - 1])  # (n_y,)
        g_hs = np.stack([grad_h(g_o_t, W_yh, W_hh, t, i) for i in range(1, T + 1)])  # (T, n_h)
        total = total + grad_Whh_t(g_hs, hs, t)
    return total


def bptt(xs: np.ndarray, ys: np.ndarray, h0: np.ndarray, W_hx: np.ndarray, W_hh: np.ndarray,
         W_yh: np.ndarray, activation: str = "identity") -> dict[str, np.ndarray]:
    """Every gradient of J in one backward sweep: backpropagation through time (README §7).

    Run forward once, keeping z_t and h_t. Then walk back from t = T to 1 carrying
    δ_t = ∂J/∂h_t, which collects the loss at t and everything after it:

        ∂J/∂o_t = ŷ_t - y_t
        δ_t = W_yhᵀ ∂J/∂o_t + W_hhᵀ ∂J/∂z_{t+1}        (the second term is 0 at t = T)
        ∂J/∂z_t = δ_t ⊙ ψ'(z_t)                        ψ' = 1 (identity) or 1 - h_t² (tanh)
        ∂J/∂W_yh += ∂J/∂o_t h_tᵀ,  ∂J/∂W_hh += ∂J/∂z_t h_{t-1}ᵀ,  ∂J/∂W_hx += ∂J/∂z_t x_tᵀ
        ∂J/∂h_0 = W_hhᵀ ∂J/∂z_1

    That is O(T) matrix-vector products, where summing grad_Whh_t over t is O(T²).

    Args:
        xs: (T, n_x). ys: (T, n_y). h0: (n_h,). W_hx, W_hh, W_yh: as in rnn_forward.
        activation: "identity" (ψ(z) = z) or "tanh" (ψ(z) = tanh z, the extra credit).

    Returns:
        {"W_hx": (n_h, n_x), "W_hh": (n_h, n_h), "W_yh": (n_y, n_h), "h0": (n_h,)}.

    Raises:
        ValueError: for any other activation.
    """
    if activation not in ("identity", "tanh"):
        raise ValueError(f"bptt: activation must be 'identity' or 'tanh', got {activation!r}")
    T, n_x = xs.shape  # time steps, input size
    # Step 1: forward, keeping every h_t (hs[t] = h_t, hs[0] = h_0).
    hs = [h0]
    for t in range(1, T + 1):
        z_t = W_hh @ hs[t - 1] + W_hx @ xs[t - 1]  # (n_h,)
        hs.append(np.tanh(z_t) if activation == "tanh" else z_t)
    hs = np.stack(hs)  # (T+1, n_h)
    y_hats = softmax(hs[1:] @ W_yh.T, axis=-1)  # (T, n_y)
    # Step 2: backward from t = T to 1, carrying ∂J/∂z_{t+1} from the future.
    g_W_hx, g_W_hh, g_W_yh = np.zeros_like(W_hx), np.zeros_like(W_hh), np.zeros_like(W_yh)
    g_z_next = np.zeros_like(h0)  # (n_h,) ∂J/∂z_{T+1} = 0
    for t in range(T, 0, -1):
        g_o_t = y_hats[t - 1] - ys[t - 1]  # (n_y,)
        delta = W_yh.T @ g_o_t + W_hh.T @ g_z_next  # (n_h,) ∂J/∂h_t
        g_z = delta * (1 - hs[t] ** 2) if activation == "tanh" else delta  # (n_h,)
        g_W_yh += np.outer(g_o_t, hs[t])  # (n_y, n_h)
        g_W_hh += np.outer(g_z, hs[t - 1])  # (n_h, n_h)
        g_W_hx += np.outer(g_z, xs[t - 1])  # (n_h, n_x)
        g_z_next = g_z
    return {"W_hx": g_W_hx, "W_hh": g_W_hh, "W_yh": g_W_yh, "h0": W_hh.T @ g_z_next}


def computational_graph(T: int) -> list[tuple[str, str]]:
    """The edges of the computational graph of HW5 §2.1, unrolled for T steps (README §8).

    Nodes: "x_t", "z_t", "h_t", "o_t", "y_hat_t", "y_t", "J_t" for t = 1..T, and "h_0",
    "W_hx", "W_hh", "W_yh", "J". An edge (a, b) means b is computed directly from a, e.g.
    ("h_0", "z_1"), ("W_hh", "z_1") and ("J_1", "J").

    Args:
        T: the number of steps, T >= 1.

    Returns:
        A list of (a, b) pairs of node names, each edge once (in any order).
    """
    edges = []
    for t in range(1, T + 1):
        edges += [(f"h_{t - 1}", f"z_{t}"), ("W_hh", f"z_{t}"), (f"x_{t}", f"z_{t}"),
                  ("W_hx", f"z_{t}"), (f"z_{t}", f"h_{t}"), (f"h_{t}", f"o_{t}"),
                  ("W_yh", f"o_{t}"), (f"o_{t}", f"y_hat_{t}"), (f"y_hat_{t}", f"J_{t}"),
                  (f"y_{t}", f"J_{t}"), (f"J_{t}", "J")]
    return edges
