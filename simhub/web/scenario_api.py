"""JSON API over the scenario library: upload, validate, versions, preview PNG, replay JSON."""

from __future__ import annotations

import base64
import binascii
import tempfile
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field

from simhub.app import App
from simhub.errors import FailedPrecondition, FieldViolation, InvalidArgument
from simhub.render.preview import preview_png
from simhub.scenario import Findings
from simhub.scenario.library import (
    Bundle,
    BundleFile,
    ScenarioLibrary,
    ScenarioVersion,
    StoredScenario,
    materialize,
    validate_bundle,
)
from simhub.web.deps import ApiCaller, AppDep
from simhub.web.replay import bundle_replay

router = APIRouter(prefix="/api/v1", tags=["scenarios"])
REPLAY_CACHE = 16  # replays kept per server: a replay costs seconds of engine time


class FileIn(BaseModel):
    path: str = Field(min_length=1, max_length=500, description="relative, e.g. roads/a.xodr")
    content_base64: str = Field(max_length=48 * 1024 * 1024)


class BundleIn(BaseModel):
    main_file: str = Field(min_length=1, max_length=500)
    files: list[FileIn] = Field(min_length=1, max_length=500)


class UploadIn(BundleIn):
    name: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=2000)


class ScenarioOut(BaseModel):
    scenario: StoredScenario
    versions: list[ScenarioVersion]


class Uploaded(BaseModel):
    scenario: StoredScenario
    version: ScenarioVersion


def library(app: App) -> ScenarioLibrary:
    if app.scenarios is None:
        raise FailedPrecondition("this server runs without a scenario library")
    return app.scenarios


def bundle_of(body: BundleIn) -> Bundle:
    files = []
    for i, f in enumerate(body.files):
        try:
            content = base64.b64decode(f.content_base64, validate=True)
        except (binascii.Error, ValueError):
            raise InvalidArgument(
                f"file {f.path!r} is not base64",
                [FieldViolation(f"files[{i}].content_base64", "standard base64")],
            ) from None
        files.append(BundleFile(f.path, content))
    return Bundle(body.main_file, tuple(files))


@router.get("/scenarios", response_model=list[StoredScenario])
def list_scenarios(
    caller: ApiCaller,
    app: AppDep,
    offset: int = Query(0, ge=0, le=1_000_000),
    limit: int = Query(50, ge=1, le=500),
) -> list[StoredScenario]:
    return library(app).list_scenarios(caller.principal, limit, offset)


@router.post("/scenarios", response_model=Uploaded, status_code=201)
def upload(body: UploadIn, caller: ApiCaller, app: AppDep) -> Uploaded:
    """Store a bundle as the next version of your organisation's scenario *name*; a bundle with
    errors is refused with each as a violation named ``file:line:column``."""
    scenario, version = library(app).upload(
        caller.principal, body.name, bundle_of(body), body.description
    )
    return Uploaded(scenario=scenario, version=version)


@router.post("/scenarios/validate", response_model=Findings)
def validate(body: BundleIn, caller: ApiCaller) -> Findings:
    """Check a bundle without storing it: errors and warnings with file, line and column."""
    return validate_bundle(bundle_of(body))


@router.get("/scenarios/{scenario_id}", response_model=ScenarioOut)
def get_scenario(scenario_id: str, caller: ApiCaller, app: AppDep) -> ScenarioOut:
    scenario, versions = library(app).get(caller.principal, scenario_id)
    return ScenarioOut(scenario=scenario, versions=versions)


@router.delete("/scenarios/{scenario_id}", status_code=204)
def delete_scenario(scenario_id: str, caller: ApiCaller, app: AppDep) -> Response:
    library(app).delete(caller.principal, scenario_id)
    return Response(status_code=204)


@router.get(
    "/scenarios/{scenario_id}/preview.png",
    response_class=Response,
    responses={200: {"content": {"image/png": {}}}},
)
def preview(
    scenario_id: str,
    caller: ApiCaller,
    app: AppDep,
    version: int = Query(0, ge=0, le=1_000_000, description="0: the latest"),
    at_time_s: float = Query(0.0, ge=0.0, le=600.0),
    max_side_px: int = Query(1000, ge=64, le=4000),
) -> Response:
    """A bird's-eye PNG of the scenario at a simulation time."""
    bundle = library(app).bundle(caller.principal, scenario_id, version)
    with tempfile.TemporaryDirectory(prefix="simhub-preview-") as tmp:
        png = preview_png(materialize(bundle, Path(tmp)), at_time_s, max_side_px)
    return Response(png, media_type="image/png", headers={"Cache-Control": "private, max-age=60"})


_cache_lock = threading.Lock()


@router.get("/scenarios/{scenario_id}/replay")
def replay(
    request: Request,
    scenario_id: str,
    caller: ApiCaller,
    app: AppDep,
    version: int = Query(0, ge=0, le=1_000_000, description="0: the latest"),
    duration_s: float = Query(30.0, gt=0.0, le=120.0),
    fps: float = Query(10.0, ge=0.5, le=50.0),
) -> dict[str, Any]:
    """The engine's run of the scenario, decimated to *fps*: road lanes and per-frame entity
    boxes (see ``simhub.web.replay``), for the browser's canvas."""
    scenarios = library(app)
    wanted = version or scenarios.get(caller.principal, scenario_id)[0].latest_version
    bundle = scenarios.bundle(caller.principal, scenario_id, wanted)  # tenancy checked here
    key = (scenario_id, wanted, duration_s, fps)
    cache: OrderedDict[tuple[str, int, float, float], dict[str, Any]]
    cache = request.app.state.replays
    with _cache_lock:
        if key in cache:
            cache.move_to_end(key)
            return cache[key]
    result = bundle_replay(bundle, duration_s, fps)
    with _cache_lock:
        cache[key] = result
        while len(cache) > REPLAY_CACHE:
            cache.popitem(last=False)
    return result
