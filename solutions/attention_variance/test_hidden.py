"""Hidden tests for the attention_variance assignment: the ones that grade.

One block per function, in README order; each test checks one property so that a partly right
function earns part of its points. Messages stand alone (students never see this file).

Symbolic answers (§1-2). The student's sympy expression crosses from the sandbox as text
(`ExpressionText`) and is parsed here with the engine's safe parser (`parse_expression`: an AST
allowlist over the symbols we pass, never eval or sympify). It is then compared with the
reference by `compare`, in a child process with memory and time limits (never evaluated in the
grader: `d**(d**d)` would compute 10**(10**10) at d = 10): equal only when the difference is
proven 0, with random points that respect the assumptions (μ real, σ and d positive) only to
reject; the same child evaluates both at fixed points for the spot checks and the message, and
names the catalogued wrong formula the answer is equal to, if any.

Statistics (§3 and §5). The student's random draws are their own, so their output is never
compared with the reference's element by element. Every statistic is compared with its exact
value (or, for §5, with a large Monte Carlo estimate made here with our own generator) at a
tolerance of SIGMAS = 6 standard errors:

* §3, the mean of n draws of s = q·k: SE = sqrt(Var[s] / n), with Var[s] from the closed form.
* §3, the sample variance: SE = sqrt((m4 - Var[s]²) / n), where m4 is the exact fourth central
  moment of s: s is a sum of d i.i.d. terms X = q_j k_j whose raw moments are
  E[X^r] = (E[q^r])² (Gaussian moments), so m4 = d κ4(X) + 3 Var[s]² by additivity of
  cumulants (`_exact_moments`).
* §5, the mean of a bounded statistic: SE = sd · sqrt(1/n_student + 1/n_ours), with sd the
  standard deviation of our own draws.

A correct implementation fails a 6-sigma check with probability about 2e-9 (normal tail;
n >= 4000 so the CLT holds well), whatever order it draws its numbers in. Every catalogued
mistake moves its statistic by more than 30 standard errors at these sizes (NOTES.md), so its
detection does not depend on luck. All generators are seeded with constants: re-grading a
submission gives the same result.
"""

import math

import sympy
import torch

from autograder.expr import ExpressionError, compare, parse_expression
from autograder.testing import assert_close, assert_equal, points
from autograder.wire import ExpressionText

SIGMAS = 6.0
F64 = torch.float64
MU = sympy.Symbol("mu", real=True)
SIGMA = sympy.Symbol("sigma", positive=True)
D = sympy.Symbol("d", positive=True)
SYMBOLS = {"mu": MU, "sigma": SIGMA, "d": D}
POINTS = [(0.0, 1.0, 1), (0.5, 2.0, 64), (-1.5, 0.3, 7), (2.0, 0.5, 3)]


# --------------------------------------------------------------------------------------------
# symbolic answers
# --------------------------------------------------------------------------------------------

def _parse(got, name, symbols):
    """The student's return value as a sympy expression over `symbols`, or a teaching failure."""
    names = ", ".join(symbols)
    if isinstance(got, ExpressionText):
        try:
            return parse_expression(str(got), symbols)
        except ExpressionError as err:
            raise AssertionError(
                f"{name}: your expression {str(got)[:200]!r} could not be read: {err}. Build it "
                f"from the symbols you are given ({names}) with + - * / ** and sympy "
                "functions; do not create new symbols") from None
    if isinstance(got, (int, float)) and not isinstance(got, bool):
        return sympy.nsimplify(got)
    if isinstance(got, str):
        raise AssertionError(f"{name}: type: got a string {got[:100]!r}, expected a sympy "
                             f"expression of {names} (return the expression, not its text)")
    raise AssertionError(f"{name}: type: got {type(got).__name__}, expected a sympy expression "
                         f"of {names}")


def _points(symbols, points):
    m, s, n = symbols.values()
    return [{m.name: mu, s.name: sigma, n.name: d} for mu, sigma, d in points]


def _differs(got, expected):
    return got is None or expected is None or abs(got - expected) > 1e-9 * max(1.0, abs(expected))


def _shown(value):
    return "undefined" if value is None else f"{value:.6g}"


