"""First-order mutants of a reference solution: how strong are its tests?

A mutant is the reference with exactly one small change inside a `### BEGIN SOLUTION` region:
an operator, a comparison, a constant (off by one), a method or attribute swapped for its
sibling (min/max, tril/triu, ...), a keyword argument dropped (device=, dtype=, dim=, ...), a
conversion dropped (int(x), x.cpu(), ...), two arguments swapped, a condition negated, or a
statement deleted. A test suite that lets a mutant score full marks has a gap, unless the
mutant is equivalent to the reference (then an instructor lists it in
`proofs/equivalent.yaml`, with the reason).

Each mutant is the reference's text with one source segment replaced, so line numbers and
everything outside the change stay as they were. A mutant is identified by its function and
a one-line, whitespace-normalised diff of the statement it changes (`was` -> `now`), which
survives edits elsewhere in the file. Mutants whose code is identical (as an AST) to the
reference or to an earlier mutant, and mutants that do not compile, are dropped.
"""

from __future__ import annotations

import ast
import copy
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from autograder.release import BEGIN, END

# Sibling names: a method, function or attribute swapped for its sibling (both directions).
SIBLINGS: tuple[tuple[str, str], ...] = (
    ("min", "max"), ("amin", "amax"), ("argmin", "argmax"), ("minimum", "maximum"),
    ("clamp_min", "clamp_max"), ("any", "all"), ("sum", "mean"), ("cumsum", "cumprod"),
    ("softmax", "log_softmax"), ("tril", "triu"), ("floor", "ceil"), ("zeros", "ones"),
    ("zeros_like", "ones_like"), ("rand", "randn"), ("rand_like", "randn_like"),
    ("exp", "log"), ("sin", "cos"), ("values", "indices"), ("eq", "ne"), ("lt", "le"),
    ("gt", "ge"), ("squeeze", "unsqueeze"), ("float", "double"), ("tanh", "sigmoid"),
    ("relu", "gelu"), ("matmul", "mul"), ("add", "sub"), ("mul", "div"), ("std", "var"),
    ("sqrt", "rsqrt"), ("isnan", "isinf"), ("first", "last"),
)
_SIBLING = {a: b for a, b in SIBLINGS} | {b: a for a, b in SIBLINGS}

# Calls whose only effect is a conversion, a copy, a device move or a reshape: `f(x)` or
# `x.f(...)` becomes `x`.
WRAPPERS = frozenset({"int", "float", "bool", "abs", "list", "tuple", "as_tensor", "tensor",
                      "expand", "simplify", "sqrt"})
METHODS_TO_DROP = frozenset({
    "cpu", "cuda", "to", "contiguous", "clone", "detach", "bool", "float", "double", "long",
    "int", "half", "item", "tolist", "abs", "square", "sqrt", "clamp", "clamp_min",
    "clamp_max", "reshape", "view", "flatten", "squeeze", "unsqueeze", "expand", "repeat",
    "tril", "triu", "t", "neg", "exp", "log", "masked_fill", "type_as",
})

_BINOP: dict[type[ast.operator], type[ast.operator]] = {
    ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult,
    ast.FloorDiv: ast.Div, ast.Mod: ast.FloorDiv, ast.Pow: ast.Mult, ast.MatMult: ast.Mult,
    ast.BitAnd: ast.BitOr, ast.BitOr: ast.BitAnd, ast.BitXor: ast.BitAnd,
    ast.LShift: ast.RShift, ast.RShift: ast.LShift,
}
_NOT_COMMUTATIVE = (ast.Sub, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow, ast.MatMult, ast.LShift,
                    ast.RShift)
_BOUNDARY: dict[type[ast.cmpop], type[ast.cmpop]] = {
    ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt}
_NEGATION: dict[type[ast.cmpop], type[ast.cmpop]] = {
    ast.Lt: ast.GtE, ast.LtE: ast.Gt, ast.Gt: ast.LtE, ast.GtE: ast.Lt, ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq, ast.Is: ast.IsNot, ast.IsNot: ast.Is, ast.In: ast.NotIn,
    ast.NotIn: ast.In}
_ATOMS = (ast.Name, ast.Attribute, ast.Call, ast.Subscript, ast.List, ast.Tuple, ast.Dict,
          ast.Set)


