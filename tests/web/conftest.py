"""Fixtures for the website's tests: a site on a fresh SQLite gradebook, clients, sign-in.

Most tests run without grading workers (`grade=False`) and record attempts themselves
through the same queue and gradebook calls the dispatcher uses (`fake_grade`); the tests
that need the real grader share one warm worker (test_grading.py, test_browser.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from autograder.commands.demo import Expected, expected_scores
from autograder.results import SubmissionResult, TestResult
from autograder.web.app import build_site, create_app
from autograder.web.config import ServerConfig
from autograder.web.site import Site

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples" / "submissions"
PASSWORD = "correct horse battery"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
# What each bundled masking example scores (examples/expected.yaml, the demo's own verdict).
MASKING: dict[str, Expected] = expected_scores(REPO / "examples" / "expected.yaml", "masking")


def make_config(tmp: Path, **overrides: object) -> ServerConfig:
    values: dict[str, object] = dict(course=REPO, db_url=f"sqlite:///{tmp / 'gradebook.db'}",
                                     data_dir=tmp / "data", workers=1, secure_cookies=False,
                                     fast_hashes=True, grade=False)
    values.update(overrides)
    return ServerConfig(**values)  # type: ignore[arg-type]


def add_people(site: Site) -> None:
    for login, role in [("alice", "student"), ("bob", "student"), ("tara", "ta"),
                        ("ines", "instructor")]:
        site.accounts.upsert(login, name=login.capitalize(), email=f"{login}@example.edu",
                             role=role)
        site.accounts.set_password(login, PASSWORD)


def csrf_of(client: TestClient, path: str = "/signin") -> str:
    match = CSRF.search(client.get(path).text)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def sign_in(client: TestClient, login: str, password: str = PASSWORD) -> None:
    response = client.post("/signin", data={"login": login, "password": password,
                                            "csrf": csrf_of(client)})
    assert response.status_code == 200 and not response.url.path.startswith("/signin"), \
        response.text[:500]


def upload(client: TestClient, files: dict[str, tuple[str, bytes]], slug: str = "masking"
           ) -> tuple[int | None, str]:
    """Submit (field module -> (browser file name, content)); (upload id or None, page)."""
    token = csrf_of(client, f"/a/{slug}")
    response = client.post(f"/a/{slug}/submit", data={"csrf": token}, files={
        f"file:{m}": (name, content, "application/octet-stream")
        for m, (name, content) in files.items()})
    match = re.search(r"/uploads/(\d+)$", response.url.path)
    return (int(match.group(1)) if match else None), response.text


def example(student: str, slug: str = "masking", module: str = "masking.py") -> bytes:
    return (EXAMPLES / slug / student / module).read_bytes()


def result_for(student: str, *, score: float | None = 70.0, output: str = "got 1, expected 2",
               status: str = "graded") -> SubmissionResult:
    tests = [TestResult("test_causal_mask_matches_reference", 2.0 if score else 0.0, 2.0,
                        "passed" if score else "failed", output, "public"),
             TestResult("test_hidden_thing", None if score is None else 0.0, 2.0,
                        "not_run" if score is None else "failed", output, "hidden")]
    return SubmissionResult(student=student, score=score, max_score=77.0,
                            status=status,  # type: ignore[arg-type]
                            message="" if score is not None else "not graded: the grader "
                            "failed while grading it (test). This is not a problem with your "
                            "code and it is not a score", tests=tests, stdout="printed <b>",
                            diagnostics="secret grader diagnostics" if score is None else "",
                            incomplete=score is None)


def fake_grade(site: Site, upload_id: int, result: SubmissionResult) -> int:
    """Grade a queued upload the way the dispatcher records it (claim, then record with the
    upload marked graded in the same transaction); the attempt number."""
    claimed = site.queue.claim(site.queue.get(upload_id).assignment)  # type: ignore[union-attr]
    assert claimed is not None and claimed.upload.id == upload_id
    return site.gradebook.record(claimed.upload.assignment, result,
                                 also=lambda s, n: site.queue.mark_graded(s, upload_id, n))


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    the_site = build_site(make_config(tmp_path))
    add_people(the_site)
    yield the_site
    the_site.gradebook.close()


@pytest.fixture
def client_for(site: Site) -> Iterator[Callable[[str | None], TestClient]]:
    """client_for("alice"): a client signed in as alice (None: signed out)."""
    app = create_app(site.config, site=site)
    clients: list[TestClient] = []

    def make(login: str | None) -> TestClient:
        client = TestClient(app, follow_redirects=True)
        client.__enter__()
        clients.append(client)
        if login is not None:
            sign_in(client, login)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)
