"""Signing in and out: passwords (rate-limited), one-time links, the demo's one-click users."""

from __future__ import annotations

import math

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from autograder.web.accounts import AccountError
from autograder.web.security import RateLimiter, csrf_protected
from autograder.web.site import (
    current_user,
    flash,
    redirect,
    render,
    require_user,
    sign_in,
    site,
)


def limiters(request: Request) -> tuple[RateLimiter, RateLimiter]:
    s = site(request)
    per_account, per_ip, window = s.config.signin_failures
    if not s.limits:
        s.limits["account"] = RateLimiter(per_account, window)
        s.limits["ip"] = RateLimiter(per_ip, window)
    return s.limits["account"], s.limits["ip"]


async def signin_page(request: Request) -> Response:
    if current_user(request) is not None:
        return redirect(request, "/")
    return render(request, "signin.html", login="")


@csrf_protected
async def signin(request: Request) -> Response:
    form = await request.form()
    login, password = str(form.get("login", "")).strip(), str(form.get("password", ""))
    by_account, by_ip = limiters(request)
    ip = request.client.host if request.client else "?"
    wait = max(by_account.blocked(f"acct:{login}"), by_ip.blocked(f"ip:{ip}"))
    if wait:
        return render(request, "signin.html", status_code=429, login=login,
                      error=f"Too many failed sign-ins for this account or from your address. "
                      f"Wait {math.ceil(wait / 60)} minutes, or ask your instructor for a "
                      "sign-in link.")
    user = site(request).accounts.verify_password(login, password) if login else None
    if user is None:
        by_account.failed(f"acct:{login}")
        by_ip.failed(f"ip:{ip}")
        return render(request, "signin.html", status_code=401, login=login,
                      error="Wrong id or password. Check both; if you have no password yet, "
                      "use the sign-in link your instructor sent you.")
    by_account.reset(f"acct:{login}")
    sign_in(request, user)
    return redirect(request, "/")


async def link_page(request: Request) -> Response:
    """A link only shows a button: mail scanners that open links do not use them up."""
    user = site(request).accounts.link_user(request.path_params["token"])
    return render(request, "link.html", status_code=200 if user else 404, who=user)


@csrf_protected
async def link_signin(request: Request) -> Response:
    user = site(request).accounts.redeem_link(request.path_params["token"])
    if user is None:
        return render(request, "link.html", status_code=404, who=None)
    sign_in(request, user)
    flash(request, "Signed in. Choose a password below to sign in without a link next time.")
    return redirect(request, "/account")


@csrf_protected
async def signout(request: Request) -> Response:
    request.session.clear()
    return redirect(request, "/signin")


async def account_page(request: Request) -> Response:
    return render(request, "account.html", user=require_user(request))


@csrf_protected
async def set_password(request: Request) -> Response:
    user = require_user(request)
    form = await request.form()
    password = str(form.get("password", ""))
    if password != str(form.get("again", "")):
        flash(request, "The two passwords differ: type the same one twice.", "error")
        return redirect(request, "/account")
    try:
        site(request).accounts.set_password(user.login, password)
    except AccountError as err:
        flash(request, str(err), "error")
        return redirect(request, "/account")
    fresh = site(request).accounts.get(user.id)
    assert fresh is not None
    sign_in(request, fresh)  # other sessions of this user are signed out
    flash(request, "Password saved.")
    return redirect(request, "/")


def _demo_only(request: Request) -> None:
    if not site(request).config.demo:
        raise HTTPException(404, "not found")


async def demo_page(request: Request) -> Response:
    _demo_only(request)
    return render(request, "demo.html", people=site(request).accounts.all())


@csrf_protected
async def demo_signin(request: Request) -> Response:
    _demo_only(request)
    user = site(request).accounts.by_login(request.path_params["login"])
    if user is None:
        raise HTTPException(404, "no such demo user")
    sign_in(request, user)
    return redirect(request, "/staff" if user.is_staff else "/")


routes = [
    Route("/signin", signin_page, methods=["GET"]),
    Route("/signin", signin, methods=["POST"]),
    Route("/signin/link/{token}", link_page, methods=["GET"]),
    Route("/signin/link/{token}", link_signin, methods=["POST"]),
    Route("/signout", signout, methods=["POST"]),
    Route("/account", account_page, methods=["GET"]),
    Route("/account/password", set_password, methods=["POST"]),
    Route("/demo", demo_page, methods=["GET"]),
    Route("/demo/{login:path}", demo_signin, methods=["POST"]),
]
