"""Booking in a real browser: find slots, book, see it in the calendar, an operator approves it
in a second browser context, rule violations next to their fields."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from simhub.app import App
from simhub.booking.model import BookingMode
from simhub.booking.planner import SlotQuery
from simhub.booking.service import BookingSpec
from tests.conftest import Tokens
from tests.web.conftest import ARTIFACTS, UNLABELLED, RunningWeb, sign_in


def _rival_and_blackout(app: App, tokens: Tokens, day_start: Any) -> None:
    """Another company's booking (busy for us) and a blackout the same day."""
    rival = app.identity.authenticate(tokens.other_engineer)
    operator = app.identity.authenticate(tokens.operator)
    query = SlotQuery(
        rival.organisation_id,
        "commercial",
        BookingMode.MOTION,
        90,
        day_start,
        day_start + timedelta(days=3),
    )
    slot = app.booking_service.find_slots(rival, query)[-1]
    booking = app.booking_service.request(
        rival, BookingSpec("commercial", BookingMode.MOTION, slot.start, slot.end, "rival test")
    )
    app.booking_service.approve(operator, booking.id)
    # on the booked day itself: the calendar shows that day's week, and two days later
    # fell into the next week whenever the first free slot was on a Saturday or Sunday
    start = day_start + timedelta(hours=16)
    app.booking_service.add_blackout(operator, start, start + timedelta(hours=3), "maintenance")


def test_book_through_find_slots_and_operator_approves(
    browser: Any, web: RunningWeb, tokens: Tokens, app: App
) -> None:
    engineer = sign_in(browser, web, tokens.engineer)
    engineer.get_by_role("link", name="Book").click()
    find = engineer.locator("#find-form")
    find.get_by_label("Cabin", exact=True).select_option("passenger")
    find.get_by_label("Mode", exact=True).select_option("motion")
    find.get_by_label("Duration (minutes)", exact=True).fill("90")
    find.get_by_role("button", name="Find slots").click()
    engineer.wait_for_url(re.compile(r"find=1"))
    rows = engineer.locator("#slots tbody tr")
    assert rows.count() >= 3
    assert "no swap" in rows.first.inner_text()  # the mounted cabin costs no changeover
    assert engineer.evaluate(UNLABELLED) == []
    engineer.screenshot(path=str(ARTIFACTS / "book-find-slots.png"), full_page=True)

    chosen = rows.first.locator("td").first.inner_text()
    rows.first.get_by_role("button").click()
    engineer.wait_for_url(re.compile(r"/calendar\?day=.*booked=bkg_"))
    booking_id = engineer.url.rsplit("booked=", 1)[1]
    status = engineer.get_by_role("status")
    assert booking_id in status.inner_text()
    block = engineer.locator(f"a[data-booking='{booking_id}']")
    assert block.count() == 1 and "requested" in block.inner_text()
    day_start = app.booking_service.get(
        app.identity.authenticate(tokens.engineer), booking_id
    ).booking.start.replace(hour=0, minute=0)
    _rival_and_blackout(app, tokens, day_start)

    # the operator, in a second browser context, sees the request with its quota usage
    operator = sign_in(browser, web, tokens.operator)
    operator.get_by_role("link", name="Approvals").click()
    request = operator.locator(f"#request-{booking_id}")
    assert chosen.split()[-1] in request.inner_text()  # the start time
    assert "Quota: week 1.5 / 20 h" in request.inner_text()
    assert operator.evaluate(UNLABELLED) == []
    operator.screenshot(path=str(ARTIFACTS / "approvals.png"), full_page=True)
    request.get_by_label("Note").fill("fine by us")
    request.get_by_role("button", name="Approve").click()
    operator.wait_for_url(f"{web.url}/approvals")
    assert operator.locator(f"#request-{booking_id}").count() == 0

    engineer.reload()
    block = engineer.locator(f"a[data-booking='{booking_id}']")
    assert "approved" in block.inner_text()
    assert engineer.locator(".block.busy").count() >= 1  # the rival's booking, as busy only
    assert "rival test" not in engineer.content()
    assert engineer.locator(".block.blackout").count() >= 1
    assert engineer.locator(".block.changeover").count() >= 1  # passenger <-> commercial
    assert engineer.evaluate(UNLABELLED) == []
    engineer.screenshot(path=str(ARTIFACTS / "calendar-week.png"), full_page=True)
    block.click()
    assert engineer.locator("#booking-state").inner_text() == "approved"
    engineer.get_by_role("link", name="See it in the calendar").click()
    engineer.get_by_role("link", name="Day view").click()
    engineer.screenshot(path=str(ARTIFACTS / "calendar-day.png"), full_page=True)

    tablet = sign_in(browser, web, tokens.engineer, width=820, height=1180)
    tablet.goto(engineer.url.replace("view=day", "view=week"))
    tablet.screenshot(path=str(ARTIFACTS / "calendar-week-tablet.png"), full_page=True)


def test_rule_violation_shows_next_to_its_field(
    browser: Any, web: RunningWeb, tokens: Tokens
) -> None:
    page = sign_in(browser, web, tokens.engineer)
    page.goto(f"{web.url}/book")
    form = page.locator("#book-form")
    form.get_by_label("Duration (minutes)", exact=True).fill("20")
    page.get_by_role("button", name="Request booking").click()
    page.wait_for_selector("#b_duration-error")
    duration = page.locator("#b_duration")
    assert duration.get_attribute("aria-invalid") == "true"
    error = page.locator("#b_duration-error")
    assert "lasts 20 min; allowed: 30 to 480 min" in error.inner_text()
    # the message sits in the duration field's own cell, not in a banner
    assert duration.locator("xpath=..").locator("#b_duration-error").count() == 1
    # the accessibility tree names every control of the form, and the error is an alert
    tree = page.locator("#book-form").aria_snapshot()
    for control in ('combobox "Cabin"', 'combobox "Mode"', 'textbox "Purpose"', "spinbutton"):
        assert control in tree, tree
    assert "alert" in tree and "lasts 20 min" in tree
    page.screenshot(path=str(ARTIFACTS / "book-violation.png"), full_page=True)

    form = page.locator("#book-form")
    start = form.get_by_label(re.compile(r"^Start"))
    start.fill(start.input_value()[:11] + "03:00")
    form.get_by_label("Duration (minutes)", exact=True).fill("60")
    page.get_by_role("button", name="Request booking").click()
    page.wait_for_selector("#b_start-error")
    assert page.locator("#start").get_attribute("aria-invalid") == "true"
    assert "opening_hours" in page.locator("#b_start-error").inner_text()
