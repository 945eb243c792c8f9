"""``plan_mount``: the pure decision of a cabin swap."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from simhub.errors import FailedPrecondition
from simhub.facility.loader import load_facility
from simhub.facility.model import PLATFORM, FacilityState
from simhub.facility.service import initial_placements, plan_mount

REPO = Path(__file__).resolve().parents[2]
FACILITY = load_facility(REPO / "facility.toml", REPO / "cabins")
T0 = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)


def _cabin(cabin_id: str):  # type: ignore[no-untyped-def]
    cabin = FACILITY.cabin(cabin_id)
    assert cabin is not None
    return cabin


def test_swap_takes_unmount_of_old_plus_mount_of_new() -> None:
    state = FacilityState(initial_placements(FACILITY, T0), None)
    assert state.mounted is not None and state.mounted.cabin_id == "passenger"
    plan = plan_mount(FACILITY, state, _cabin("commercial"), T0, "usr_1", "truck study")
    expected = _cabin("passenger").unmount_minutes + _cabin("commercial").mount_minutes
    assert plan.changeover.duration_minutes == expected
    assert plan.changeover.completes_at - plan.changeover.started_at == timedelta(minutes=expected)
    where = {p.cabin_id: p.location for p in plan.placements}
    assert where == {"passenger": "bay-a", "commercial": PLATFORM, "special": "bay-c"}
    # every cabin stands in exactly one place, and no two in the same
    assert len(set(where.values())) == len(where)


def test_mount_onto_an_empty_platform_costs_only_the_mount() -> None:
    empty = FacilityState(
        tuple(
            p.__class__(p.cabin_id, _cabin(p.cabin_id).home_bay_id, T0)
            for p in initial_placements(FACILITY, T0)
        ),
        None,
    )
    plan = plan_mount(FACILITY, empty, _cabin("special"), T0, "usr_1", "")
    assert plan.changeover.from_cabin_id is None
    assert plan.changeover.duration_minutes == _cabin("special").mount_minutes


def test_refuses_while_a_changeover_runs_and_when_already_mounted() -> None:
    state = FacilityState(initial_placements(FACILITY, T0), None)
    first = plan_mount(FACILITY, state, _cabin("special"), T0, "usr_1", "")
    during = FacilityState(first.placements, first.changeover)
    with pytest.raises(FailedPrecondition, match="in progress until"):
        plan_mount(FACILITY, during, _cabin("commercial"), T0 + timedelta(minutes=5), "usr_1", "")
    after = first.changeover.completes_at
    with pytest.raises(FailedPrecondition, match="already mounted"):
        plan_mount(FACILITY, during, _cabin("special"), after, "usr_1", "")
    plan_mount(FACILITY, during, _cabin("commercial"), after, "usr_1", "")
