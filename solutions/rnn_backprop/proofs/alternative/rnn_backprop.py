"""A correct rnn_backprop in another style: einsum, matrix powers, row vectors, no helpers shared.

Used by `nlpgrade prove rnn_backprop` to show that the tests accept any correct solution.
"""

import numpy as np


def softmax(o, axis=-1):
    shifted = o - np.max(o, axis=axis, keepdims=True)
    return np.exp(shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True)))


def rnn_forward(xs, h0, W_hx, W_hh, W_yh):
    inputs = np.einsum("hx,tx->th", W_hx, xs)  # all W_hx x_t at once
    states = np.empty((len(xs) + 1, len(h0)), dtype=h0.dtype)
    states[0] = h0
    for k, u in enumerate(inputs):
        states[k + 1] = states[k] @ W_hh.T + u
    logits = np.einsum("yh,th->ty", W_yh, states[1:])
    return states, softmax(logits, axis=1)


def cross_entropy(y_hats, ys):
    return -np.einsum("ty,ty->", ys, np.log(y_hats))


def grad_o(y_hat_t, y_t):
    return -(y_t - y_hat_t)


def grad_h(g_o_t, W_yh, W_hh, t, i):
    if min(t, i) <= 0:
        raise ValueError("time steps start at 1")
    if i > t:
        return np.zeros_like(W_hh[0], dtype=g_o_t.dtype)
    back = np.linalg.matrix_power(W_hh, t - i)  # (W_hh^k)^T = (W_hh^T)^k
    return (g_o_t @ W_yh) @ back


def grad_Whh_t(g_hs, hs, t):
    return np.einsum("ia,ib->ab", g_hs[:t], hs[:t])


def grad_Whh(xs, ys, h0, W_hx, W_hh, W_yh):
    hs, y_hats = rnn_forward(xs, h0, W_hx, W_hh, W_yh)
    T = len(xs)
    out = 0
    for t in range(1, T + 1):
        g = grad_o(y_hats[t - 1], ys[t - 1])
        rows = [grad_h(g, W_yh, W_hh, t, i) for i in range(1, T + 1)]
        out = out + grad_Whh_t(np.array(rows), hs, t)
    return out


def bptt(xs, ys, h0, W_hx, W_hh, W_yh, activation="identity"):
    if activation == "identity":
        psi, dpsi = (lambda z: z), np.ones_like
    elif activation == "tanh":
        psi, dpsi = np.tanh, (lambda h: 1 - h * h)
    else:
        raise ValueError("unknown activation " + str(activation))
    h = [h0]
    for x in xs:
        h.append(psi(W_hh @ h[-1] + W_hx @ x))
    H = np.array(h)
    d_o = softmax(H[1:] @ W_yh.T) - ys  # (T, n_y): every ∂J_t/∂o_t
    d_z = [None] * len(xs)
    carry = np.zeros_like(h0)
    for t in reversed(range(len(xs))):
        d_z[t] = (d_o[t] @ W_yh + carry) * dpsi(H[t + 1])
        carry = d_z[t] @ W_hh
    D = np.array(d_z)  # (T, n_h)
    return {"W_yh": d_o.T @ H[1:], "W_hh": D.T @ H[:-1], "W_hx": D.T @ xs, "h0": carry}


def computational_graph(T):
    per_step = ["h_{p}>z_{t}", "W_hh>z_{t}", "x_{t}>z_{t}", "W_hx>z_{t}", "z_{t}>h_{t}",
                "h_{t}>o_{t}", "W_yh>o_{t}", "o_{t}>y_hat_{t}", "y_hat_{t}>J_{t}",
                "y_{t}>J_{t}", "J_{t}>J"]
    return [tuple(e.format(t=t, p=t - 1).split(">")) for t in range(1, T + 1) for e in per_step]
