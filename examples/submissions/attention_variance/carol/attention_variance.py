"""Why attention divides by sqrt(d): the variance of q·k, by hand and by sampling.

Homework 5, §3.5 and §3.1 (README.md has the task; its sections are cited as README §N below).

HW5 §3.5: a query and a key are independent Gaussian vectors in R^d,

    q ~ N(μ 1, σ² I),   k ~ N(μ 1, σ² I),   s = q·k = Σ_{j=1}^{d} q_j k_j.

Every term q_j k_j is independent of the others, so the mean and the variance of s are d times
those of one term. With unscaled scores the variance grows linearly in d, the softmax saturates
(one weight near 1, the others near 0) and its gradients vanish; dividing the scores by sqrt(d)
keeps their variance at the size of one term (Vaswani et al. 2017, §3.2.1, footnote 4).

The closed forms are sympy expressions of the symbols the caller passes (μ real; σ and d
positive), so that they can be checked symbolically.
"""

from __future__ import annotations

import math

import sympy
import torch

__all__ = [
    "dot_product_mean",
    "dot_product_variance",
    "sample_dot_products",
    "softmax_jacobian",
    "max_attention_weight",
]


def dot_product_mean(mu: sympy.Symbol, sigma: sympy.Symbol, d: sympy.Symbol) -> sympy.Expr:
    """E[q·k] for independent q, k ~ N(μ 1, σ² I) in R^d, as a sympy expression (README §1).

        E[q·k] = Σ_j E[q_j] E[k_j]          (independence)

    Args:
        mu: the symbol μ (real). sigma: the symbol σ (positive). d: the symbol d (positive).

    Returns:
        A sympy expression in these symbols (not all of them need to appear).
    """
    # Step 1: one term: E[q_j k_j] = E[q_j] E[k_j] = μ · μ.
    term = mu * mu
    # Step 2: d independent, identically distributed terms.
    return sympy.expand(d * term)


def dot_product_variance(mu: sympy.Symbol, sigma: sympy.Symbol, d: sympy.Symbol) -> sympy.Expr:
    """Var[q·k] for independent q, k ~ N(μ 1, σ² I) in R^d, as a sympy expression (README §2).

        Var[q·k] = Σ_j Var[q_j k_j]                   (the terms are independent)
        Var[q_j k_j] = E[q_j²] E[k_j²] - (E[q_j] E[k_j])²,   E[q_j²] = σ² + μ²

    Args:
        mu: the symbol μ (real). sigma: the symbol σ (positive). d: the symbol d (positive).

    Returns:
        A sympy expression in these symbols.
    """
    # Step 1: the second moment of one coordinate: E[q_j²] = Var[q_j] + E[q_j]².
    second = sigma**2 + mu**2
    # Step 2: the variance of one product of independent coordinates.
    term = sigma**4
    # Step 3: d independent terms: variances add.
    return sympy.expand(d * term)


def sample_dot_products(mu: float, sigma: float, d: int, n_samples: int,
                        generator: torch.Generator | None = None) -> torch.Tensor:
    """Monte Carlo draws of q·k, to check the formulas of README §1-2 (README §3).

    Draw n_samples independent pairs q, k ~ N(μ 1, σ² I) in R^d and return their dot products.

    Args:
        mu: the mean μ of every coordinate. sigma: the standard deviation σ (> 0).
        d: the dimension. n_samples: how many pairs.
        generator: draw every random number from it (None: torch's global generator).

    Returns:
        (n_samples,) float64 tensor of q·k values.
    """
    # Step 1: n_samples queries and keys, one per row: x = μ + σ ε with ε ~ N(0, I).
    q = mu + sigma * torch.randn(n_samples, d, generator=generator, dtype=torch.float64)  # (N, d)
    k = mu + sigma * torch.randn(n_samples, d, generator=generator, dtype=torch.float64)  # (N, d)
    # Step 2: one dot product per row.
    return (q * k).sum(dim=-1)  # (N,)


def softmax_jacobian(scores: torch.Tensor) -> torch.Tensor:
    """The Jacobian of p = softmax(s) with respect to s, batched over leading dims (README §4).

        ∂p_i/∂s_j = p_i (δ_ij - p_j),   i.e.   J = diag(p) - p pᵀ

    When one weight is near 1 (a saturated softmax), every entry of J is near 0: the gradient
    that reaches the scores vanishes. This is why large score variances hurt training.

    Args:
        scores: (..., n) scores s; the softmax is over the last dimension.

    Returns:
        (..., n, n) tensor J with J[..., i, j] = ∂p_i/∂s_j, in the dtype of scores.
    """
    p = torch.softmax(scores, dim=-1)  # (..., n)
    diag = torch.diag_embed(p)  # (..., n, n)
    outer = p.unsqueeze(-1) * p.unsqueeze(-2)  # (..., n, 1) * (..., 1, n) -> (..., n, n)
    return diag - outer


def max_attention_weight(d: int, n_keys: int, scaled: bool, n_trials: int,
                         generator: torch.Generator | None = None) -> float:
    """The average largest attention weight of one query against n_keys keys (README §5).

    In each trial draw a query q ~ N(0, I_d) and keys k_1..k_n ~ N(0, I_d), compute the scores
    s_j = q·k_j (divided by sqrt(d) when `scaled`), and take max_j softmax(s)_j. Return the
    mean of that maximum over n_trials trials. Unscaled, Var[s_j] = d and the maximum tends to
    1 as d grows (a one-hot softmax); scaled, Var[s_j] = 1 whatever d is.

    Args:
        d: the dimension of queries and keys. n_keys: the number n of keys.
        scaled: divide the scores by sqrt(d). n_trials: the number of trials.
        generator: draw every random number from it (None: torch's global generator).

    Returns:
        The mean over trials of the largest weight, a Python float in [1/n_keys, 1].
    """
    q = torch.randn(n_trials, 1, d, generator=generator, dtype=torch.float64)  # (N, 1, d)
    k = torch.randn(n_trials, n_keys, d, generator=generator, dtype=torch.float64)  # (N, n, d)
    scores = (q * k).sum(dim=-1)  # (N, n)
    if scaled:
        scores = scores / math.sqrt(d)
    weights = torch.softmax(scores, dim=-1)  # (N, n)
    return float(weights.max(dim=-1).values.mean())
