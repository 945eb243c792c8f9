"""Facility use cases: what stands where, and mounting a cabin on the motion platform.

``plan_mount`` is pure: given the state and a clock reading it decides the changeover or says
why not. ``FacilityService`` runs it inside one write transaction of the ``FacilityStore`` port,
so two operators mounting at once cannot both win.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from simhub.errors import FailedPrecondition, NotFound, PreconditionViolation
from simhub.facility.model import (
    PLATFORM,
    CabinSpec,
    Changeover,
    Facility,
    FacilityState,
    Placement,
)
from simhub.identity.model import Principal, Role
from simhub.identity.service import require_role
from simhub.identity.tokens import new_id


class FacilityTransaction(Protocol):
    """One storage transaction over the facility state."""

    def load_state(self) -> FacilityState: ...
    def save_placements(self, placements: tuple[Placement, ...]) -> None: ...
    def add_changeover(self, changeover: Changeover) -> None: ...


class FacilityStore(Protocol):
    """Port: the stored facility state (``simhub.storage`` implements it)."""

    def read(self) -> AbstractContextManager[FacilityTransaction]: ...
    def write(self) -> AbstractContextManager[FacilityTransaction]: ...
    def list_changeovers(self, limit: int, offset: int) -> list[Changeover]: ...


@dataclass(frozen=True)
class MountPlan:
    changeover: Changeover
    placements: tuple[Placement, ...]


def initial_placements(facility: Facility, now: datetime) -> tuple[Placement, ...]:
    """Every cabin in its home bay, except the one the facility file says is mounted."""
    return tuple(
        Placement(
            cabin_id=c.id,
            location=PLATFORM if c.id == facility.initial_mounted_cabin_id else c.home_bay_id,
            since=now,
        )
        for c in facility.cabins
    )


def plan_mount(
    facility: Facility,
    state: FacilityState,
    cabin: CabinSpec,
    now: datetime,
    user_id: str,
    reason: str,
) -> MountPlan:
    """Decide the changeover that mounts *cabin*; raise ``FailedPrecondition`` if it can't now."""
    last = state.last_changeover
    if last is not None and last.completes_at > now:
        raise FailedPrecondition(
            f"changeover {last.id} ({last.from_cabin_id or 'empty'} -> {last.to_cabin_id}) is in "
            f"progress until {last.completes_at.isoformat()}; mount again after it completes",
            [PreconditionViolation("CHANGEOVER", "platform", "a changeover is in progress")],
        )
    mounted = state.mounted
    if mounted is not None and mounted.cabin_id == cabin.id:
        raise FailedPrecondition(
            f"cabin {cabin.id!r} is already mounted on the platform",
            [PreconditionViolation("MOUNTED", f"cabin:{cabin.id}", "already on the platform")],
        )
    old = facility.cabin(mounted.cabin_id) if mounted else None
    minutes = (old.unmount_minutes if old else 0) + cabin.mount_minutes
    completes = now + timedelta(minutes=minutes)
    changeover = Changeover(
        id=new_id("chg"),
        from_cabin_id=old.id if old else None,
        to_cabin_id=cabin.id,
        started_at=now,
        completes_at=completes,
        duration_minutes=minutes,
        requested_by_user_id=user_id,
        reason=reason,
    )
    placements = []
    for p in state.placements:
        if p.cabin_id == cabin.id:
            placements.append(Placement(cabin.id, PLATFORM, completes))
        elif old is not None and p.cabin_id == old.id:
            placements.append(Placement(old.id, old.home_bay_id, now))
        else:
            placements.append(p)
    return MountPlan(changeover=changeover, placements=tuple(placements))


Clock = Callable[[], datetime]


class FacilityService:
    def __init__(self, facility: Facility, store: FacilityStore, clock: Clock) -> None:
        self.facility = facility
        self._store = store
        self._clock = clock

    def cabins(self) -> tuple[CabinSpec, ...]:
        return tuple(sorted(self.facility.cabins, key=lambda c: c.id))

    def cabin(self, cabin_id: str) -> CabinSpec:
        cabin = self.facility.cabin(cabin_id)
        if cabin is None:
            known = ", ".join(repr(c.id) for c in self.cabins())
            raise NotFound(f"no cabin with id {cabin_id!r}; the facility has {known}")
        return cabin

    def state(self) -> FacilityState:
        with self._store.read() as tx:
            return tx.load_state()

    def mount(self, principal: Principal, cabin_id: str, reason: str = "") -> Changeover:
        """Mount *cabin_id* on the platform (operators only) and record the changeover."""
        require_role(principal, Role.OPERATOR)
        cabin = self.cabin(cabin_id)
        with self._store.write() as tx:
            plan = plan_mount(
                self.facility, tx.load_state(), cabin, self._clock(), principal.user_id, reason
            )
            tx.save_placements(plan.placements)
            tx.add_changeover(plan.changeover)
        return plan.changeover

    def changeovers(self, limit: int, offset: int = 0) -> list[Changeover]:
        return self._store.list_changeovers(limit, offset)
