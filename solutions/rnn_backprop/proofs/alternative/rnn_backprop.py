"""A correct rnn_backprop in another style: einsum, matrix powers, row vectors, no helpers shared.

Used by `nlpgrade prove rnn_backprop` to show that the tests accept any correct solution.
"""

import torch


def rnn_forward(xs, h0, W_hx, W_hh, W_yh):
    inputs = torch.einsum("hx,tx->th", W_hx, xs)  # all W_hx x_t at once
    states = h0.unsqueeze(0)
    for u in inputs:
        states = torch.cat([states, (states[-1] @ W_hh.T + u).unsqueeze(0)])
    logits = torch.einsum("yh,th->ty", W_yh, states[1:])
    return states, torch.exp(torch.log_softmax(logits, dim=1))


def cross_entropy(y_hats, ys):
    return -torch.einsum("ty,ty->", ys, y_hats.log())


def grad_o(y_hat_t, y_t):
    return -(y_t - y_hat_t)


def grad_h(g_o_t, W_yh, W_hh, t, i):
    if min(t, i) <= 0:
        raise ValueError("time steps start at 1")
    if i > t:
        return g_o_t.new_zeros(W_hh.shape[1])
    back = torch.linalg.matrix_power(W_hh, t - i)  # (W_hh^k)^T = (W_hh^T)^k
    return (g_o_t @ W_yh) @ back


def grad_Whh_t(g_hs, hs, t):
    return torch.einsum("ia,ib->ab", g_hs[:t], hs[:t])


def grad_Whh(xs, ys, h0, W_hx, W_hh, W_yh):
    hs, y_hats = rnn_forward(xs, h0, W_hx, W_hh, W_yh)
    T = len(xs)
    out = 0
    for t in range(1, T + 1):
        g = grad_o(y_hats[t - 1], ys[t - 1])
        rows = [grad_h(g, W_yh, W_hh, t, i) for i in range(1, T + 1)]
        out = out + grad_Whh_t(torch.stack(rows), hs, t)
    return out


def bptt(xs, ys, h0, W_hx, W_hh, W_yh, activation="identity"):
    if activation == "identity":
        psi, dpsi = (lambda z: z), (lambda h: torch.ones_like(h))
    elif activation == "tanh":
        psi, dpsi = torch.tanh, (lambda h: 1 - h * h)
    else:
        raise ValueError("unknown activation " + str(activation))
    h = [h0]
    for x in xs:
        h.append(psi(W_hh @ h[-1] + W_hx @ x))
    H = torch.stack(h)
    d_o = torch.softmax(H[1:] @ W_yh.T, dim=-1) - ys  # (T, n_y): every ∂J_t/∂o_t
    d_z = [None] * len(xs)
    carry = torch.zeros_like(h0)
    for t in reversed(range(len(xs))):
        d_z[t] = (d_o[t] @ W_yh + carry) * dpsi(H[t + 1])
        carry = d_z[t] @ W_hh
    D = torch.stack(d_z)  # (T, n_h)
    return {"W_yh": d_o.T @ H[1:], "W_hh": D.T @ H[:-1], "W_hx": D.T @ xs, "h0": carry}


def computational_graph(T):
    per_step = ["h_{p}>z_{t}", "W_hh>z_{t}", "x_{t}>z_{t}", "W_hx>z_{t}", "z_{t}>h_{t}",
                "h_{t}>o_{t}", "W_yh>o_{t}", "o_{t}>y_hat_{t}", "y_hat_{t}>J_{t}",
                "y_{t}>J_{t}", "J_{t}>J"]
    return [tuple(e.format(t=t, p=t - 1).split(">")) for t in range(1, T + 1) for e in per_step]
