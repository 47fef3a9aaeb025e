"""Mutation proofs (issue 15): the mutants, the focused grading path, the verdicts, and CI.

The generator is tested on small sources; the focus option and `prove --mutants` black-box on
a private copy of the toy course; and every assignment whose manifest sets `min_kill_rate`
must kill its mutants (or list them in proofs/equivalent.yaml) in the same batch as its other
proofs (`tests/test_proofs.py` grades them together).
"""

from __future__ import annotations

import ast
import json
import shutil
import textwrap
from pathlib import Path

import pytest

from autograder.commands.prove import prove_assignment
from autograder.course import find_course_root, list_assignments, load_assignment
from autograder.mutants import generate
from autograder.mutation import (
    ModuleScore,
    all_mutants,
    focus_plan,
    judge,
    load_judged,
    name_mutants,
)
from autograder.results import SubmissionResult
from autograder.results import TestResult as Row
from autograder.yamlfile import ConfigError
from tests.conftest import REPO, TOY, grade_folder
from tests.test_proofs import report_for

SOURCE = '''\
"""A module."""

import torch


def helper(x):
    return x + 1


def clamp_positions(positions, n, device=None):
    """Docstring."""
    ### BEGIN SOLUTION
    if min(positions) < 0 or max(positions) >= n:
        raise ValueError("out of range")
    mask = torch.ones(n, dtype=torch.bool, device=device)
    mask[torch.as_tensor(positions)] = False
    return int(mask.sum()), mask[:n]
    ### END SOLUTION
'''


def diffs(source: str = SOURCE) -> set[tuple[str, str]]:
    return {(m.was, m.now) for m in generate("mod.py", source)}


def test_mutants_change_only_the_solution_regions():
    mutants = generate("mod.py", SOURCE)
    assert mutants and {m.function for m in mutants} == {"clamp_positions"}
    assert all(13 <= m.line <= 17 for m in mutants)


def test_each_mutant_compiles_differs_from_the_reference_and_from_the_others():
    mutants = generate("mod.py", SOURCE)
    reference = ast.dump(ast.parse(SOURCE))
    dumps = [ast.dump(ast.parse(m.text)) for m in mutants]
    assert reference not in dumps
    assert len(set(dumps)) == len(dumps)
    assert all("### BEGIN SOLUTION" not in m.text for m in mutants)


CHECK = "if min(positions) < 0 or max(positions) >= n:"
ONES = "mask = torch.ones(n, dtype=torch.bool, device=device)"
INDEX = "mask[torch.as_tensor(positions)] = False"
RETURN = "return (int(mask.sum()), mask[:n])"


@pytest.mark.parametrize("was, now", [
    (CHECK, "if min(positions) <= 0 or max(positions) >= n:"),  # a boundary
    (CHECK, "if max(positions) < 0 or max(positions) >= n:"),  # only the largest checked
    (CHECK, "if min(positions) < 0:"),  # one end of the range
    (CHECK, "if min(positions) < 1 or max(positions) >= n:"),  # off by one
    (ONES, "mask = torch.ones(n, dtype=torch.bool)"),  # device= dropped
    (ONES, "mask = torch.zeros(n, dtype=torch.bool, device=device)"),  # a sibling
    (INDEX, "mask[positions] = False"),  # a documented input type's conversion
    (INDEX, "mask[torch.as_tensor(positions)] = True"),
    (RETURN, "return (mask.sum(), mask[:n])"),  # a 0-d tensor for an int
    (RETURN, "return (int(mask.sum()), mask[:n + 1])"),  # a slice off by one
    (ONES, "pass"),  # a deleted statement
    ("raise ValueError('out of range')", "pass"),  # a validation deleted
])
def test_the_operators_cover_the_classes_of_issue_15(was, now):
    assert (was, now) in diffs()


def test_arguments_are_swapped_and_keywords_dropped():
    source = SOURCE.replace("return x + 1", "return x + 1").replace(
        "    mask[torch.as_tensor(positions)] = False\n",
        "    mask[torch.as_tensor(positions)] = False\n    mask = torch.where(mask, n, 0)\n")
    found = diffs(source)
    assert ("mask = torch.where(mask, n, 0)", "mask = torch.where(n, mask, 0)") in found
    assert ("mask = torch.where(mask, n, 0)", "mask = torch.where(mask, 0, n)") in found


def test_a_mutant_keeps_its_identity_when_lines_move():
    before = {m.key for m in generate("mod.py", SOURCE)}
    moved = SOURCE.replace('"""A module."""\n', '"""A module."""\n\n# a comment\nX = 1\n\n')
    after = generate("mod.py", moved)
    assert {m.key for m in after} == before
    assert min(m.line for m in after) == 17  # the line numbers move, the keys do not


