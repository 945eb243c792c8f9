"""Fixtures for live sessions: the facility files, a service with real adapters, a driver."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from simhub.facility.loader import load_facility
from simhub.facility.model import Facility
from simhub.identity.model import Principal, Role
from simhub.session import ControlInput, MemorySessionStore, NoBookings, SessionService
from simhub.session.model import LoopConfig

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def facility() -> Facility:
    return load_facility(REPO / "facility.toml", REPO / "cabins")


def engineer(organisation: str = "org_acme") -> Principal:
    return Principal(f"usr_{organisation}", organisation, Role.ENGINEER, "tok_x")


def control(ego: str, sequence: int, **values: float) -> ControlInput:
    """A valid input, sent now; *values* override steering_wheel_rad/throttle/brake."""
    return ControlInput(
        ego=ego,
        steering_wheel_rad=values.get("steering_wheel_rad", 0.0),
        throttle=values.get("throttle", 0.0),
        brake=values.get("brake", 0.0),
        gear=int(values.get("gear", 1)),
        indicator=0,
        sequence=sequence,
        sent_at_unix_ns=int(values.get("sent_at_unix_ns", time.time_ns())),
    )


@pytest.fixture
def service(facility: Facility) -> Iterator[SessionService]:
    svc = SessionService(
        facility,
        MemorySessionStore(),
        NoBookings(),
        lambda: datetime.now(UTC),
        loop_config=LoopConfig(),
    )
    yield svc
    svc.close()
