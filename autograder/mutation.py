"""Mutation proofs: grade every first-order mutant of the reference, and judge the survivors.

`nlpgrade prove SLUG --mutants` writes one fake student per mutant (autograder.mutants) and
grades them in the same batch as the other proofs. Each mutant runs only the tests that can
reach the function it changes, and stops at its first failure (autograder.grading.focus).

Which tests reach a function is read from the test files with `ast`: a test reaches the units
(top-level functions and classes) it names through `student` (`student.f`, `student.bert.C`),
directly or through a helper of the test file it passes `student` to, and every unit those
call in the reference. A test that uses `student` any other way (`getattr(student, name)`,
`source_of(student)`) is assumed to reach everything, and so is a test of a unit no test names.

A mutant that scores full marks survives. `solutions/<slug>/proofs/equivalent.yaml` lists
survivors an instructor has judged, each with a reason:

    - function: masking.key_mask          # module.qualname
      was: "positions = torch.as_tensor(masked_positions, dtype=torch.long).reshape(-1).cpu()"
      now: "positions = torch.as_tensor(masked_positions, dtype=torch.long).reshape(-1)"
      reason: "..."                       # why no test can (or should) tell them apart
      kind: equivalent                    # or `tolerated`: a real difference left untested

Equivalent mutants leave the kill rate's denominator; tolerated ones count as survivors. The
proof fails on a survivor that is not listed, or when a module's kill rate (killed over
non-equivalent) is below the manifest's `min_kill_rate`. Entries that match no mutant, or
whose mutant is now killed, are reported as stale.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel

from autograder.course import Assignment
from autograder.mutants import Mutant, generate
from autograder.release import strip_markers
from autograder.results import SubmissionResult
from autograder.yamlfile import ConfigError, load_model

DEFAULT_MIN_KILL_RATE = 0.97
FAILED = ("failed", "error", "timeout", "crashed")


class Judged(BaseModel):
    model_config = ConfigDict(extra="forbid")
    function: str = Field(min_length=1, description="module.qualname, e.g. masking.key_mask")
    was: str = Field(min_length=1)
    now: str = Field(min_length=1)
    occurrence: int = Field(1, ge=1)
    reason: str = Field(min_length=20, description="why the tests cannot or need not see it")
    kind: Literal["equivalent", "tolerated"] = "equivalent"

    @property
    def key(self) -> str:
        suffix = f" #{self.occurrence}" if self.occurrence > 1 else ""
        return f"{self.function}: {self.was} -> {self.now}{suffix}"


class JudgedList(RootModel[list[Judged]]):
    pass


def equivalent_path(assignment: Assignment) -> Path:
    return assignment.solution_dir / "proofs" / "equivalent.yaml"


def load_judged(assignment: Assignment) -> dict[str, Judged]:
    path = equivalent_path(assignment)
    if not path.is_file():
        return {}
    judged: dict[str, Judged] = {}
    for entry in load_model(path, JudgedList).root:
        if entry.key in judged:
            raise ConfigError(f"{path}: the mutant {entry.key!r} is listed twice")
        judged[entry.key] = entry
    return judged


def min_kill_rate(assignment: Assignment) -> float:
    rate = assignment.manifest.min_kill_rate
    return DEFAULT_MIN_KILL_RATE if rate is None else rate


# --- the mutants and the tests that can see them ----------------------------------------------

def all_mutants(assignment: Assignment) -> list[Mutant]:
    return [m for module in assignment.manifest.modules
            for m in generate(module, assignment.reference_path(module).read_text(
                encoding="utf-8"))]


Unit = tuple[str, str]  # (module stem, top-level name)
EVERYTHING: Unit = ("*", "*")


def _test_functions(tree: ast.Module) -> dict[str, ast.FunctionDef]:
    tests = {n.name: n for n in tree.body
             if isinstance(n, ast.FunctionDef) and n.name.startswith("test")}
    for cls in (n for n in tree.body if isinstance(n, ast.ClassDef)
                and n.name.startswith("Test")):
        tests.update({n.name: n for n in cls.body
                      if isinstance(n, ast.FunctionDef) and n.name.startswith("test")})
    return tests


class _Reach:
    """The units of the reference that each function of one test file reaches."""

    def __init__(self, tree: ast.Module, modules: list[str]) -> None:
        self.helpers = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
        self.modules = modules
        self.memo: dict[tuple[str, str, frozenset[tuple[str, str]]], set[Unit]] = {}

    def of(self, function: ast.FunctionDef, name: str = "student",
           strings: frozenset[tuple[str, str]] = frozenset()) -> set[Unit]:
        """`strings`: parameters of `function` bound to string constants at the call site,
        so that `getattr(student, call)` with call="padding_mask" is resolved."""
        key = (function.name, name, strings)
        if key not in self.memo:
            self.memo[key] = set()  # recursion guard
            self.memo[key] = self._scan(function, name, dict(strings))
        return self.memo[key]

    def _scan(self, function: ast.FunctionDef, name: str, strings: dict[str, str]) -> set[Unit]:
        found: set[Unit] = set()
        parents = {id(c): p for p in ast.walk(function) for c in ast.iter_child_nodes(p)}
        for node in ast.walk(function):
            if not (isinstance(node, ast.Name) and node.id == name
                    and isinstance(node.ctx, ast.Load)):
                continue
            parent = parents.get(id(node))
            if isinstance(parent, ast.keyword):
                parent = parents.get(id(parent))
            if isinstance(parent, ast.Attribute):
                found.add(self._unit(parent.attr, parents.get(id(parent))))
            elif isinstance(parent, ast.Call) and _called(parent) == "getattr" and len(
                    parent.args) >= 2 and parent.args[0] is node:
                attr = _string(parent.args[1], strings)
                found.add(EVERYTHING if attr is None else self._unit(attr, parents.get(
                    id(parent))))
            elif isinstance(parent, ast.Call) and _called(parent) in self.helpers:
                helper = self.helpers[_called(parent)]
                bound = _bind(helper, parent)
                parameter = next((p for p, arg in bound.items() if arg is node), None)
                consts = frozenset((p, v) for p, arg in bound.items()
                                   if (v := _string(arg, strings)) is not None)
                found |= self.of(helper, parameter, consts) if parameter else {EVERYTHING}
            else:
                found.add(EVERYTHING)
        return found

    def _unit(self, attr: str, outer: ast.AST | None) -> Unit:
        if len(self.modules) == 1:
            return (self.modules[0], attr)
        if attr in self.modules and isinstance(outer, ast.Attribute):
            return (attr, outer.attr)
        return EVERYTHING if attr in self.modules else ("", attr)


def _called(call: ast.Call) -> str:
    return call.func.id if isinstance(call.func, ast.Name) else ""


def _string(node: ast.expr, strings: dict[str, str]) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return strings.get(node.id) if isinstance(node, ast.Name) else None


def _bind(helper: ast.FunctionDef, call: ast.Call) -> dict[str, ast.expr]:
    """parameter -> argument expression, for the plain positional and keyword arguments."""
    params = [a.arg for a in helper.args.posonlyargs + helper.args.args]
    bound = {p: a for p, a in zip(params, call.args, strict=False)
             if not isinstance(a, ast.Starred)}
    bound.update({k.arg: k.value for k in call.keywords if k.arg})
    return bound


def tests_reaching(assignment: Assignment) -> tuple[list[str], dict[str, set[Unit]]]:
    """(every test name in collection order, test name -> the units it names)."""
    modules = assignment.module_names
    order: list[str] = []
    reach: dict[str, set[Unit]] = {}
    for path in (assignment.public_tests, assignment.hidden_tests):
        if not path.is_file():
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        scanner = _Reach(tree, modules)
        for name, function in _test_functions(tree).items():
            order.append(name)
            reach[name] = scanner.of(function) if any(
                a.arg == "student" for a in function.args.args) else set()
    return order, reach


def callers(assignment: Assignment) -> dict[Unit, set[Unit]]:
    """unit -> every unit of the reference that uses it, itself included (transitively)."""
    uses: dict[Unit, set[Unit]] = {}
    stems = assignment.module_names
    for stem in stems:
        tree = ast.parse(assignment.reference_path(f"{stem}.py").read_text(encoding="utf-8"))
        imported: dict[str, Unit] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module in stems:
                for alias in node.names:
                    imported[alias.asname or alias.name] = (node.module, alias.name)
        top = {n.name for n in tree.body
               if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}
        for node in tree.body:
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                continue
            unit = (stem, node.name)
            used = uses.setdefault(unit, set())
            for inner in ast.walk(node):
                if isinstance(inner, ast.Name) and inner.id in top:
                    used.add((stem, inner.id))
                elif isinstance(inner, ast.Name) and inner.id in imported:
                    used.add(imported[inner.id])
                elif isinstance(inner, ast.Attribute) and isinstance(
                        inner.value, ast.Name) and inner.value.id in stems:
                    used.add((inner.value.id, inner.attr))
    result: dict[Unit, set[Unit]] = {}
    for unit in uses:
        reached, frontier = {unit}, [unit]
        while frontier:
            current = frontier.pop()
            for user, used in uses.items():
                if current in used and user not in reached:
                    reached.add(user)
                    frontier.append(user)
        result[unit] = reached
    return result


def focus_plan(assignment: Assignment, mutants: dict[str, Mutant]) -> dict[str, list[str]]:
    """fake student -> the tests its mutant can reach, in collection order."""
    order, reach = tests_reaching(assignment)
    users = callers(assignment)
    plan: dict[str, list[str]] = {}
    for name, mutant in mutants.items():
        unit = (mutant.module.removesuffix(".py"), mutant.unit)
        wanted = users.get(unit, {unit}) | {("", u[1]) for u in users.get(unit, {unit})}
        tests = [t for t in order if EVERYTHING in reach[t] or reach[t] & wanted]
        plan[name] = tests if any(reach[t] & wanted for t in tests) else order
    return plan


def name_mutants(mutants: list[Mutant]) -> dict[str, Mutant]:
    return {f"mutant-{i:04d}": m for i, m in enumerate(mutants, start=1)}


def write_mutants(assignment: Assignment, root: Path, named: dict[str, Mutant]
                  ) -> dict[str, list[str]]:
    """One folder per mutant under root; returns the tests each one runs (the "students" of
    the focus file the grader reads: autograder.grading.focus)."""
    modules = assignment.manifest.modules
    reference = {m: strip_markers(assignment.reference_path(m)) for m in modules}
    for name, mutant in named.items():
        folder = root / name
        folder.mkdir(parents=True)
        for module in modules:
            text = mutant.text if module == mutant.module else reference[module]
            (folder / module).write_text(text, encoding="utf-8")
    return focus_plan(assignment, named)


# --- the verdicts ------------------------------------------------------------------------------

Verdict = Literal["killed", "survived", "equivalent", "tolerated", "not graded"]


@dataclass
class Outcome:
    mutant: Mutant
    verdict: Verdict
    killed_by: str = ""
    passed: list[str] = field(default_factory=list)
    reason: str = ""
    ran: int = 0  # tests run (the others were skipped by the focus)


@dataclass
class ModuleScore:
    module: str
    generated: int = 0
    killed: int = 0
    equivalent: int = 0
    tolerated: int = 0
    survived: int = 0
    not_graded: int = 0

    @property
    def kill_rate(self) -> float:
        judged = self.generated - self.equivalent
        return self.killed / judged if judged else 1.0


@dataclass
class MutationReport:
    assignment: str
    min_kill_rate: float
    outcomes: list[Outcome] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)
    seconds: float = 0.0
    reference_ok: bool = True

    def modules(self) -> list[ModuleScore]:
        scores: dict[str, ModuleScore] = {}
        for o in self.outcomes:
            score = scores.setdefault(o.mutant.module, ModuleScore(o.mutant.module))
            score.generated += 1
            attr = "not_graded" if o.verdict == "not graded" else o.verdict
            setattr(score, attr, getattr(score, attr) + 1)
        return list(scores.values())

    @property
    def survivors(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.verdict in ("survived", "not graded")]

    @property
    def ok(self) -> bool:
        return self.reference_ok and not self.survivors and all(
            s.kill_rate >= self.min_kill_rate for s in self.modules())


def verdict_of(result: SubmissionResult | None) -> tuple[Verdict, str, list[str]]:
    if result is None or result.status == "grader_error":
        return "not graded", "", []
    passed = [t.name for t in result.tests if t.status == "passed"]
    if result.status != "graded":
        return "killed", result.status, passed
    failed = [t.name for t in result.tests if t.status in FAILED]
    return ("killed", failed[0], passed) if failed else ("survived", "", passed)


def judge(assignment: Assignment, mutants: dict[str, Mutant],
          results: dict[str, SubmissionResult], *, seconds: float,
          reference: SubmissionResult | None) -> MutationReport:
    judged = load_judged(assignment)
    report = MutationReport(assignment.slug, min_kill_rate(assignment), seconds=seconds)
    report.reference_ok = reference is not None and reference.status == "graded" and (
        reference.score == reference.max_score)
    seen: set[str] = set()
    for name, mutant in mutants.items():
        result = results.get(name)
        verdict, killed_by, passed = verdict_of(result)
        ran = 0 if result is None else sum(t.status != "skipped" for t in result.tests)
        entry = judged.get(mutant.key)
        reason = ""
        if entry is not None:
            seen.add(mutant.key)
            reason = entry.reason
            if verdict == "survived":
                verdict = entry.kind
            elif verdict == "killed":
                report.stale.append(f"{mutant.key}: listed as {entry.kind}, but {killed_by} "
                                    "kills it")
        report.outcomes.append(Outcome(mutant, verdict, killed_by, passed, reason, ran))
    report.stale += [f"{key}: no such mutant (has the reference changed?)"
                     for key in judged if key not in seen]
    return report


def yaml_entries(outcomes: Iterable[Outcome]) -> str:
    """equivalent.yaml entries to fill in, for the survivors (reason left for a person)."""
    lines = []
    for o in outcomes:
        m = o.mutant
        lines += [f"- function: {m.module.removesuffix('.py')}.{m.function}",
                  f"  was: {json.dumps(m.was, ensure_ascii=False)}",
                  f"  now: {json.dumps(m.now, ensure_ascii=False)}"]
        if m.occurrence > 1:
            lines.append(f"  occurrence: {m.occurrence}")
        lines.append('  reason: "TODO: why no test can or should tell it from the reference"')
    return "\n".join(lines)
