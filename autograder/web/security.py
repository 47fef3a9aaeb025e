"""Security plumbing: response headers (CSP and friends), CSRF tokens, sign-in rate limits.

- Every response carries a strict Content-Security-Policy: scripts only from /static (no
  inline script, no eval), no plugins, no framing, forms only to this site. Inline *styles* are
  allowed because KaTeX positions its glyphs with them; no student text is ever unescaped.
- Every form carries the session's CSRF token; every POST is refused without it (the routes
  are registered through `csrf_protected`, and a test walks every POST route).
- Failed sign-ins are counted per account and per client address in a sliding window.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; "
       "base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=()",
}
CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"


class SecurityHeaders:
    """ASGI middleware: the headers above on every response (HSTS too over HTTPS), and
    `Cache-Control: no-store` on every page that is not a static file."""

    def __init__(self, app: ASGIApp, *, hsts: bool) -> None:
        self.app, self.hsts = app, hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = scope["path"].startswith("/static/")

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in HEADERS.items():
                    headers[name] = value
                if self.hsts:
                    headers["strict-transport-security"] = "max-age=31536000"
                if not static:
                    headers["cache-control"] = "no-store"
            await send(message)

        await self.app(scope, receive, with_headers)


class BodyLimit:
    """ASGI middleware: a request whose declared or actual body exceeds `limit` bytes gets
    413 before the app reads it whole."""

    def __init__(self, app: ASGIApp, *, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await too_large(self.limit)(scope, receive, send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                raise TooLarge()
            return message

        try:
            await self.app(scope, counted, send)
        except TooLarge:
            await too_large(self.limit)(scope, receive, send)


class TooLarge(Exception):
    pass


def too_large(limit: int) -> Response:
    return Response(f"Request too large: uploads are limited to {limit >> 20} MiB in all. "
                    "Submit only the assignment's files.", status_code=413,
                    media_type="text/plain")


def csrf_token(session: dict[str, Any]) -> str:
    token = session.get(CSRF_FIELD)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        session[CSRF_FIELD] = token
    return token


async def csrf_ok(request: Request) -> bool:
    expected = request.session.get(CSRF_FIELD)
    if not isinstance(expected, str):
        return False
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    return sent is not None and secrets.compare_digest(sent, expected)


Endpoint = Callable[[Request], Awaitable[Response]]


def csrf_protected(endpoint: Endpoint) -> Endpoint:
    """Wrap a POST endpoint: 403 with an explanation unless the form carries the token."""

    async def checked(request: Request) -> Response:
        if not await csrf_ok(request):
            return Response("This form has expired or did not come from this site (CSRF "
                            "check failed). Go back, reload the page and try again.",
                            status_code=403, media_type="text/plain")
        return await endpoint(request)

    checked.__name__ = endpoint.__name__
    checked.__doc__ = endpoint.__doc__
    checked.csrf_protected = True  # type: ignore[attr-defined]
    return checked


class RateLimiter:
    """Failures per key in a sliding window; `blocked` says for how long a key must wait."""

    def __init__(self, limit: int, window_s: float) -> None:
        self.limit, self.window_s = limit, window_s
        self._events: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        events = self._events.setdefault(key, deque())
        while events and now - events[0] > self.window_s:
            events.popleft()
        return events

    def blocked(self, key: str) -> float:
        """Seconds until `key` may try again (0: now)."""
        now = time.monotonic()
        with self._lock:
            events = self._recent(key, now)
            if len(events) < self.limit:
                return 0.0
            return max(0.0, self.window_s - (now - events[0]))

    def failed(self, key: str) -> None:
        now = time.monotonic()
        with self._lock:
            self._recent(key, now).append(now)
            if len(self._events) > 100_000:  # bounded memory under a spray of keys
                self._events = {k: v for k, v in self._events.items() if v}

    def reset(self, key: str) -> None:
        with self._lock:
            self._events.pop(key, None)
