"""Jinja templates, their filters (times in the facility's local zone) and ``render``."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from simhub.identity.model import Role
from simhub.web.deps import Caller

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")


def facility_zone(request: Request) -> ZoneInfo:
    zone: ZoneInfo = request.app.state.time_zone
    return zone


def local(at: datetime | None, zone: ZoneInfo, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """*at* (UTC) as the facility's wall-clock time."""
    return at.astimezone(zone).strftime(fmt) if at else "-"


def render(
    request: Request, name: str, caller: Caller | None, status: int = 200, **context: Any
) -> HTMLResponse:
    """Render *name* with the caller's role-aware navigation and the local-time filters."""
    zone = facility_zone(request)
    base = {
        "caller": caller,
        "is_operator": bool(caller and caller.principal.role is Role.OPERATOR),
        "can_act": bool(caller and caller.principal.role is not Role.VIEWER),
        "zone": zone,
        "local": lambda at, fmt="%Y-%m-%d %H:%M": local(at, zone, fmt),
        "path": request.url.path,
    }
    return templates.TemplateResponse(request, name, {**base, **context}, status_code=status)
