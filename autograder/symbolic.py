"""Is a student's or learner's expression equal to the key? Decided symbolically, in a child
process with a memory and a time limit: no expression from a student is ever evaluated in the
grader's own process (`d**(d**d)` at d = 10 would compute 10**(10**10) there).

Agreement at sample points is not equivalence: `d + 1e-9`, `d*tanh(20d)` and
`(d^4000+1)/(d^3999+1)` all agree with `d` to many digits somewhere. So:

1. Numeric sampling only ever *rejects*: at points that respect the variables' assumptions,
   evaluated to 50 digits, a difference above 1e-30 (relative) means "different".
2. Only algebra *accepts*: the difference, put over one denominator and expanded (or
   simplified), must be exactly 0. A difference whose numerator is a nonzero polynomial with
   rational coefficients, or that sympy proves nonzero, means "different".
3. Anything else is "undecided", said honestly; the answer is then not accepted.

Besides the verdict, the child reports what feedback needs, so the caller never evaluates
the answer itself: its printed form (capped), its value and the key's at given points, and
the first catalogued wrong formula it is equal to.

The work runs in a child process with a memory limit (RLIMIT_AS) and a wall-clock limit
(SIGKILL), so `(d+mu+sigma)^4000` can neither fill the machine nor hang grading. The child is
forked when that is safe (POSIX, one thread); otherwise it is a fresh interpreter
(`python -m autograder.symbolic`) that reads the job as JSON and parses the texts itself
with the same safe parser. The quiz (`autograder/quiz/symbolic.py`) and the assignments'
tests (`autograder.expr.equivalent`, `compare`) use it alike.
"""

from __future__ import annotations

import json
import os
import random
import select
import signal
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Verdict = Literal["equal", "different", "undecided"]

TIMEOUT_S = 3.0
MEMORY_MB = 384  # address space the child may add to what it inherits
_DIGITS = 50  # precision of the sample evaluations
_REJECT = "1e-30"  # relative difference that proves two values differ
_SAMPLES = 12


@dataclass(frozen=True)
class Job:
    """What to compare: two texts in declared variables (name -> sympy assumptions).

    `points` (name -> value) are where to report both values when they differ; `mistakes`
    (description -> text of a wrong formula) are checked, in order, for the first one the
    answer equals."""

    answer: str
    key: str
    variables: dict[str, list[str]]
    aliases: dict[str, str] = field(default_factory=dict)  # alias -> variable
    functions: list[str] | None = None  # None: the parser's default set
    points: list[dict[str, float]] = field(default_factory=list)
    mistakes: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    reason: str  # how it was decided, for feedback and logs
    shown: str = ""  # the answer as sympy prints it (at most 200 characters)
    values: list[list[float | None]] = field(default_factory=list)  # [answer, key] per point
    mistake: str = ""  # the first catalogued wrong formula the answer equals


def decide(job: Job, *, timeout_s: float = TIMEOUT_S, memory_mb: int = MEMORY_MB) -> Decision:
    """The verdict for `job`, within `timeout_s` seconds and `memory_mb` more memory."""
    if _can_fork():
        return _forked(job, timeout_s, memory_mb)
    return _spawned(job, timeout_s, memory_mb)


# --- the decision itself (runs in the child) -------------------------------------------------

def _symbols(job: Job) -> dict[str, Any]:
    import sympy

    table: dict[str, Any] = {}
    for name, assumptions in job.variables.items():
        table[name] = sympy.Symbol(name, **{a: True for a in assumptions})
    for alias, name in job.aliases.items():
        table[alias] = table[name]
    return table


def _parse_pair(job: Job) -> tuple[object, object]:
    from autograder.expr import DEFAULT_FUNCTIONS, parse_expression

    symbols = _symbols(job)
    functions = (None if job.functions is None
                 else {name: DEFAULT_FUNCTIONS[name] for name in job.functions})
    return (parse_expression(job.answer, symbols, functions=functions),  # type: ignore[arg-type]
            parse_expression(job.key, symbols, functions=functions))  # type: ignore[arg-type]


