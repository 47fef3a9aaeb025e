"""Proving a test suite before it grades anyone.

For an assignment, four kinds of fake student are built in a private temporary folder and
graded in one ordinary batch, through the same sandbox as real students:

    reference    the reference without its markers           must score full marks
    stub         the generated stub                          must score 0
    alternative  proofs/alternative/: another correct style  must score full marks
    mistake-*    the reference with one catalogued mistake   must lose points, fail the
                 (proofs/mistakes.yaml)                      tests it names, and say so
                 (with several files: only the tests of the file it edits, and the ones
                 it names, run; the other files are the reference's own)
    mutant-*     with `mutants`: every first-order mutant    killed, or listed in
                 of the solution regions (autograder.mutation)  proofs/equivalent.yaml
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, RootModel

from autograder.course import Assignment
from autograder.mutation import MutationReport, all_mutants, name_mutants, write_mutants
from autograder.mutation import judge as judge_mutants
from autograder.release import make_stub, strip_markers
from autograder.results import SubmissionResult
from autograder.yamlfile import ConfigError, load_model


class Edit(BaseModel):
    model_config = ConfigDict(extra="forbid")
    old: str = Field(min_length=1)
    new: str


class Mistake(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    description: str = Field(min_length=1)
    module: str | None = None
    edits: list[Edit] = Field(min_length=1)
    loses: list[str] = Field(min_length=1)
    feedback: str = Field(min_length=1)


class Catalogue(RootModel[list[Mistake]]):
    pass


@dataclass
class Proof:
    name: str
    expectation: str
    ok: bool
    detail: str
    result: SubmissionResult | None = None


@dataclass
class ProofReport:
    assignment: str
    proofs: list[Proof] = field(default_factory=list)
    mutation: MutationReport | None = None

    @property
    def ok(self) -> bool:
        return bool(self.proofs) and all(p.ok for p in self.proofs) and (
            self.mutation is None or self.mutation.ok)


def mistakes_path(assignment: Assignment) -> Path:
    return assignment.solution_dir / "proofs" / "mistakes.yaml"


def load_mistakes(assignment: Assignment) -> list[Mistake]:
    path = mistakes_path(assignment)
    if not path.is_file():
        return []
    mistakes = load_model(path, Catalogue).root
    seen: set[str] = set()
    for m in mistakes:
        if m.id in seen:
            raise ConfigError(f"{path}: mistake id {m.id!r} is used twice")
        seen.add(m.id)
    return mistakes


def edited_module(assignment: Assignment, mistake: Mistake) -> str:
    """The submitted file `mistake` edits (its `module`, else the assignment's only one)."""
    return mistake.module or assignment.manifest.modules[0]


def apply_mistake(assignment: Assignment, mistake: Mistake) -> dict[str, str]:
    """The submitted files of a student who made `mistake`."""
    module = edited_module(assignment, mistake)
    if module not in assignment.manifest.modules:
        raise ConfigError(f"{mistakes_path(assignment)}: mistake {mistake.id!r}: field "
                          f"'module': {module!r} is not a submitted module")
    files = {m: strip_markers(assignment.reference_path(m)) for m in assignment.manifest.modules}
    text = files[module]
    for number, edit in enumerate(mistake.edits):
        count = text.count(edit.old)
        if count != 1:
            raise ConfigError(
                f"{mistakes_path(assignment)}: mistake {mistake.id!r}: field 'edits[{number}]"
                f".old': found {count} times in {module} (it must match exactly once; has the "
                "reference changed?)")
        text = text.replace(edit.old, edit.new)
    files[module] = text
    return files


def build_fakes(assignment: Assignment, root: Path) -> dict[str, tuple[str, str]]:
    """Write the fake students under root/; returns name -> (kind, expectation)."""
    plan: dict[str, tuple[str, str]] = {}

    def write(name: str, files: dict[str, str], kind: str, expectation: str) -> None:
        folder = root / name
        folder.mkdir(parents=True)
        for fname, text in files.items():
            (folder / fname).write_text(text, encoding="utf-8")
        plan[name] = (kind, expectation)

    modules = assignment.manifest.modules
    readme = assignment.public_dir / "README.md"
    write("reference", {m: strip_markers(assignment.reference_path(m)) for m in modules},
          "full", "the reference scores full marks")
    write("stub", {m: make_stub(assignment.reference_path(m), readme) for m in modules},
          "zero", "the stub scores 0")
    alternative = assignment.solution_dir / "proofs" / "alternative"
    if all((alternative / m).is_file() for m in modules):
        write("alternative", {m: (alternative / m).read_text(encoding="utf-8")
                              for m in modules},
              "full", "a correct solution in another style scores full marks")
    for mistake in load_mistakes(assignment):
        write(f"mistake-{mistake.id}", apply_mistake(assignment, mistake), "mistake",
              mistake.description)
    return plan


def mistake_focus(assignment: Assignment, names: list[str], mistakes: dict[str, Mistake]
                  ) -> dict[str, dict[str, list[str]]]:
    """The tests each mistake fake needs (autograder.grading.focus, "files"): in an
    assignment of several files, the tests of the file the mistake edits and the tests it
    names; the other files are the reference's own, so their tests would only repeat the
    reference's run (minbert's toy fine-tuning among them). Empty with one file."""
    if len(assignment.manifest.modules) < 2:
        return {}
    out: dict[str, dict[str, list[str]]] = {}
    for name in names:
        mistake = mistakes[name.removeprefix("mistake-")]
        out[name] = {"files": [edited_module(assignment, mistake)],
                     "tests": list(mistake.loses)}
    return out


def judge(assignment: Assignment, name: str, kind: str, expectation: str,
          result: SubmissionResult, mistakes: dict[str, Mistake]) -> Proof:
    score = result.score_text()
    if result.status == "grader_error":  # a proof the grader could not run proves nothing
        return Proof(name, expectation, False,
                     f"NOT GRADED, the grader failed: {result.diagnostics or result.message}",
                     result)
    if kind == "full":
        ok = result.status == "graded" and result.score == result.max_score
        lost = [f"{t.name}: {t.output.splitlines()[0] if t.output else t.status}"
                for t in result.tests if t.status not in ("passed", "skipped")]
        detail = score if ok else f"{score} ({result.message}); " + "; ".join(lost[:3])
        return Proof(name, expectation, ok, detail, result)
    if kind == "zero":
        return Proof(name, expectation, result.score == 0, score, result)
    mistake = mistakes[name.removeprefix("mistake-")]
    by_name = {t.name: t for t in result.tests}
    problems = []
    if result.graded_score >= result.max_score:
        problems.append("lost no points")
    for test in mistake.loses:
        t = by_name.get(test)
        if t is None:
            problems.append(f"names unknown test {test!r}")
        elif t.status == "passed":
            problems.append(f"{test} passed")
    outputs = [t.output for t in result.tests if t.status != "passed"]
    if not any(mistake.feedback.lower() in o.lower() for o in outputs):
        problems.append(f"no feedback mentions {mistake.feedback!r}")
    if len(assignment.manifest.modules) > 1:
        score += f" ({edited_module(assignment, mistake)}'s tests)"
    detail = score + ("" if not problems else "; " + "; ".join(problems))
    return Proof(name, expectation, not problems, detail, result)


KINDS = ("reference", "stub", "alternative", "mistakes")


def kind_of(name: str) -> str:
    """The group a fake student belongs to (what `prove --only` selects)."""
    return "mistakes" if name.startswith("mistake-") else name


Grade = Callable[[Path, "Path | None"], list[SubmissionResult]]


def prove(assignment: Assignment, grade: Grade, *, only: frozenset[str] | None = None,
          mutants: bool = False) -> ProofReport:
    """Build the fakes, grade them in one batch with `grade(folder, focus)`, and judge each
    one. `only`: the groups of KINDS to build (default: all). `mutants`: add a fake student
    per mutant of the reference (the reference itself is then always graded); `focus` is the
    file that tells the grader which tests each mutant needs (None without mutants)."""
    report = ProofReport(assignment.slug)
    mistakes = {m.id: m for m in load_mistakes(assignment)}
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix=f"nlpgrade-prove-{assignment.slug}-") as tmp:
        root = Path(tmp) / "fakes"
        plan = build_fakes(assignment, root)
        if only is not None:
            for name in [n for n in plan if kind_of(n) not in only
                         and not (mutants and n == "reference")]:
                shutil.rmtree(root / name)
                del plan[name]
        spec: dict[str, object] = {}
        named = {}
        if mutants:
            named = name_mutants(all_mutants(assignment))
            spec["students"] = write_mutants(assignment, root, named)
        files = mistake_focus(assignment, [n for n in plan if kind_of(n) == "mistakes"],
                              mistakes)
        if files:
            spec["files"] = files
        focus = None
        if spec:  # the focus file the grader reads (autograder.grading.focus)
            focus = root.parent / f"{root.name}-focus.json"
            focus.write_text(json.dumps(spec), encoding="utf-8")
        results = {r.student: r for r in grade(root, focus)}
    for name, (kind, expectation) in plan.items():
        result = results.get(name)
        if result is None:
            report.proofs.append(Proof(name, expectation, False, "no result"))
        else:
            report.proofs.append(judge(assignment, name, kind, expectation, result, mistakes))
    if mutants:
        report.mutation = judge_mutants(assignment, named, results,
                                        seconds=time.monotonic() - started,
                                        reference=results.get("reference"))
    return report
