"""A live session in a real browser: the canvas updates from the telemetry WebSocket, the
controls-lost indicator reacts to the watchdog, driving from the page is accepted."""

from __future__ import annotations

from typing import Any

from tests.conftest import Tokens
from tests.web.conftest import ARTIFACTS, UNLABELLED, RunningWeb, sign_in

STATUS = "document.getElementById('controls-status').textContent"
ACCEPTED = "document.getElementById('controls-accepted').textContent"
STATE = "document.getElementById('session-state').textContent"
SEQUENCE = "Number(document.getElementById('live-canvas').dataset.sequence || 0)"


def test_watch_a_live_session_canvas_update(browser: Any, web: RunningWeb, tokens: Tokens) -> None:
    page = sign_in(browser, web, tokens.engineer)
    page.get_by_role("link", name="Live").click()
    page.get_by_label("Start speed (km/h)").fill("60")
    page.get_by_label("Traffic vehicles").fill("3")
    page.get_by_role("button", name="Start session").click()
    page.wait_for_url(f"{web.url}/sessions/ses_*")
    page.wait_for_function(f"() => {SEQUENCE} > 0")
    first = page.evaluate(f"() => {SEQUENCE}")
    page.wait_for_function(f"() => {SEQUENCE} > {first + 5}")  # ~10 frames per second arrive
    assert page.locator("#connection").inner_text() == "live"
    page.wait_for_function(f"() => {STATE} === 'running'")
    # nobody drives yet: the watchdog holds the ego braked, awaiting its first controls
    assert page.locator("#controls-status").inner_text() == "awaiting"

    page.get_by_label("Drive from this browser (arrow keys)").check()
    page.get_by_label("Throttle").fill("0.5")
    page.wait_for_function(f"() => {STATUS} === 'ok'")
    page.wait_for_function(
        "() => Number(document.getElementById('controls-accepted').textContent) > 5"
    )
    assert page.evaluate(UNLABELLED) == []
    page.screenshot(path=str(ARTIFACTS / "live-driving.png"), full_page=True)

    page.get_by_label("Drive from this browser (arrow keys)").uncheck()
    page.wait_for_function(
        "() => document.getElementById('controls-status').textContent === 'lost'"
    )
    assert "controls_lost" in page.locator("#events").inner_text()
    assert "bad" in (page.locator("#controls-state").get_attribute("class") or "")
    page.screenshot(path=str(ARTIFACTS / "live-controls-lost.png"), full_page=True)

    tablet = sign_in(browser, web, tokens.engineer, width=820, height=1180)
    tablet.goto(page.url)
    tablet.wait_for_function(f"() => {SEQUENCE} > 0")
    tablet.screenshot(path=str(ARTIFACTS / "live-tablet.png"), full_page=True)
    page.get_by_role("button", name="Stop").click()
    page.wait_for_function(
        "() => document.getElementById('session-state').textContent !== 'running'"
    )