def _check_symbolic(got_expr, expected, name, mistakes, symbols, hint):
    """Equivalence, the values where it differs, and the mistake it matches: all decided in
    a child process with limits (autograder.expr.compare), never evaluated here."""
    decision = compare(got_expr, expected, points=_points(symbols, POINTS[1:]),
                       mistakes=mistakes)
    if decision.verdict == "equal":
        return
    m, s, n = symbols.values()
    shown = decision.shown or sympy.sstr(got_expr)[:200]
    message = (f"{name}: got {shown}, which is not equivalent to the answer"
               if decision.verdict == "different" else
               f"{name}: got {shown}, which could not be shown equivalent to the answer "
               f"({decision.reason})")
    for (mu, sigma, d), (g, e) in zip(POINTS[1:], decision.values, strict=False):
        if _differs(g, e):
            message += (f" (at {m} = {mu}, {s} = {sigma}, {n} = {d}: got {_shown(g)}, "
                        f"expected {_shown(e)})")
            break
    if decision.mistake:
        message += f". Your expression is what you get when {decision.mistake}"
    raise AssertionError(message + f". Hint: {hint}")


def _check_spots(got_expr, expected, name, symbols):
    decision = compare(got_expr, expected, points=_points(symbols, POINTS))
    if decision.verdict == "equal":
        return
    if len(decision.values) != len(POINTS):
        raise AssertionError(f"{name}: your expression could not be evaluated within the "
                             f"grader's limits ({decision.reason})")
    m, s, n = symbols.values()
    for (mu, sigma, d), (g, e) in zip(POINTS, decision.values, strict=True):
        if _differs(g, e):
            raise AssertionError(f"{name} at {m} = {mu}, {s} = {sigma}, {n} = {d}: got "
                                 f"{_shown(g)}, expected {_shown(e)}")


def _mean_mistakes(mu, sigma, d):
    return {"you forget the factor d: there are d independent terms q_j k_j": mu**2,
            "you use d² instead of d (the mean of a sum of d terms is d times one mean)":
                d**2 * mu**2,
            "you assume zero-mean vectors (E[q_j] = μ, not 0)": sympy.Integer(0),
            "you use E[q_j k_j] = μ instead of μ · μ": d * mu,
            "you use E[q_j²] = σ² + μ² (q and k are independent: E[q_j k_j] = E[q_j] E[k_j])":
                d * (sigma**2 + mu**2)}


def _var_mistakes(mu, sigma, d):
    return {"you leave out the 2μ²σ² term (Var[q_j k_j] = σ⁴ + 2μ²σ²)": d * sigma**4,
            "you use d² instead of d (variances of independent terms add: d times one)":
                d**2 * (sigma**4 + 2 * mu**2 * sigma**2),
            "you give the cross term μ²σ² a factor 1 instead of 2":
                d * (sigma**4 + mu**2 * sigma**2),
            "you forget to subtract (E[q_j k_j])² = μ⁴ (that is E[(q_j k_j)²], not the variance)":
                d * (sigma**2 + mu**2) ** 2,
            "you forget the factor d": sigma**4 + 2 * mu**2 * sigma**2,
            "you treat σ as the variance (σ² is the variance)": d * (sigma**2 + 2 * mu**2 * sigma),
            "you assume zero-mean vectors (μ = 0)": d * sigma**4}


MEAN_HINT = "E[q·k] = Σ_j E[q_j k_j], and q_j, k_j are independent"
VAR_HINT = ("Var[q·k] = Σ_j Var[q_j k_j] (independent terms), and "
            "Var[q_j k_j] = E[q_j²] E[k_j²] - (E[q_j] E[k_j])²")


@points(2)
def test_dot_product_mean_is_equivalent_to_the_closed_form(student, reference):
    got = _parse(student.dot_product_mean(MU, SIGMA, D), "dot_product_mean(mu, sigma, d)", SYMBOLS)
    _check_symbolic(got, reference.dot_product_mean(MU, SIGMA, D), "dot_product_mean(mu, sigma, d)",
                    _mean_mistakes(MU, SIGMA, D), SYMBOLS, MEAN_HINT)


@points(1)
def test_dot_product_mean_at_numeric_points(student, reference):
    got = _parse(student.dot_product_mean(MU, SIGMA, D), "dot_product_mean(mu, sigma, d)", SYMBOLS)
    _check_spots(got, reference.dot_product_mean(MU, SIGMA, D), "dot_product_mean", SYMBOLS)


@points(1)
def test_dot_product_mean_uses_the_symbols_it_is_given(student, reference):
    symbols = {"m": sympy.Symbol("m", real=True), "s": sympy.Symbol("s", positive=True),
               "n": sympy.Symbol("n", positive=True)}
    args = tuple(symbols.values())
    got = _parse(student.dot_product_mean(*args), "dot_product_mean(m, s, n)", symbols)
    _check_symbolic(got, reference.dot_product_mean(*args), "dot_product_mean(m, s, n)",
                    _mean_mistakes(*args), symbols, MEAN_HINT)


