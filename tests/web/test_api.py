"""The website over HTTP (Starlette's TestClient, httpx): accounts, uploads, feedback, staff."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

from starlette.routing import Route
from starlette.testclient import TestClient

from autograder.commands.serve import seed_demo
from autograder.web.app import build_site, create_app
from autograder.web.site import Site

from .conftest import (
    PASSWORD,
    REPO,
    csrf_of,
    example,
    fake_grade,
    make_config,
    result_for,
    upload,
)

Client = Callable[[str | None], TestClient]


def test_signing_in_needs_the_right_password_and_failures_are_rate_limited(
        client_for: Client) -> None:
    client = client_for(None)
    assert client.get("/").url.path == "/signin"  # signed out: every page asks to sign in
    for _ in range(10):
        bad = client.post("/signin", data={"login": "alice", "password": "nope",
                                           "csrf": csrf_of(client)})
        assert bad.status_code == 401 and "Wrong id or password" in bad.text
    blocked = client.post("/signin", data={"login": "alice", "password": PASSWORD,
                                           "csrf": csrf_of(client)})
    assert blocked.status_code == 429 and "Too many failed sign-ins" in blocked.text
    other = client_for(None)  # another account from the same address still works
    ok = other.post("/signin", data={"login": "bob", "password": PASSWORD,
                                     "csrf": csrf_of(other)})
    assert ok.status_code == 200 and ok.url.path == "/"


def test_every_post_route_refuses_a_request_without_the_csrf_token(
        site: Site, client_for: Client) -> None:
    client = client_for("ines")
    posts = [r for r in create_app(site.config, site=site).routes
             if isinstance(r, Route) and "POST" in (r.methods or set())]
    assert len(posts) >= 10
    for route in posts:
        assert getattr(route.endpoint, "csrf_protected", False), route.path
        path = (route.path.replace("{slug}", "masking").replace("{student:path}", "alice")
                .replace("{token}", "x").replace("{login:path}", "alice")
                .replace("{quiz}", "transformer"))
        response = client.post(path, data={"csrf": "forged"})
        assert response.status_code == 403, (route.path, response.status_code)
        assert "CSRF" in response.text


def test_a_student_sees_only_their_own_uploads_attempts_and_files(
        site: Site, client_for: Client) -> None:
    bob = client_for("bob")
    bobs, _ = upload(bob, {"masking.py": ("masking.py", example("carol"))})
    assert bobs is not None
    fake_grade(site, bobs, result_for("bob", score=65.0))
    alice = client_for("alice")
    alices, _ = upload(alice, {"masking.py": ("masking.py", example("alice"))})
    assert alices is not None
    for path in (f"/uploads/{bobs}", f"/uploads/{bobs}/status",
                 f"/uploads/{bobs}/files/masking.py"):
        assert alice.get(path).status_code == 404, path
        assert bob.get(path).status_code == 200, path
    assert alice.get("/a/masking/attempts/1").status_code == 404  # bob's attempt 1 only
    assert bob.get("/a/masking/attempts/1").status_code == 200
    for path in ("/staff", "/staff/a/masking", "/staff/a/masking/s/bob",
                 "/staff/a/masking/s/bob/attempts/1", "/staff/a/masking/export/scores.csv",
                 "/staff/a/masking/plot/histogram.png"):
        assert alice.get(path).status_code == 403, path
    token = csrf_of(alice, "/a/masking")
    for path in ("/staff/a/masking/s/bob/override", "/staff/a/masking/s/bob/regrade",
                 "/staff/a/masking/regrade"):
        response = alice.post(path, data={"csrf": token, "score": "77", "comment": "mine"})
        assert response.status_code == 403, path
    assert "65" not in alice.get("/a/masking").text
    assert [a.score for a in site.grades.history(site.assignment("masking"), "bob")] == [65.0]


def test_student_text_is_escaped_everywhere_it_is_shown(site: Site, client_for: Client
                                                        ) -> None:
    evil = "<script>alert(1)</script>"
    site.accounts.upsert(evil, name=evil)
    site.accounts.set_password(evil, PASSWORD)
    client = client_for(evil)
    upload_id, _ = upload(client, {"masking.py": (f"{evil}.py", example("carol"))})
    assert upload_id is not None
    fake_grade(site, upload_id, result_for(evil, output=f"got {evil}"))
    pages = [client.get(p).text for p in ("/", "/a/masking", f"/uploads/{upload_id}",
                                          f"/uploads/{upload_id}/status")]
    staff = client_for("ines")
    pages += [staff.get(p).text for p in ("/staff/a/masking",
                                          f"/staff/a/masking/s/{evil}",
                                          f"/staff/a/masking/s/{evil}/attempts/1")]
    for page in pages:
        assert "<script>alert" not in page
    assert any("&lt;script&gt;alert(1)&lt;/script&gt;.py" in p for p in pages)  # file name
    assert any("got &lt;script&gt;alert(1)&lt;/script&gt;" in p for p in pages)  # output
    download = client.get(f"/uploads/{upload_id}/files/masking.py")
    assert download.headers["content-type"] == "application/octet-stream"
    assert download.headers["content-disposition"].startswith("attachment")


def test_pages_carry_a_strict_content_security_policy_and_the_usual_headers(
        client_for: Client) -> None:
    response = client_for("alice").get("/")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self';" in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["cache-control"] == "no-store"
    cookie = response.request.headers.get("cookie", "")
    assert "nlpgrade_session" in cookie and PASSWORD not in response.text


def test_a_grader_error_is_shown_as_not_graded_never_as_zero(site: Site, client_for: Client
                                                            ) -> None:
    alice = client_for("alice")
    upload_id, _ = upload(alice, {"masking.py": ("masking.py", example("alice"))})
    assert upload_id is not None
    fake_grade(site, upload_id, result_for("alice", score=None, status="grader_error"))
    for page in (alice.get(f"/uploads/{upload_id}").text, alice.get("/a/masking").text,
                 alice.get("/").text):
        assert "not graded" in page
        assert "0 / 77" not in page and "<b>0</b>" not in page
    assert "secret grader diagnostics" not in alice.get(f"/uploads/{upload_id}").text
    staff = client_for("ines").get("/staff/a/masking/s/alice/attempts/1").text
    assert "secret grader diagnostics" in staff  # the staff see why


def test_uploads_are_checked_before_they_are_queued(site: Site, client_for: Client) -> None:
    alice = client_for("alice")
    cases = [({"masking.py": ("notes.txt", b"hello")}, "neither Python source"),
             ({"masking.py": ("masking.py", b"\xff\xfe\x00bad")}, "not UTF-8"),
             ({"masking.py": ("masking.py", b"x" * (1 << 20) + b"x")}, "the limit is 1 MiB"),
             ({"masking.py": ("masking.ipynb", b"{not json")}, "masking.ipynb"),
             ({}, "missing: masking.py")]
    for files, reason in cases:
        upload_id, page = upload(alice, files)
        assert upload_id is None and "Not submitted" in page and reason in page, reason
    assert site.queue.pending() == {}
    notebook = (REPO / "assignments/masking/masking.ipynb").read_bytes()
    upload_id, _ = upload(alice, {"masking.py": ("my work.ipynb", notebook)})
    assert upload_id is not None  # the notebook instead of the .py, stored as such
    assert [f.name for f in site.queue.files(site.queue.get(upload_id))] == [  # type: ignore[arg-type]
        "masking.ipynb"]
    minbert = {m: (m, example("alice", "minbert", m))
               for m in ("bert.py", "optimizer.py", "classifier.py")}
    upload_id, _ = upload(alice, minbert, "minbert")  # several files in one submission
    assert upload_id is not None
    names = [f.name for f in site.queue.files(site.queue.get(upload_id))]  # type: ignore[arg-type]
    assert names == ["bert.py", "classifier.py", "optimizer.py"]
    too_big = alice.post("/a/masking/submit", content=b"x" * (9 << 20),
                         headers={"content-type": "application/octet-stream"})
    assert too_big.status_code == 413


def test_an_override_needs_a_comment_is_a_new_attempt_and_the_student_reads_it(
        site: Site, client_for: Client) -> None:
    alice = client_for("alice")
    upload_id, _ = upload(alice, {"masking.py": ("masking.py", example("carol"))})
    assert upload_id is not None
    fake_grade(site, upload_id, result_for("alice", score=65.0))
    tara = client_for("tara")
    assert tara.post("/staff/a/masking/s/alice/override", data={
        "csrf": csrf_of(tara, "/staff"), "score": "70", "comment": "x"}).status_code == 403
    ines = client_for("ines")
    page = ines.post("/staff/a/masking/s/alice/override",
                     data={"csrf": csrf_of(ines, "/staff"), "score": "70", "comment": " "})
    assert "needs a comment" in page.text
    ines.post("/staff/a/masking/s/alice/override", data={
        "csrf": csrf_of(ines, "/staff"), "score": "72.5",
        "comment": "Regrade request: the mask convention in §2 was ambiguous"})
    history = site.grades.history(site.assignment("masking"), "alice")
    assert [(v.attempt, v.score) for v in history] == [(1, 65.0), (2, 72.5)]
    assert history[1].override is not None and history[1].override.author == "ines"
    mine = alice.get("/a/masking").text
    assert "the mask convention in §2 was ambiguous" in mine and "72.5" in mine
    assert "counts" in mine


def test_the_gradebook_table_sorts_filters_and_exports(site: Site, client_for: Client
                                                      ) -> None:
    for login, score in (("alice", 77.0), ("bob", 61.0)):
        client = client_for(login)
        upload_id, _ = upload(client, {"masking.py": ("masking.py", example("alice"))})
        assert upload_id is not None
        fake_grade(site, upload_id, result_for(login, score=score))
    ines = client_for("ines")
    by_score = ines.get("/staff/a/masking?sort=score&dir=desc").text
    assert by_score.index(">alice<") < by_score.index(">bob<")
    by_score = ines.get("/staff/a/masking?sort=score&dir=asc").text
    assert by_score.index(">bob<") < by_score.index(">alice<")
    assert ">alice<" not in ines.get("/staff/a/masking?q=bo").text
    rows = list(csv.DictReader(io.StringIO(ines.get("/staff/a/masking/export/scores.csv").text)))
    assert {r["student"]: r["score"] for r in rows} == {"alice": "77", "bob": "61"}
    archive = zipfile.ZipFile(io.BytesIO(ines.get("/staff/a/masking/export/gradescope.zip")
                                         .content))
    assert json.loads(archive.read("alice/results.json"))["score"] == 77.0
    nb = list(csv.DictReader(io.StringIO(ines.get("/staff/a/masking/export/nbgrader.csv")
                                         .text)))
    assert {r["student_id"] for r in nb} == {"alice", "bob"}
    png = ines.get("/staff/a/masking/plot/histogram.png")
    assert png.headers["content-type"] == "image/png" and png.content[:4] == b"\x89PNG"
    assert ines.get("/staff/a/masking/plot/pass_rate.png").content[:4] == b"\x89PNG"


def test_regrades_queue_the_latest_upload_again(site: Site, client_for: Client) -> None:
    alice = client_for("alice")
    upload_id, _ = upload(alice, {"masking.py": ("masking.py", example("carol"))})
    assert upload_id is not None
    fake_grade(site, upload_id, result_for("alice", score=65.0))
    tara = client_for("tara")
    tara.post("/staff/a/masking/s/alice/regrade", data={"csrf": csrf_of(tara, "/staff")})
    assert site.queue.pending() == {"masking": 1}
    claimed = site.queue.claim("masking")
    assert claimed is not None and claimed.upload.kind == "regrade"
    assert claimed.files["masking.py"] == example("carol")
    assert tara.post("/staff/a/masking/regrade", data={"csrf": csrf_of(tara, "/staff")}
                     ).status_code == 403  # regrading everyone is the instructor's
    ines = client_for("ines")
    ines.post("/staff/a/masking/regrade", data={"csrf": csrf_of(ines, "/staff")})
    assert site.queue.pending() == {"masking": 1}


def test_a_sign_in_link_works_once_and_never_on_a_plain_get(site: Site, client_for: Client
                                                           ) -> None:
    token = site.accounts.new_link("bob")
    client = client_for(None)
    page = client.get(f"/signin/link/{token}")
    assert "Sign in as bob" in page.text
    assert client.get("/").url.path == "/signin"  # opening the link signed nobody in
    csrf = csrf_of(client, f"/signin/link/{token}")
    assert client.post(f"/signin/link/{token}", data={"csrf": csrf}).url.path == "/account"
    again = client_for(None)
    assert again.get(f"/signin/link/{token}").status_code == 404
    client.post("/account/password", data={"csrf": csrf_of(client, "/account"),
                                            "password": "a new passphrase", "again":
                                            "a new passphrase"})
    assert site.accounts.verify_password("bob", "a new passphrase") is not None


def test_the_demo_seeds_users_and_uploads_and_signs_them_in_with_one_click(
        tmp_path: Path, client_for: Client) -> None:
    assert client_for("alice").get("/demo").status_code == 404  # only with --demo
    (tmp_path / "demo").mkdir()
    config = make_config(tmp_path / "demo", demo=True)
    demo = build_site(config)
    link = seed_demo(demo, REPO, "http://127.0.0.1:8000")
    assert "/signin/link/" in link
    assert {u.login for u in demo.accounts.all()} >= {"instructor", "ta", "alice", "carol"}
    assert demo.queue.pending()["masking"] == 6  # every example with a masking.py
    with TestClient(create_app(config, site=demo)) as client:
        page = client.get("/demo")
        assert "Sign in as carol" in page.text
        reply = client.post("/demo/instructor", data={"csrf": csrf_of(client, "/demo")})
        assert reply.url.path == "/staff" and "Course staff" in reply.text
    demo.gradebook.close()


def test_roster_import_on_the_command_line(tmp_path: Path) -> None:
    roster = tmp_path / "students.csv"
    roster.write_text("id,name,email\nalice,Alice,alice@x.edu\nbob,Bob,bob@x.edu\n")
    url = f"sqlite:///{tmp_path / 'gradebook.db'}"
    done = subprocess.run([sys.executable, "-m", "autograder.cli", "roster", "import",
                           str(roster), "--db", url, "--course", str(REPO)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 users" in done.stdout and "2 sign-in links written to" in done.stdout
    rows = list(csv.DictReader((tmp_path / "students.credentials.csv").open()))
    assert [r["id"] for r in rows] == ["alice", "bob"]
    assert all(r["sign_in_link"].startswith("http://127.0.0.1:8000/signin/link/") for r in rows)