def decide_here(job: Job) -> Decision:
    """The decision, in this process and without limits (the child calls this)."""
    import sympy

    answer, key = _parse_pair(job)
    verdict = _verdict(answer, key)
    if verdict.verdict == "equal" or not (job.points or job.mistakes):
        return verdict
    symbols = _symbols(job)
    values = [[_float(_value(e, {symbols[n]: sympy.Float(v, _DIGITS)  # type: ignore[misc]
                                 for n, v in point.items() if n in symbols}))
               for e in (answer, key)]
              for point in job.points]
    mistake = ""
    for description, text in job.mistakes.items():
        wrong = _parse_pair(Job(answer=text, key=text, variables=job.variables,
                                aliases=job.aliases, functions=job.functions))[0]
        if _verdict(answer, wrong).verdict == "equal":
            mistake = description
            break
    return Decision(verdict.verdict, verdict.reason, sympy.sstr(answer)[:200], values, mistake)


def _verdict(answer: object, key: object) -> Decision:
    diff = answer - key  # type: ignore[operator]
    if diff == 0:
        return Decision("equal", "the same expression")
    witness = _numeric_witness(answer, key)
    if witness:
        return Decision("different", witness)
    return _algebra(diff)


def _float(value: Any) -> float | None:
    """A real value as a float for feedback (None when undefined, complex or not finite)."""
    if value is None:
        return None
    try:
        import mpmath

        if mpmath.im(value) != 0:
            return None
        result = float(mpmath.re(value))
    except (TypeError, ValueError, OverflowError):
        return None
    return result if result == result and abs(result) != float("inf") else None


def _numeric_witness(a: object, b: object) -> str:
    """A point where a and b differ beyond doubt, described; '' when none is found."""
    import mpmath
    import sympy

    assert isinstance(a, sympy.Expr) and isinstance(b, sympy.Expr)
    symbols = sorted(a.free_symbols | b.free_symbols, key=lambda s: s.name)
    rng = random.Random(20240917)  # fixed: the same answer always gets the same points
    threshold = mpmath.mpf(_REJECT)
    for i in range(_SAMPLES):
        point = {s: _sample(s, rng, i) for s in symbols}
        va, vb = _value(a, point), _value(b, point)
        if va is None or vb is None:
            continue
        scale = max(mpmath.mpf(1), abs(va), abs(vb))
        if abs(va - vb) > threshold * scale:
            at = ", ".join(f"{s} = {_shown(v)}" for s, v in point.items())
            gap = abs(va - vb) / scale  # show enough digits to see the difference
            digits = min(_DIGITS, max(6, int(-mpmath.log10(gap)) + 3))
            return (f"at {at or 'every point'} your expression is "
                    f"{mpmath.nstr(va, digits)} but the answer is {mpmath.nstr(vb, digits)}")
    return ""


def _shown(v: object) -> str:
    import sympy

    return sympy.sstr(v.evalf(6) if isinstance(v, sympy.Float) else v)


def _sample(s: object, rng: random.Random, i: int) -> object:
    """A value the symbol's assumptions allow; the first points are small and simple."""
    import sympy

    assert isinstance(s, sympy.Symbol)
    if s.is_integer:
        low = 1 if s.is_positive else 0 if s.is_nonnegative else -12
        high = -1 if s.is_negative else 0 if s.is_nonpositive else 12
        value = [1, 2, 3][i] if i < 3 and low <= 1 <= high else rng.randint(low, high)
        if value == 0 and s.is_nonzero:
            value = 1
        return sympy.Integer(value)
    magnitude = [sympy.Rational(1, 2), sympy.Integer(1), sympy.Integer(2)][i] if i < 3 \
        else sympy.Float(10 ** rng.uniform(-1.0, 0.7), _DIGITS)
    if s.is_positive or s.is_nonnegative:
        return magnitude
    if s.is_negative or s.is_nonpositive:
        return -magnitude
    return magnitude if rng.random() < 0.5 else -magnitude


def _value(e: object, point: dict[object, object]) -> Any:
    import mpmath
    import sympy

    assert isinstance(e, sympy.Expr)
    try:
        v = e.evalf(_DIGITS, subs=point)
        if not v.is_number or v.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
            return None
        z = v._to_mpmath(_DIGITS * 4)
    except (TypeError, ValueError, AttributeError, ZeroDivisionError, ArithmeticError):
        return None
    if mpmath.isnan(z) or mpmath.isinf(z) or not mpmath.isfinite(z):
        return None
    return z