@points(3)
def test_dot_product_variance_is_equivalent_to_the_closed_form(student, reference):
    got = _parse(student.dot_product_variance(MU, SIGMA, D), "dot_product_variance(mu, sigma, d)",
                 SYMBOLS)
    _check_symbolic(got, reference.dot_product_variance(MU, SIGMA, D),
                    "dot_product_variance(mu, sigma, d)", _var_mistakes(MU, SIGMA, D), SYMBOLS,
                    VAR_HINT)


@points(2)
def test_dot_product_variance_at_numeric_points(student, reference):
    got = _parse(student.dot_product_variance(MU, SIGMA, D), "dot_product_variance(mu, sigma, d)",
                 SYMBOLS)
    _check_spots(got, reference.dot_product_variance(MU, SIGMA, D), "dot_product_variance", SYMBOLS)


@points(1)
def test_dot_product_variance_uses_the_symbols_it_is_given(student, reference):
    symbols = {"m": sympy.Symbol("m", real=True), "s": sympy.Symbol("s", positive=True),
               "n": sympy.Symbol("n", positive=True)}
    args = tuple(symbols.values())
    got = _parse(student.dot_product_variance(*args), "dot_product_variance(m, s, n)", symbols)
    _check_symbolic(got, reference.dot_product_variance(*args), "dot_product_variance(m, s, n)",
                    _var_mistakes(*args), symbols, VAR_HINT)


# --------------------------------------------------------------------------------------------
# §3 sample_dot_products
# --------------------------------------------------------------------------------------------

CONFIGS = [(0.5, 1.0, 16), (1.0, 2.0, 1), (-0.7, 0.5, 64)]  # (μ, σ, d)
N_SAMPLES = 20_000


def _exact_moments(mu, sigma, d):
    """(mean, variance, fourth central moment) of s = q·k, exactly (see the module docstring)."""
    q_moments = [1.0, mu, mu**2 + sigma**2, mu**3 + 3 * mu * sigma**2,
                 mu**4 + 6 * mu**2 * sigma**2 + 3 * sigma**4]
    r = [m * m for m in q_moments]  # raw moments of X = q_j k_j
    var_x = r[2] - r[1] ** 2
    m4_x = r[4] - 4 * r[3] * r[1] + 6 * r[2] * r[1] ** 2 - 3 * r[1] ** 4
    kappa4_x = m4_x - 3 * var_x**2
    var = d * var_x
    return d * r[1], var, d * kappa4_x + 3 * var**2


def _draws(student, mu, sigma, d, n, seed):
    got = student.sample_dot_products(mu, sigma, d, n, torch.Generator().manual_seed(seed))
    if not isinstance(got, torch.Tensor):
        raise AssertionError(f"sample_dot_products: type: got {type(got).__name__}, expected a "
                             "torch.Tensor")
    assert_equal(tuple(got.shape), (n,), name=f"sample_dot_products(..., n_samples={n}).shape",
                 hint="one dot product q·k per sample: a (n_samples,) tensor")
    if not got.is_floating_point():
        raise AssertionError(f"sample_dot_products: dtype: got {got.dtype}, expected a float dtype")
    return got.to(F64)


def _check_stat(what, got, expected, se, likely, hint):
    tol = SIGMAS * se
    if abs(got - expected) <= tol:
        return
    message = (f"{what}: got {got:.5g}, expected {expected:.5g} ± {tol:.3g} ({SIGMAS:g} standard "
               "errors)")
    for value, description in likely:
        if abs(got - value) <= tol:
            message += f". Your draws match what you get when {description}"
            break
    raise AssertionError(message + f". Hint: {hint}")


SAMPLE_HINT = ("draw q and k as two independent (n_samples, d) tensors μ + σ·randn(...), "
               "then sum q * k over the last dimension")


@points(1)
def test_sample_dot_products_returns_one_float_per_sample(student):
    for n in (1, 7, 1000):
        _draws(student, 0.5, 1.0, 4, n, seed=n)


@points(2)
def test_sample_mean_matches_d_mu_squared(student):
    for i, (mu, sigma, d) in enumerate(CONFIGS):
        s = _draws(student, mu, sigma, d, N_SAMPLES, seed=300 + i)
        mean, var, _ = _exact_moments(mu, sigma, d)
        _check_stat(f"mean of sample_dot_products(μ={mu}, σ={sigma}, d={d})", float(s.mean()),
                    mean, math.sqrt(var / N_SAMPLES),
                    [(d * (mu**2 + sigma**2), "you use the same vector for q and k (q·q): draw "
                      "them independently"),
                     (mu**2, "you draw one coordinate instead of d"),
                     (0.0, "you leave out the mean μ")], SAMPLE_HINT)


