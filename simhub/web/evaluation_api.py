"""JSON API over the evaluation service: submit a model, follow a run, its results, the report."""

from __future__ import annotations

import threading
from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Request, Response, UploadFile

from simhub.app import App
from simhub.cluster.report import episodes_csv, report_html, worst_clips
from simhub.errors import FailedPrecondition, FieldViolation, InvalidArgument
from simhub.evaluation.criteria import EpisodeResult
from simhub.evaluation.model import ExecutorKind, Resources, Run
from simhub.evaluation.service import (
    MAX_MODEL_BYTES,
    EvaluationService,
    Submission,
    parse_suite,
)
from simhub.identity.model import Principal
from simhub.web.deps import ApiCaller, AppDep

router = APIRouter(prefix="/api/v1", tags=["evaluations"])
REPORTS_KEPT = 8  # finished runs' reports kept per server (clips cost seconds of engine time)
_reports_lock = threading.Lock()


def evaluation_of(app: App) -> EvaluationService:
    if app.evaluation is None:
        raise FailedPrecondition("this server runs without the evaluation service")
    return app.evaluation


async def read_model(model: UploadFile) -> bytes:
    content = await model.read(MAX_MODEL_BYTES + 1)
    if len(content) > MAX_MODEL_BYTES:
        raise InvalidArgument(
            "the model is too large", [FieldViolation("model", f"at most {MAX_MODEL_BYTES} bytes")]
        )
    return content


def submit_run(
    app: App,
    principal: Principal,
    model: bytes,
    suite: str,
    executor: str,
    num_cpus: float,
    num_gpus: float,
) -> Run:
    try:
        kind = ExecutorKind(executor)
    except ValueError:
        raise InvalidArgument(
            f"unknown executor {executor!r}", [FieldViolation("executor", "allowed: local, ray")]
        ) from None
    submission = Submission(model, suite, kind, Resources(num_cpus, num_gpus))
    return evaluation_of(app).submit(principal, submission)


@router.get("/evaluations", response_model=list[Run])
def list_runs(
    caller: ApiCaller,
    app: AppDep,
    offset: int = Query(0, ge=0, le=1_000_000),
    limit: int = Query(50, ge=1, le=500),
) -> list[Run]:
    return evaluation_of(app).list_runs(caller.principal, limit, offset)


@router.post("/evaluations", response_model=Run, status_code=201)
async def submit(
    caller: ApiCaller,
    app: AppDep,
    model: Annotated[UploadFile, File(description="the ONNX policy (docs/policy-contract.md)")],
    suite: Annotated[str, Form(max_length=200_000, description="ncap, benchmark or YAML")] = "ncap",
    executor: Annotated[str, Form(max_length=20)] = "local",
    num_cpus: Annotated[float, Form(gt=0, le=64)] = 1.0,
    num_gpus: Annotated[float, Form(ge=0, le=8)] = 0.0,
) -> Run:
    """Queue an evaluation run; the contract and the quota are checked before any episode."""
    content = await read_model(model)
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(
        submit_run, app, caller.principal, content, suite, executor, num_cpus, num_gpus
    )


@router.get("/evaluations/{run_id}", response_model=Run)
def get_run(run_id: str, caller: ApiCaller, app: AppDep) -> Run:
    return evaluation_of(app).get(caller.principal, run_id)


@router.post("/evaluations/{run_id}/cancel", response_model=Run)
def cancel_run(run_id: str, caller: ApiCaller, app: AppDep) -> Run:
    return evaluation_of(app).cancel(caller.principal, run_id)


@router.get("/evaluations/{run_id}/results", response_model=list[EpisodeResult])
def results(
    run_id: str,
    caller: ApiCaller,
    app: AppDep,
    offset: int = Query(0, ge=0, le=10_000_000),
    limit: int = Query(1000, ge=1, le=10_000),
) -> list[EpisodeResult]:
    return evaluation_of(app).results(caller.principal, run_id, limit, offset)


@router.get(
    "/evaluations/{run_id}/episodes.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}},
)
def results_csv(run_id: str, caller: ApiCaller, app: AppDep) -> Response:
    rows = evaluation_of(app).all_results(caller.principal, run_id)
    return Response(episodes_csv(rows), media_type="text/csv")


def build_report(
    request: Request, app: App, principal: Principal, run_id: str, clips: bool
) -> bytes:
    """The run's HTML report, with *clips* of its worst episodes (each re-runs an episode and
    encodes a GIF: seconds); kept once the run finished."""
    service = evaluation_of(app)
    run = service.get(principal, run_id)  # tenancy checked here
    cache: dict[tuple[str, bool], bytes] = request.app.state.reports
    key = (run_id, clips)
    with _reports_lock:
        if run.state.finished and key in cache:
            return cache[key]
    rows = service.all_results(principal, run_id)
    pass_rate = parse_suite(run.suite_yaml).pass_rate
    gifs = None
    if rows and clips:
        model, ready = service.replay_inputs(principal, run_id)
        gifs = worst_clips(model, ready, rows)
    page = report_html(run, rows, pass_rate, gifs)
    if run.state.finished:
        with _reports_lock:
            cache[key] = page
            while len(cache) > REPORTS_KEPT:
                cache.pop(next(iter(cache)))
    return page


@router.get(
    "/evaluations/{run_id}/report",
    response_class=Response,
    responses={200: {"content": {"text/html": {}}}},
)
def report(
    request: Request,
    run_id: str,
    caller: ApiCaller,
    app: AppDep,
    clips: bool = Query(False, description="add GIF clips of the worst episodes (slow)"),
) -> Response:
    """The self-contained HTML report (plots, and with *clips* the worst episodes inline)."""
    page = build_report(request, app, caller.principal, run_id, clips)
    return Response(page, media_type="text/html")
