"""HTML pages: sign-in, the facility overview, mounting a cabin (operators)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from simhub.errors import SimhubError, Unauthenticated
from simhub.facility.model import PLATFORM
from simhub.web.deps import COOKIE, AppDep, Caller, FormCaller, PageCaller
from simhub.web.errors import status_of
from simhub.web.templating import render

SESSION_LIFETIME = timedelta(hours=12)
router = APIRouter(include_in_schema=False)


@router.get("/signin", response_class=HTMLResponse)
def signin_form(request: Request) -> HTMLResponse:
    return render(request, "signin.html", None)


@router.post("/signin")
def signin(request: Request, app: AppDep, token: Annotated[str, Form()] = "") -> Response:
    try:
        secret, session = app.identity.open_web_session(token.strip(), SESSION_LIFETIME)
    except Unauthenticated as exc:
        return render(request, "signin.html", None, status=401, error=exc.message)
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(
        COOKIE,
        secret,
        max_age=int((session.expires_at - session.created_at).total_seconds()),
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )
    return response


@router.post("/signout")
def signout(request: Request, app: AppDep, caller: FormCaller) -> Response:
    app.identity.close_web_session(request.cookies.get(COOKIE, ""))
    response = RedirectResponse("/signin", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


@router.get("/", response_class=HTMLResponse)
def facility_page(request: Request, app: AppDep, caller: PageCaller) -> HTMLResponse:
    return _facility(request, app, caller)


def _facility(
    request: Request, app: AppDep, caller: Caller, status: int = 200, **extra: Any
) -> HTMLResponse:
    state = app.facility_service.state()
    now = app.clock()
    where = {p.cabin_id: p for p in state.placements}
    last = state.last_changeover
    return render(
        request,
        "facility.html",
        caller,
        status=status,
        facility=app.facility,
        cabins=app.facility_service.cabins(),
        where=where,
        platform=PLATFORM,
        mounted=state.mounted,
        in_progress=last if last and last.completes_at > now else None,
        changeovers=app.facility_service.changeovers(10),
        **extra,
    )


@router.post("/facility/mount", response_class=HTMLResponse)
def mount(
    request: Request,
    app: AppDep,
    caller: FormCaller,
    cabin_id: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    try:
        app.facility_service.mount(caller.principal, cabin_id, reason)
    except SimhubError as exc:
        return _facility(request, app, caller, status=status_of(exc), mount_error=exc.message)
    return RedirectResponse("/", status_code=303)