@points(2)
def test_sample_variance_matches_the_formula(student):
    for i, (mu, sigma, d) in enumerate(CONFIGS):
        s = _draws(student, mu, sigma, d, N_SAMPLES, seed=400 + i)
        _, var, m4 = _exact_moments(mu, sigma, d)
        wrong_std = _exact_moments(mu, sigma**2, d)[1]
        one_dim = _exact_moments(mu, sigma, 1)[1]
        likely = [(one_dim, "you draw one coordinate instead of d")]
        if abs(wrong_std - var) > 1e-9:
            likely.insert(0, (wrong_std, "you use σ² as the standard deviation (randn * σ, "
                                         "not randn * σ²)"))
        _check_stat(f"variance of sample_dot_products(μ={mu}, σ={sigma}, d={d})",
                    float(s.var()), var, math.sqrt((m4 - var**2) / N_SAMPLES), likely,
                    SAMPLE_HINT)


@points(1)
def test_sample_dot_products_is_reproducible_with_a_generator(student):
    a = _draws(student, 0.3, 1.5, 8, 500, seed=7)
    b = _draws(student, 0.3, 1.5, 8, 500, seed=7)
    c = _draws(student, 0.3, 1.5, 8, 500, seed=8)
    assert_close(b, a, name="a second call with a generator seeded the same way (vs the first)",
                 hint="draw every random number from `generator` (torch.randn(..., "
                      "generator=generator))")
    if torch.equal(a, c):
        raise AssertionError("sample_dot_products gives the same draws for generators seeded 7 "
                             "and 8: draw your random numbers from `generator`")


# --------------------------------------------------------------------------------------------
# §4 softmax_jacobian
# --------------------------------------------------------------------------------------------

def _jacobian_oracle(scores):
    """torch.autograd's Jacobian of softmax, batched by looping over the leading dims."""
    flat = scores.reshape(-1, scores.shape[-1])
    jacs = [torch.autograd.functional.jacobian(lambda s: torch.softmax(s, dim=-1), row)
            for row in flat]
    return torch.stack(jacs).reshape(*scores.shape, scores.shape[-1])


def _jacobian_mistakes(scores):
    p = torch.softmax(scores, dim=-1)
    diag = torch.diag_embed(p)
    outer = p.unsqueeze(-1) * p.unsqueeze(-2)
    return {"you leave out the -p pᵀ term (J = diag(p) - p pᵀ)": diag,
            "you add p pᵀ instead of subtracting it": diag + outer,
            "you flip the sign (J = diag(p) - p pᵀ, not p pᵀ - diag(p))": outer - diag,
            "you use the scores s instead of p = softmax(s)":
                torch.diag_embed(scores) - scores.unsqueeze(-1) * scores.unsqueeze(-2)}


JAC_HINT = "J[..., i, j] = ∂p_i/∂s_j = p_i (δ_ij - p_j): J = diag(p) - p pᵀ with p = softmax(s)"


@points(2)
def test_softmax_jacobian_matches_autograd_on_vectors(student):
    g = torch.Generator().manual_seed(500)
    for n in (1, 2, 5, 9):
        scores = torch.randn(n, generator=g, dtype=F64) * 2
        assert_close(student.softmax_jacobian(scores), _jacobian_oracle(scores),
                     name=f"softmax_jacobian(scores of shape ({n},))",
                     mistakes=_jacobian_mistakes(scores), hint=JAC_HINT)


@points(2)
def test_softmax_jacobian_is_batched_over_leading_dims(student):
    g = torch.Generator().manual_seed(510)
    for shape in ((3, 4), (2, 3, 5)):
        scores = torch.randn(*shape, generator=g, dtype=F64)
        assert_close(student.softmax_jacobian(scores), _jacobian_oracle(scores),
                     name=f"softmax_jacobian(scores of shape {shape})",
                     mistakes=_jacobian_mistakes(scores),
                     hint="the softmax is over the last dim; torch.diag_embed and "
                          "p.unsqueeze(-1) * p.unsqueeze(-2) work for any leading dims")


@points(1)
def test_softmax_jacobian_keeps_float32(student):
    scores = torch.randn(2, 6, generator=torch.Generator().manual_seed(520))
    expected = _jacobian_oracle(scores.to(F64)).float()
    assert_close(student.softmax_jacobian(scores), expected, name="softmax_jacobian(float32)",
                 hint="return the Jacobian in the dtype of the scores")


