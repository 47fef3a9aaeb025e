"""Gradebook URLs for the scale tests: SQLite in a temp folder, and a real PostgreSQL server.

PostgreSQL comes from, in order:
1. `NLPGRADE_TEST_POSTGRES`, an admin URL of a running server (what `.ci/run` starts);
2. a throwaway cluster made here with `initdb` and `pg_ctl` (Debian's postgresql package:
   /usr/lib/postgresql/*/bin), on 127.0.0.1, as an unprivileged user, once per session;
3. otherwise the PostgreSQL half of each test is skipped, with the reason.
Each test gets a fresh database of its own on that server.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

ENV = "NLPGRADE_TEST_POSTGRES"
NO_POSTGRES = ("PostgreSQL is not installed here: `apt-get install postgresql` (the tests "
               f"start a throwaway server) or set {ENV} to a server's admin URL")


def _bindir() -> Path | None:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                        key=lambda p: int(Path(p).parent.parent.name))
    found = candidates[-1] if candidates else shutil.which("initdb")
    return Path(found).parent if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_user() -> tuple[int, int] | None:
    """initdb refuses root: run the server as `postgres` (or `nobody`) when we are root."""
    if os.getuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            entry = pwd.getpwnam(name)
            return entry.pw_uid, entry.pw_gid
        except KeyError:
            continue
    raise RuntimeError("running as root with neither a `postgres` nor a `nobody` user")


def _run(argv: list[str], user: tuple[int, int] | None) -> None:
    def demote() -> None:
        if user is not None:
            os.setgid(user[1])
            os.setuid(user[0])

    proc = subprocess.run(argv, preexec_fn=demote, capture_output=True, text=True,
                          timeout=120, env={**os.environ, "LC_ALL": "C.UTF-8"}, cwd="/")
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed:\n{proc.stdout}{proc.stderr}")


@pytest.fixture(scope="session")
def postgres_admin() -> Iterator[str]:
    """An admin URL (database `postgres`) of a running PostgreSQL server."""
    if os.environ.get(ENV):
        yield os.environ[ENV]
        return
    bindir = _bindir()
    if bindir is None:
        pytest.skip(NO_POSTGRES)
    user = _as_user()
    root = Path(tempfile.mkdtemp(prefix="nlpgrade-pg-"))
    if user is not None:
        os.chown(root, *user)
    data, port = root / "data", _free_port()
    _run([str(bindir / "initdb"), "-D", str(data), "-U", "nlpgrade", "--auth=trust",
          "-E", "UTF8", "--no-sync", "--no-instructions"], user)
    options = (f"-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories={root} "
               "-c fsync=off -c synchronous_commit=off -c full_page_writes=off")
    _run([str(bindir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(root / "log"),
          "-w", "-t", "60", "start"], user)
    try:
        yield f"postgresql+psycopg://nlpgrade@127.0.0.1:{port}/postgres"
    finally:
        _run([str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"], user)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres_admin: str) -> Iterator[str]:
    """A fresh, empty database on the server, dropped afterwards."""
    import psycopg

    name = f"nlpgrade_{uuid.uuid4().hex[:12]}"
    admin = postgres_admin.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base, _, _ = postgres_admin.rpartition("/")
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each gradebook test runs on both databases."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'gradebook.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url
