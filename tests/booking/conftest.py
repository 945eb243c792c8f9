"""Booking fixtures: the app runs on an injectable clock; the facility opens long hours."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from simhub.app import App, build_app
from simhub.booking.model import BookingRules, OpeningInterval
from simhub.identity.model import Principal, Role
from tests.conftest import Tokens, issue, make_settings

#: Monday 2 March 2026, 06:00 UTC (07:00 in Berlin): "now" unless a test moves the clock.
T0 = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)


class Clock:
    """A clock the test sets and advances."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


#: Rules for most tests: notice = the longest changeover (70 min), generous quotas.
TEST_RULES = BookingRules(
    min_notice_minutes=70,
    default_motion_hours_per_week=500,
    default_motion_hours_per_month=2000,
)
#: Every day 06:00-22:00 local.
LONG_HOURS = tuple(OpeningInterval(day, 6 * 60, 22 * 60) for day in range(7))


@pytest.fixture
def clock() -> Clock:
    return Clock(T0)


@pytest.fixture
def app(database_url: str, clock: Clock) -> Iterator[App]:
    application = build_app(make_settings(database_url), clock=clock)
    operator = principal(application, issue(application, "Facility", Role.OPERATOR))
    application.booking_service.update_rules(operator, TEST_RULES)
    application.booking_service.set_opening_hours(operator, LONG_HOURS)
    yield application
    application.close()


@pytest.fixture
def other_process(app: App, database_url: str, clock: Clock) -> Iterator[App]:
    """A second app on the same database, with its own caches: another server process."""
    second = build_app(make_settings(database_url), migrate=False, clock=clock)
    yield second
    second.close()


def principal(app: App, token: str) -> Principal:
    return app.identity.authenticate(token)


@dataclass
class People:
    engineer: Principal
    viewer: Principal
    operator: Principal
    other_engineer: Principal


@pytest.fixture
def people(app: App, tokens: Tokens) -> People:
    return People(
        engineer=principal(app, tokens.engineer),
        viewer=principal(app, tokens.viewer),
        operator=principal(app, tokens.operator),
        other_engineer=principal(app, tokens.other_engineer),
    )


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A UTC instant in March 2026."""
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)
