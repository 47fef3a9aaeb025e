"""The safe expression parser and the equivalence check (autograder/expr.py)."""

from __future__ import annotations

import threading
import time

import pytest
import sympy

from autograder import symbolic
from autograder.expr import ExpressionError, equivalent, parse_expression

d = sympy.Symbol("d", positive=True, integer=True)
mu = sympy.Symbol("mu", real=True)
sigma = sympy.Symbol("sigma", positive=True)
SYMBOLS = {"d": d, "mu": mu, "μ": mu, "sigma": sigma, "σ": sigma}


def parse(text: str) -> sympy.Expr:
    return parse_expression(text, SYMBOLS)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("d*mu^2", d * mu**2),
        ("d*mu**2", d * mu**2),
        ("d μ²", d * mu**2),
        ("2d", 2 * d),
        ("dmu^2", d * mu**2),
        ("d(σ⁴+2μ²σ²)", d * (sigma**4 + 2 * mu**2 * sigma**2)),
        ("(d+1)(d-1)", (d + 1) * (d - 1)),
        ("d·mu × 2", 2 * d * mu),
        ("−mu", -mu),
        ("0.5 d", d / 2),
        ("1.5e3", sympy.Integer(1500)),
        ("2^-1", sympy.Rational(1, 2)),
        ("σ⁻¹", 1 / sigma),
        ("sqrt(d)", sympy.sqrt(d)),
        ("e^mu", sympy.exp(mu)),
        ("pi d", sympy.pi * d),
        ("sigmoid(mu)", 1 / (1 + sympy.exp(-mu))),
    ],
)
def test_learner_notation_parses_to_the_expected_expression(text: str,
                                                            expected: sympy.Expr) -> None:
    assert sympy.simplify(parse(text) - expected) == 0


def test_decimal_literals_are_exact_rationals_not_floats() -> None:
    assert parse("0.1") == sympy.Rational(1, 10)


@pytest.mark.parametrize(
    ("text", "column", "words"),
    [
        ("q + 1", 1, "unknown name 'q'"),
        ("d +", 3, "ends with '+'"),
        ("d*/2", 3, "'/' after '*'"),
        ("(d", 1, "never closed"),
        ("d)", 2, "without a matching '('"),
        ("d.real", 2, "unexpected character '.'"),
        ("d[0]", 2, "use ( ) for grouping"),
        ("__import__('os')", 12, "unexpected character \"'\""),
        ("f(d)", 1, "unknown function 'f'"),
        ("sqrt", 1, "'sqrt' is a function"),
        ("d, mu", 1, "',' outside a function call"),
        ("d < mu", 3, "unexpected character '<'"),
    ],
)
def test_bad_input_is_rejected_with_the_column_and_the_reason(text: str, column: int,
                                                             words: str) -> None:
    with pytest.raises(ExpressionError) as err:
        parse(text)
    assert err.value.column == column
    assert words in str(err.value)
    assert str(err.value).startswith(f"column {column}: ")


@pytest.mark.parametrize(
    "text",
    ["9^9^9", "10^5000", "1e999", "9^999*9^999*9^999*9^999*9^999", "2^(10^6)"],
)
def test_numbers_that_would_have_thousands_of_digits_are_rejected_quickly(text: str) -> None:
    start = time.perf_counter()
    with pytest.raises(ExpressionError, match="too large|out of range"):
        parse(text)
    assert time.perf_counter() - start < 1.0


@pytest.mark.parametrize("text", ["(" * 150 + "d" + ")" * 150, "-" * 500 + "d",
                                  "d+" * 300 + "d"])
def test_deep_nesting_is_rejected_instead_of_overflowing_the_stack(text: str) -> None:
    with pytest.raises(ExpressionError, match="too deeply nested"):
        parse(text)


def test_text_longer_than_max_length_is_rejected() -> None:
    with pytest.raises(ExpressionError, match="too long"):
        parse_expression("d+" * 20 + "d", SYMBOLS, max_length=10)


def test_division_by_zero_is_reported_not_returned_as_infinity() -> None:
    with pytest.raises(ExpressionError, match="division by zero"):
        parse("1/(d-d)")


def test_only_the_allowed_functions_can_be_called() -> None:
    with pytest.raises(ExpressionError, match="unknown function 'exp'"):
        parse_expression("exp(d)", SYMBOLS, functions={"sqrt": sympy.sqrt})


def test_nothing_in_the_text_is_ever_executed(tmp_path, monkeypatch) -> None:
    marker = tmp_path / "pwned"
    payloads = [f"open('{marker}', 'w')", "__import__('os').system('touch pwned')",
                "(lambda: 1)()", "d.__class__.__mro__", "exec('1')", "eval('1')"]
    monkeypatch.chdir(tmp_path)
    for payload in payloads:
        with pytest.raises(ExpressionError):
            parse(payload)
    assert not marker.exists() and not (tmp_path / "pwned").exists()


def test_equivalent_expressions_in_different_forms_are_equal() -> None:
    key = parse("d*(sigma^4 + 2*mu^2*sigma^2)")
    for answer in ["d*sigma**4 + 2*d*mu**2*sigma**2", "d σ⁴ + 2dμ²σ²",
                   "d*(sigma^2 + mu^2)^2 - d*mu^4"]:
        assert equivalent(parse(answer), key)


def test_a_different_expression_is_not_equal() -> None:
    assert not equivalent(parse("d*sigma^4"), parse("d*(sigma^4 + 2*mu^2*sigma^2)"))


def test_numeric_checks_respect_the_assumptions_of_each_symbol() -> None:
    x_pos = sympy.Symbol("x", positive=True)
    x_real = sympy.Symbol("x", real=True)
    assert equivalent(sympy.sqrt(x_pos**2), x_pos)  # |x| = x only for positive x
    assert not equivalent(sympy.sqrt(x_real**2), x_real)


def test_the_timeout_really_stops_a_slow_simplify() -> None:
    x = sympy.Symbol("x")
    slow = sympy.expand((x + 1) ** 120) - (x + 1) ** 120 + 1  # numerically != 0
    start = time.perf_counter()
    assert not equivalent(slow, sympy.Integer(0), timeout_s=0.3)
    assert time.perf_counter() - start < 3.0


def test_without_fork_the_check_runs_in_a_fresh_interpreter_with_the_same_limits(
        monkeypatch) -> None:
    monkeypatch.setattr(symbolic, "_can_fork", lambda: False)
    x = sympy.Symbol("x")
    start = time.perf_counter()
    assert not equivalent((x + 1) ** 80 - 1, sympy.Integer(0), timeout_s=0.3)
    assert time.perf_counter() - start < 3.0
    assert equivalent(parse("d*(d+1)"), parse("d^2 + d"))


def test_off_the_main_thread_the_check_still_runs_in_a_limited_child() -> None:
    results: list[bool] = []
    key = parse("d*mu^2")

    def check() -> None:
        results.append(equivalent(parse("mu*mu*d"), key))
        results.append(equivalent(parse("d*mu"), key))

    thread = threading.Thread(target=check)
    thread.start()
    thread.join(timeout=30)
    assert results == [True, False]
