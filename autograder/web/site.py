"""What every route needs: the site's services, the signed-in user, templates, responses."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from autograder.course import Assignment, list_assignments, load_assignment
from autograder.feedback.render import TEMPLATES as FEEDBACK_TEMPLATES
from autograder.feedback.render import points
from autograder.gradebook import Gradebook
from autograder.web.accounts import Accounts, User
from autograder.web.config import ServerConfig
from autograder.web.dispatch import Grading
from autograder.web.grades import Grades
from autograder.web.mathtext import math_html
from autograder.web.queue import UploadQueue
from autograder.web.security import RateLimiter, csrf_token

TEMPLATES = Path(__file__).with_name("templates")


def environment() -> Environment:
    """The site's templates and the feedback report's (shared: the same feedback HTML),
    every value HTML-escaped."""
    env = Environment(loader=ChoiceLoader([FileSystemLoader(str(TEMPLATES)),
                                           FileSystemLoader(str(FEEDBACK_TEMPLATES))]),
                      autoescape=select_autoescape(["html", "html.j2"]),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["points"] = points
    env.filters["when"] = when
    env.filters["math"] = math_html
    return env


def when(stamp: str | None) -> str:
    """An ISO time as `2026-03-01 23:59 UTC`."""
    if not stamp:
        return ""
    return stamp[:16].replace("T", " ") + " UTC"


@dataclass
class Site:
    config: ServerConfig
    gradebook: Gradebook
    accounts: Accounts
    queue: UploadQueue
    grades: Grades
    dispatcher: Grading | None
    env: Environment = field(default_factory=environment)
    limits: dict[str, RateLimiter] = field(default_factory=dict)
    _assignments: dict[str, Assignment] = field(default_factory=dict)

    def slugs(self) -> list[str]:
        return list_assignments(self.config.course)

    def assignment(self, slug: str) -> Assignment:
        """The assignment, or 404 (never a traceback naming the course folder)."""
        if slug not in self._assignments:
            if slug not in self.slugs():
                raise HTTPException(404, f"no assignment {slug!r}")
            self._assignments[slug] = load_assignment(self.config.course, slug)
        return self._assignments[slug]

    def href(self, path: str) -> str:
        return self.config.root_path.rstrip("/") + path


def site(request: Request) -> Site:
    value: Site = request.app.state.site
    return value


def current_user(request: Request) -> User | None:
    uid, version = request.session.get("uid"), request.session.get("v")
    if not isinstance(uid, int):
        return None
    user = site(request).accounts.get(uid)
    if user is None or user.session_version != version:
        request.session.pop("uid", None)
        return None
    return user


def require_user(request: Request) -> User:
    user = current_user(request)
    if user is None:
        raise HTTPException(401, "sign in first")
    return user


def require_staff(request: Request, *, instructor: bool = False) -> User:
    user = require_user(request)
    if not user.is_staff or (instructor and not user.is_instructor):
        raise HTTPException(403, "this page is for the course staff" if not instructor
                            else "only an instructor may do this")
    return user


def sign_in(request: Request, user: User) -> None:
    request.session.clear()
    request.session.update({"uid": user.id, "v": user.session_version})
    csrf_token(request.session)


def flash(request: Request, message: str, kind: str = "ok") -> None:
    request.session.setdefault("flash", []).append([kind, message])


def render(request: Request, template: str, *, status_code: int = 200,
           **context: Any) -> HTMLResponse:
    s = site(request)
    user = context.pop("user", None) or current_user(request)
    messages = request.session.pop("flash", []) if "flash" in request.session else []
    html = s.env.get_template(template).render(
        request=request, user=user, csrf=csrf_token(request.session), href=s.href,
        messages=messages, demo=s.config.demo, **context)
    return HTMLResponse(html, status_code=status_code)


def redirect(request: Request, path: str) -> Response:
    return RedirectResponse(site(request).href(path), status_code=303)
