"""The web edge's guards on every page family: sign-in redirects, CSRF on forms, organisation
isolation (another organisation's ids are 404, as in gRPC), roles."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest

from simhub.app import App
from simhub.booking.model import BookingMode
from simhub.booking.planner import SlotQuery
from simhub.booking.service import BookingSpec
from simhub.evaluation.model import Resources
from simhub.evaluation.service import Submission
from simhub.session.model import SessionMode
from simhub.session.service import CreateRequest
from tests.conftest import REPO, Tokens
from tests.web.conftest import RunningWeb
from tests.web.test_web import signed_in

PAGES = ["/calendar", "/book", "/approvals", "/scenarios", "/sessions", "/evaluations"]


@pytest.mark.parametrize("path", PAGES)
def test_no_cookie_redirects_to_signin(web: RunningWeb, path: str) -> None:
    with web.client() as client:
        reply = client.get(path)
        assert reply.status_code == 303 and reply.headers["location"] == "/signin"


def test_cross_site_form_posts_without_csrf_are_forbidden(web: RunningWeb, tokens: Tokens) -> None:
    client, _ = signed_in(web, tokens.operator)
    site = {"origin": "https://evil.example", "referer": "https://evil.example/"}
    for path, data in [
        ("/book", {"cabin_id": "passenger", "mode": "motion", "start": "2030-01-07T09:00"}),
        ("/approvals/bkg_x/approve", {}),
        ("/approvals/blackouts", {"start": "2030-01-07T09:00", "end": "2030-01-07T10:00"}),
        ("/scenarios", {"name": "x"}),
        ("/sessions", {"traffic_vehicles": "1"}),
        ("/evaluations", {"suite": "ncap"}),
    ]:
        reply = client.post(path, data=data, headers=site)
        assert reply.status_code == 403, path
        assert "CSRF" in reply.text


def _other_orgs_things(app: App, tokens: Tokens) -> dict[str, str]:
    """A booking, a scenario, a session and an evaluation run of the rival organisation."""
    rival = app.identity.authenticate(tokens.other_engineer)
    start = app.clock().replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    query = SlotQuery(
        rival.organisation_id, "passenger", BookingMode.MOTION, 60, start, start + timedelta(7)
    )
    slot = app.booking_service.find_slots(rival, query)[0]
    spec = BookingSpec("passenger", BookingMode.MOTION, slot.start, slot.end, "secret")
    booking = app.booking_service.request(rival, spec)
    assert app.scenarios is not None and app.sessions is not None and app.evaluation is not None
    from simhub.scenario.library import Bundle, BundleFile

    road = (REPO / "scenarios" / "roads" / "straight_500m.xodr").read_bytes()
    bundle = Bundle(
        "cut_in.yaml",
        (
            BundleFile("cut_in.yaml", (REPO / "scenarios" / "cut_in.yaml").read_bytes()),
            BundleFile("roads/straight_500m.xodr", road),
        ),
    )
    scenario, _ = app.scenarios.upload(rival, "rival cut-in", bundle)
    session = app.sessions.create(rival, CreateRequest(SessionMode.VIRTUAL))
    from simhub.cluster.example_policy import example_policy_bytes

    run = app.evaluation.submit(
        rival, Submission(example_policy_bytes(), "ncap", resources=Resources())
    )
    return {
        "booking": booking.id,
        "scenario": scenario.id,
        "session": session.id,
        "run": run.id,
    }


def test_another_organisations_ids_are_404(web: RunningWeb, tokens: Tokens, app: App) -> None:
    ids = _other_orgs_things(app, tokens)
    client, csrf = signed_in(web, tokens.engineer)
    pages = [
        f"/bookings/{ids['booking']}",
        f"/scenarios/{ids['scenario']}",
        f"/sessions/{ids['session']}",
        f"/evaluations/{ids['run']}",
        f"/evaluations/{ids['run']}/report",
    ]
    api = [
        f"/api/v1/bookings/{ids['booking']}",
        f"/api/v1/scenarios/{ids['scenario']}",
        f"/api/v1/scenarios/{ids['scenario']}/preview.png",
        f"/api/v1/scenarios/{ids['scenario']}/replay",
        f"/api/v1/sessions/{ids['session']}",
        f"/api/v1/evaluations/{ids['run']}",
        f"/api/v1/evaluations/{ids['run']}/results",
        f"/api/v1/evaluations/{ids['run']}/report",
    ]
    for path in pages + api:
        reply = client.get(path)
        assert reply.status_code == 404, path
        assert "secret" not in reply.text and "rival cut-in" not in reply.text
    changes = [
        (f"/bookings/{ids['booking']}/cancel", {"csrf_token": csrf}),
        (f"/sessions/{ids['session']}/stop", {"csrf_token": csrf}),
        (f"/scenarios/{ids['scenario']}/delete", {"csrf_token": csrf}),
        (f"/evaluations/{ids['run']}/cancel", {"csrf_token": csrf}),
    ]
    for path, data in changes:
        assert client.post(path, data=data).status_code == 404, path
    # ... and the calendar shows the rival's booking only as busy
    day = app.booking_service.get(
        app.identity.authenticate(tokens.other_engineer), ids["booking"]
    ).booking.start
    page = client.get(f"/calendar?view=day&day={day.date().isoformat()}")
    assert "busy" in page.text and ids["booking"] not in page.text and "secret" not in page.text
    operator, _ = signed_in(web, tokens.operator)
    assert operator.get(f"/bookings/{ids['booking']}").status_code == 200


def test_viewer_cannot_approve(web: RunningWeb, tokens: Tokens, app: App) -> None:
    engineer = app.identity.authenticate(tokens.engineer)
    start = app.clock().replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    query = SlotQuery(
        engineer.organisation_id, "passenger", BookingMode.MOTION, 60, start, start + timedelta(7)
    )
    slot = app.booking_service.find_slots(engineer, query)[0]
    booking = app.booking_service.request(
        engineer, BookingSpec("passenger", BookingMode.MOTION, slot.start, slot.end)
    )
    viewer, csrf = signed_in(web, tokens.viewer)
    assert viewer.get("/approvals").status_code == 403
    assert 'href="/approvals"' not in viewer.get("/calendar").text  # not in the navigation
    assert 'href="/book"' not in viewer.get("/calendar").text
    reply = viewer.post(f"/approvals/{booking.id}/approve", data={"csrf_token": csrf})
    assert reply.status_code == 403
    api = viewer.post(
        f"/api/v1/bookings/{booking.id}/approve", json={}, headers={"x-csrf-token": csrf}
    )
    assert api.status_code == 403 and api.json()["title"] == "Forbidden"
    assert app.booking_service.get(engineer, booking.id).booking.state.value == "requested"


def test_websocket_needs_the_cookie_and_the_same_origin(
    web: RunningWeb, tokens: Tokens, app: App
) -> None:
    from websockets.exceptions import InvalidStatus
    from websockets.sync.client import connect

    assert app.sessions is not None
    principal = app.identity.authenticate(tokens.engineer)
    session = app.sessions.create(principal, CreateRequest(SessionMode.VIRTUAL))
    client, _ = signed_in(web, tokens.engineer)
    cookie = f"simhub_session={client.cookies.get('simhub_session')}"
    url = f"ws://127.0.0.1:{web.port}/api/v1/sessions/{session.id}/telemetry"
    for headers in ({}, {"cookie": cookie, "origin": "https://evil.example"}):
        with (
            pytest.raises((InvalidStatus, Exception)),
            connect(url, additional_headers=headers, open_timeout=5) as socket,
        ):
            socket.recv(timeout=2)
    with connect(url, additional_headers={"cookie": cookie}, open_timeout=5) as socket:
        socket.close()


def test_api_upload_validate_and_bearer(web: RunningWeb, tokens: Tokens) -> None:
    auth = {"authorization": f"Bearer {tokens.engineer}"}
    text = (REPO / "scenarios" / "cut_in.yaml").read_text().replace("ds: -20", "ds: oops")
    body = {
        "main_file": "cut_in.yaml",
        "files": [
            {"path": "cut_in.yaml", "content_base64": base64.b64encode(text.encode()).decode()}
        ],
    }
    with web.client() as client:
        found = client.post("/api/v1/scenarios/validate", json=body, headers=auth).json()
        assert found["errors"] and found["errors"][0]["line"] > 0
        refused = client.post("/api/v1/scenarios", json={**body, "name": "x"}, headers=auth)
        assert refused.status_code == 422
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert refused.json()["violations"][0]["field"].startswith("cut_in.yaml:")