@dataclass(frozen=True)
class Mutant:
    module: str  # the submitted file, e.g. "masking.py"
    function: str  # qualified name of the enclosing function, e.g. "key_mask"
    line: int  # 1-based line of the change in the reference (markers included)
    operator: str  # what kind of change, e.g. "compare", "drop-keyword"
    was: str  # the statement before the change, on one line
    now: str  # the statement after the change, on one line
    occurrence: int  # 1, or n for the n-th mutant with the same function, was and now
    text: str  # the whole mutated module, markers removed

    @property
    def key(self) -> str:
        """A stable identity: module, function and the one-line diff (not the line number)."""
        suffix = f" #{self.occurrence}" if self.occurrence > 1 else ""
        return f"{self.module.removesuffix('.py')}.{self.function}: {self.was} -> {self.now}" \
               + suffix

    @property
    def unit(self) -> str:
        """The top-level function or class the change is in."""
        return self.function.split(".")[0]

    def diff(self) -> str:
        return f"{self.module}:{self.line} {self.function}: `{self.was}` -> `{self.now}`"


def one_line(node: ast.AST) -> str:
    """A statement on one line: compound statements as `if x: a; b`."""
    if isinstance(node, ast.stmt):
        return " ".join(line.strip() for line in ast.unparse(node).splitlines())
    return ast.unparse(node)


def header(stmt: ast.AST) -> str:
    """The line that shows a change in a statement's own expressions (not its body)."""
    if isinstance(stmt, (ast.If, ast.While)):
        keyword = "if" if isinstance(stmt, ast.If) else "while"
        return f"{keyword} {ast.unparse(stmt.test)}:"
    if isinstance(stmt, (ast.For, ast.AsyncFor)):
        return f"for {ast.unparse(stmt.target)} in {ast.unparse(stmt.iter)}:"
    if isinstance(stmt, (ast.With, ast.AsyncWith)):
        return "with " + ", ".join(ast.unparse(i) for i in stmt.items) + ":"
    return one_line(stmt)


# --- the operators: each maps one expression to its replacements ------------------------------

Replacement = tuple[str, ast.expr]


def _with(node: ast.expr, **fields: object) -> ast.expr:
    new = copy.deepcopy(node)
    for name, value in fields.items():
        setattr(new, name, value)
    return new


def _plus(node: ast.expr, step: int) -> ast.expr:
    op: ast.operator = ast.Add() if step > 0 else ast.Sub()
    return ast.BinOp(left=copy.deepcopy(node), op=op, right=ast.Constant(1))


def _name_of(func: ast.expr) -> str:
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def mutate_expression(node: ast.expr, parent: ast.AST | None) -> Iterator[Replacement]:
    if isinstance(node, ast.BinOp):
        swap = _BINOP.get(type(node.op))
        if swap is not None:
            yield "operator", _with(node, op=swap())
        if isinstance(node.op, _NOT_COMMUTATIVE):
            yield "swap-operands", _with(node, left=copy.deepcopy(node.right),
                                         right=copy.deepcopy(node.left))
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.Not, ast.Invert)):
        yield "drop-unary", copy.deepcopy(node.operand)
    elif isinstance(node, ast.Compare):
        for i, op in enumerate(node.ops):
            for kind, table in (("compare-boundary", _BOUNDARY), ("compare-negate", _NEGATION)):
                other = table.get(type(op))
                if other is not None:
                    ops = list(node.ops)
                    ops[i] = other()
                    yield kind, _with(node, ops=ops)
    elif isinstance(node, ast.BoolOp):
        yield "boolean", _with(node, op=ast.Or() if isinstance(node.op, ast.And) else ast.And())
        if len(node.values) == 2:
            for keep in node.values:
                yield "drop-condition", copy.deepcopy(keep)
    elif isinstance(node, ast.Constant):
        yield from _constants(node)
    elif isinstance(node, ast.Call):
        yield from _calls(node)
    elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load):
        if node.attr in _SIBLING:
            yield "sibling", _with(node, attr=_SIBLING[node.attr])
    elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id in _SIBLING \
            and node.id in {"min", "max", "any", "all"}:
        yield "sibling", _with(node, id=_SIBLING[node.id])
    if isinstance(parent, ast.Slice) and not isinstance(node, ast.Constant):
        yield "off-by-one", _plus(node, +1)
        yield "off-by-one", _plus(node, -1)
    if isinstance(parent, (ast.If, ast.While, ast.IfExp)) and node is parent.test and not \
            isinstance(node, (ast.Compare, ast.UnaryOp, ast.BoolOp)):
        yield "negate", ast.UnaryOp(op=ast.Not(), operand=copy.deepcopy(node))


