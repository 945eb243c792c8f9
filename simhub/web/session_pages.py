"""HTML pages over live sessions: the list with a form to open a virtual one, and the live
view (a canvas and readouts the page fills from the telemetry WebSocket)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from simhub.errors import SimhubError
from simhub.session.model import SessionMode
from simhub.web.deps import AppDep, Caller, FormCaller, PageCaller
from simhub.web.errors import status_of
from simhub.web.session_api import SessionIn, create_request, sessions_of
from simhub.web.templating import render

router = APIRouter(include_in_schema=False)


def _list(
    request: Request, app: AppDep, caller: Caller, status: int = 200, error: str = ""
) -> HTMLResponse:
    sessions = sessions_of(app).list(caller.principal, 100, 0)
    return render(
        request,
        "sessions.html",
        caller,
        status=status,
        sessions=sessions,
        cabins=app.facility.cabins,
        error=error,
    )


@router.get("/sessions", response_class=HTMLResponse)
def sessions_page(request: Request, app: AppDep, caller: PageCaller) -> HTMLResponse:
    return _list(request, app, caller)


@router.post("/sessions")
def create(
    request: Request,
    app: AppDep,
    caller: FormCaller,
    cabin_id: Annotated[str, Form(max_length=40)] = "passenger",
    start_speed_kph: Annotated[float, Form(ge=0, le=250)] = 0.0,
    traffic_vehicles: Annotated[int, Form(ge=0, le=50)] = 0,
) -> Response:
    body = SessionIn(
        mode=SessionMode.VIRTUAL,
        cabin_id=cabin_id,
        start_speed_m_s=start_speed_kph / 3.6,
        traffic_vehicles=traffic_vehicles,
    )
    service = sessions_of(app)
    try:
        session = service.create(caller.principal, create_request(body))
        service.start(caller.principal, session.id)
    except SimhubError as exc:
        if status_of(exc) == 403:
            raise
        return _list(request, app, caller, status_of(exc), str(exc))
    return RedirectResponse(f"/sessions/{session.id}", status_code=303)


@router.get("/sessions/{session_id}", response_class=HTMLResponse)
def live_page(request: Request, session_id: str, app: AppDep, caller: PageCaller) -> HTMLResponse:
    session = sessions_of(app).get(caller.principal, session_id)
    return render(request, "live.html", caller, session=session)


@router.post("/sessions/{session_id}/{action}")
def act(
    request: Request, session_id: str, action: str, app: AppDep, caller: FormCaller
) -> Response:
    service = sessions_of(app)
    verbs = {"start": service.start, "pause": service.pause, "stop": service.stop}
    if action not in verbs:
        return _list(request, app, caller, 404, f"no action {action!r}")
    try:
        verbs[action](caller.principal, session_id)
    except SimhubError as exc:
        if status_of(exc) in (403, 404):
            raise
        return _list(request, app, caller, status_of(exc), str(exc))
    return RedirectResponse(f"/sessions/{session_id}", status_code=303)
