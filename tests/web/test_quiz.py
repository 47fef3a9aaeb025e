"""Quizzes in the browser: the terminal's grading, shuffle and FSRS state, per user."""

from __future__ import annotations

import re
from collections.abc import Callable

from starlette.testclient import TestClient

from autograder.quiz.records import assignment_name
from autograder.quiz.reviewstate import ReviewState
from autograder.quiz.scoring import score_answers
from autograder.quiz.shuffle import display_order
from autograder.web.mathtext import math_html
from autograder.web.quiz import quizzes, review_path, seed_for
from autograder.web.site import Site

from .conftest import csrf_of

Client = Callable[[str | None], TestClient]


def right_answers(site: Site, login: str, quiz_id: str) -> dict[str, str]:
    """The key in this learner's letters, for the choice questions of the quiz."""
    quiz = quizzes(site)[quiz_id].quiz
    user = site.accounts.by_login(login)
    assert user is not None
    seed = seed_for(site, user, quiz_id)
    answers = {}
    for q in quiz.questions:
        if q.type == "single":
            order = display_order(q, seed)
            right = next(p for p, i in enumerate(order) if q.options[i].correct)
            answers[f"q:{q.id}"] = "abcdefghijklmnopqrstuvwxyz"[right]
    return answers


def test_a_quiz_is_graded_like_the_terminal_and_feeds_the_learners_own_review_state(
        site: Site, client_for: Client) -> None:
    quiz = quizzes(site)["transformer"].quiz
    alice = client_for("alice")
    page = alice.get("/quiz/transformer").text
    assert 'class="math"' in page and "/static/katex/katex.min.js" in page
    answers = right_answers(site, "alice", "transformer")
    result = alice.post("/quiz/transformer", data={"csrf": csrf_of(alice, "/quiz/transformer"),
                                                    **answers})
    assert result.status_code == 200
    user = site.accounts.by_login("alice")
    assert user is not None
    seed = seed_for(site, user, "transformer")
    expected = score_answers(quiz, {k[2:]: v for k, v in answers.items()}, seed=seed)
    recorded = site.gradebook.current(assignment_name(quiz), "alice")
    assert recorded is not None
    assert recorded.score == round(sum(o.score for o in expected), 6) > 0
    shown = re.search(r'<div class="score">([\d.]+)', result.text)
    assert shown and float(shown.group(1)) == recorded.score
    with ReviewState(review_path(site, user)) as state:
        cards = state.cards()
    assert set(cards) == {k[2:] for k in answers}  # every answered question has its card
    bob = site.accounts.by_login("bob")
    assert bob is not None and not review_path(site, bob).exists()  # per user
    stats = client_for("ines").get("/staff/quiz/transformer")
    assert stats.status_code == 200 and "Cronbach" in stats.text
    assert client_for("bob").get("/staff/quiz/transformer").status_code == 403


def test_maths_in_quiz_text_becomes_escaped_tex_for_katex() -> None:
    html = str(math_html("P = softmax(QKᵀ/√h), y_{t,i} and W_hh <img src=x>"))
    assert 'data-tex="\\sqrt{h}"' in html and 'data-tex="y_{t,i}"' in html
    assert 'data-tex="W_{hh}"' in html and "<img" not in html and "&lt;img" in html
