"""Safe parsing of learner-typed maths into sympy, and equivalence checks with a real timeout.

`parse_expression` never calls eval, exec, sympify or parse_expr on the text. It works in
three steps:

1. A small tokenizer turns what learners type into Python expression syntax: `^` and
   superscript digits become powers, `·` and `×` become `*`, `−` becomes `-`, and implicit
   products (`2d`, `d mu^2`, `(a+b)(a-b)`) get an explicit `*`. Every identifier is replaced
   by an ASCII placeholder, so that columns stay exact and Python's NFKC folding of unicode
   names cannot alias two names.
2. `ast.parse(..., mode="eval")` builds a syntax tree. Nothing from it is ever executed.
3. A walker turns the tree into sympy objects through an allowlist: the declared symbols, a
   few constants, numeric literals (as exact rationals), `+ - * / **`, unary signs and a
   small set of functions. Anything else is an `ExpressionError` that names the column.

Work is bounded: the text length, the nesting depth, numeric literals and powers of numbers
are all capped, so that no input can make sympy build a number with millions of digits.

`compare` and `equivalent` decide whether two expressions are equal, and `compare` also
reports what feedback needs (the answer's values at given points, the catalogued wrong formula
it matches). Both run in a child process with memory and time limits (autograder/symbolic.py):
a student's expression is parsed here, never evaluated here.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import sympy

from autograder.symbolic import Decision, Job, decide

__all__ = [
    "CONSTANTS",
    "DEFAULT_FUNCTIONS",
    "ExpressionError",
    "compare",
    "equivalent",
    "values_at",
    "parse_expression",
]

MAX_DEPTH = 100  # nesting levels of the syntax tree
MAX_LITERAL_EXPONENT = 300  # 1e300 is the largest literal; 1e301 is rejected
MAX_RESULT_DIGITS = 4_000  # numbers may have at most this many digits (Python prints 4300)


class ExpressionError(ValueError):
    """The text is not an allowed expression; `column` (1-based) says where, when known."""

    def __init__(self, reason: str, *, column: int | None = None) -> None:
        self.reason = reason
        self.column = column
        where = f"column {column}: " if column is not None else ""
        super().__init__(f"{where}{reason}")


def _sigmoid(x: sympy.Expr) -> sympy.Expr:
    return 1 / (1 + sympy.exp(-x))


DEFAULT_FUNCTIONS: dict[str, Callable[..., sympy.Expr]] = {
    "sqrt": sympy.sqrt,
    "exp": sympy.exp,
    "log": sympy.log,
    "ln": sympy.log,
    "sin": sympy.sin,
    "cos": sympy.cos,
    "tan": sympy.tan,
    "sinh": sympy.sinh,
    "cosh": sympy.cosh,
    "tanh": sympy.tanh,
    "sigmoid": _sigmoid,
    "Abs": sympy.Abs,
    "abs": sympy.Abs,
    "Max": sympy.Max,
    "max": sympy.Max,
    "Min": sympy.Min,
    "min": sympy.Min,
}

# Constants apply only where no declared symbol has the same name (a symbol `e` wins).
CONSTANTS: dict[str, sympy.Expr] = {"pi": sympy.pi, "π": sympy.pi, "E": sympy.E, "e": sympy.E}

_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")
_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<number>(?:\d[\d_]*(?:\.[\d_]*)?|\.\d[\d_]*)(?:[eE][+-]?\d+)?)
  | (?P<sup>[⁰¹²³⁴⁵⁶⁷⁸⁹⁻]+)
  | (?P<name>[^\W\d](?:(?![⁰¹²³⁴⁵⁶⁷⁸⁹])\w)*)
  | (?P<op>\*\*|[-+*/^(),·×−÷])
    """,
    re.VERBOSE,
)
_OP_SPELLING = {"^": "**", "·": "*", "×": "*", "−": "-", "÷": "/"}


@dataclass(frozen=True)
class _Token:
    kind: str  # number | name | sup | op
    text: str  # the original text
    column: int  # 0-based index into the original text


