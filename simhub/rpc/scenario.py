"""``simhub.v1.ScenarioService``: maps requests to the ``ScenarioLibrary`` and back."""

from __future__ import annotations

import tempfile
from pathlib import Path

import grpc
from google.protobuf import empty_pb2

from simhub._proto.simhub.v1 import scenario_pb2 as pb
from simhub._proto.simhub.v1 import scenario_pb2_grpc
from simhub.errors import FieldViolation, InvalidArgument
from simhub.render.preview import preview_png
from simhub.rpc import paging
from simhub.rpc.auth import current_principal
from simhub.rpc.blocking import Blocking
from simhub.rpc.mappers import timestamp
from simhub.scenario import Finding
from simhub.scenario.library import (
    Bundle,
    BundleFile,
    ScenarioLibrary,
    ScenarioVersion,
    StoredScenario,
    materialize,
    validate_bundle,
)

_SEVERITY = {"error": pb.FINDING_SEVERITY_ERROR, "warning": pb.FINDING_SEVERITY_WARNING}


def finding(f: Finding) -> pb.Finding:
    return pb.Finding(
        severity=_SEVERITY[f.severity], file=f.file, line=f.line, column=f.column, message=f.message
    )


def version(v: ScenarioVersion) -> pb.ScenarioVersion:
    return pb.ScenarioVersion(
        version=v.version,
        main_file=v.main_file,
        format=v.format,
        size_bytes=v.size_bytes,
        concrete_scenarios=v.concrete_scenarios,
        warnings=[finding(w) for w in v.warnings],
        created_at=timestamp(v.created_at),
        created_by_user_id=v.created_by_user_id,
    )


def scenario(s: StoredScenario, versions: list[ScenarioVersion] | None = None) -> pb.Scenario:
    return pb.Scenario(
        id=s.id,
        organisation_id=s.organisation_id,
        name=s.name,
        description=s.description,
        latest_version=s.latest_version,
        created_at=timestamp(s.created_at),
        updated_at=timestamp(s.updated_at),
        versions=[version(v) for v in versions or ()],
    )


def bundle_from(message: pb.ScenarioBundle) -> Bundle:
    return Bundle(message.main_file, tuple(BundleFile(f.path, f.content) for f in message.files))


def bundle_to(b: Bundle) -> pb.ScenarioBundle:
    return pb.ScenarioBundle(
        main_file=b.main_file,
        files=[pb.ScenarioFile(path=f.path, content=f.content) for f in b.files],
    )


class ScenarioServicer(scenario_pb2_grpc.ScenarioServiceServicer):
    def __init__(self, library: ScenarioLibrary, blocking: Blocking) -> None:
        self._library = library
        self._blocking = blocking

    async def UploadScenario(
        self, request: pb.UploadScenarioRequest, context: grpc.aio.ServicerContext
    ) -> pb.UploadScenarioResponse:
        stored, added = await self._blocking.run(
            self._library.upload,
            current_principal(),
            request.name,
            bundle_from(request.bundle),
            request.description,
        )
        return pb.UploadScenarioResponse(scenario=scenario(stored, [added]), version=version(added))

    async def ValidateScenario(
        self, request: pb.ValidateScenarioRequest, context: grpc.aio.ServicerContext
    ) -> pb.ValidateScenarioResponse:
        current_principal()  # any signed-in caller may check a file
        findings = await self._blocking.run(validate_bundle, bundle_from(request.bundle))
        return pb.ValidateScenarioResponse(
            ok=findings.ok,
            errors=[finding(f) for f in findings.errors],
            warnings=[finding(f) for f in findings.warnings],
            concrete_scenarios=findings.concrete_scenarios,
        )

    async def ListScenarios(
        self, request: pb.ListScenariosRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListScenariosResponse:
        size = paging.page_size(request.page_size)
        offset = paging.decode(request.page_token, "scenarios")
        rows = await self._blocking.run(
            self._library.list_scenarios, current_principal(), size, offset
        )
        return pb.ListScenariosResponse(
            scenarios=[scenario(s) for s in rows],
            next_page_token=paging.next_token(offset, size, len(rows), "scenarios"),
        )

    async def GetScenario(
        self, request: pb.GetScenarioRequest, context: grpc.aio.ServicerContext
    ) -> pb.Scenario:
        stored, versions = await self._blocking.run(
            self._library.get, current_principal(), request.scenario_id
        )
        return scenario(stored, versions)

    async def GetScenarioBundle(
        self, request: pb.GetScenarioBundleRequest, context: grpc.aio.ServicerContext
    ) -> pb.ScenarioBundle:
        files = await self._blocking.run(
            self._library.bundle, current_principal(), request.scenario_id, request.version
        )
        return bundle_to(files)

    async def RenderScenario(
        self, request: pb.RenderScenarioRequest, context: grpc.aio.ServicerContext
    ) -> pb.RenderScenarioResponse:
        files = await self._blocking.run(
            self._library.bundle, current_principal(), request.scenario_id, request.version
        )
        side = request.max_side_px or 1000
        if not 64 <= side <= 4000:
            raise InvalidArgument(
                "max_side_px out of range",
                [FieldViolation("max_side_px", f"found {side}; allowed 64 to 4000 (0: 1000)")],
            )
        png = await self._blocking.run(_render, files, request.at_time_s, side)
        return pb.RenderScenarioResponse(png=png)

    async def DeleteScenario(
        self, request: pb.DeleteScenarioRequest, context: grpc.aio.ServicerContext
    ) -> empty_pb2.Empty:
        await self._blocking.run(self._library.delete, current_principal(), request.scenario_id)
        return empty_pb2.Empty()


def _render(files: Bundle, at_time_s: float, max_side_px: int) -> bytes:
    with tempfile.TemporaryDirectory(prefix="simhub-render-") as tmp:
        return preview_png(materialize(files, Path(tmp)), at_time_s, max_side_px)
