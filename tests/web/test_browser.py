"""The web UI in a real browser: Playwright driving the system's Chromium (no browser download).

Screenshots go to tests/artifacts/ (not committed). Skipped, with the reason, where no Chromium
is installed; CI installs Debian's chromium.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Tokens
from tests.web.conftest import ARTIFACTS, CHROMIUM, UNLABELLED, RunningWeb, sign_in

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="no chromium on PATH (apt-get install chromium)"
)


def test_operator_mounts_a_cabin_engineer_sees_it(
    browser: Any, web: RunningWeb, tokens: Tokens
) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    operator = sign_in(browser, web, tokens.operator)
    assert operator.locator("#mounted").inner_text() == "passenger"
    assert operator.evaluate(UNLABELLED) == []
    operator.screenshot(path=str(ARTIFACTS / "facility-operator.png"), full_page=True)

    operator.get_by_label("Mount cabin").select_option("commercial")
    operator.get_by_label("Reason").fill("truck fatigue study")
    operator.get_by_role("button", name="Mount").click()
    operator.wait_for_url(f"{web.url}/")
    assert operator.locator("#mounted").inner_text() == "commercial"
    assert "in progress until" in operator.get_by_role("status").inner_text()

    # a second browser context: an engineer of a company, at tablet width
    engineer = sign_in(browser, web, tokens.engineer, width=800, height=1100)
    assert engineer.locator("#mounted").inner_text() == "commercial"
    assert engineer.get_by_role("button", name="Mount").count() == 0
    assert engineer.evaluate(UNLABELLED) == []
    engineer.screenshot(path=str(ARTIFACTS / "facility-engineer-tablet.png"), full_page=True)


def test_wrong_token_is_shown_next_to_the_field(browser: Any, web: RunningWeb) -> None:
    page = browser.new_context().new_page()
    page.goto(f"{web.url}/signin")
    page.get_by_label("API token").fill("shb_tok_000000000000_wrong")
    page.get_by_role("button", name="Sign in").click()
    alert = page.get_by_role("alert")
    assert "invalid API token" in alert.inner_text()
    assert page.get_by_label("API token").get_attribute("aria-invalid") == "true"
    page.screenshot(path=str(ARTIFACTS / "signin-error.png"))
