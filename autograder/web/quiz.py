"""Quizzes in the browser (placeholder until the quiz pages are built)."""

from __future__ import annotations

from starlette.routing import Route

from autograder.web.site import Site


def available(s: Site) -> list[tuple[str, str]]:
    return []


routes: list[Route] = []