@dataclass
class _Source:
    """The Python-syntax rewrite of the learner's text, with a map back to its columns."""

    code: str
    columns: list[int]  # columns[i] = original 0-based column of code[i]
    names: dict[str, str]  # placeholder -> original identifier
    numbers: dict[str, str]  # placeholder -> original numeric literal

    def original_column(self, offset: int | None) -> int | None:
        """1-based column in the learner's text of 0-based offset `offset` in `code`."""
        if offset is None or not self.columns:
            return None
        offset = min(max(offset, 0), len(self.columns) - 1)
        return self.columns[offset] + 1


def _tokens(text: str) -> Iterator[_Token]:
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            ch = text[pos]
            hint = " (use ( ) for grouping)" if ch in "[]{}" else ""
            raise ExpressionError(f"unexpected character {ch!r}{hint}", column=pos + 1)
        kind = m.lastgroup or "op"
        if kind != "space":
            yield _Token(kind, m.group(), pos)
        pos = m.end()


def _rewrite(text: str, values: set[str], functions: set[str]) -> _Source:
    """Tokenize, make implicit products explicit, and replace names and numbers by placeholders.

    `values` are the names that denote values; any other name before `(` is a function call.
    An unknown name that is a run of known ones (`dmu`, `dμσ`) is read as their product.
    """
    pieces: list[tuple[str, int]] = []  # (code, original column)
    names: dict[str, str] = {}
    numbers: dict[str, str] = {}
    depth = 0
    open_columns: list[int] = []
    prev: _Token | None = None
    for tok in _split_names(_tokens(text), values, functions):
        _check_adjacent(prev, tok)
        if prev is not None and _implicit_product(prev, tok, values):
            pieces.append(("*", tok.column))
        if tok.kind == "name":
            key = f"_n{len(names)}"
            names[key] = tok.text
            pieces.append((key, tok.column))
        elif tok.kind == "number":
            key = f"_k{len(numbers)}"
            numbers[key] = tok.text
            pieces.append((key, tok.column))
        elif tok.kind == "sup":
            exponent = tok.text.translate(_SUPERSCRIPTS)
            if not re.fullmatch(r"-?\d+", exponent):
                raise ExpressionError(f"bad superscript {tok.text!r}", column=tok.column + 1)
            key = f"_k{len(numbers)}"
            numbers[key] = exponent.lstrip("-")
            sign = "-" if exponent.startswith("-") else ""
            pieces.append((f"**({sign}{key})", tok.column))
        else:
            if tok.text == "(":
                depth += 1
                open_columns.append(tok.column)
                if depth > MAX_DEPTH:
                    raise ExpressionError(
                        f"too deeply nested (more than {MAX_DEPTH} parentheses)",
                        column=tok.column + 1,
                    )
            elif tok.text == ")":
                if depth == 0:
                    raise ExpressionError("')' without a matching '('", column=tok.column + 1)
                depth -= 1
                open_columns.pop()
            pieces.append((_OP_SPELLING.get(tok.text, tok.text), tok.column))
        prev = tok
    if open_columns:
        raise ExpressionError("'(' is never closed", column=open_columns[-1] + 1)
    if prev is not None and prev.kind == "op" and prev.text not in "()":
        raise ExpressionError(
            f"ends with {prev.text!r}: something is missing after it", column=prev.column + 1
        )
    code = ""
    columns: list[int] = []
    for piece, column in pieces:  # a space between pieces keeps placeholders apart
        code += piece + " "
        columns += [column] * (len(piece) + 1)
    columns.append(len(text))  # "at the end"
    return _Source(code, columns, names, numbers)


def _split_names(
    tokens: Iterator[_Token], values: set[str], functions: set[str]
) -> Iterator[_Token]:
    known = sorted(values, key=len, reverse=True)
    for tok in tokens:
        parts = None
        if tok.kind == "name" and tok.text not in values and tok.text not in functions:
            parts = _split_into(tok.text, known)
        if not parts:
            yield tok
            continue
        column = tok.column
        for part in parts:
            yield _Token("name", part, column)
            column += len(part)


