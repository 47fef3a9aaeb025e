"""A test suite is proven before it grades anyone (non-negotiable 3).

For every assignment with solutions: the reference scores full marks, the stub 0, the
alternative solution full marks, and every catalogued mistake loses points with feedback that
names it. One pytest test per proof, so a failure names the fake student. Assignments whose
manifest sets `min_kill_rate` have their mutants graded in the same batch (tests/test_mutants.py
judges them).
"""

from __future__ import annotations

import pytest

from autograder.commands.prove import prove_assignment
from autograder.course import find_course_root, list_assignments, load_assignment
from autograder.proofs import ProofReport, load_mistakes
from tests.conftest import REPO

COURSE = find_course_root(REPO)
PROVEN = [s for s in list_assignments(COURSE) if load_assignment(COURSE, s).has_solutions]


def planned(slug: str) -> list[str]:
    assignment = load_assignment(COURSE, slug)
    names = ["reference", "stub"]
    if (assignment.solution_dir / "proofs" / "alternative").is_dir():
        names.append("alternative")
    return names + [f"mistake-{m.id}" for m in load_mistakes(assignment)]


CASES = [(slug, name) for slug in PROVEN for name in planned(slug)]
_reports: dict[str, ProofReport] = {}


def report_for(slug: str) -> ProofReport:
    if slug not in _reports:
        assignment = load_assignment(COURSE, slug)
        _reports[slug] = prove_assignment(
            assignment, workers=2, mutants=assignment.manifest.min_kill_rate is not None)
    return _reports[slug]


@pytest.mark.slow
@pytest.mark.parametrize("slug, fake", CASES, ids=[f"{s}-{n}" for s, n in CASES])
def test_the_suite_grades_this_fake_student_as_it_must(slug, fake):
    proof = {p.name: p for p in report_for(slug).proofs}.get(fake)
    assert proof is not None, f"{fake} was not graded"
    assert proof.ok, f"{slug}/{fake}: must {proof.expectation}; got {proof.detail}"


@pytest.mark.parametrize("slug", PROVEN)
def test_each_assignment_catalogues_enough_typical_mistakes(slug):
    assert len(load_mistakes(load_assignment(COURSE, slug))) >= 12


@pytest.mark.parametrize("slug", PROVEN)
def test_the_instructor_notes_list_every_catalogued_mistake(slug):
    assignment = load_assignment(COURSE, slug)
    notes = (assignment.solution_dir / "NOTES.md").read_text(encoding="utf-8")
    missing = [m.id for m in load_mistakes(assignment) if m.id not in notes]
    assert not missing, f"solutions/{slug}/NOTES.md does not list: {missing}"
