"""A correct attention_variance in another style: factored formulas, numpy-like loops, einsum.

Used by `nlpgrade prove attention_variance` to show that the tests accept any correct solution.
"""

import sympy
import torch


def dot_product_mean(mu, sigma, d):
    return sympy.Mul(d, sympy.Pow(mu, 2))


def dot_product_variance(mu, sigma, d):
    # factored, with sigma written as sqrt(sigma**2): equivalent, not identical
    return d * sigma**2 * (sympy.sqrt(sigma**2) ** 2 + 2 * mu**2)


def sample_dot_products(mu, sigma, d, n_samples, generator=None):
    pairs = torch.normal(mean=float(mu), std=float(sigma), size=(2, n_samples, d),
                         generator=generator, dtype=torch.float64)
    return torch.einsum("nd,nd->n", pairs[0], pairs[1])


def softmax_jacobian(scores):
    p = scores.softmax(-1)
    n = scores.shape[-1]
    eye = torch.eye(n, dtype=scores.dtype, device=scores.device)
    # p_i (δ_ij - p_j)
    return p.unsqueeze(-1) * (eye - p.unsqueeze(-2))


def max_attention_weight(d, n_keys, scaled, n_trials, generator=None):
    total = 0.0
    scale = d ** -0.5 if scaled else 1.0
    for _ in range(n_trials):
        q = torch.randn(d, generator=generator, dtype=torch.float64)
        keys = torch.randn(n_keys, d, generator=generator, dtype=torch.float64)
        total += torch.softmax(keys @ q * scale, dim=0).max().item()
    return total / n_trials
