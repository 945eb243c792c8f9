"""HTML pages over the evaluation service: runs and a submit form, one run's live progress and
sortable, filterable results, its report."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from simhub.errors import SimhubError
from simhub.evaluation.suite import BUILTIN
from simhub.web.deps import AppDep, Caller, FormCaller, PageCaller
from simhub.web.errors import status_of
from simhub.web.evaluation_api import build_report, evaluation_of, read_model, submit_run
from simhub.web.templating import render

router = APIRouter(include_in_schema=False)


def _list(
    request: Request,
    app: AppDep,
    caller: Caller,
    status: int = 200,
    error: str = "",
    suite_text: str = "",
) -> HTMLResponse:
    runs = evaluation_of(app).list_runs(caller.principal, 100, 0)
    return render(
        request,
        "evaluations.html",
        caller,
        status=status,
        runs=runs,
        builtin=BUILTIN,
        error=error,
        suite_text=suite_text,
    )


@router.get("/evaluations", response_class=HTMLResponse)
def evaluations_page(request: Request, app: AppDep, caller: PageCaller) -> HTMLResponse:
    return _list(request, app, caller)


@router.post("/evaluations")
async def submit(
    request: Request,
    app: AppDep,
    caller: FormCaller,
    model: Annotated[UploadFile | None, File()] = None,
    suite: Annotated[str, Form(max_length=40)] = "ncap",
    suite_yaml: Annotated[str, Form(max_length=200_000)] = "",
    executor: Annotated[str, Form(max_length=20)] = "local",
) -> Response:
    try:
        content = await read_model(model) if model is not None else b""
        chosen = suite_yaml if suite == "custom" else suite
        run = await run_in_threadpool(
            submit_run, app, caller.principal, content, chosen, executor, 1.0, 0.0
        )
    except SimhubError as exc:
        if status_of(exc) == 403:
            raise
        return _list(request, app, caller, status_of(exc), str(exc), suite_yaml)
    return RedirectResponse(f"/evaluations/{run.id}", status_code=303)


@router.get("/evaluations/{run_id}", response_class=HTMLResponse)
def run_page(request: Request, run_id: str, app: AppDep, caller: PageCaller) -> HTMLResponse:
    run = evaluation_of(app).get(caller.principal, run_id)
    return render(request, "evaluation.html", caller, run=run)


@router.post("/evaluations/{run_id}/cancel")
def cancel(request: Request, run_id: str, app: AppDep, caller: FormCaller) -> Response:
    evaluation_of(app).cancel(caller.principal, run_id)
    return RedirectResponse(f"/evaluations/{run_id}", status_code=303)


@router.get("/evaluations/{run_id}/report")
def report_page(
    request: Request, run_id: str, app: AppDep, caller: PageCaller, clips: bool = False
) -> Response:
    page = build_report(request, app, caller.principal, run_id, clips)
    return Response(page, media_type="text/html")
