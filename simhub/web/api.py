"""JSON API under /api/v1: thin routes over the services (OpenAPI at /docs).

Routes are plain ``def`` so FastAPI runs their database work on its thread pool.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from simhub.facility.model import CabinSpec, Changeover, Placement
from simhub.web.deps import ApiCaller, AppDep

router = APIRouter(prefix="/api/v1", tags=["facility"])


class CabinList(BaseModel):
    cabins: list[CabinSpec]
    next_offset: int | None = Field(description="offset of the next page; null on the last")


class FacilityStateOut(BaseModel):
    mounted_cabin_id: str | None
    mounted_since: datetime | None
    placements: list[Placement]
    changeover_in_progress: Changeover | None
    time_zone: str


class MountIn(BaseModel):
    cabin_id: str = Field(min_length=1, max_length=40)
    reason: str = Field("", max_length=500)


class Principal(BaseModel):
    user_id: str
    organisation_id: str
    role: str


@router.get("/me", response_model=Principal)
def me(caller: ApiCaller) -> Principal:
    """Who the credentials stand for."""
    p = caller.principal
    return Principal(user_id=p.user_id, organisation_id=p.organisation_id, role=p.role.value)


@router.get("/cabins", response_model=CabinList)
def list_cabins(
    caller: ApiCaller,
    app: AppDep,
    offset: int = Query(0, ge=0, le=10_000),
    limit: int = Query(50, ge=1, le=500),
) -> CabinList:
    cabins = app.facility_service.cabins()
    page = list(cabins[offset : offset + limit])
    more = offset + limit < len(cabins)
    return CabinList(cabins=page, next_offset=offset + limit if more else None)


@router.get("/cabins/{cabin_id}", response_model=CabinSpec)
def get_cabin(cabin_id: str, caller: ApiCaller, app: AppDep) -> CabinSpec:
    return app.facility_service.cabin(cabin_id)


@router.get("/facility/state", response_model=FacilityStateOut)
def facility_state(caller: ApiCaller, app: AppDep) -> FacilityStateOut:
    state = app.facility_service.state()
    mounted = state.mounted
    last = state.last_changeover
    now = app.clock()
    return FacilityStateOut(
        mounted_cabin_id=mounted.cabin_id if mounted else None,
        mounted_since=mounted.since if mounted else None,
        placements=list(state.placements),
        changeover_in_progress=last if last and last.completes_at > now else None,
        time_zone=app.facility.time_zone,
    )


@router.post("/facility/mount", response_model=Changeover, status_code=201)
def mount_cabin(body: MountIn, caller: ApiCaller, app: AppDep) -> Changeover:
    """Mount a cabin on the motion platform (operators only)."""
    return app.facility_service.mount(caller.principal, body.cabin_id, body.reason)


@router.get("/facility/changeovers", response_model=list[Changeover])
def changeovers(
    caller: ApiCaller,
    app: AppDep,
    offset: int = Query(0, ge=0, le=1_000_000),
    limit: int = Query(50, ge=1, le=500),
) -> list[Changeover]:
    return app.facility_service.changeovers(limit, offset)
