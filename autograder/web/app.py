"""The Starlette application of `nlpgrade serve`: services, middleware, routes, errors."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from autograder.feedback.render import TEMPLATES as FEEDBACK_TEMPLATES
from autograder.gradebook import Gradebook
from autograder.web import auth, quiz, staff, student
from autograder.web.accounts import FAST_HASHER, Accounts
from autograder.web.config import ServerConfig
from autograder.web.dispatch import make_dispatcher
from autograder.web.grades import Grades
from autograder.web.queue import UploadQueue
from autograder.web.security import BodyLimit, SecurityHeaders
from autograder.web.site import Site, redirect, render

STATIC = Path(__file__).with_name("static")
log = logging.getLogger("nlpgrade.serve")


def build_site(config: ServerConfig, *, gradebook: Gradebook | None = None) -> Site:
    gradebook = gradebook or Gradebook(config.db_url)
    queue = UploadQueue(gradebook.engine)
    dispatcher = make_dispatcher(config, gradebook, queue) if config.grade else None
    return Site(config=config, gradebook=gradebook,
                accounts=Accounts(gradebook.engine,
                                  hasher=FAST_HASHER if config.fast_hashes else None),
                queue=queue, grades=Grades(gradebook, queue), dispatcher=dispatcher)


async def report_css(request: Request) -> Response:
    """The feedback report's stylesheet, shared with the site."""
    css = (FEEDBACK_TEMPLATES / "_style.css.j2").read_text(encoding="utf-8")
    return Response(css, media_type="text/css", headers={"cache-control": "max-age=3600"})


async def healthz(request: Request) -> Response:
    return PlainTextResponse("ok")


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 401:
        return redirect(request, "/signin")
    if request.headers.get("hx-request"):
        return PlainTextResponse(exc.detail, status_code=exc.status_code)
    return render(request, "error.html", status_code=exc.status_code, code=exc.status_code,
                  detail=exc.detail)


def create_app(config: ServerConfig, *, site: Site | None = None) -> Starlette:
    the_site = site or build_site(config)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if the_site.dispatcher is not None:
            the_site.dispatcher.start()
        try:
            yield
        finally:
            if the_site.dispatcher is not None:
                the_site.dispatcher.stop()
            the_site.gradebook.close()

    routes = [Route("/healthz", healthz), Route("/report.css", report_css),
              Mount("/static", StaticFiles(directory=str(STATIC)), name="static"),
              *auth.routes, *student.routes, *staff.routes, *quiz.routes]
    middleware = [
        Middleware(SecurityHeaders, hsts=config.secure_cookies),
        Middleware(BodyLimit, limit=config.max_upload_bytes),
        Middleware(SessionMiddleware, secret_key=config.secret_key(),
                   session_cookie="nlpgrade_session", same_site="lax",
                   https_only=config.secure_cookies,
                   max_age=int(config.session_days * 86400)),
    ]
    app = Starlette(routes=routes, middleware=middleware, lifespan=lifespan,
                    exception_handlers={HTTPException: http_error})
    app.state.site = the_site
    return app
