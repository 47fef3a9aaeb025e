"""Symbolic questions: the learner's symbols, the parsed key, and the equivalence verdict.

This is the only quiz module that imports sympy, and it is imported only when a symbolic
question is validated or graded, so the other commands start fast.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sympy

from autograder.expr import DEFAULT_FUNCTIONS, equivalent, parse_expression
from autograder.quiz.schema import Symbolic

EQUIVALENCE_TIMEOUT_S = 2.0

_keys: dict[tuple[str, str], sympy.Expr] = {}
_verdicts: dict[tuple[str, str, str], bool] = {}


def symbols_for(question: Symbolic) -> dict[str, sympy.Symbol]:
    """Every name a learner may type (variables and their aliases) -> its sympy Symbol.

    Raises ValueError (from sympy) when a variable's assumptions contradict each other.
    """
    table: dict[str, sympy.Symbol] = {}
    for name, var in question.variables.items():
        symbol = sympy.Symbol(name, **{a: True for a in var.assumptions})
        table[name] = symbol
        for alias in var.aliases:
            table[alias] = symbol
    return table


def functions_for(question: Symbolic) -> dict[str, Callable[..., Any]] | None:
    """The allowed functions; None means the parser's default set."""
    if question.functions is None:
        return None
    return {name: DEFAULT_FUNCTIONS[name] for name in question.functions}


def parse(question: Symbolic, text: str) -> sympy.Expr:
    """Parse text in the question's variables; raises autograder.expr.ExpressionError."""
    return parse_expression(text, symbols_for(question), functions=functions_for(question))


def key(question: Symbolic) -> sympy.Expr:
    cache_key = (question.id, question.answer)
    if cache_key not in _keys:
        _keys[cache_key] = parse(question, question.answer)
    return _keys[cache_key]


def is_equivalent(question: Symbolic, text: str) -> bool:
    """Whether the learner's text equals the key. Raises ExpressionError if it does not parse.

    Verdicts are cached by (question, text): a class typing the same answer pays once.
    """
    cache_key = (question.id, question.answer, " ".join(text.split()))
    if cache_key not in _verdicts:
        answer = parse(question, text)
        _verdicts[cache_key] = equivalent(answer, key(question),
                                          timeout_s=EQUIVALENCE_TIMEOUT_S)
    return _verdicts[cache_key]