_BINARY = {"**", "^", "*", "/", "·", "×", "÷"}


def _check_adjacent(prev: _Token | None, tok: _Token) -> None:
    """Catch the common slips early, with a better message than a syntax error."""
    if tok.kind != "op":
        return
    if tok.text in _BINARY and (prev is None or (prev.kind == "op" and prev.text != ")")):
        after = "at the start" if prev is None else f"after {prev.text!r}"
        raise ExpressionError(f"{tok.text!r} {after}: a value is missing", column=tok.column + 1)
    if tok.text == ")" and prev is not None and prev.text == "(":
        raise ExpressionError("empty parentheses", column=prev.column + 1)


def _implicit_product(prev: _Token, tok: _Token, values: set[str]) -> bool:
    """True where two adjacent tokens mean a product: `2d`, `d mu`, `)(`, `x(y+1)`, `²x`."""
    ends_value = prev.kind in ("number", "sup", "name") or prev.text == ")"
    starts_value = tok.kind in ("number", "name") or tok.text == "("
    if not (ends_value and starts_value):
        return False
    if prev.kind == "number" and tok.kind == "number":
        return False  # "2 3" is a typo, not 6; let the parser reject it
    if prev.kind == "name" and tok.text == "(" and prev.text not in values:
        return False  # a function call
    return True


def parse_expression(
    text: str,
    symbols: Mapping[str, sympy.Symbol],
    *,
    functions: Mapping[str, Any] | None = None,
    max_length: int = 2000,
) -> sympy.Expr:
    """Parse learner text into a sympy expression over `symbols`, or raise ExpressionError.

    `symbols` maps each name the learner may type (aliases included) to its sympy Symbol.
    `functions` maps each callable name to a function that builds a sympy expression;
    None means DEFAULT_FUNCTIONS. `^` is a power, as learners expect.
    """
    if not isinstance(text, str):
        raise ExpressionError(f"expected text, got {type(text).__name__}")
    if len(text) > max_length:
        raise ExpressionError(f"too long ({len(text)} characters; at most {max_length})")
    if not text.strip():
        raise ExpressionError("empty expression")
    funcs = dict(DEFAULT_FUNCTIONS if functions is None else functions)
    source = _rewrite(text, set(symbols) | set(CONSTANTS), set(funcs))
    try:
        tree = ast.parse(source.code, mode="eval")
    except SyntaxError as exc:
        offset = None if exc.offset is None else max(exc.offset - 1, 0)
        if offset is not None and offset >= len(source.code):
            offset = len(source.code)
        raise ExpressionError(
            "not a valid expression", column=source.original_column(offset)
        ) from None
    except (RecursionError, MemoryError, ValueError):
        raise ExpressionError("too complex to parse") from None
    walker = _Walker(source, symbols, funcs)
    result = walker.build(tree.body, 0)
    if not isinstance(result, sympy.Expr):
        raise ExpressionError("not an expression")
    if result.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
        raise ExpressionError("the expression is undefined or infinite (a division by zero?)")
    return result


