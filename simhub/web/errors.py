"""The one place that turns a ``SimhubError`` into an HTTP status and a problem+json body
(RFC 9457)."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse, Response

from simhub import errors

STATUS: dict[type[errors.SimhubError], int] = {
    errors.NotFound: 404,
    errors.Conflict: 409,
    errors.Unauthenticated: 401,
    errors.PermissionDenied: 403,
    errors.InvalidArgument: 422,
    errors.QuotaExceeded: 429,
    errors.FailedPrecondition: 412,
}
TITLES = {
    404: "Not Found",
    409: "Conflict",
    401: "Unauthenticated",
    403: "Forbidden",
    422: "Invalid Argument",
    429: "Quota Exceeded",
    412: "Failed Precondition",
    400: "Bad Request",
}


def status_of(error: errors.SimhubError) -> int:
    return next((code for kind, code in STATUS.items() if isinstance(error, kind)), 400)


def problem(error: errors.SimhubError) -> dict[str, Any]:
    status = status_of(error)
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": TITLES[status],
        "status": status,
        "detail": error.message,
    }
    violations = getattr(error, "violations", ())
    if violations:
        body["violations"] = [vars(v) for v in violations]
    return body


async def problem_response(request: Request, exc: Exception) -> Response:
    """problem+json under /api; a page with the same status and message elsewhere."""
    assert isinstance(exc, errors.SimhubError)
    body = problem(exc)
    if not request.url.path.startswith("/api/"):
        from simhub.web.templating import render  # templates import this module's callers

        return render(request, "error.html", None, status=body["status"], problem=body)
    headers = {"WWW-Authenticate": "Bearer"} if body["status"] == 401 else None
    return JSONResponse(
        body, status_code=body["status"], media_type="application/problem+json", headers=headers
    )