def _algebra(diff: object) -> Decision:
    import sympy

    assert isinstance(diff, sympy.Expr)
    symbols = sorted(diff.free_symbols, key=lambda s: s.name)
    numerator, _ = sympy.together(diff).as_numer_denom()
    numerator = sympy.expand(numerator)
    if numerator == 0:
        return Decision("equal", "the difference is 0 over a common denominator")
    if _nonzero_polynomial(numerator, symbols):
        return Decision("different", f"the difference is {sympy.sstr(_short(diff))}, not 0")
    simplified = sympy.simplify(diff)
    if simplified == 0:
        return Decision("equal", "the difference simplifies to 0")
    if simplified.is_zero is False or _nonzero_polynomial(simplified, symbols):
        return Decision("different", f"the difference is {sympy.sstr(_short(simplified))}, "
                                     "which is never 0")
    return Decision("undecided", "sympy could neither prove nor disprove that the difference "
                                 f"{sympy.sstr(_short(simplified))} is 0")


def _nonzero_polynomial(e: object, symbols: list[object]) -> bool:
    """A nonzero polynomial with rational coefficients: not 0 on any infinite domain."""
    import sympy

    try:
        poly = sympy.Poly(e, *symbols, domain="QQ") if symbols else None
    except (sympy.PolynomialError, sympy.CoercionFailed, sympy.GeneratorsNeeded):
        return False
    if poly is None:
        return bool(getattr(e, "is_Rational", False)) and e != 0
    return not poly.is_zero


def _short(e: object) -> object:
    import sympy

    assert isinstance(e, sympy.Expr)
    return e if sympy.count_ops(e) < 40 else sympy.Symbol("(a long expression)")


# --- running it in a child ------------------------------------------------------------------

def _can_fork() -> bool:
    return hasattr(os, "fork") and threading.active_count() == 1


def _limit_memory(memory_mb: int) -> None:
    """Cap the address space at what this process already maps plus `memory_mb`."""
    try:
        import resource

        with open("/proc/self/statm") as f:
            mapped = int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        limit = mapped + memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (OSError, ValueError, ImportError):
        pass  # no /proc (macOS) or no rlimits: the wall-clock limit still holds


def _run_limited(job: Job, memory_mb: int) -> Decision:
    _limit_memory(memory_mb)
    try:
        return decide_here(job)
    except MemoryError:
        return Decision("undecided", f"the check needed more than {memory_mb} MiB of memory")
    except RecursionError:
        return Decision("undecided", "the expression is too deeply nested to check")


def _forked(job: Job, timeout_s: float, memory_mb: int) -> Decision:
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: never returns, never runs the parent's cleanup
        code = 0
        try:
            os.close(read_fd)
            decision = _run_limited(job, memory_mb)
            os.write(write_fd, json.dumps(asdict(decision)).encode())
        except BaseException:
            code = 1
        finally:
            os._exit(code)
    os.close(write_fd)
    deadline = time.monotonic() + timeout_s
    try:
        payload = _read_until(read_fd, deadline)
        if not payload and time.monotonic() < deadline:
            return Decision("undecided", "the checking process stopped without an answer")
    finally:
        os.close(read_fd)
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        os.waitpid(pid, 0)
    return _decision(payload, timeout_s)


def _read_until(fd: int, deadline: float) -> bytes:
    out = b""
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return b""
        ready, _, _ = select.select([fd], [], [], left)
        if not ready:
            return b""
        chunk = os.read(fd, 65536)
        if not chunk:
            return out
        out += chunk


def _decision(payload: bytes, timeout_s: float) -> Decision:
    if not payload:
        return Decision("undecided", f"the check did not finish within {timeout_s:g} s")
    try:
        return Decision(**json.loads(payload))
    except (ValueError, KeyError, TypeError):
        return Decision("undecided", "the checking process failed")


def _spawned(job: Job, timeout_s: float, memory_mb: int) -> Decision:
    argv = [sys.executable, "-m", "autograder.symbolic", str(memory_mb)]
    try:
        proc = subprocess.run(argv, input=json.dumps(asdict(job)), capture_output=True,
                              text=True, timeout=timeout_s + 5)  # + interpreter start-up
    except subprocess.TimeoutExpired:
        return _decision(b"", timeout_s)
    return _decision(proc.stdout.encode(), timeout_s)


def main() -> int:
    """`python -m autograder.symbolic MEMORY_MB`: a Job as JSON in, a Decision out."""
    job = Job(**json.loads(sys.stdin.read()))
    decision = _run_limited(job, int(sys.argv[1]))
    sys.stdout.write(json.dumps(asdict(decision)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
