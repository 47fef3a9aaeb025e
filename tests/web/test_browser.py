"""End to end in a real browser: Debian's headless Chromium driven by Playwright.

Sign in, upload a bundled example and read its feedback, take a quiz with rendered maths,
override a grade as the instructor and read the comment as the student. No page may break
the Content-Security-Policy. With NLPGRADE_WEB_SCREENSHOTS=DIR each page is saved there
(docs/img/ holds the ones docs/web.md shows).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from autograder.gradebook import Gradebook
from autograder.web.queue import UploadQueue

from .conftest import MASKING
from .server import REPO, Server, add_users

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
PASSWORD = "correct horse battery"
FLAGS = ["--no-sandbox", "--disable-gpu", "--headless", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed "
                                 "(Debian: apt-get install chromium)")]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    the_server = Server(tmp_path)
    classmates = ["bob", "dave", "erin", "frank"]
    add_users(the_server.db_url, [("alice", "student"), ("ines", "instructor"),
                                  *((c, "student") for c in classmates)], PASSWORD)
    book = Gradebook(the_server.db_url)
    queue = UploadQueue(book.engine)
    for login in classmates:  # queued before the server starts: it grades them first
        source = REPO / "examples/submissions/masking" / login / "masking.py"
        queue.submit("masking", login, [("masking.py", "masking.py", source.read_bytes())])
    book.close()
    the_server.start()
    yield the_server
    the_server.stop()


@pytest.fixture
def browser() -> Iterator[Any]:
    import playwright.sync_api as playwright  # a test dependency: never skipped for lack of it
    profile = tempfile.mkdtemp(prefix="nlpgrade-chromium-")
    with playwright.sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, args=FLAGS, headless=True,
            viewport={"width": 1100, "height": 760})
        yield context
        context.close()
    shutil.rmtree(profile, ignore_errors=True)


def shot(page: Any, name: str) -> None:
    folder = os.environ.get("NLPGRADE_WEB_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"))


def sign_in(page: Any, base: str, login: str) -> None:
    page.goto(f"{base}/signin")
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/**")


def test_a_student_and_an_instructor_use_the_site_in_chromium(server: Server,
                                                               browser: Any) -> None:
    base = server.url
    page = browser.new_page()
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text)
            if "Content Security Policy" in m.text or m.type == "error" else None)
    page.goto(f"{base}/signin")
    shot(page, "signin")
    sign_in(page, base, "alice")
    assert page.locator("h1").inner_text() == "Assignments"
    shot(page, "assignments")

    page.goto(f"{base}/a/masking")
    page.set_input_files("input[name='file:masking.py']",
                         str(REPO / "examples/submissions/masking/carol/masking.py"))
    page.click("form[enctype] button[type=submit]")
    page.wait_for_url(f"{base}/uploads/*")
    # htmx polls the status until the feedback replaces it, without a reload
    page.wait_for_selector("text=Where you lost points", timeout=240_000)
    carol = MASKING["carol"]
    assert f"{carol.score:g} / {carol.max_score:g} points" in page.inner_text(".score")
    assert "mask after the softmax" in page.content()
    shot(page, "feedback")

    page.goto(f"{base}/quiz/hw5-math")
    page.wait_for_selector(".katex")  # the maths is rendered by the vendored KaTeX
    shot(page, "quiz")
    for fieldset in page.locator("fieldset.quiz-q").all():
        choice = fieldset.locator("input[type=radio]")
        if choice.count():
            choice.first.check()
    page.click("#quiz button[type=submit]")
    page.wait_for_selector(".verdict")
    assert page.locator(".katex").count() > 0
    shot(page, "quiz-result")
    page.click("nav button.link")  # sign out

    sign_in(page, base, "ines")
    page.goto(f"{base}/staff/a/masking")
    page.wait_for_selector("img[alt='Histogram of the grades']")
    shot(page, "gradebook")
    page.click("#gradebook a:has-text('alice')")
    page.fill("#override input[name=score]", "70")
    page.fill("#override textarea[name=comment]", "The §2 mask convention was ambiguous: +5")
    page.click("#override button[type=submit]")
    page.wait_for_selector("text=the grade is now 70")
    shot(page, "override")
    page.click("nav button.link")

    sign_in(page, base, "alice")
    page.goto(f"{base}/a/masking")
    assert "The §2 mask convention was ambiguous: +5" in page.inner_text("#attempts")
    shot(page, "student-sees-override")
    assert violations == [], violations
