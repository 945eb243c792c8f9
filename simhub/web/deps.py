"""Request dependencies: the composition root, the caller (bearer token or session cookie), CSRF.

``ApiCaller`` accepts ``Authorization: Bearer <token>`` or the session cookie (then a state-
changing request must carry ``X-CSRF-Token``). ``PageCaller`` is for HTML pages: no valid
cookie means a redirect to the sign-in page.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from simhub.app import App
from simhub.errors import PermissionDenied, Unauthenticated
from simhub.identity.model import Principal

COOKIE = "simhub_session"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class SignInRequired(Exception):
    """Raised by page dependencies; answered with a redirect to /signin."""


def get_app(request: Request) -> App:
    application: App = request.app.state.simhub
    return application


AppDep = Annotated[App, Depends(get_app)]


@dataclass(frozen=True)
class Caller:
    principal: Principal
    csrf_token: str  # empty for bearer-token callers


def _from_cookie(application: App, request: Request) -> Caller | None:
    secret = request.cookies.get(COOKIE)
    if not secret:
        return None
    principal, session = application.identity.web_session(secret)
    return Caller(principal, session.csrf_token)


def csrf_ok(expected: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(expected, given or "")


def api_caller(request: Request, application: AppDep) -> Caller:
    header = request.headers.get("authorization")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated("Authorization header must read 'Bearer <token>'")
        return Caller(application.identity.authenticate(token.strip()), "")
    caller = _from_cookie(application, request)
    if caller is None:
        raise Unauthenticated("missing 'Authorization: Bearer <token>' header or session cookie")
    if request.method not in SAFE_METHODS and not csrf_ok(
        caller.csrf_token, request.headers.get("x-csrf-token")
    ):
        raise PermissionDenied("a cookie-authenticated change needs the X-CSRF-Token header")
    return caller


def page_caller(request: Request, application: AppDep) -> Caller:
    try:
        caller = _from_cookie(application, request)
    except Unauthenticated:
        caller = None
    if caller is None:
        raise SignInRequired()
    return caller


ApiCaller = Annotated[Caller, Depends(api_caller)]
PageCaller = Annotated[Caller, Depends(page_caller)]


async def check_csrf(request: Request, caller: PageCaller) -> Caller:
    """For HTML form posts: the form's ``csrf_token`` must match the session's."""
    form = await request.form()
    given = form.get("csrf_token")
    if not csrf_ok(caller.csrf_token, given if isinstance(given, str) else None):
        raise PermissionDenied("the form's CSRF token is missing or wrong; reload the page")
    return caller


FormCaller = Annotated[Caller, Depends(check_csrf)]
