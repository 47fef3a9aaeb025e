"""Simulated students for the load test and bench/serve_latency.py: each signs in over HTTP,
uploads masking, and (optionally) polls its status fragment until the feedback is there."""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from autograder.commands.demo import expected_scores

from .server import REPO

CSRF = re.compile(r'name="csrf" value="([^"]+)"')
UPLOAD = re.compile(r"/uploads/(\d+)$")
# The bundled examples that grade quickly, and what each scores (examples/expected.yaml);
# frank (a 10 s import loop) and grace (no masking.py) are left out.
EXAMPLES = {who: want.score for who, want in
            expected_scores(REPO / "examples" / "expected.yaml", "masking").items()
            if who in ("alice", "bob", "carol", "dave", "erin")}


def example_for(index: int) -> tuple[str, bytes]:
    name = sorted(EXAMPLES)[index % len(EXAMPLES)]
    source = (REPO / "examples/submissions/masking" / name / "masking.py").read_bytes()
    return name, source + f"\n# student {index}\n".encode()  # each upload unique


@dataclass
class Student:
    login: str
    example: str
    source: bytes
    upload_id: int | None = None
    submitted_at: float = 0.0
    graded_at: float | None = None
    errors: list[str] = field(default_factory=list)


async def _csrf(client: httpx.AsyncClient, path: str) -> str:
    page = await client.get(path)
    match = CSRF.search(page.text)
    if match is None:
        raise RuntimeError(f"{path}: no form ({page.status_code})")
    return match.group(1)


def session(base: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=base, follow_redirects=True, timeout=60)


async def sign_in(client: httpx.AsyncClient, student: Student, password: str) -> None:
    token = await _csrf(client, "/signin")
    await client.post("/signin", data={"login": student.login, "password": password,
                                       "csrf": token})


async def upload(client: httpx.AsyncClient, student: Student) -> None:
    """Upload masking (signed in); sets `upload_id` once the server has accepted it."""
    token = await _csrf(client, "/a/masking")
    student.submitted_at = time.monotonic()
    reply = await client.post("/a/masking/submit", data={"csrf": token}, files={
        "file:masking.py": ("masking.py", student.source, "text/x-python")})
    match = UPLOAD.search(reply.url.path)
    if match is None:
        raise RuntimeError(f"{student.login}: upload refused ({reply.status_code})")
    student.upload_id = int(match.group(1))


async def submit(base: str, student: Student, password: str) -> None:
    """Sign in and upload."""
    async with session(base) as client:
        await sign_in(client, student, password)
        await upload(client, student)


async def wait_feedback(client: httpx.AsyncClient, student: Student, *, poll_s: float = 0.05,
                        timeout_s: float = 300.0) -> None:
    """Poll the upload's status fragment as the page does until the feedback replaces it."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        page = await client.get(f"/uploads/{student.upload_id}/status")
        if page.status_code == 200 and "hx-trigger" not in page.text:
            student.graded_at = time.monotonic()
            return
        await asyncio.sleep(poll_s)
    raise TimeoutError(f"{student.login}: no feedback within {timeout_s:.0f} s")


async def submit_and_wait(base: str, student: Student, password: str, *,
                          poll_s: float = 0.05) -> None:
    async with session(base) as client:
        await sign_in(client, student, password)
        await upload(client, student)
        await wait_feedback(client, student, poll_s=poll_s)


async def submit_all(base: str, students: list[Student], password: str, *,
                     within_s: float, concurrency: int = 16) -> None:
    """Every student submits, their arrivals spread evenly over `within_s` seconds; a
    failed request (the server was killed) is left for the caller to retry."""
    gate = asyncio.Semaphore(concurrency)
    start = time.monotonic()

    async def one(i: int, student: Student) -> None:
        await asyncio.sleep(max(0.0, start + within_s * i / len(students) - time.monotonic()))
        async with gate:
            try:
                await submit(base, student, password)
            except (httpx.HTTPError, RuntimeError) as err:
                student.errors.append(f"{type(err).__name__}: {err}")

    await asyncio.gather(*(one(i, s) for i, s in enumerate(students)))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def make_students(n: int, prefix: str = "s") -> list[Student]:
    out = []
    for i in range(n):
        name, source = example_for(i)
        out.append(Student(f"{prefix}{i:03d}", name, source))
    return out


def paths_exist() -> bool:
    return Path(REPO / "examples/submissions/masking").is_dir()