def test_the_same_change_twice_in_one_function_is_numbered():
    source = textwrap.dedent('''\
        def f(x):
            ### BEGIN SOLUTION
            y = x + 1
            y = x + 1
            return y
            ### END SOLUTION
        ''')
    keys = [m.key for m in generate("m.py", source) if m.now == "y = x - 1"]
    assert keys == ["m.f: y = x + 1 -> y = x - 1", "m.f: y = x + 1 -> y = x - 1 #2"]


# --- the equivalence catalogue and the verdicts -----------------------------------------------

@pytest.fixture
def toy(tmp_path: Path):  # type: ignore[no-untyped-def]
    course = tmp_path / "course"
    shutil.copytree(TOY, course, ignore=shutil.ignore_patterns("submissions"))
    return load_assignment(course, "toy")


def graded(student: str, *statuses: str) -> SubmissionResult:
    tests = [Row(f"test_{i}", 1.0 if s == "passed" else 0.0, 1.0, s, "", "hidden")
             for i, s in enumerate(statuses)]
    return SubmissionResult(student, sum(t.score or 0 for t in tests), len(tests), "graded",
                            tests=tests)


def write_equivalent(assignment, entries: list[dict[str, str]]) -> None:  # type: ignore[no-untyped-def]
    import yaml

    path = assignment.solution_dir / "proofs" / "equivalent.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(entries, allow_unicode=True), encoding="utf-8")


def test_listed_survivors_are_equivalent_unlisted_ones_fail_and_stale_entries_show(toy):
    named = name_mutants(all_mutants(toy))
    (first, m1), (second, m2), (third, m3) = list(named.items())[:3]
    write_equivalent(toy, [
        {"function": f"toy.{m1.function}", "was": m1.was, "now": m1.now,
         "reason": "a reason long enough for a reviewer"},
        {"function": f"toy.{m3.function}", "was": m3.was, "now": m3.now,
         "reason": "listed, but a test kills it", "kind": "tolerated"},
        {"function": "toy.double", "was": "gone", "now": "also gone",
         "reason": "the reference has changed since"}])
    results = {first: graded(first, "passed"), second: graded(second, "passed"),
               third: graded(third, "failed", "skipped")}
    report = judge(toy, {first: m1, second: m2, third: m3}, results, seconds=1.0,
                   reference=graded("reference", "passed"))
    verdicts = [o.verdict for o in report.outcomes]
    assert verdicts == ["equivalent", "survived", "killed"]
    assert [o.mutant for o in report.survivors] == [m2]
    assert not report.ok
    assert len(report.stale) == 2 and "test_0 kills it" in report.stale[0]
    assert "no such mutant" in report.stale[1]
    score = report.modules()[0]
    assert (score.generated, score.killed, score.equivalent) == (3, 1, 1)
    assert score.kill_rate == 0.5


def test_the_kill_rate_leaves_out_the_equivalent_mutants():
    assert ModuleScore("m.py", generated=100, killed=96, equivalent=4).kill_rate == 1.0
    assert ModuleScore("m.py", generated=100, killed=93, equivalent=4, tolerated=3
                       ).kill_rate == pytest.approx(93 / 96)


def test_an_entry_without_a_reason_or_listed_twice_is_refused(toy):
    write_equivalent(toy, [{"function": "toy.double", "was": "a", "now": "b", "reason": "ok"}])
    with pytest.raises(ConfigError, match="reason"):
        load_judged(toy)
    entry = {"function": "toy.double", "was": "a", "now": "b",
             "reason": "twenty characters or more"}
    write_equivalent(toy, [entry, entry])
    with pytest.raises(ConfigError, match="listed twice"):
        load_judged(toy)


def test_a_mutant_runs_the_tests_that_reach_its_function(repo):
    masking = load_assignment(repo, "masking")
    named = name_mutants([m for m in all_mutants(masking)
                          if m.function in ("causal_mask", "mlm_mask")][:80])
    plan = focus_plan(masking, named)
    for name, mutant in named.items():
        tests = plan[name]
        assert tests, mutant.key
        other = "mlm" if mutant.function == "causal_mask" else "causal"
        assert not any(other in t for t in tests), (mutant.key, tests)
        assert any(mutant.function.split("_")[0] in t for t in tests)


# --- the focused grading path, black-box -------------------------------------------------------

