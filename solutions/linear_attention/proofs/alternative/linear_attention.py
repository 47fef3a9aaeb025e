"""Linear attention, written another way: einsum, eigendecompositions, 1/√h in D.

A correct solution in a different style from the reference, for `nlpgrade prove`: it must
score full marks. It uses einsum instead of @, `torch.linalg.eigh` of PᵀP (in float64) for
the right singular vectors in `projection_matrices`, puts the 1/√h into D instead of C, and
a searchsorted for the effective rank.
"""

from __future__ import annotations

import math

import torch


def attention_weights(Q, K):
    scores = torch.einsum("...ih,...jh->...ij", Q, K) * Q.shape[-1] ** -0.5
    scores = scores - scores.amax(dim=-1, keepdim=True)
    w = scores.exp()
    return w / w.sum(dim=-1, keepdim=True)


def low_rank_svd(P, k):
    n, m = P.shape[-2], P.shape[-1]
    if k < 1 or k > min(n, m):
        raise ValueError(f"k={k} is not in [1, {min(n, m)}]")
    U, S, Vh = torch.linalg.svd(P, full_matrices=False)
    keep = torch.arange(k, device=P.device)
    return U.index_select(-1, keep), S.index_select(-1, keep), Vh.index_select(-2, keep)


def attention_from_svd(U, S, Vh, V):
    small = torch.einsum("...kn,...nd->...kd", Vh, V)
    return torch.einsum("...nk,...k,...kd->...nd", U, S, small)


def projection_matrices(Q, K, k):
    n, h = Q.shape[-2], Q.shape[-1]
    if not (0 < k <= n):
        raise ValueError(f"k={k} is not in [1, {n}]")
    P = (Q @ K.transpose(-2, -1)).to(torch.float64) / math.sqrt(h)
    # The right singular vectors of P are the eigenvectors of PᵀP; eigh sorts ascending.
    _, vecs = torch.linalg.eigh(P.transpose(-2, -1) @ P)
    top = vecs.flip(-1)[..., :, :k].transpose(-2, -1).to(Q.dtype)  # (..., k, n)
    return top, top / math.sqrt(h)


def projected_attention(Q, K, V, C, D):
    ck = torch.einsum("...kn,...nh->...kh", C, K)
    dv = torch.einsum("...kn,...nd->...kd", D, V)
    return torch.einsum("...nh,...kh->...nk", Q, ck) @ dv


def linformer_attention(Q, K, V, E, F):
    keys = E @ K
    values = F @ V
    scores = torch.einsum("...nh,...kh->...nk", Q, keys) / math.sqrt(Q.shape[-1])
    return scores.softmax(-1) @ values


def effective_rank(P, energy=0.9):
    if energy <= 0 or energy > 1:
        raise ValueError(f"energy={energy} must be in (0, 1]")
    s2 = torch.linalg.svdvals(P) ** 2
    total = s2.sum(-1, keepdim=True)
    cum = s2.cumsum(-1)
    idx = torch.searchsorted(cum.contiguous(), (energy * total).contiguous())  # first cum >= target
    r = (idx.squeeze(-1) + 1).clamp(max=s2.shape[-1])
    return int(r) if r.ndim == 0 else r
