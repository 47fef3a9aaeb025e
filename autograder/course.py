"""Courses and assignments: where they live on disk and what their manifests say."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from autograder.sandbox.limits import Limits
from autograder.yamlfile import ConfigError, load_model

PUBLIC_TESTS = "test_public.py"
HIDDEN_TESTS = "test_hidden.py"
MANIFEST = "assignment.yaml"


class LatePenalty(BaseModel):
    """Late rule: lose `percent_per_day` of the earned score per started day late (after
    `grace_minutes`), never more than `max_percent`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    percent_per_day: float = Field(10.0, ge=0, le=100)
    max_percent: float = Field(100.0, ge=0, le=100)
    grace_minutes: float = Field(0.0, ge=0)


class GradescopeOptions(BaseModel):
    """How `nlpgrade gradescope build` shows results to students."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    hidden_visibility: Literal["hidden", "after_due_date", "after_published", "visible"] = (
        "after_published")
    public_visibility: Literal["hidden", "after_due_date", "after_published", "visible"] = (
        "visible")
    stdout_visibility: Literal["hidden", "after_due_date", "after_published", "visible"] = (
        "hidden")


class Manifest(BaseModel):
    """assignments/<slug>/assignment.yaml"""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1)
    modules: list[str] = Field(min_length=1, description="the files a student submits")
    support: list[str] = Field(default_factory=list, description="public helper modules")
    points: float = Field(gt=0, description="must equal the sum of the tests' @points")
    device: Literal["cpu", "cuda", "any"] = "cpu"
    limits: Limits = Field(default_factory=lambda: Limits())
    preload: list[str] = Field(default_factory=list,
                               description="modules the sandbox imports once per worker")
    packages: list[str] | None = Field(
        None,
        description="the only distributions the student's code can import in the sandbox "
        "(with what they require), e.g. [numpy] for work done by hand: torch, and its "
        "autograd, then do not exist there. Default: the grader's whole environment")
    requires: list[str] = Field(
        default_factory=list,
        description="packages the tests need inside the sandbox (e.g. pretrained weights): "
        "before grading, each one the grader has must be importable in the sandbox too")
    seed: int = 0
    min_kill_rate: float | None = Field(
        None, ge=0, le=1, description="`nlpgrade prove --mutants` fails when a module's tests "
        "kill a smaller share of its non-equivalent mutants (default 0.97); setting it also "
        "makes the platform's own suite run the mutants")
    # Optional ecosystem fields (docs/ecosystem.md): absent in a manifest means the default.
    notebook: bool | None = Field(None, description="write <slug>.ipynb on release (default: "
                                  "when the assignment has one module)")
    due: datetime | None = Field(None, description="deadline for late penalties, ISO 8601 "
                                 "with a time zone, e.g. 2026-03-01T23:59:00-05:00")
    late_penalty: LatePenalty = Field(default_factory=lambda: LatePenalty())
    counts: Literal["latest", "best"] = Field(
        "latest", description="which of a student's attempts is their grade on the course "
        "website (`nlpgrade serve`): the latest, or the best after late penalties")
    gradescope: GradescopeOptions = Field(default_factory=lambda: GradescopeOptions())

    @field_validator("due")
    @classmethod
    def _aware(cls, due: datetime | None) -> datetime | None:
        if due is not None and due.tzinfo is None:
            raise ValueError("give a time zone, e.g. 2026-03-01T23:59:00-05:00 or ...Z")
        return due

    @field_validator("modules", "support")
    @classmethod
    def _python_files(cls, names: list[str]) -> list[str]:
        for name in names:
            if not name.endswith(".py") or "/" in name or name.startswith("."):
                raise ValueError(f"{name!r} must be a plain file name ending in .py")
        if len(set(names)) != len(names):
            raise ValueError("names must be unique")
        return names


@dataclass(frozen=True)
class Assignment:
    slug: str
    course: Path
    manifest: Manifest

    @property
    def public_dir(self) -> Path:
        return self.course / "assignments" / self.slug

    @property
    def solution_dir(self) -> Path:
        return self.course / "solutions" / self.slug

    @property
    def public_tests(self) -> Path:
        return self.public_dir / PUBLIC_TESTS

    @property
    def hidden_tests(self) -> Path:
        return self.solution_dir / HIDDEN_TESTS

    @property
    def has_solutions(self) -> bool:
        return self.hidden_tests.is_file()

    @property
    def module_names(self) -> list[str]:
        """Importable names of the submitted modules, e.g. ["masking"]."""
        return [m.removesuffix(".py") for m in self.manifest.modules]

    @property
    def support_names(self) -> list[str]:
        return [m.removesuffix(".py") for m in self.manifest.support]

    def reference_path(self, module: str) -> Path:
        return self.solution_dir / module

    def stub_path(self, module: str) -> Path:
        return self.public_dir / module


def _is_course(path: Path, *, need_solutions: bool) -> bool:
    return (path / "assignments").is_dir() and (
        not need_solutions or (path / "solutions").is_dir())


def find_course_root(explicit: Path | None = None, *, need_solutions: bool = True) -> Path:
    """--course DIR; else the nearest parent of the cwd with assignments/ (and solutions/);
    else the checkout this package was installed from."""
    if explicit is not None:
        root = explicit.resolve()
        if not _is_course(root, need_solutions=need_solutions):
            want = "assignments/ and solutions/" if need_solutions else "assignments/"
            raise ConfigError(f"--course {explicit}: no {want} there")
        return root
    here = Path.cwd().resolve()
    for candidate in [here, *here.parents]:
        if _is_course(candidate, need_solutions=need_solutions):
            return candidate
    installed = Path(__file__).resolve().parent.parent
    if _is_course(installed, need_solutions=need_solutions):
        return installed
    raise ConfigError("no course found: run inside a course directory (one with assignments/ "
                      "and solutions/) or pass --course DIR")


def list_assignments(course: Path) -> list[str]:
    return sorted(p.parent.name for p in (course / "assignments").glob(f"*/{MANIFEST}"))


def load_assignment(course: Path, slug: str) -> Assignment:
    path = course / "assignments" / slug / MANIFEST
    if not path.is_file():
        known = ", ".join(list_assignments(course)) or "none"
        raise ConfigError(f"no assignment {slug!r} in {course}/assignments (known: {known})")
    manifest = load_model(path, Manifest)
    return Assignment(slug=slug, course=course, manifest=manifest)


def is_inside(path: Path, directory: Path) -> bool:
    path, directory = Path(os.path.realpath(path)), Path(os.path.realpath(directory))
    return path == directory or directory in path.parents
