"""HTML pages over the scenario library: list and upload (errors shown on the source lines),
one scenario with its versions, preview image and the in-browser replay."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from simhub.errors import InvalidArgument, SimhubError
from simhub.scenario import Finding
from simhub.scenario.library import Bundle, check_bundle, validate_bundle
from simhub.web.deps import AppDep, Caller, FormCaller, PageCaller
from simhub.web.errors import status_of
from simhub.web.scenario_api import library
from simhub.web.templating import render
from simhub.web.uploads import MAX_UPLOAD_BYTES, bundle_from_upload

router = APIRouter(include_in_schema=False)
MAX_SOURCE_BYTES = 512 * 1024  # longer files are listed, not shown line by line


@dataclass(frozen=True)
class SourceLine:
    number: int
    text: str
    findings: tuple[Finding, ...]


@dataclass(frozen=True)
class Source:
    path: str
    lines: tuple[SourceLine, ...]
    findings_elsewhere: tuple[Finding, ...]  # line 0 or past the end


def sources(bundle: Bundle, findings: tuple[Finding, ...], everything: bool) -> list[Source]:
    """The bundle's text files with their findings on their lines: the main file and every
    file with a finding (*everything*: every text file)."""
    by_file: dict[str, list[Finding]] = defaultdict(list)
    for finding in findings:
        by_file[finding.file].append(finding)
    shown = []
    for f in bundle.files:
        if not (everything or f.path == bundle.main_file or f.path in by_file):
            continue
        if len(f.content) > MAX_SOURCE_BYTES:
            continue
        text = f.content.decode("utf-8", "replace").splitlines()
        here = by_file.get(f.path, [])
        lines = tuple(
            SourceLine(n, line, tuple(x for x in here if x.line == n))
            for n, line in enumerate(text, start=1)
        )
        elsewhere = tuple(x for x in here if not 1 <= x.line <= len(text))
        shown.append(Source(f.path, lines, elsewhere))
    return shown


def _list_page(
    request: Request,
    app: AppDep,
    caller: Caller,
    status: int = 200,
    **extra: object,
) -> HTMLResponse:
    scenarios = library(app).list_scenarios(caller.principal, 200, 0)
    return render(request, "scenarios.html", caller, status=status, scenarios=scenarios, **extra)


@router.get("/scenarios", response_class=HTMLResponse)
def scenarios_page(request: Request, app: AppDep, caller: PageCaller) -> HTMLResponse:
    return _list_page(request, app, caller)


@router.post("/scenarios", response_class=HTMLResponse)
async def upload(
    request: Request,
    app: AppDep,
    caller: FormCaller,
    name: Annotated[str, Form(max_length=200)] = "",
    description: Annotated[str, Form(max_length=2000)] = "",
    files: Annotated[list[UploadFile] | None, File()] = None,
) -> Response:
    values = {"name": name, "description": description}
    uploaded = []
    total = 0
    for f in files or []:
        content = await f.read(MAX_UPLOAD_BYTES + 1)
        total += len(content)
        if f.filename:
            uploaded.append((f.filename, content))
    if total > MAX_UPLOAD_BYTES:
        return _list_page(
            request, app, caller, 413, values=values, upload_error="the files exceed 32 MiB"
        )
    try:
        bundle = check_bundle(bundle_from_upload(uploaded))
        findings = validate_bundle(bundle)
    except InvalidArgument as exc:
        return _list_page(request, app, caller, 422, values=values, upload_error=str(exc))
    if not findings.ok:
        return _list_page(
            request,
            app,
            caller,
            422,
            values=values,
            upload_error=f"{len(findings.errors)} error(s) in {bundle.main_file}; nothing stored",
            findings=findings,
            sources=sources(bundle, findings.errors + findings.warnings, False),
        )
    try:
        scenario, _ = library(app).upload(caller.principal, name, bundle, description)
    except SimhubError as exc:
        if status_of(exc) == 403:
            raise
        return _list_page(
            request, app, caller, status_of(exc), values=values, upload_error=str(exc)
        )
    return RedirectResponse(f"/scenarios/{scenario.id}", status_code=303)


@router.get("/scenarios/{scenario_id}", response_class=HTMLResponse)
def scenario_page(
    request: Request,
    scenario_id: str,
    app: AppDep,
    caller: PageCaller,
    version: int = Query(0, ge=0, le=1_000_000),
) -> HTMLResponse:
    scenarios = library(app)
    scenario, versions = scenarios.get(caller.principal, scenario_id)
    wanted = version or scenario.latest_version
    shown = next((v for v in versions if v.version == wanted), None)
    bundle = scenarios.bundle(caller.principal, scenario_id, wanted)
    warnings = shown.warnings if shown else ()
    return render(
        request,
        "scenario.html",
        caller,
        scenario=scenario,
        versions=versions,
        version=shown,
        wanted=wanted,
        files=[(f.path, len(f.content)) for f in bundle.files],
        sources=sources(bundle, warnings, False),
    )


@router.post("/scenarios/{scenario_id}/delete")
def delete(request: Request, scenario_id: str, app: AppDep, caller: FormCaller) -> Response:
    library(app).delete(caller.principal, scenario_id)
    return RedirectResponse("/scenarios", status_code=303)
