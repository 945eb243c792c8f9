"""The web edge over HTTP: sign-in, cookies, CSRF, roles, problem+json, the JSON API."""

from __future__ import annotations

import re

import httpx

from tests.conftest import Tokens
from tests.web.conftest import RunningWeb

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def signed_in(web: RunningWeb, token: str) -> tuple[httpx.Client, str]:
    """A client holding a session cookie, and the CSRF token of its pages."""
    client = web.client()
    reply = client.post("/signin", data={"token": token})
    assert reply.status_code == 303 and reply.headers["location"] == "/"
    page = client.get("/")
    assert page.status_code == 200
    match = CSRF.search(page.text)
    assert match
    return client, match.group(1)


def test_pages_without_cookie_redirect_to_signin(web: RunningWeb) -> None:
    with web.client() as client:
        reply = client.get("/")
        assert reply.status_code == 303 and reply.headers["location"] == "/signin"
        assert "API token" in client.get("/signin").text


def test_bad_token_shows_error_and_sets_no_cookie(web: RunningWeb) -> None:
    with web.client() as client:
        reply = client.post("/signin", data={"token": "shb_tok_0_nope"})
        assert reply.status_code == 401
        assert 'role="alert"' in reply.text and "invalid API token" in reply.text
        assert "set-cookie" not in reply.headers


def test_session_cookie_is_httponly_and_samesite(web: RunningWeb, tokens: Tokens) -> None:
    with web.client() as client:
        reply = client.post("/signin", data={"token": tokens.engineer})
        cookie = reply.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie
        page = client.get("/")
        assert "Semi-trailer truck" in page.text and "Fire engine" in page.text
        assert 'action="/facility/mount"' not in page.text  # engineers get no mount form


def test_form_post_without_csrf_is_forbidden(web: RunningWeb, tokens: Tokens) -> None:
    client, _ = signed_in(web, tokens.operator)
    reply = client.post("/facility/mount", data={"cabin_id": "special"})
    assert reply.status_code == 403
    reply = client.post("/facility/mount", data={"cabin_id": "special", "csrf_token": "forged"})
    assert reply.status_code == 403
    state = client.get("/api/v1/facility/state").json()
    assert state["mounted_cabin_id"] == "passenger"


def test_operator_mounts_and_viewer_cannot(web: RunningWeb, tokens: Tokens) -> None:
    viewer, viewer_csrf = signed_in(web, tokens.viewer)
    refused = viewer.post(
        "/facility/mount", data={"cabin_id": "special", "csrf_token": viewer_csrf}
    )
    assert refused.status_code == 403
    operator, csrf = signed_in(web, tokens.operator)
    done = operator.post(
        "/facility/mount", data={"cabin_id": "special", "reason": "drill", "csrf_token": csrf}
    )
    assert done.status_code == 303
    page = operator.get("/")
    assert re.search(r'id="mounted">special<', page.text)
    assert "passenger → special" in page.text
    busy = operator.post("/facility/mount", data={"cabin_id": "commercial", "csrf_token": csrf})
    assert busy.status_code == 412 and "in progress until" in busy.text


def test_signout_ends_the_session(web: RunningWeb, tokens: Tokens) -> None:
    client, csrf = signed_in(web, tokens.engineer)
    cookie = client.cookies.get("simhub_session")
    assert client.post("/signout", data={"csrf_token": csrf}).status_code == 303
    client.cookies.set("simhub_session", cookie or "")
    assert client.get("/").status_code == 303


def test_api_with_bearer_and_problem_json(web: RunningWeb, tokens: Tokens) -> None:
    with web.client() as client:
        auth = {"authorization": f"Bearer {tokens.engineer}"}
        cabins = client.get("/api/v1/cabins", headers=auth).json()["cabins"]
        assert [c["id"] for c in cabins] == ["commercial", "passenger", "special"]
        missing = client.get("/api/v1/cabins")
        assert missing.status_code == 401
        assert missing.headers["content-type"].startswith("application/problem+json")
        assert missing.json()["title"] == "Unauthenticated"
        unknown = client.get("/api/v1/cabins/tank", headers=auth)
        assert unknown.status_code == 404 and "'passenger'" in unknown.json()["detail"]
        denied = client.post("/api/v1/facility/mount", headers=auth, json={"cabin_id": "special"})
        assert denied.status_code == 403
        op = {"authorization": f"Bearer {tokens.operator}"}
        made = client.post("/api/v1/facility/mount", headers=op, json={"cabin_id": "special"})
        assert made.status_code == 201 and made.json()["duration_minutes"] == 55
        assert (
            client.get("/api/v1/facility/changeovers", headers=auth).json()[0]["to_cabin_id"]
            == "special"
        )


def test_cookie_api_changes_need_csrf_header(web: RunningWeb, tokens: Tokens) -> None:
    client, csrf = signed_in(web, tokens.operator)
    assert client.post("/api/v1/facility/mount", json={"cabin_id": "special"}).status_code == 403
    ok = client.post(
        "/api/v1/facility/mount", json={"cabin_id": "special"}, headers={"x-csrf-token": csrf}
    )
    assert ok.status_code == 201


def test_openapi_is_served(web: RunningWeb) -> None:
    with web.client() as client:
        spec = client.get("/api/v1/openapi.json").json()
        assert "/api/v1/cabins" in spec["paths"]