def _number(value: float) -> ast.expr:
    """A number as the parser writes it: -1 is -(1)."""
    if value < 0:
        return ast.UnaryOp(op=ast.USub(), operand=ast.Constant(-value))
    return ast.Constant(value)


def _constants(node: ast.Constant) -> Iterator[Replacement]:
    value = node.value
    if isinstance(value, bool):
        yield "constant", ast.Constant(not value)
    elif isinstance(value, int):
        yield "constant", _number(value + 1)
        yield "constant", _number(value - 1)
    elif isinstance(value, float):
        yield "constant", _number(value + 1.0)
        yield "constant", _number(0.0 if value != 0.0 else 1.0)


def _calls(node: ast.Call) -> Iterator[Replacement]:
    for i, keyword in enumerate(node.keywords):
        if keyword.arg is not None:
            yield "drop-keyword", _with(node, keywords=node.keywords[:i] + node.keywords[i + 1:])
    args = node.args
    for i in range(len(args) - 1):
        a, b = args[i], args[i + 1]
        if not any(isinstance(x, ast.Starred) for x in (a, b)) and ast.dump(a) != ast.dump(b):
            swapped = list(args)
            swapped[i], swapped[i + 1] = copy.deepcopy(b), copy.deepcopy(a)
            yield "swap-arguments", _with(node, args=swapped)
    name = _name_of(node.func)
    if name in WRAPPERS and len(args) >= 1 and not isinstance(args[0], ast.Starred) and (
            isinstance(node.func, ast.Name) or name in {"as_tensor", "tensor", "expand",
                                                        "simplify", "sqrt"}):
        yield "drop-conversion", copy.deepcopy(args[0])
    if isinstance(node.func, ast.Attribute) and name in METHODS_TO_DROP and not (
            isinstance(node.func.value, ast.Name) and node.func.value.id in {"torch", "math",
                                                                             "sympy", "np"}):
        yield "drop-method", copy.deepcopy(node.func.value)


# --- where mutants may go ----------------------------------------------------------------------

def solution_lines(lines: list[str]) -> list[tuple[int, int]]:
    """(first, last) 1-based lines strictly inside each solution region."""
    spans, start = [], None
    for number, line in enumerate(lines, start=1):
        if line.strip() == BEGIN:
            start = number + 1
        elif line.strip() == END and start is not None:
            spans.append((start, number - 1))
            start = None
    return spans


def _inside(node: ast.AST, spans: list[tuple[int, int]]) -> bool:
    first, last = getattr(node, "lineno", 0), getattr(node, "end_lineno", 0) or 0
    return any(a <= first and last <= b for a, b in spans)


def _is_docstring(stmt: ast.stmt) -> bool:
    return isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) and isinstance(
        stmt.value.value, str)


def _owned(stmt: ast.stmt) -> Iterator[tuple[ast.expr, ast.AST]]:
    """(expression, parent) for the expressions of `stmt` itself: not those of nested
    statements, f-strings or annotations, nor what an assignment stores into (but the
    expressions it reads, like the index of `x[i] = ...`)."""
    def walk(node: ast.AST) -> Iterator[tuple[ast.expr, ast.AST]]:
        for name, value in ast.iter_fields(node):
            if name in ("annotation", "returns", "type_comment"):
                continue
            for child in value if isinstance(value, list) else [value]:
                if isinstance(child, ast.expr) and not isinstance(child, ast.JoinedStr):
                    if not isinstance(getattr(child, "ctx", None), (ast.Store, ast.Del)):
                        yield child, node
                    yield from walk(child)  # the index of `x[i] = ...` is read
                elif isinstance(child, (ast.keyword, ast.comprehension)):
                    yield from walk(child)
    yield from walk(stmt)


def _enclosing(tree: ast.Module) -> dict[int, tuple[str, ast.AST]]:
    """id(statement) -> (qualified name, node) of the innermost function it is in."""
    owner: dict[int, tuple[str, ast.AST]] = {}

    def visit(node: ast.AST, prefix: str, function: tuple[str, ast.AST] | None) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = f"{prefix}{child.name}"
                inner = None if isinstance(child, ast.ClassDef) else (name, child)
                visit(child, f"{name}.", inner)
            else:
                if isinstance(child, ast.stmt) and function is not None:
                    owner[id(child)] = function
                visit(child, prefix, function)

    visit(tree, "", None)
    return owner


