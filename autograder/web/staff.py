"""The course staff's pages: the gradebook table, exports, plots, a student's attempts,
overrides (with a required comment) and regrades.

TAs and instructors read everything and may regrade one student; overriding a grade and
regrading a whole assignment are the instructor's.
"""

from __future__ import annotations

import io
import json
import tempfile
import zipfile
from pathlib import Path

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from autograder.course import Assignment
from autograder.feedback import plots
from autograder.feedback.render import file_stem
from autograder.feedback.report import write_csv
from autograder.feedback.stats import test_rates
from autograder.gradescope.results import results_json
from autograder.nbgrader_course.gradebook import Graded, write_export_csv
from autograder.web.accounts import AccountError
from autograder.web.grades import AttemptView, counted
from autograder.web.security import csrf_protected
from autograder.web.site import Site, flash, redirect, render, require_staff, site
from autograder.web.student import feedback

SORTS = ("student", "name", "score", "status", "attempts", "submitted")


async def staff_home(request: Request) -> Response:
    require_staff(request)
    s = site(request)
    pending = s.queue.pending()
    rows = [{"a": s.assignment(slug), "pending": pending.get(slug, 0),
             "graded": len(s.gradebook.students(slug))} for slug in s.slugs()]
    problems = dict(s.dispatcher.problems) if s.dispatcher is not None else {}
    from autograder.web.quiz import available

    return render(request, "staff/home.html", rows=rows, problems=problems,
                  quizzes=available(s), students=len(s.accounts.all(role="student")))


def table(s: Site, assignment: Assignment) -> list[dict[str, object]]:
    """One row per student of the roster (and anyone the gradebook has a grade for)."""
    history = s.grades.attempts(assignment)
    people = {u.login: u.name for u in s.accounts.all(role="student")}
    rows: list[dict[str, object]] = []
    for login in sorted(set(people) | set(history)):
        views = history.get(login, [])
        chosen = counted(views, assignment.manifest.counts)
        last = views[-1] if views else None
        submitted = max((v.upload.submitted_at for v in views if v.upload), default="")
        rows.append({"student": login, "name": people.get(login, ""), "counted": chosen or last,
                     "last": last, "attempts": len(views), "submitted": submitted,
                     "score": chosen.final if chosen else None,
                     "status": last.status if last else "none"})
    return rows


def sort_and_filter(rows: list[dict[str, object]], *, key: str, descending: bool,
                    query: str, status: str) -> list[dict[str, object]]:
    q = query.lower()
    kept = [r for r in rows if (not q or q in str(r["student"]).lower()
                                or q in str(r["name"]).lower())
            and (not status or r["status"] == status)]

    def order(row: dict[str, object]) -> tuple[int, object]:
        value = row[key]
        return (1, "") if value is None else (0, value)  # no score: always last

    kept.sort(key=order, reverse=descending)
    if descending:  # keep the rows without a value at the end
        kept.sort(key=lambda r: r[key] is None)
    return kept


async def gradebook(request: Request) -> Response:
    require_staff(request)
    s = site(request)
    assignment = s.assignment(request.path_params["slug"])
    key = request.query_params.get("sort", "student")
    key = key if key in SORTS else "student"
    descending = request.query_params.get("dir") == "desc"
    query = request.query_params.get("q", "")[:200]
    status = request.query_params.get("status", "")[:32]
    rows = table(s, assignment)
    shown = sort_and_filter(rows, key=key, descending=descending, query=query, status=status)
    scores = [r["score"] for r in rows if isinstance(r["score"], float | int)]
    return render(request, "staff/gradebook.html", a=assignment, rows=shown, total=len(rows),
                  sort=key, descending=descending, q=query, status=status,
                  statuses=sorted({str(r["status"]) for r in rows}), sorts=SORTS,
                  scores=scores, pending=s.queue.pending().get(assignment.slug, 0))


async def plot(request: Request) -> Response:
    require_staff(request)
    s = site(request)
    assignment = s.assignment(request.path_params["slug"])
    results = [r for r, _ in s.grades.counted_results(assignment)]
    if request.path_params["kind"] == "histogram":
        png = plots.histogram([r.score for r in results if r.score is not None],
                              assignment.manifest.points, title=assignment.slug)
    else:
        png = plots.pass_rates(test_rates(results), title=assignment.slug)
    return Response(png, media_type="image/png")


async def export(request: Request) -> Response:
    require_staff(request)
    s = site(request)
    assignment = s.assignment(request.path_params["slug"])
    kind = request.path_params["kind"]
    counted_results = s.grades.counted_results(assignment)
    with tempfile.TemporaryDirectory(prefix="nlpgrade-export-") as tmp:
        path = Path(tmp) / "export"
        if kind == "scores.csv":
            write_csv([r for r, _ in counted_results], path)
            body, media = path.read_bytes(), "text/csv"
        elif kind == "nbgrader.csv":
            write_export_csv(path, assignment.slug, due=assignment.manifest.due,
                             max_score=assignment.manifest.points,
                             graded=[graded_for_nbgrader(s, assignment, r.student, view)
                                     for r, view in counted_results])
            body, media = path.read_bytes(), "text/csv"
        elif kind == "gradescope.zip":
            body, media = gradescope_zip(assignment, counted_results), "application/zip"
        else:
            raise HTTPException(404, "unknown export")
    name = f"{assignment.slug}-{kind}"
    return Response(body, media_type=media,
                    headers={"content-disposition": f'attachment; filename="{name}"'})