@points(1)
def test_softmax_jacobian_is_stable_for_large_scores(student):
    scores = torch.tensor([[1000.0, 0.0, -1000.0], [500.0, 500.0, 0.0]], dtype=F64)
    assert_close(student.softmax_jacobian(scores), _jacobian_oracle(scores),
                 name="softmax_jacobian(scores of ±1000)",
                 hint="compute p with torch.softmax, which subtracts the max; exp(1000) "
                      "overflows. A saturated softmax has a Jacobian near 0")


# --------------------------------------------------------------------------------------------
# §5 max_attention_weight
# --------------------------------------------------------------------------------------------

N_KEYS = 8
N_TRIALS = 4000
N_OURS = 16_000


def _max_weights(d, n_keys, scale, n, seed):
    """Our own draws of the largest weight per trial (n,), in chunks."""
    g = torch.Generator().manual_seed(seed)
    out = []
    for start in range(0, n, 10_000):
        m = min(10_000, n - start)
        q = torch.randn(m, 1, d, generator=g, dtype=F64)
        k = torch.randn(m, n_keys, d, generator=g, dtype=F64)
        out.append(torch.softmax((q * k).sum(-1) * scale, dim=-1).max(dim=-1).values)
    return torch.cat(out)


def _number(got, name):
    if isinstance(got, torch.Tensor) and got.numel() == 1:
        return float(got.reshape(()))
    if isinstance(got, (int, float)) and not isinstance(got, bool):
        return float(got)
    raise AssertionError(f"{name}: type: got {type(got).__name__}, expected a float")


def _check_max_weight(student, d, scaled, seed):
    name = f"max_attention_weight(d={d}, n_keys={N_KEYS}, scaled={scaled}, n_trials={N_TRIALS})"
    got = _number(student.max_attention_weight(d, N_KEYS, scaled, N_TRIALS,
                                               torch.Generator().manual_seed(seed)), name)
    right = 1 / math.sqrt(d) if scaled else 1.0
    ours = _max_weights(d, N_KEYS, right, N_OURS, seed=10_000 + seed)
    se = float(ours.std()) * math.sqrt(1 / N_TRIALS + 1 / N_OURS)
    if abs(got - float(ours.mean())) <= SIGMAS * se:
        return
    # Only now (it failed) estimate what the typical mistakes give, to name the likely one.
    likely = []
    if scaled:
        likely.append((float(_max_weights(d, N_KEYS, 1 / d, N_OURS, 20_000 + seed).mean()),
                       "you divide the scores by d instead of sqrt(d)"))
    if d > 1:
        likely.append((float(_max_weights(d, N_KEYS, 1.0 if scaled else 1 / math.sqrt(d), N_OURS,
                                          30_000 + seed).mean()),
                       "you ignore `scaled` (scale the scores by 1/sqrt(d) only when it is True)"))
    likely.append((float(ours.max()), "you return the largest weight over all trials instead of "
                   "the mean over trials of each trial's largest weight"))
    _check_stat(name, got, float(ours.mean()), se, likely,
                "in each trial, softmax the n_keys scores q·k_j (divided by sqrt(d) when scaled), "
                "take the largest weight, then average over the trials")


@points(2)
def test_max_attention_weight_scaled_does_not_grow_with_d(student):
    for i, d in enumerate((1, 8, 32)):
        _check_max_weight(student, d, True, seed=600 + i)


@points(2)
def test_max_attention_weight_unscaled_tends_to_one_as_d_grows(student):
    for i, d in enumerate((4, 32)):
        _check_max_weight(student, d, False, seed=610 + i)


@points(1)
def test_max_attention_weight_is_exactly_one_for_a_single_key(student):
    got = _number(student.max_attention_weight(16, 1, False, 50, torch.Generator().manual_seed(1)),
                  "max_attention_weight(d=16, n_keys=1, ...)")
    assert_close(got, 1.0, name="max_attention_weight(d=16, n_keys=1, scaled=False, n_trials=50)",
                 hint="with a single key, the softmax weight is always 1")


@points(1)
def test_max_attention_weight_is_reproducible_with_a_generator(student):
    args = (32, N_KEYS, True, 300)
    a, b, c = (_number(student.max_attention_weight(*args, torch.Generator().manual_seed(seed)),
                       f"call {i + 1}") for i, seed in enumerate((3, 3, 4)))
    assert_close(b, a, name="a second call with a generator seeded the same way (vs the first)",
                 hint="draw every random number from `generator`")
    if a == c:
        raise AssertionError("max_attention_weight gives the same result for generators seeded "
                             "3 and 4: draw your random numbers from `generator`")
