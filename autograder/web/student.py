"""The student's pages: assignments, uploading, attempts, feedback (their own only).

Every page that takes an id (an upload, an attempt) looks it up *for the signed-in student*:
another student's id gets 404, exactly like an id that does not exist.
"""

from __future__ import annotations

from typing import Any

from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from autograder.feedback.render import context as feedback_context
from autograder.web.accounts import User
from autograder.web.grades import AttemptView, counted
from autograder.web.queue import Upload
from autograder.web.security import csrf_protected
from autograder.web.site import Site, flash, redirect, render, require_user, site
from autograder.web.uploads import FIELD_PREFIX, Incoming, UploadError, check, limit_for


def overview(s: Site, user: User) -> list[dict[str, object]]:
    """One row per assignment: deadline, late rule, the counted grade, the last upload."""
    rows: list[dict[str, object]] = []
    for slug in s.slugs():
        assignment = s.assignment(slug)
        views = s.grades.history(assignment, user.login)
        uploads = s.queue.of_student(slug, user.login)
        shown = counted(views, assignment.manifest.counts) or (views[-1] if views else None)
        rows.append({"a": assignment, "counted": shown,
                     "attempts": len(views), "pending": sum(u.state != "graded"
                                                            for u in uploads)})
    return rows


async def home(request: Request) -> Response:
    user = require_user(request)
    s = site(request)
    return render(request, "home.html", rows=overview(s, user), quizzes=quiz_list(s))


def quiz_list(s: Site) -> list[tuple[str, str]]:
    from autograder.web.quiz import available

    return available(s)


def attempt_rows(s: Site, slug: str, student: str) -> tuple[list[dict[str, object]], bool]:
    """The student's uploads (pending ones first) and attempts, newest first; and whether
    anything is still pending (the list then refreshes itself)."""
    assignment = s.assignment(slug)
    views = {v.attempt: v for v in s.grades.history(assignment, student)}
    chosen = counted(list(views.values()), assignment.manifest.counts)
    rows: list[dict[str, object]] = []
    pending = False
    for upload in s.queue.of_student(slug, student):
        if upload.state != "graded":
            pending = True
            rows.append({"upload": upload, "view": None, "ahead": s.queue.ahead_of(upload)})
    for number in sorted(views, reverse=True):
        view = views[number]
        rows.append({"upload": view.upload, "view": view, "counted": view == chosen})
    return rows, pending


async def assignment_page(request: Request) -> Response:
    user = require_user(request)
    s = site(request)
    slug = request.path_params["slug"]
    assignment = s.assignment(slug)
    rows, pending = attempt_rows(s, slug, user.login)
    return render(request, "assignment.html", a=assignment, rows=rows, pending=pending,
                  limits={m: limit_for(m) >> 20 for m in assignment.manifest.modules},
                  field_prefix=FIELD_PREFIX)


async def attempts_fragment(request: Request) -> Response:
    user = require_user(request)
    s = site(request)
    slug = request.path_params["slug"]
    rows, pending = attempt_rows(s, slug, user.login)
    return render(request, "_attempts.html", a=s.assignment(slug), rows=rows, pending=pending)


@csrf_protected
async def submit(request: Request) -> Response:
    user = require_user(request)
    s = site(request)
    assignment = s.assignment(request.path_params["slug"])
    form = await request.form(max_files=len(assignment.manifest.modules) + 2, max_fields=10)
    incoming = []
    for module in assignment.manifest.modules:
        item = form.get(FIELD_PREFIX + module)
        if isinstance(item, UploadFile):
            content = await item.read(limit_for(item.filename or "") + 1)
            incoming.append(Incoming(module, item.filename or "", content))
    try:
        files = check(assignment, incoming)
    except UploadError as err:
        flash(request, f"Not submitted: {err}", "error")
        return redirect(request, f"/a/{assignment.slug}")
    upload_id = s.queue.submit(assignment.slug, user.login, files, requested_by=user.login)
    if s.dispatcher is not None:
        s.dispatcher.wake()
    return redirect(request, f"/uploads/{upload_id}")


def own_upload(request: Request, user: User) -> Upload:
    """The upload in the URL if it is the user's (staff: anyone's); else 404."""
    raw = request.path_params["upload_id"]
    upload = site(request).queue.get(raw)
    if upload is None or (upload.student != user.login and not user.is_staff):
        raise HTTPException(404, "no such submission")
    return upload


def feedback(s: Site, slug: str, student: str, view: AttemptView) -> dict[str, object]:
    """What the feedback partial needs (autograder/feedback/templates/_feedback.html.j2)."""
    assignment = s.assignment(slug)
    result = s.grades.result(slug, student, view.attempt)
    if result is None:
        raise HTTPException(404, "no such attempt")
    return feedback_context(result, title=assignment.manifest.title, slug=slug)


def upload_state(request: Request, user: User) -> dict[str, Any]:
    s = site(request)
    upload = own_upload(request, user)
    state: dict[str, Any] = {"upload": upload, "files": s.queue.files(upload),
                                "a": s.assignment(upload.assignment), "view": None,
                                "ahead": s.queue.ahead_of(upload)}
    if upload.attempt is not None:
        views = {v.attempt: v for v in s.grades.history(s.assignment(upload.assignment),
                                                        upload.student)}
        view = views.get(upload.attempt)
        if view is not None:
            state.update(view=view, fb=feedback(s, upload.assignment, upload.student, view))
    return state


async def upload_page(request: Request) -> Response:
    user = require_user(request)
    return render(request, "upload.html", **upload_state(request, user))


async def upload_status(request: Request) -> Response:
    user = require_user(request)
    return render(request, "_upload_status.html", **upload_state(request, user))


async def attempt_page(request: Request) -> Response:
    """One of the student's own attempts (an override, or one graded outside the site)."""
    user = require_user(request)
    s = site(request)
    slug, number = request.path_params["slug"], request.path_params["number"]
    views = {v.attempt: v for v in s.grades.history(s.assignment(slug), user.login)}
    view = views.get(number)
    if view is None:
        raise HTTPException(404, "no such attempt")
    return render(request, "attempt.html", a=s.assignment(slug), view=view,
                  fb=feedback(s, slug, user.login, view), student=user.login)


async def download(request: Request) -> Response:
    """A submitted file, as an attachment in plain text: never rendered as a page."""
    user = require_user(request)
    upload = own_upload(request, user)
    content = site(request).queue.file_content(upload, request.path_params["name"])
    if content is None:
        raise HTTPException(404, "no such file")
    name = request.path_params["name"]
    return Response(content, media_type="application/octet-stream", headers={
        "content-disposition": f'attachment; filename="{name}"',
        "x-content-type-options": "nosniff"})


routes = [
    Route("/", home, methods=["GET"]),
    Route("/a/{slug}", assignment_page, methods=["GET"]),
    Route("/a/{slug}/attempts", attempts_fragment, methods=["GET"]),
    Route("/a/{slug}/attempts/{number:int}", attempt_page, methods=["GET"]),
    Route("/a/{slug}/submit", submit, methods=["POST"]),
    Route("/uploads/{upload_id:int}", upload_page, methods=["GET"]),
    Route("/uploads/{upload_id:int}/status", upload_status, methods=["GET"]),
    Route("/uploads/{upload_id:int}/files/{name}", download, methods=["GET"]),
]
