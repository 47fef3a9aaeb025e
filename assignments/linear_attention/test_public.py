"""Public checks for the linear_attention assignment.

Run them with `nlpgrade check linear_attention linear_attention.py`.

These compare your functions with small examples worked out by hand (see the README), and
run one complexity check so you can see how they work. The hidden tests that grade your
submission are more thorough: leading batch dimensions, several n, k, h, d with h != d,
float32 and float64, full-rank and exactly low-rank inputs, argument checks, and the work
and memory of every function documented as O(nk).
"""

import math

import torch

from autograder.testing import assert_close, assert_equal, instrument, points


def _randn(*shape, seed):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed),
                       dtype=torch.float64)


@points(1)
def test_attention_weights_scale_scores_by_one_over_sqrt_h(student):
    """README §1: one query, two keys, h = 4, worked out by hand."""
    Q = torch.tensor([[2.0, 0.0, 0.0, 0.0]])
    K = torch.tensor([[1.0, 0.0, 0.0, 0.0],
                      [0.0, 1.0, 0.0, 0.0]])
    a = math.exp(2.0 / math.sqrt(4))  # exp(score of key 0) = exp(2/2); key 1 scores 0
    expected = torch.tensor([[a / (a + 1), 1 / (a + 1)]])
    unscaled = math.exp(2.0)
    assert_close(student.attention_weights(Q, K), expected, name="attention_weights(Q, K)",
                 mistakes={"you forget the 1/√h scaling":
                           torch.tensor([[unscaled / (unscaled + 1), 1 / (unscaled + 1)]])},
                 hint="P = softmax(Q Kᵀ / √h) over the keys, h = Q.shape[-1] = 4")


@points(1)
def test_low_rank_svd_of_a_rank_one_matrix_gives_it_back(student):
    """README §2: P = u vᵀ has one non-zero singular value, |u| |v| = 5 · 1."""
    u = torch.tensor([3.0, 4.0, 0.0], dtype=torch.float64)
    v = torch.tensor([0.0, 0.0, 1.0], dtype=torch.float64)
    P = torch.outer(u, v)
    result = student.low_rank_svd(P, 1)
    if not (isinstance(result, (tuple, list)) and len(result) == 3):
        raise AssertionError("low_rank_svd must return a tuple (U, S, Vh)")
    U, S, Vh = result
    assert_equal(tuple(U.shape), (3, 1), name="U.shape")
    assert_equal(tuple(S.shape), (1,), name="S.shape")
    assert_equal(tuple(Vh.shape), (1, 3), name="Vh.shape",
                 hint="Vh keeps k ROWS: Vh[..., :k, :]")
    assert_close(S, torch.tensor([5.0], dtype=torch.float64), name="S",
                 hint="keep the k LARGEST singular values: torch.linalg.svd returns them in "
                      "descending order, so take the first k")
    assert_close((U * S) @ Vh, P, name="U diag(S) Vh", rtol=1e-7, atol=1e-9,
                 hint="singular vectors may have either sign, but U diag(S) Vh must give P back")


@points(1)
def test_attention_from_svd_equals_the_product_written_out(student):
    """README §3: U diag(S) Vh V on a tiny example (n = 3, k = 1, d = 2)."""
    U = torch.tensor([[1.0], [0.0], [0.0]])
    S = torch.tensor([2.0])
    Vh = torch.tensor([[0.0, 1.0, 0.0]])
    V = torch.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    # P = U diag(S) Vh has a single non-zero entry P[0, 1] = 2, so P V = 2 * row 1 of V in row 0.
    expected = torch.tensor([[6.0, 8.0], [0.0, 0.0], [0.0, 0.0]])
    assert_close(student.attention_from_svd(U, S, Vh, V), expected,
                 name="attention_from_svd(U, S, Vh, V)",
                 mistakes={"you leave out S": torch.tensor([[3.0, 4.0], [0.0, 0.0],
                                                            [0.0, 0.0]])})


@points(1)
def test_attention_from_svd_never_builds_an_n_by_n_tensor(student):
    """README §3 and "How the complexity is checked": n = 512, k = 4, d = 8."""
    n, k, d = 512, 4, 8
    U = torch.linalg.qr(_randn(n, k, seed=1))[0]
    Vh = torch.linalg.qr(_randn(n, k, seed=2))[0].T
    S = torch.tensor([4.0, 3.0, 2.0, 1.0], dtype=torch.float64)
    V = _randn(n, d, seed=3)
    call = instrument(student.attention_from_svd, U, S, Vh, V)
    assert_close(call.result, (U * S) @ (Vh @ V), name="attention_from_svd(U, S, Vh, V)",
                 rtol=1e-7, atol=1e-9)
    if call.max_numel is None:
        raise AssertionError(f"the probes could not measure your call: {call.probe_error}")
    if call.max_numel >= n * n:
        shape = "×".join(str(s) for s in call.max_shape)
        raise AssertionError(f"largest intermediate {shape} = n² (n={n}), expected O(nk). "
                             "Hint: multiply from the right, U (S[:, None] * (Vh V)), and "
                             "never form U diag(S) Vh")


@points(1)
def test_projected_attention_without_projection_is_scaled_linear_attention(student):
    """README §5: with k = n, C = I/√h and D = I, Q (C K)ᵀ (D V) = (Q Kᵀ/√h) V."""
    n, h, d = 5, 4, 3
    Q, K, V = _randn(n, h, seed=4), _randn(n, h, seed=5), _randn(n, d, seed=6)
    eye = torch.eye(n, dtype=torch.float64)
    assert_close(student.projected_attention(Q, K, V, eye / math.sqrt(h), eye),
                 (Q @ K.T / math.sqrt(h)) @ V, name="projected_attention(Q, K, V, I/√h, I)",
                 rtol=1e-7, atol=1e-9, hint="no softmax and no extra scaling in §5")


@points(1)
def test_linformer_with_identity_projections_is_full_attention(student):
    """README §6: with k = n and E = F = I, Linformer is softmax(Q Kᵀ/√h) V."""
    n, h, d = 6, 4, 2
    Q, K, V = _randn(n, h, seed=7), _randn(n, h, seed=8), _randn(n, d, seed=9)
    eye = torch.eye(n, dtype=torch.float64)
    expected = torch.softmax(Q @ K.T / math.sqrt(h), dim=-1) @ V
    assert_close(student.linformer_attention(Q, K, V, eye, eye), expected,
                 name="linformer_attention(Q, K, V, I, I)", rtol=1e-7, atol=1e-9,
                 mistakes={"you project the queries (E Q) instead of the keys (E K)":
                           torch.softmax(Q @ Q.T / math.sqrt(h), dim=-1) @ V},
                 hint="softmax(Q (E K)ᵀ / √h) over the last dim, times F V")


@points(1)
def test_effective_rank_of_a_diagonal_matrix(student):
    """README §7: σ = 3, 2, 1, 0.5, so σ² = 9, 4, 1, 0.25 (sum 14.25)."""
    P = torch.diag(torch.tensor([3.0, 2.0, 1.0, 0.5], dtype=torch.float64))
    # shares of Σσ²: 0.632, 0.912, 0.982, 1.0
    assert_equal(student.effective_rank(P, 0.9), 2, name="effective_rank(diag(3, 2, 1, 0.5), 0.9)",
                 mistakes={"you return one less than the smallest r": 1,
                           "you sum σ instead of σ² (σ shares: 0.46, 0.77, 0.92, 1.0)": 3},
                 hint="9 + 4 = 13 of 14.25 is 91.2% >= 90%, so r = 2")