def graded_for_nbgrader(s: Site, assignment: Assignment, student: str,
                        view: AttemptView) -> Graded:
    """The raw result with its timestamp and penalty in points (nbgrader subtracts it)."""
    from datetime import datetime

    raw = s.grades.result(assignment.slug, student, view.attempt)
    assert raw is not None
    stamp = datetime.fromisoformat(view.upload.submitted_at) if view.upload else None
    points = (raw.score or 0.0) - (view.final or 0.0) if raw.score is not None else 0.0
    return Graded(raw, stamp, points)


def gradescope_zip(assignment: Assignment, counted_results: list) -> bytes:  # type: ignore[type-arg]
    """<student>/results.json for each graded student (none for a grader_error: Gradescope
    then records no score, never a 0)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for result, _ in counted_results:
            if result.score is None:
                continue
            data = results_json(result, options=assignment.manifest.gradescope,
                                execution_time=result.duration_s)
            archive.writestr(f"{file_stem(result.student)}/results.json",
                             json.dumps(data, indent=2, ensure_ascii=False))
    return buffer.getvalue()


async def student_page(request: Request) -> Response:
    user = require_staff(request)
    s = site(request)
    assignment = s.assignment(request.path_params["slug"])
    student = request.path_params["student"]
    views = s.grades.history(assignment, student)
    person = s.accounts.by_login(student)
    if not views and person is None:
        raise HTTPException(404, "no such student")
    return render(request, "staff/student.html", a=assignment, student=student, person=person,
                  views=list(reversed(views)),
                  chosen=counted(views, assignment.manifest.counts),
                  uploads=s.queue.of_student(assignment.slug, student),
                  can_override=user.is_instructor)


async def staff_attempt(request: Request) -> Response:
    require_staff(request)
    s = site(request)
    assignment = s.assignment(request.path_params["slug"])
    student, number = request.path_params["student"], request.path_params["number"]
    views = {v.attempt: v for v in s.grades.history(assignment, student)}
    if number not in views:
        raise HTTPException(404, "no such attempt")
    result = s.grades.result(assignment.slug, student, number)
    assert result is not None
    return render(request, "attempt.html", a=assignment, view=views[number], student=student,
                  fb=feedback(s, assignment.slug, student, views[number]),
                  diagnostics=result.diagnostics)


@csrf_protected
async def override(request: Request) -> Response:
    user = require_staff(request, instructor=True)
    s = site(request)
    assignment = s.assignment(request.path_params["slug"])
    student = request.path_params["student"]
    form = await request.form()
    back = f"/staff/a/{assignment.slug}/s/{student}"
    try:
        score = float(str(form.get("score", "")).strip())
    except ValueError:
        flash(request, "The score must be a number, e.g. 70 or 72.5.", "error")
        return redirect(request, back)
    try:
        number = s.grades.override(assignment, student, score=score,
                                   comment=str(form.get("comment", "")), author=user.login)
    except AccountError as err:
        flash(request, f"Not changed: {err}", "error")
        return redirect(request, back)
    flash(request, f"Attempt {number}: the grade is now {score:g}; {student} sees your comment.")
    return redirect(request, back)


@csrf_protected
async def regrade(request: Request) -> Response:
    user = require_staff(request)
    s = site(request)
    assignment = s.assignment(request.path_params["slug"])
    student = request.path_params.get("student")
    if student is None:
        require_staff(request, instructor=True)
    count = s.queue.regrade(assignment.slug, [student] if student else None,
                            requested_by=user.login)
    if s.dispatcher is not None:
        s.dispatcher.wake()
    flash(request, f"{count} submission{'s' if count != 1 else ''} queued for regrading"
          + ("" if count else ": nothing was ever uploaded here (grades from `nlpgrade grade` "
             "are regraded with that command)"))
    return redirect(request, f"/staff/a/{assignment.slug}" + (f"/s/{student}" if student
                                                                 else ""))


routes = [
    Route("/staff", staff_home, methods=["GET"]),
    Route("/staff/a/{slug}", gradebook, methods=["GET"]),
    Route("/staff/a/{slug}/plot/{kind:str}.png", plot, methods=["GET"]),
    Route("/staff/a/{slug}/export/{kind:str}", export, methods=["GET"]),
    Route("/staff/a/{slug}/regrade", regrade, methods=["POST"]),
    Route("/staff/a/{slug}/s/{student:path}/attempts/{number:int}", staff_attempt,
          methods=["GET"]),
    Route("/staff/a/{slug}/s/{student:path}/override", override, methods=["POST"]),
    Route("/staff/a/{slug}/s/{student:path}/regrade", regrade, methods=["POST"]),
    Route("/staff/a/{slug}/s/{student:path}", student_page, methods=["GET"]),
]
