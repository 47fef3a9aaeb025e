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

`equivalent` decides whether two expressions are equal. It runs numeric spot checks at
random points that respect each symbol's assumptions (a positive symbol gets positive
values), and `sympy.simplify` of the difference. Both run in a forked child process, which
the parent kills when `timeout_s` runs out: a signal cannot interrupt sympy stuck inside a
C-level big-integer operation, but SIGKILL always ends it. Where fork is unavailable (not
POSIX, or other threads are running, which makes fork unsafe), the checks run in-process,
with simplify interrupted by `signal.setitimer` on the main thread; off the main thread,
simplify is skipped and the verdict rests on the numeric checks alone.
"""

from __future__ import annotations

import ast
import os
import random
import re
import select
import signal
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import sympy

__all__ = [
    "CONSTANTS",
    "DEFAULT_FUNCTIONS",
    "ExpressionError",
    "equivalent",
    "parse_expression",
]

MAX_DEPTH = 100  # nesting levels of the syntax tree
MAX_LITERAL_EXPONENT = 300  # 1e300 is the largest literal; 1e301 is rejected
MAX_RESULT_DIGITS = 10_000  # a power of numbers may have at most this many digits


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
  | (?P<name>[^\W\d]\w*)
  | (?P<sup>[⁰¹²³⁴⁵⁶⁷⁸⁹⁻]+)
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


def _rewrite(text: str, callables: set[str]) -> _Source:
    """Tokenize, make implicit products explicit, and replace names and numbers by placeholders."""
    pieces: list[tuple[str, int]] = []  # (code, original column)
    names: dict[str, str] = {}
    numbers: dict[str, str] = {}
    depth = 0
    open_columns: list[int] = []
    prev: _Token | None = None
    for tok in _tokens(text):
        if prev is not None and _implicit_product(prev, tok, callables):
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
            pieces.append((f"**({exponent})", tok.column))
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
    code = ""
    columns: list[int] = []
    for piece, column in pieces:
        code += piece
        columns += [column] * len(piece)
    columns.append(len(text))  # "at the end"
    return _Source(code, columns, names, numbers)


def _implicit_product(prev: _Token, tok: _Token, callables: set[str]) -> bool:
    """True where two adjacent tokens mean a product: `2d`, `d mu`, `)(`, `x(y+1)`, `²x`."""
    ends_value = prev.kind in ("number", "sup") or (prev.kind == "name") or prev.text == ")"
    starts_value = tok.kind in ("number", "name") or tok.text == "("
    if not (ends_value and starts_value):
        return False
    if prev.kind == "number" and tok.kind == "number":
        return False  # "2 3" is a typo, not 6; let the parser reject it
    if prev.kind == "name" and tok.text == "(" and prev.text in callables:
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
    callables = set(funcs) - set(symbols)
    source = _rewrite(text, callables)
    try:
        tree = ast.parse(source.code, mode="eval")
    except SyntaxError as exc:
        offset = None if exc.offset is None else max(exc.offset - 1, 0)
        if offset is not None and offset >= len(source.code):
            offset = len(source.code)
        raise ExpressionError("not a valid expression", column=source.original_column(offset))
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
            return left + right
        if isinstance(op, ast.Sub):
            return left - right
        if isinstance(op, ast.Mult):
            return left * right
        if isinstance(op, ast.Div):
            return left / right
        if isinstance(op, ast.Pow):
            _check_power(left, right, self.column(node))
            return left**right
        raise self.fail(f"{_describe(op)} is not allowed (use + - * / ^)", node)

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
            if isinstance(arg, ast.Starred):
                raise self.fail("'*' unpacking is not allowed", arg)
            args.append(self.build(arg, depth + 1))
        try:
            return self.functions[name](*args)
        except (TypeError, ValueError) as exc:
            raise self.fail(f"{name}() with {len(args)} argument(s): {exc}", node) from None


def _describe(node: ast.AST) -> str:
    names = {
        "Compare": "a comparison", "Attribute": "attribute access ('.')",
        "Subscript": "indexing ('[]')", "Constant": "this literal", "Lambda": "lambda",
        "BoolOp": "'and'/'or'", "Tuple": "a tuple (a stray ',')", "Mod": "'%'",
        "FloorDiv": "'//'", "MatMult": "'@'", "BitXor": "'^'", "BitAnd": "'&'",
        "BitOr": "'|'", "LShift": "'<<'", "RShift": "'>>'", "Invert": "'~'", "Not": "'not'",
    }
    kind = type(node).__name__
    return names.get(kind, kind)


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


def _unknown_name(name: str, symbols: Mapping[str, sympy.Symbol]) -> str:
    known = sorted(symbols, key=len, reverse=True)
    split = _split_into(name, known)
    hint = f"; did you mean {'*'.join(split)!r}?" if split and len(split) > 1 else ""
    listing = ", ".join(sorted(symbols)) or "none"
    return f"unknown name {name!r} (variables: {listing}){hint}"


def _split_into(name: str, known: list[str]) -> list[str] | None:
    """Split `dmu` into [`d`, `mu`] when it is a run of known names (greedy, longest first)."""
    if not name:
        return []
    for k in known:
        if k and name.startswith(k):
            rest = _split_into(name[len(k):], known)
            if rest is not None:
                return [k, *rest]
    return None


# ---------------------------------------------------------------- equivalence


_NUMERIC_PRECISION = 30  # decimal digits of the spot checks
_RELATIVE_TOLERANCE = 1e-9


def equivalent(
    a: sympy.Expr, b: sympy.Expr, *, timeout_s: float = 2.0, numeric_checks: int = 8
) -> bool:
    """True when `a` and `b` are the same function of their symbols.

    Equal when simplify(a - b) is 0, or when both agree at `numeric_checks` random points
    that respect the symbols' assumptions. A point where both are defined and they differ
    makes them different unless simplify proves the difference is zero within `timeout_s`.
    """
    diff = sympy.expand(a - b) if _small(a) and _small(b) else a - b
    if diff == 0:
        return True
    if _can_fork():
        verdicts = _in_child(a, b, numeric_checks, timeout_s)
    else:
        verdicts = _in_process(a, b, numeric_checks, timeout_s)
    if verdicts.get("simplify") == "zero":
        return True
    return verdicts.get("numeric") == "equal"


def _small(e: sympy.Expr) -> bool:
    """Cheap to expand: few operations and no large powers."""
    return sympy.count_ops(e) <= 40 and all(
        not p.exp.is_number or abs(p.exp) <= 8 for p in e.atoms(sympy.Pow)
    )


def _numeric_verdict(a: sympy.Expr, b: sympy.Expr, checks: int) -> str:
    """'equal', 'different' or 'unknown' (too few points where both are defined)."""
    symbols = sorted(a.free_symbols | b.free_symbols, key=lambda s: s.name)
    rng = random.Random(20240917)  # fixed: the same question always gets the same points
    valid = 0
    for _ in range(4 * checks):
        point = {s: sympy.Float(_sample(s, rng), _NUMERIC_PRECISION) for s in symbols}
        va = _value(a, point)
        vb = _value(b, point)
        if va is None or vb is None:
            continue
        scale = max(1.0, abs(va), abs(vb))
        if abs(va - vb) > _RELATIVE_TOLERANCE * scale:
            return "different"
        valid += 1
        if valid >= checks:
            return "equal"
    return "equal" if valid >= max(1, checks // 2) else "unknown"


def _value(e: sympy.Expr, point: dict[sympy.Symbol, sympy.Float]) -> complex | None:
    """The value of `e` at `point`, or None where it is undefined or out of float range."""
    try:
        v = e.evalf(_NUMERIC_PRECISION, subs=point)
        if not v.is_number or v.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
            return None
        z = complex(v)
    except (TypeError, ValueError, OverflowError, ZeroDivisionError, ArithmeticError):
        return None
    if z != z or abs(z) == float("inf"):
        return None
    return z


def _sample(s: sympy.Symbol, rng: random.Random) -> float:
    """A value that the symbol's assumptions allow: positive symbols get positive values."""
    if s.is_integer:
        if s.is_positive:
            return rng.randint(1, 12)
        if s.is_nonnegative:
            return rng.randint(0, 12)
        if s.is_negative:
            return -rng.randint(1, 12)
        if s.is_nonpositive:
            return -rng.randint(0, 12)
        value = rng.randint(-12, 12)
        return value if value != 0 or not s.is_nonzero else 1
    magnitude = 10 ** rng.uniform(-1.0, 0.7)  # 0.1 .. 5, spread over decades
    if s.is_positive or s.is_nonnegative:
        return magnitude
    if s.is_negative or s.is_nonpositive:
        return -magnitude
    return magnitude if rng.random() < 0.5 else -magnitude