def test_focus_runs_only_the_listed_tests_and_stops_at_the_first_failure(tmp_path):
    course = tmp_path / "course"
    shutil.copytree(TOY, course)
    folder = course / "submissions"
    for name in list(folder.iterdir()):
        if name.name not in ("correct", "wrong_double"):
            shutil.rmtree(name)
    shutil.copytree(folder / "correct", folder / "unfocused")
    focus = tmp_path / "focus.json"
    focus.write_text(json.dumps({"students": {
        "correct": ["test_softmax_rows_sum_to_one"],
        "wrong_double": ["test_double_matches_the_reference_on_random_input",
                         "test_counter_keeps_its_total_between_calls",
                         "test_softmax_rows_sum_to_one"]}}))
    from autograder.grading.engine import Options
    from autograder.grading.pool import Job, grade_batch
    from autograder.grading.submission import discover

    results: list[SubmissionResult] = []
    grade_batch(Job(str(course), "toy", Options(focus=str(focus))), discover(folder),
                workers=1, on_result=results.append)
    status = {r.student: {t.name: t.status for t in r.tests} for r in results}
    assert status["correct"] == {"test_double_of_ones_is_twos": "skipped",
                                 "test_double_matches_the_reference_on_random_input": "skipped",
                                 "test_counter_keeps_its_total_between_calls": "skipped",
                                 "test_softmax_rows_sum_to_one": "passed"}
    assert status["wrong_double"] == {"test_double_of_ones_is_twos": "skipped",
                                      "test_double_matches_the_reference_on_random_input":
                                      "failed",
                                      "test_counter_keeps_its_total_between_calls": "skipped",
                                      "test_softmax_rows_sum_to_one": "skipped"}
    assert set(status["unfocused"].values()) == {"passed"}
    plain = grade_folder(course, "toy", folder, workers=1)
    assert {t.status for t in plain["correct"].tests} == {"passed"}


def test_a_files_focus_runs_every_test_of_those_files_and_the_named_ones_without_stopping(
        tmp_path):
    """The focus of a catalogued mistake in a several-file assignment (proofs.mistake_focus):
    the edited file's tests and the tests it names all run, failing or not; the others skip."""
    course = tmp_path / "course"
    shutil.copytree(TOY, course)
    folder = tmp_path / "pair"
    left = (course / "solutions/pair/left.py").read_text()
    right = (course / "solutions/pair/right.py").read_text()
    for student, right_text in (("wrong_right", right.replace("helper.ONE + x", "2 + x")),
                                ("unfocused", right.replace("helper.ONE + x", "2 + x"))):
        (folder / student).mkdir(parents=True)
        (folder / student / "left.py").write_text(left)
        (folder / student / "right.py").write_text(right_text)
    focus = tmp_path / "focus.json"
    focus.write_text(json.dumps({"files": {
        "wrong_right": {"files": ["right.py"], "tests": ["test_both_together"]}}}))
    from autograder.grading.engine import Options
    from autograder.grading.pool import Job, grade_batch
    from autograder.grading.submission import discover

    results: list[SubmissionResult] = []
    grade_batch(Job(str(course), "pair", Options(focus=str(focus))), discover(folder),
                workers=1, on_result=results.append)
    status = {r.student: {t.name: t.status for t in r.tests} for r in results}
    assert status["wrong_right"] == {
        "test_offset_of_one": "failed", "test_scale_by_one": "skipped",  # public
        "test_scale": "skipped", "test_offset": "failed", "test_offset_of_zero": "failed",
        "test_both_together": "failed", "test_skipped_here": "skipped"}
    assert status["unfocused"]["test_scale"] == "passed"  # not listed: graded in full


@pytest.mark.slow
def test_prove_mutants_of_the_toy_finds_the_survivor_and_accepts_it_once_listed(toy):
    report = prove_assignment(toy, workers=1, only=frozenset({"reference"}), mutants=True)
    assert report.mutation is not None
    survivors = [o.mutant for o in report.mutation.survivors]
    assert [(m.function, m.was, m.now) for m in survivors] == [
        ("softmax", "return x.softmax(dim=-1)", "return x.softmax(dim=1)")], survivors
    assert not report.ok and report.proofs[0].ok
    write_equivalent(toy, [{"function": "toy.softmax", "was": "return x.softmax(dim=-1)",
                            "now": "return x.softmax(dim=1)",
                            "reason": "the tests only pass 2-D x, whose dim 1 is its last"}])
    report = prove_assignment(toy, workers=1, only=frozenset({"reference"}), mutants=True)
    assert report.ok and report.mutation is not None and not report.mutation.stale
    assert [s.kill_rate for s in report.mutation.modules()] == [1.0]


# --- CI: the assignments that opt in with `min_kill_rate` --------------------------------------

COURSE = find_course_root(REPO)
MEASURED = [s for s in list_assignments(COURSE)
            if load_assignment(COURSE, s).manifest.min_kill_rate is not None]


@pytest.mark.slow
@pytest.mark.parametrize("slug", MEASURED)
def test_every_mutant_is_killed_or_listed_as_equivalent(slug):
    mutation = report_for(slug).mutation
    assert mutation is not None
    survivors = "\n".join(o.mutant.diff() + "  passed: " + ", ".join(o.passed)
                          for o in mutation.survivors)
    assert not survivors, f"{slug}: mutants that no test kills:\n{survivors}"
    rates = {s.module: s.kill_rate for s in mutation.modules()}
    assert all(r >= mutation.min_kill_rate for r in rates.values()), rates
    assert not mutation.stale, "\n".join(mutation.stale)
    assert mutation.reference_ok