# --- building the mutated text -----------------------------------------------------------------

class _Source:
    """The reference's bytes, for splicing by (line, UTF-8 column) as ast reports them."""

    def __init__(self, text: str) -> None:
        self.data = text.encode("utf-8")
        self.starts = [0]
        for line in self.data.splitlines(keepends=True):
            self.starts.append(self.starts[-1] + len(line))

    def splice(self, node: ast.AST, text: str) -> str:
        start = self.starts[node.lineno - 1] + node.col_offset  # type: ignore[attr-defined]
        end = self.starts[node.end_lineno - 1] + node.end_col_offset  # type: ignore[attr-defined]
        return (self.data[:start] + text.encode("utf-8") + self.data[end:]).decode("utf-8")


def _replace(root: ast.AST, target: ast.AST, new: ast.AST) -> ast.AST:
    """A deep copy of `root` with `target` (a node inside it, or root itself) replaced."""
    if root is target:
        return new
    nodes = list(ast.walk(root))
    index = next(i for i, n in enumerate(nodes) if n is target)
    twin = copy.deepcopy(root)
    old = list(ast.walk(twin))[index]
    for parent in ast.walk(twin):
        for name, value in ast.iter_fields(parent):
            if value is old:
                setattr(parent, name, new)
                return twin
            if isinstance(value, list) and any(v is old for v in value):
                setattr(parent, name, [new if v is old else v for v in value])
                return twin
    raise AssertionError("target not found")  # pragma: no cover


def _strip_markers(text: str) -> str:
    return "".join(line for line in text.splitlines(keepends=True)
                   if line.strip() not in (BEGIN, END))


def _fragment(node: ast.AST) -> str:
    text = ast.unparse(node)
    return text if isinstance(node, (*_ATOMS, ast.Constant)) else f"({text})"


def _function_at(tree: ast.AST, like: ast.AST) -> ast.AST | None:
    for node in ast.walk(tree):
        if isinstance(node, type(like)) and node.lineno == like.lineno and (  # type: ignore[attr-defined]
                node.name == like.name):  # type: ignore[attr-defined]
            return node
    return None


def generate(module: str, source: str) -> list[Mutant]:
    """Every first-order mutant of the solution regions of `source` (the reference module
    `module`, markers included), deduplicated, each compiling."""
    tree = ast.parse(source)
    spans = solution_lines(source.splitlines())
    owner = _enclosing(tree)
    text = _Source(source)
    seen: set[tuple[str, str]] = set()
    counts: dict[tuple[str, str, str], int] = {}
    mutants: list[Mutant] = []

    def add(stmt: ast.stmt, target: ast.AST, new: ast.AST, operator: str,
            show: Callable[[ast.AST], str]) -> None:
        function, definition = owner[id(stmt)]
        expected = ast.dump(_replace(definition, target, new))
        if expected == ast.dump(definition) or (function, expected) in seen:
            return
        seen.add((function, expected))
        body = text.splice(target, "pass" if isinstance(new, ast.Pass) else _fragment(new))
        try:
            mutated = _function_at(ast.parse(body), definition)
            if mutated is None or ast.dump(mutated) != expected:
                return
            compile(body, module, "exec")
        except (SyntaxError, ValueError):
            return
        was = show(stmt)
        now = "pass" if isinstance(new, ast.Pass) else show(_replace(stmt, target, new))
        counts[(function, was, now)] = counts.get((function, was, now), 0) + 1
        mutants.append(Mutant(module, function, getattr(target, "lineno", stmt.lineno),
                              operator, was, now, counts[(function, was, now)],
                              _strip_markers(body)))

    for stmt in [n for n in ast.walk(tree) if isinstance(n, ast.stmt)]:
        if id(stmt) not in owner or not _inside(stmt, spans) or _is_docstring(stmt):
            continue
        if not isinstance(stmt, ast.Pass):
            add(stmt, stmt, ast.Pass(), "delete-statement", one_line)
        for expression, parent in _owned(stmt):
            for operator, new in mutate_expression(expression, parent):
                add(stmt, expression, new, operator, header)
    mutants.sort(key=lambda m: m.line)
    return mutants
