"""Symbolic questions: the learner's text, the question's symbols, and the verdict.

The learner's text is tidied first: the micro sign µ reads as the Greek μ, and a leading
`E =` is accepted when the question declares E among the quantities it asks for. Parsing
happens here (so that a typo is reported with its column at once); the equivalence decision
runs in a limited child process (autograder/symbolic.py). This is the only quiz module that imports
sympy, and only when a symbolic question is validated or graded.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import sympy

from autograder.expr import DEFAULT_FUNCTIONS, ExpressionError, parse_expression
from autograder.quiz.schema import Symbolic
from autograder.symbolic import Decision, Job, decide

_CONFUSABLES = str.maketrans({"\u00b5": "\u03bc"})  # micro sign -> Greek mu
_verdicts: dict[tuple[str, str, str], Decision] = {}


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


def tidy(question: Symbolic, text: str) -> str:
    """The expression part of what the learner typed: `µ` -> `μ`, and `E = ...` -> `...`
    when E is one of the question's quantities. Raises ExpressionError for another `=`."""
    text = text.translate(_CONFUSABLES).strip()
    if "=" not in text:
        return text
    left, _, right = text.partition("=")
    if "=" in right:
        raise ExpressionError("more than one '='; type only the expression")
    wanted = {_squash(q) for q in question.quantity}
    if _squash(left) in wanted and right.strip():
        return right.strip()
    if wanted:
        names = " or ".join(repr(q) for q in question.quantity)
        raise ExpressionError(f"'{left.strip()} =': the question asks for {names}; type "
                              f"'{question.quantity[0]} = ...' or just the expression")
    raise ExpressionError("type only the expression, without '... ='", column=len(left) + 1)


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text.translate(_CONFUSABLES))


def parse(question: Symbolic, text: str) -> sympy.Expr:
    """Parse text in the question's variables; raises autograder.expr.ExpressionError."""
    return parse_expression(tidy(question, text), symbols_for(question),
                            functions=functions_for(question))


def key(question: Symbolic) -> sympy.Expr:
    if question.answer is None:
        raise ValueError(f"question {question.id!r} has no answer key")
    return parse(question, question.answer)


def judge(question: Symbolic, text: str) -> Decision:
    """Whether the learner's text equals the key: equal, different, or undecided (never
    accepted). Raises ExpressionError when it does not parse.

    Verdicts are cached by (question, key, text): a class typing the same answer pays once.
    """
    expression = tidy(question, text)
    cache_key = (question.id, question.answer or "", " ".join(expression.split()))
    if cache_key not in _verdicts:
        parse(question, expression)  # a typo is the learner's to fix: report its column
        key(question)
        _verdicts[cache_key] = decide(_job(question, expression))
    return _verdicts[cache_key]


def is_equivalent(question: Symbolic, text: str) -> bool:
    """True only when the equivalence is proven."""
    return judge(question, text).verdict == "equal"


def _job(question: Symbolic, expression: str) -> Job:
    assert question.answer is not None
    return Job(answer=expression, key=question.answer,
               variables={name: list(var.assumptions)
                          for name, var in question.variables.items()},
               aliases={alias: name for name, var in question.variables.items()
                        for alias in var.aliases},
               functions=question.functions)