def _simplify_verdict(a: sympy.Expr, b: sympy.Expr) -> str:
    return "zero" if sympy.simplify(a - b) == 0 else "nonzero"


def _can_fork() -> bool:
    return hasattr(os, "fork") and threading.active_count() == 1


def _in_child(a: sympy.Expr, b: sympy.Expr, checks: int, timeout_s: float) -> dict[str, str]:
    """Run both checks in a forked child; SIGKILL it when the time is up.

    The child writes `numeric=<verdict>` and then `simplify=<verdict>`, one line each. The
    parent stops reading as soon as the answer is settled.
    """
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: never returns, never runs the parent's cleanup
        code = 0
        try:
            os.close(read_fd)
            numeric = _numeric_verdict(a, b, checks)
            os.write(write_fd, f"numeric={numeric}\n".encode())
            if numeric != "equal":
                os.write(write_fd, f"simplify={_simplify_verdict(a, b)}\n".encode())
        except BaseException:
            code = 1
        finally:
            os._exit(code)
    os.close(write_fd)
    verdicts: dict[str, str] = {}
    buffer = b""
    deadline = time.monotonic() + timeout_s
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            ready, _, _ = select.select([read_fd], [], [], left)
            if not ready:
                break
            chunk = os.read(read_fd, 4096)
            if not chunk:
                break  # child finished (or died)
            buffer += chunk
            for line in buffer.decode().splitlines():
                key, _, value = line.partition("=")
                verdicts[key] = value
            if verdicts.get("numeric") == "equal" or "simplify" in verdicts:
                break
    finally:
        os.close(read_fd)
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        os.waitpid(pid, 0)
    return verdicts


class _Timeout(Exception):
    pass


def _in_process(a: sympy.Expr, b: sympy.Expr, checks: int, timeout_s: float) -> dict[str, str]:
    """The fallback without fork: numeric checks, then simplify under an interval timer."""
    verdicts = {"numeric": _numeric_verdict(a, b, checks)}
    if verdicts["numeric"] == "equal":
        return verdicts
    if threading.current_thread() is not threading.main_thread() or not hasattr(
        signal, "setitimer"
    ):
        return verdicts  # no way to stop simplify: rely on the numeric checks

    def on_alarm(signum: int, frame: object) -> None:
        raise _Timeout

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, timeout_s)
    try:
        verdicts["simplify"] = _simplify_verdict(a, b)
    except _Timeout:
        pass
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    return verdicts
