"""The server's settings: one frozen record built by `nlpgrade serve` (or a test)."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

MAX_UPLOAD_BYTES = 8 << 20  # one request: every file of a minbert submission, with room


@dataclass(frozen=True)
class ServerConfig:
    course: Path
    db_url: str
    data_dir: Path  # secret key, the grading spool, review states
    workers: int = 2
    scheduler: str | None = None  # a Dask scheduler instead of the local pool
    warm: tuple[str, ...] = ()  # assignments whose workers start with the server
    device: str = "cpu"
    allow_weak: bool = False
    secure_cookies: bool = True  # cookies only over HTTPS (off for plain-HTTP loopback)
    demo: bool = False  # /demo signs in the demo users with one click
    fast_hashes: bool = False  # argon2 at its lowest cost: tests and load tests only
    grade: bool = True  # run the dispatcher (off: a web-only server beside another one)
    root_path: str = ""  # the URL prefix when a reverse proxy serves the site under a path
    session_days: float = 14.0
    signin_failures: tuple[int, int, float] = (10, 50, 900.0)  # per account, per IP, window s
    max_upload_bytes: int = MAX_UPLOAD_BYTES

    @property
    def spool(self) -> Path:
        return self.data_dir / "spool"

    @property
    def review_dir(self) -> Path:
        return self.data_dir / "review"

    def secret_key(self) -> str:
        """The key that signs session cookies: made once, kept in the data folder (0600)."""
        path = self.data_dir / "secret_key"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return path.read_text(encoding="ascii").strip()
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(secrets.token_urlsafe(48))
        return path.read_text(encoding="ascii").strip()


WEB_MODULES = {"starlette": "starlette", "uvicorn": "uvicorn", "multipart": "python-multipart",
               "argon2": "argon2-cffi", "itsdangerous": "itsdangerous"}


def require_web(command: str) -> None:
    """ConfigError naming the install command when the `web` extra is not installed."""
    import importlib.util

    from autograder.yamlfile import ConfigError

    missing = [pkg for module, pkg in WEB_MODULES.items()
               if importlib.util.find_spec(module) is None]
    if missing:
        raise ConfigError(f"`nlpgrade {command}` needs {', '.join(missing)}: install the "
                          "website's extra with pip install 'nlpgrade[web]'")
