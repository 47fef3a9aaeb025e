"""Quizzes in the browser: the same questions, option shuffles, grading and FSRS review state as
`nlpgrade quiz take`, per signed-in user. Thin: every decision is autograder.quiz's.

- A learner's option order comes from a seed that is theirs for that quiz (stable across
  visits), exactly as `quiz take --seed` shuffles.
- Answers are graded by `score_answers`; each attempt is recorded in the gradebook as the
  quiz's assignment (`quiz:<id>`, as `nlpgrade quiz grade` does), which is what the item
  statistics read; and each answered question is rated into the learner's own FSRS review
  state (a SQLite file per user in the server's data folder, the terminal's format).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from autograder.quiz.answers import label
from autograder.quiz.itemstats import analyse
from autograder.quiz.loader import QuizError, QuizFile, load_quiz
from autograder.quiz.paths import all_quiz_files
from autograder.quiz.records import assignment_name, submission_result
from autograder.quiz.render import input_hint
from autograder.quiz.reviewstate import ReviewState, automatic_rating
from autograder.quiz.schema import (
    AnyQuestion,
    MultipleChoice,
    Ordering,
    Quiz,
    SingleChoice,
    TrueFalse,
)
from autograder.quiz.scoring import Outcome, format_points, score_answers
from autograder.quiz.shuffle import display_order
from autograder.web.accounts import User
from autograder.web.security import csrf_protected
from autograder.web.site import Site, render, require_staff, require_user, site

FIELD = "q:"  # the form field of question Q is `q:Q`


@dataclass(frozen=True)
class Shown:
    """A question as one learner sees it: its choices in their order, labelled a, b, c."""

    q: AnyQuestion
    number: int
    choices: list[tuple[str, str]]  # (label, text)
    hint: str


def quizzes(s: Site) -> dict[str, QuizFile]:
    """The course's quizzes (key-free learner copies left out), loaded once."""
    cache = s.__dict__.setdefault("_quizzes", {})
    if not cache:
        for path in all_quiz_files(s.config.course):
            try:
                qf = load_quiz(path)
            except QuizError:
                continue  # `nlpgrade quiz validate` reports it; the site shows the others
            if qf.quiz.release is None:
                cache[qf.quiz.id] = qf
    return dict(cache)


def available(s: Site) -> list[tuple[str, str]]:
    return [(qid, qf.quiz.title) for qid, qf in sorted(quizzes(s).items())]


def the_quiz(s: Site, quiz_id: str) -> Quiz:
    qf = quizzes(s).get(quiz_id)
    if qf is None:
        raise HTTPException(404, f"no quiz {quiz_id!r}")
    return qf.quiz


def seed_for(s: Site, user: User, quiz_id: str) -> int:
    """The learner's own shuffle of this quiz: stable, and not guessable by another."""
    digest = hashlib.sha256(f"{s.config.secret_key()}\0{user.login}\0{quiz_id}".encode())
    return 1 + int.from_bytes(digest.digest()[:4], "big") % 999_999


def review_path(s: Site, user: User) -> Path:
    name = hashlib.sha256(user.login.encode("utf-8")).hexdigest()[:24]
    return s.config.review_dir / f"{name}.sqlite"


def shown(quiz: Quiz, seed: int) -> list[Shown]:
    out = []
    for number, q in enumerate(quiz.questions, start=1):
        order = display_order(q, seed)
        texts = ([o.text for o in q.options] if hasattr(q, "options")
                 else list(q.items) if isinstance(q, Ordering) else [])
        out.append(Shown(q, number, [(label(p), texts[i]) for p, i in enumerate(order)],
                         "" if isinstance(q, (SingleChoice, MultipleChoice, TrueFalse))
                         else input_hint(q, order)))
    return out


def due_counts(s: Site, user: User) -> dict[str, int]:
    path = review_path(s, user)
    if not path.is_file():
        return {}
    now = datetime.now(timezone.utc)
    with ReviewState(path) as state:
        counts: dict[str, int] = {}
        for card in state.cards().values():
            if card.due <= now:
                counts[card.quiz_id] = counts.get(card.quiz_id, 0) + 1
    return counts


async def quiz_list(request: Request) -> Response:
    user = require_user(request)
    s = site(request)
    return render(request, "quiz/list.html", quizzes=available(s), due=due_counts(s, user))


async def quiz_page(request: Request) -> Response:
    user = require_user(request)
    s = site(request)
    quiz = the_quiz(s, request.path_params["quiz"])
    return render(request, "quiz/take.html", quiz=quiz, questions=shown(
        quiz, seed_for(s, user, quiz.id)), field=FIELD, points=format_points)


def raw_answers(quiz: Quiz, form: object) -> dict[str, object]:
    """The form's answers as an answer file writes them (letters, text), per question."""
    answers: dict[str, object] = {}
    for q in quiz.questions:
        values = [str(v).strip() for v in form.getlist(FIELD + q.id)]  # type: ignore[attr-defined]
        values = [v for v in values if v]
        if isinstance(q, MultipleChoice):
            answers[q.id] = " ".join(values) if values else None
        else:
            answers[q.id] = values[0][:2000] if values else None
    return answers


@csrf_protected
async def quiz_submit(request: Request) -> Response:
    user = require_user(request)
    s = site(request)
    quiz = the_quiz(s, request.path_params["quiz"])
    seed = seed_for(s, user, quiz.id)
    outcomes = score_answers(quiz, raw_answers(quiz, await request.form()), seed=seed)
    s.gradebook.record(assignment_name(quiz), submission_result(quiz, user.login, outcomes,
                                                                seed=seed))
    answered = [o for o in outcomes if o.status != "unanswered"]
    with ReviewState(review_path(s, user)) as state:
        for outcome in answered:
            state.record(quiz_id=quiz.id, question_id=outcome.question_id,
                         rating=automatic_rating(outcome.status), score=outcome.score,
                         max_score=outcome.max_score, answer=outcome.response, origin="take")
    by_id: dict[str, Outcome] = {o.question_id: o for o in outcomes}
    return render(request, "quiz/result.html", quiz=quiz, questions=shown(quiz, seed),
                  outcomes=by_id, points=format_points,
                  score=sum(o.score for o in outcomes))


async def quiz_stats(request: Request) -> Response:
    require_staff(request)
    s = site(request)
    quiz = the_quiz(s, request.path_params["quiz"])
    results = list(s.gradebook.submissions(assignment_name(quiz)))
    analysis = analyse([(q.id, q.points) for q in quiz.questions], results) if results else None
    return render(request, "quiz/stats.html", quiz=quiz, analysis=analysis,
                  n=len(results))


routes = [
    Route("/quiz", quiz_list, methods=["GET"]),
    Route("/quiz/{quiz}", quiz_page, methods=["GET"]),
    Route("/quiz/{quiz}", quiz_submit, methods=["POST"]),
    Route("/staff/quiz/{quiz}", quiz_stats, methods=["GET"]),
]