class _Walker:
    """Turns an allowlisted Python syntax tree into sympy; everything else is rejected."""

    def __init__(
        self, source: _Source, symbols: Mapping[str, sympy.Symbol], functions: dict[str, Any]
    ) -> None:
        self.source = source
        self.symbols = symbols
        self.functions = functions

    def column(self, node: ast.AST) -> int | None:
        return self.source.original_column(getattr(node, "col_offset", None))

    def fail(self, reason: str, node: ast.AST) -> ExpressionError:
        return ExpressionError(reason, column=self.column(node))

    def build(self, node: ast.AST, depth: int) -> sympy.Expr:
        if depth > MAX_DEPTH:
            raise self.fail(f"too deeply nested (more than {MAX_DEPTH} levels)", node)
        if isinstance(node, ast.BinOp):
            return self.binop(node, depth)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            operand = self.build(node.operand, depth + 1)
            return -operand if isinstance(node.op, ast.USub) else operand
        if isinstance(node, ast.Name):
            return self.name(node)
        if isinstance(node, ast.Call):
            return self.call(node, depth)
        raise self.fail(f"{_describe(node)} is not allowed here", node)

    def binop(self, node: ast.BinOp, depth: int) -> sympy.Expr:
        left = self.build(node.left, depth + 1)
        right = self.build(node.right, depth + 1)
        op = node.op
        if isinstance(op, ast.Add):
            result = left + right
        elif isinstance(op, ast.Sub):
            result = left - right
        elif isinstance(op, ast.Mult):
            result = left * right
        elif isinstance(op, ast.Div):
            result = left / right
        elif isinstance(op, ast.Pow):
            _check_power(left, right, self.column(node))
            result = left**right
        else:
            raise self.fail(f"{_describe(op)} is not allowed (use + - * / ^)", node)
        _check_coefficient(result, self.column(node))
        return result

    def name(self, node: ast.Name) -> sympy.Expr:
        if node.id in self.source.numbers:
            return _number(self.source.numbers[node.id], self.column(node))
        original = self.source.names[node.id]
        if original in self.symbols:
            return self.symbols[original]
        if original in CONSTANTS:
            return CONSTANTS[original]
        if original in self.functions:
            raise self.fail(f"{original!r} is a function: write {original}(...)", node)
        raise self.fail(_unknown_name(original, self.symbols), node)

    def call(self, node: ast.Call, depth: int) -> sympy.Expr:
        if not isinstance(node.func, ast.Name) or node.func.id not in self.source.names:
            raise self.fail("only named functions can be called", node)
        name = self.source.names[node.func.id]
        if name not in self.functions:
            allowed = ", ".join(sorted(self.functions)) or "none"
            raise self.fail(f"unknown function {name!r} (allowed: {allowed})", node)
        if node.keywords:
            raise self.fail(f"{name}() takes no keyword arguments", node)
        if not node.args:
            raise self.fail(f"{name}() needs an argument", node)
        args = []
        for arg in node.args:
            args.append(self.build(arg, depth + 1))
        try:
            return self.functions[name](*args)
        except (TypeError, ValueError) as exc:
            raise self.fail(f"{name}() with {len(args)} argument(s): {exc}", node) from None


def _describe(node: ast.AST) -> str:
    """Name the construct for an error message; the tokenizer already rejects most others."""
    if isinstance(node, ast.Tuple):
        return "a ',' outside a function call"
    if isinstance(node, ast.Starred):
        return "'*' unpacking"
    return f"{type(node).__name__} syntax"


def _number(literal: str, column: int | None) -> sympy.Expr:
    """An exact rational from a decimal literal, with its decimal exponent capped."""
    digits = literal.replace("_", "")
    mantissa, _, exponent = digits.lower().partition("e")
    if exponent and abs(int(exponent)) > MAX_LITERAL_EXPONENT:
        raise ExpressionError(
            f"number {literal!r} is out of range (|exponent| > {MAX_LITERAL_EXPONENT})",
            column=column,
        )
    if len(mantissa) > 400:
        raise ExpressionError(f"number with {len(mantissa)} digits is too long", column=column)
    try:
        return sympy.Rational(digits)
    except (TypeError, ValueError):
        raise ExpressionError(f"not a number: {literal!r}", column=column) from None


def _check_power(base: sympy.Expr, exponent: sympy.Expr, column: int | None) -> None:
    """Reject powers whose exact value would be astronomically large."""
    if not exponent.is_number:
        return
    if not exponent.is_real:
        raise ExpressionError("complex exponents are not supported", column=column)
    size = abs(exponent)
    if size > MAX_RESULT_DIGITS:
        raise ExpressionError(f"exponent {exponent} is too large", column=column)
    if base.is_number and base != 0:
        magnitude = abs(base)
        # digits of the result ~ |exponent| * |log10 |base||
        log10 = sympy.log(magnitude, 10).evalf(15) if magnitude.is_finite else sympy.oo
        if log10 is sympy.oo or abs(float(log10)) * float(size) > MAX_RESULT_DIGITS:
            raise ExpressionError(
                f"power too large (more than {MAX_RESULT_DIGITS} digits)", column=column
            )


