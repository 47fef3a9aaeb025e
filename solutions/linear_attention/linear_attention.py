"""Linear attention: self-attention in O(n) when the attention matrix has low rank.

Homework 5 §3.2 and §3.3 (extra credit); README.md has the task and the maths, cited as §N.

Notation, used by every function here (the handout's):

* n is the sequence length, h the query/key dimension, d the value dimension, k the rank.
* Q, K are (..., n, h) and V is (..., n, d). Any number of leading batch dimensions (batch,
  heads, ...) is allowed; they broadcast like ``torch.matmul``.
* P = softmax(Q Kᵀ / √h) is the (..., n, n) attention matrix, and self-attention is P V.
* The truncated SVD of P is U diag(S) Vh with U (..., n, k), S (..., k), Vh (..., k, n), as
  ``torch.linalg.svd`` names them (Vh is Vᵀ: its ROWS are the right singular vectors).

The point of the assignment is the order of the products: a function documented as O(nk)
must never build an n×n tensor, and its work must grow linearly in n. The grader measures
both (README "How the complexity is checked").

References: HW5 §3.2–§3.3; Vaswani et al. 2017, "Attention Is All You Need", eq. (1);
Wang et al. 2020, "Linformer: Self-Attention with Linear Complexity", §4, eq. (7).
"""

from __future__ import annotations

import math

import torch

__all__ = [
    "attention_weights",
    "low_rank_svd",
    "attention_from_svd",
    "projection_matrices",
    "projected_attention",
    "linformer_attention",
    "effective_rank",
]


def attention_weights(Q: torch.Tensor, K: torch.Tensor) -> torch.Tensor:
    """The attention matrix P = softmax(Q Kᵀ / √h), softmax over the keys (README §1).

        S = Q Kᵀ / √h          (..., n, n)    S_ij = q_i · k_j / √h
        P_i = softmax(S_i)     each row (one query) sums to 1 over the keys j

    Args:
        Q: (..., n, h) queries.
        K: (..., n, h) keys.

    Returns:
        (..., n, n) tensor P, in the dtype of Q.
    """
    ### BEGIN SOLUTION
    h = Q.shape[-1]  # query/key dimension
    # Step 1: the scaled scores of every query against every key.
    scores = Q @ K.transpose(-2, -1) / math.sqrt(h)  # (..., n, h) @ (..., h, n) -> (..., n, n)
    # Step 2: normalise over the keys (the last dim), so each query's weights sum to 1.
    return torch.softmax(scores, dim=-1)  # (..., n, n)
    ### END SOLUTION


