"""Public checks for attention_variance.

Run them with `nlpgrade check attention_variance attention_variance.py`.

They check the form of your answers and a few values you can work out by hand. The hidden
tests that grade your submission are more thorough: symbolic equivalence of your formulas,
numeric spot checks, the mean and variance of your samples, batched Jacobians against
torch.autograd, and the saturation curve of §5.
"""

import sympy
import torch

from autograder.expr import ExpressionError, parse_expression, values_at
from autograder.testing import assert_close, assert_equal, points
from autograder.wire import ExpressionText

MU = sympy.Symbol("mu", real=True)
SIGMA = sympy.Symbol("sigma", positive=True)
D = sympy.Symbol("d", positive=True)
SYMBOLS = {"mu": MU, "sigma": SIGMA, "d": D}


def _expression(got, name):
    if not isinstance(got, ExpressionText):
        raise AssertionError(f"{name}: type: got {type(got).__name__}, expected a sympy "
                             "expression built from the symbols mu, sigma, d")
    return parse_expression(str(got), SYMBOLS)


def _value(expr, mu, sigma, d):
    """The expression's value, computed by the grader in a process with limits."""
    try:
        (value,) = values_at(expr, [{"mu": mu, "sigma": sigma, "d": d}])
    except ExpressionError as err:
        raise AssertionError(f"{expr}: {err}") from None
    if value is None:
        raise AssertionError(f"{expr} is undefined or not real at mu = {mu}, sigma = {sigma}, "
                             f"d = {d}")
    return value


@points(1)
def test_dot_product_mean_is_zero_for_zero_mean_vectors(student):
    """README §1: with μ = 0 the mean of q·k is 0, whatever σ and d."""
    expr = _expression(student.dot_product_mean(MU, SIGMA, D), "dot_product_mean(mu, sigma, d)")
    assert_close(_value(expr, 0.0, 1.7, 10), 0.0,
                 name="dot_product_mean at mu = 0, sigma = 1.7, d = 10")


@points(1)
def test_dot_product_variance_of_standard_normal_vectors_is_d(student):
    """README §2: for μ = 0, σ = 1 (the case of the handout), Var[q·k] = d."""
    expr = _expression(student.dot_product_variance(MU, SIGMA, D),
                       "dot_product_variance(mu, sigma, d)")
    for d in (1, 64):
        assert_close(_value(expr, 0.0, 1.0, d), float(d),
                     name=f"dot_product_variance at mu = 0, sigma = 1, d = {d}",
                     hint="each term q_j k_j has variance 1 when μ = 0 and σ = 1")


@points(1)
def test_sample_dot_products_returns_one_draw_per_sample(student):
    """README §3: a (n_samples,) float64 tensor."""
    got = student.sample_dot_products(0.0, 1.0, 8, 100, torch.Generator().manual_seed(0))
    assert_equal(tuple(got.shape), (100,), name="sample_dot_products(0, 1, 8, 100, g).shape")
    assert_equal(got.dtype, torch.float64, name="sample_dot_products(...).dtype")


@points(1)
def test_softmax_jacobian_of_equal_scores(student):
    """README §4: p = (1/3, 1/3, 1/3), so J = I/3 - 1/9."""
    got = student.softmax_jacobian(torch.zeros(3, dtype=torch.float64))
    expected = torch.eye(3, dtype=torch.float64) / 3 - 1 / 9
    assert_close(got, expected, name="softmax_jacobian(zeros(3))",
                 mistakes={"you leave out the -p pᵀ term": torch.eye(3, dtype=torch.float64) / 3},
                 hint="J[i, j] = ∂p_i/∂s_j; differentiate p_i = exp(s_i) / Σ_k exp(s_k)")


@points(1)
def test_max_attention_weight_with_one_key_is_one(student):
    """README §5: with a single key the softmax weight is always 1."""
    got = student.max_attention_weight(4, 1, True, 10, torch.Generator().manual_seed(0))
    assert_close(got, 1.0, name="max_attention_weight(d=4, n_keys=1, scaled=True, n_trials=10)")