_MAX_BITS = int(MAX_RESULT_DIGITS * 3.33)


def _check_coefficient(result: sympy.Expr, column: int | None) -> None:
    """Reject a product or sum whose exact numeric part has grown past MAX_RESULT_DIGITS."""
    coefficient = result if result.is_Rational else None
    if coefficient is None and (result.is_Mul or result.is_Add) and result.args[0].is_Rational:
        coefficient = result.args[0]
    if coefficient is not None and max(
        int(coefficient.p).bit_length(), int(coefficient.q).bit_length()
    ) > _MAX_BITS:
        raise ExpressionError(
            f"number too large (more than {MAX_RESULT_DIGITS} digits)", column=column
        )


def _unknown_name(name: str, symbols: Mapping[str, sympy.Symbol]) -> str:
    listing = ", ".join(sorted(symbols)) or "none"
    shown = name if len(name) <= 30 else name[:27] + "..."
    return f"unknown name {shown!r} (variables: {listing})"


def _split_into(name: str, known: list[str]) -> list[str] | None:
    """Split `dmu` into [`d`, `mu`] when it is a run of known names, preferring long names.

    Dynamic programming from the end, so that no input makes it backtrack exponentially.
    """
    best: list[list[str] | None] = [None] * len(name) + [[]]
    for start in range(len(name) - 1, -1, -1):
        for k in known:  # longest first
            rest = best[start + len(k)] if k and name.startswith(k, start) else None
            if rest is not None:
                best[start] = [k, *rest]
                break
    return best[0]



_ASSUMPTIONS = ("positive", "negative", "nonnegative", "nonpositive", "nonzero", "real",
                "integer", "finite")


def _variables(*expressions: sympy.Expr) -> dict[str, list[str]]:
    """name -> the assumptions that define each free symbol (enough to rebuild it)."""
    table: dict[str, list[str]] = {}
    for expression in expressions:
        for symbol in expression.free_symbols:
            assert isinstance(symbol, sympy.Symbol)
            facts = symbol.assumptions0
            table[symbol.name] = [a for a in _ASSUMPTIONS if facts.get(a) is True]
    return table


def compare(answer: sympy.Expr, key: sympy.Expr, *,
            points: list[dict[str, float]] | None = None,
            mistakes: Mapping[str, sympy.Expr] | None = None,
            timeout_s: float = 3.0) -> Decision:
    """Is `answer` equal to `key`? The verdict (equal, different or undecided: never guessed),
    and, for feedback, both values at `points` and the first of `mistakes` (description ->
    wrong formula) that `answer` equals. Decided in a child process with limits."""
    wrong = dict(mistakes or {})
    job = Job(answer=sympy.sstr(answer), key=sympy.sstr(key),
              variables=_variables(answer, key, *wrong.values()),
              points=list(points or []),
              mistakes={d: sympy.sstr(e) for d, e in wrong.items()})
    return decide(job, timeout_s=timeout_s)


def equivalent(a: sympy.Expr, b: sympy.Expr, *, timeout_s: float = 3.0) -> bool:
    """True only when `a` and `b` are proven to be the same function of their symbols."""
    return compare(a, b, timeout_s=timeout_s).verdict == "equal"


def values_at(expression: sympy.Expr, points: list[dict[str, float]], *,
              timeout_s: float = 3.0) -> list[float | None]:
    """The real value of `expression` at each point (None where it is undefined or not
    real), computed in the limited child. Raises ExpressionError when that child cannot
    finish (an expression too expensive to evaluate)."""
    decision = compare(expression, sympy.Integer(0), points=points, timeout_s=timeout_s)
    if decision.verdict == "equal":
        return [0.0 for _ in points]
    if len(decision.values) != len(points):
        raise ExpressionError(f"it could not be evaluated within the grader's limits "
                              f"({decision.reason})")
    return [pair[0] for pair in decision.values]
