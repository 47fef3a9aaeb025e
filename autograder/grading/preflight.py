"""Before the first submission: can this machine's sandbox grade this assignment at all?

A grader whose jail cannot import torch, lacks a package the tests need (the pretrained
weights of minbert), or cannot start a sandbox would otherwise give every student the same
wrong result. The preflight finds that out on the zygote the worker grades with (so it costs
one sandbox start, ~40 ms): it imports the assignment's public helper modules in a sandbox,
checks each package of the manifest's `requires` that the grader has, and checks the device.
A failure is one `PreflightFailed` naming the cause and the fix; nothing is graded and
nothing is written.
"""

from __future__ import annotations

import importlib.util

from autograder.course import Assignment
from autograder.sandbox.errors import (
    EnvironmentBroken,
    SandboxCrashed,
    SandboxTimeout,
    SandboxUnavailable,
)
from autograder.sandbox.session import ImportFailed, SandboxSession
from autograder.sandbox.zygote_client import Zygote
from autograder.yamlfile import ConfigError

FIX = ("Install nlpgrade and the course's packages into the environment the grader runs in "
       "(e.g. pip install -c constraints/cpu.txt -e '.[pretrained]'), then rerun: nothing was "
       "graded or written.")


class PreflightFailed(ConfigError):
    """This grader cannot grade this assignment; the message names the cause and the fix."""


def grader_has(name: str) -> bool:
    try:
        return importlib.util.find_spec(name.partition(".")[0]) is not None
    except (ImportError, ValueError):
        return False


def grader_location(name: str) -> str:
    try:
        spec = importlib.util.find_spec(name.partition(".")[0])
    except (ImportError, ValueError):
        return ""
    origin = spec.origin if spec is not None else None
    return str(origin).rsplit("/__init__.py", 1)[0] if origin else ""


def broken_message(err: EnvironmentBroken, slug: str) -> str:
    """One line: what the sandbox cannot import, where the grader gets it, and the fix."""
    where = grader_location(err.module)
    elsewhere = (f"; the grader itself imports it from {where}, which that environment does "
                 "not contain (a sitecustomize, or another path the sandbox is not shown)"
                 if where else "")
    return (f"preflight for {slug!r}: the sandbox cannot import {err.module!r} ({err.error}), "
            f"so nothing was graded or written. The sandbox runs {err.environment} with its "
            f"own site-packages only{elsewhere}. Fix: install {err.module} into that "
            "environment (pip install ...), then rerun.")


def preflight(assignment: Assignment, zygote: Zygote, *, device: str, seed: int,
              cap_processes: bool) -> None:
    """Raise PreflightFailed unless `zygote` can grade `assignment` on `device`."""
    slug = assignment.slug
    try:
        zygote.ensure_ready()
    except EnvironmentBroken as err:
        raise PreflightFailed(broken_message(err, slug)) from None
    except SandboxUnavailable as err:
        raise PreflightFailed(f"preflight for {slug!r}: the sandbox does not start "
                              f"(isolation {zygote.jail.level}): {err}") from None
    if device == "cuda":
        import torch

        if not torch.cuda.is_available():
            raise PreflightFailed(f"preflight for {slug!r}: --device cuda, but this grading "
                                  "machine has no CUDA device visible to torch")
    needed = [n for n in assignment.manifest.requires if grader_has(n)]
    if needed:
        try:
            found = zygote.find(needed)
        except SandboxUnavailable as err:
            raise PreflightFailed(f"preflight for {slug!r}: {err}") from None
        lacking = [n for n in needed if not found.get(n)]
        if lacking:
            raise PreflightFailed(
                f"preflight for {slug!r}: the grader has {', '.join(map(repr, lacking))} "
                "(the manifest's `requires`) but the sandbox cannot find it: it is installed "
                f"where the sandbox is not shown ({zygote.jail.python.description}). "
                "Install it into that environment itself, not in develop mode from a "
                "folder outside it, then rerun: nothing was graded or written.")
    files = {name: (assignment.public_dir / name).read_text(encoding="utf-8")
             for name in assignment.manifest.support}
    session = SandboxSession(zygote, files=files, imports=assignment.support_names,
                             limits=assignment.manifest.limits, seed=seed, device=device,
                             cap_processes=cap_processes)
    try:
        session.start()
    except ImportFailed as err:
        package = err.missing_module.partition(".")[0]
        cause = (f"the package {package!r} is missing there"
                 + (" (the grader has it)" if grader_has(package) else " and in the grader")
                 if package else "it fails")
        raise PreflightFailed(
            f"preflight for {slug!r}: the assignment's helper modules "
            f"({', '.join(assignment.manifest.support)}) cannot be imported in the sandbox: "
            f"{cause}: {err.type_name}: {err.message}. {FIX}") from None
    except (SandboxCrashed, SandboxTimeout, SandboxUnavailable) as err:
        raise PreflightFailed(f"preflight for {slug!r}: a sandbox with nothing of a student "
                              f"in it failed: {err}. This machine cannot grade; see "
                              "docs/security.md for what the sandbox needs") from None
    finally:
        session.close()