def low_rank_svd(P: torch.Tensor, k: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The rank-k truncated SVD of P: the k largest singular values and their vectors (§2).

        P = U_full diag(S_full) Vh_full          (torch.linalg.svd, S_full descending)
        U = U_full[..., :, :k]    S = S_full[..., :k]    Vh = Vh_full[..., :k, :]

    U diag(S) Vh is the best rank-k approximation of P (Eckart–Young), and equals P when
    rank(P) <= k. Singular vectors are only defined up to sign, so any valid signs are fine.

    Args:
        P: (..., n, m) matrix (the attention matrix, m = n, in this homework).
        k: the rank, 1 <= k <= min(n, m).

    Returns:
        (U, S, Vh): U (..., n, k) with orthonormal columns, S (..., k) non-negative and in
        descending order, Vh (..., k, m) with orthonormal rows; all in the dtype of P.

    Raises:
        ValueError: if k is not in [1, min(n, m)].
    """
    ### BEGIN SOLUTION
    n, m = P.shape[-2:]  # rows, columns
    if not 1 <= k <= min(n, m):
        raise ValueError(f"low_rank_svd: k must be in [1, {min(n, m)}] for a {n}×{m} matrix, "
                         f"got {k}")
    # Step 1: the thin SVD; S comes sorted in descending order.
    U, S, Vh = torch.linalg.svd(P, full_matrices=False)  # (..., n, r), (..., r), (..., r, m)
    # Step 2: keep the k LARGEST: the first k columns of U, the first k ROWS of Vh.
    return U[..., :, :k], S[..., :k], Vh[..., :k, :]  # (..., n, k), (..., k), (..., k, m)
    ### END SOLUTION


def attention_from_svd(
    U: torch.Tensor, S: torch.Tensor, Vh: torch.Tensor, V: torch.Tensor
) -> torch.Tensor:
    """Self-attention P V from the SVD of P = U diag(S) Vh, in O(nkd) (README §3, HW5 §3.2).

        P V = U diag(S) (Vh V) = U (S[:, None] * (Vh V))

        Vh V:          (k, n) @ (n, d) -> (k, d)       2nkd FLOPs
        S[:, None] *:  (k, d)                          kd
        U @:           (n, k) @ (k, d) -> (n, d)       2nkd

    Multiplying from the right never forms the n×n matrix U diag(S) Vh, which would cost
    O(n²k + n²d) work and O(n²) memory.

    Args:
        U: (..., n, k), S: (..., k), Vh: (..., k, n): the (truncated) SVD of P.
        V: (..., n, d) values.

    Returns:
        (..., n, d) tensor P V, in the dtype of V.
    """
    ### BEGIN SOLUTION
    # Step 1: project the values onto the k right singular vectors.
    VhV = Vh @ V  # (..., k, n) @ (..., n, d) -> (..., k, d)
    # Step 2: scale row i by sigma_i (diag(S) times a matrix, without building diag(S)).
    SVhV = S[..., :, None] * VhV  # (..., k, 1) * (..., k, d) -> (..., k, d)
    # Step 3: map back to the n positions.
    return U @ SVhV  # (..., n, k) @ (..., k, d) -> (..., n, d)
    ### END SOLUTION


def projection_matrices(
    Q: torch.Tensor, K: torch.Tensor, k: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Projections C, D (each k×n) with Q (C K)ᵀ (D V) = (Q Kᵀ / √h) V for EVERY V (§4, HW5 §3.3).

    Let P = Q Kᵀ / √h (no softmax) have rank <= k, with truncated SVD P = U diag(S) Vh,
    Vh (k, n). The rows of P lie in the row space of Vh, so P Vhᵀ Vh = P. Choose

        C = Vh / √h,    D = Vh

    Then Q (C K)ᵀ (D V) = Q Kᵀ Vhᵀ Vh V / √h = P Vhᵀ Vh V = P V. (Putting 1/√h into D
    instead of C works as well: only the product Cᵀ D matters.)

    Computing C and D costs a full SVD of an n×n matrix; it shows that the projections
    EXIST. Linformer (§6) learns them instead.

    Args:
        Q: (..., n, h) queries.
        K: (..., n, h) keys.
        k: the rank, 1 <= k <= n.

    Returns:
        (C, D), each (..., k, n), in the dtype of Q.

    Raises:
        ValueError: if k is not in [1, n].
    """
    ### BEGIN SOLUTION
    n, h = Q.shape[-2:]  # length, query/key dimension
    if not 1 <= k <= n:
        raise ValueError(f"projection_matrices: k must be in [1, {n}], got {k}")
    # Step 1: P = Q Kᵀ / √h, without the softmax.
    P = Q @ K.transpose(-2, -1) / math.sqrt(h)  # (..., n, n)
    # Step 2: the top-k right singular vectors span the row space of P.
    _, _, Vh = torch.linalg.svd(P, full_matrices=False)  # (..., n, n)
    Vh = Vh[..., :k, :]  # (..., k, n)
    # Step 3: D projects onto that row space; C carries the 1/√h.
    return Vh / math.sqrt(h), Vh  # C (..., k, n), D (..., k, n)
    ### END SOLUTION


def projected_attention(
    Q: torch.Tensor, K: torch.Tensor, V: torch.Tensor, C: torch.Tensor, D: torch.Tensor
) -> torch.Tensor:
    """Q (C K)ᵀ (D V) in O(nk(h + d)), by choosing the order of the products (README §5).

        CK = C K           (k, n) @ (n, h) -> (k, h)      2nkh FLOPs
        DV = D V           (k, n) @ (n, d) -> (k, d)      2nkd
        A  = Q (CK)ᵀ       (n, h) @ (h, k) -> (n, k)      2nkh
        A DV               (n, k) @ (k, d) -> (n, d)      2nkd

    Never group it as (Q (CK)ᵀ D) V: Q (CK)ᵀ D is n×n, which costs O(n²) work and memory.

    Args:
        Q: (..., n, h), K: (..., n, h), V: (..., n, d).
        C, D: (..., k, n) projections (e.g. from ``projection_matrices``); a (k, n) pair is
            shared by every batch element (broadcasting).

    Returns:
        (..., n, d) tensor, in the dtype of V.
    """
    ### BEGIN SOLUTION
    # Step 1: shrink the keys and the values from n rows to k rows.
    CK = C @ K  # (..., k, n) @ (..., n, h) -> (..., k, h)
    DV = D @ V  # (..., k, n) @ (..., n, d) -> (..., k, d)
    # Step 2: scores of each query against the k projected keys.
    A = Q @ CK.transpose(-2, -1)  # (..., n, h) @ (..., h, k) -> (..., n, k)
    # Step 3: mix the k projected values.
    return A @ DV  # (..., n, k) @ (..., k, d) -> (..., n, d)
    ### END SOLUTION


def linformer_attention(
    Q: torch.Tensor, K: torch.Tensor, V: torch.Tensor, E: torch.Tensor, F: torch.Tensor
) -> torch.Tensor:
    """Linformer attention softmax(Q (E K)ᵀ / √h) (F V), in O(nk(h + d)) (README §6).

    Wang et al. 2020, eq. (7): project the n keys and the n values to k rows with learned
    E, F (k×n), then attend over the k projected keys:

        EK = E K                      (k, n) @ (n, h) -> (k, h)
        FV = F V                      (k, n) @ (n, d) -> (k, d)
        A  = softmax(Q EKᵀ / √h)      (n, h) @ (h, k) -> (n, k), softmax over the k keys
        A FV                          (n, k) @ (k, d) -> (n, d)

    The softmax is kept (unlike §5), so the result is not exactly P V, but the cost is linear
    in n and no n×n tensor is ever built.

    Args:
        Q: (..., n, h), K: (..., n, h), V: (..., n, d).
        E, F: (..., k, n) projections; a (k, n) pair is shared by every batch element.

    Returns:
        (..., n, d) tensor, in the dtype of V.
    """
    ### BEGIN SOLUTION
    h = Q.shape[-1]  # query/key dimension
    # Step 1: project the keys and the values (never the queries).
    EK = E @ K  # (..., k, n) @ (..., n, h) -> (..., k, h)
    FV = F @ V  # (..., k, n) @ (..., n, d) -> (..., k, d)
    # Step 2: each query attends over the k projected keys.
    A = torch.softmax(Q @ EK.transpose(-2, -1) / math.sqrt(h), dim=-1)  # (..., n, k)
    # Step 3: mix the k projected values.
    return A @ FV  # (..., n, k) @ (..., k, d) -> (..., n, d)
    ### END SOLUTION


def effective_rank(P: torch.Tensor, energy: float = 0.9) -> int | torch.Tensor:
    """The smallest r whose top r singular values hold at least `energy` of Σσ² (§7).

        r = min { r : (σ_1² + ... + σ_r²) / (σ_1² + ... + σ_m²) >= energy }

    with σ_1 >= σ_2 >= ... the singular values of P. It measures how low-rank an attention
    matrix is in practice: P is rarely exactly rank k, but often r << n.

    Args:
        P: (..., n, m) matrix, not all zeros.
        energy: the share of Σσ² to keep, 0 < energy <= 1.

    Returns:
        a Python int for a single (n, m) matrix; for a batch (..., n, m), a torch.long tensor
        of shape (...) with the effective rank of each matrix.

    Raises:
        ValueError: if energy is not in (0, 1].
    """
    ### BEGIN SOLUTION
    if not 0 < energy <= 1:
        raise ValueError(f"effective_rank: energy must be in (0, 1], got {energy}")
    # Step 1: the squared singular values, largest first.
    sigma2 = torch.linalg.svdvals(P).square()  # (..., m')  with m' = min(n, m)
    # Step 2: the share of the total held by the top r values, for r = 1 .. m'.
    share = sigma2.cumsum(dim=-1) / sigma2.sum(dim=-1, keepdim=True)  # (..., m')
    # Step 3: r is one more than the number of prefixes that fall short of `energy`.
    # Hint: clamp, so that rounding (a last share of 0.9999999 < 1.0) cannot give r > m'.
    r = ((share < energy).sum(dim=-1) + 1).clamp(max=sigma2.shape[-1])  # (...)
    return int(r) if r.ndim == 0 else r
    ### END SOLUTION
