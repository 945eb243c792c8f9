"""Mounting cabins through the service over real databases: history, state, racing operators."""

from __future__ import annotations

import threading

import pytest

from simhub.app import App, build_app
from simhub.errors import FailedPrecondition, PermissionDenied
from simhub.facility.model import PLATFORM
from simhub.identity.model import Principal, Role
from tests.conftest import make_settings

OPERATOR = Principal("usr_op", "org_facility", Role.OPERATOR, "tok_x")


@pytest.fixture
def operator(app: App) -> Principal:
    org = app.identity.create_organisation("Facility")
    user = app.identity.create_user(org.id, "op", Role.OPERATOR)
    return Principal(user.id, org.id, Role.OPERATOR, "tok_test")


def test_mount_records_changeover_and_state_follows(app: App, operator: Principal) -> None:
    before = app.facility_service.state()
    assert before.mounted is not None and before.mounted.cabin_id == "passenger"
    change = app.facility_service.mount(operator, "commercial", "truck study")
    after = app.facility_service.state()
    assert after.mounted is not None and after.mounted.cabin_id == "commercial"
    assert after.mounted.since == change.completes_at
    assert {p.cabin_id: p.location for p in after.placements}["passenger"] == "bay-a"
    assert after.last_changeover == change
    assert app.facility_service.changeovers(10) == [change]
    assert change.duration_minutes == 20 + 40  # passenger unmount + truck mount


def test_viewer_and_engineer_may_not_mount(app: App) -> None:
    for role in (Role.VIEWER, Role.ENGINEER):
        with pytest.raises(PermissionDenied):
            app.facility_service.mount(Principal("u", "o", role, "t"), "special")
    assert app.facility_service.changeovers(10) == []


def test_state_survives_a_restart(app: App, operator: Principal, database_url: str) -> None:
    app.facility_service.mount(operator, "special")
    again = build_app(make_settings(database_url))  # re-runs migrations and the cabin sync
    try:
        mounted = again.facility_service.state().mounted
        assert mounted is not None and mounted.cabin_id == "special"
    finally:
        again.close()


def test_racing_operators_only_one_swap_wins(app: App, operator: Principal) -> None:
    outcomes: list[str] = []
    barrier = threading.Barrier(6)

    def mount(cabin_id: str) -> None:
        barrier.wait()
        try:
            app.facility_service.mount(operator, cabin_id)
            outcomes.append("ok")
        except FailedPrecondition:
            outcomes.append("refused")

    threads = [threading.Thread(target=mount, args=(c,)) for c in ("special", "commercial") * 3]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["ok"] + ["refused"] * 5
    state = app.facility_service.state()
    assert sum(p.location == PLATFORM for p in state.placements) == 1
    assert len(app.facility_service.changeovers(10)) == 1
