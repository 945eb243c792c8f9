"""ScenarioService through a real gRPC server: upload, versions, errors with lines, tenancy."""

from __future__ import annotations

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from simhub._proto.simhub.v1 import scenario_pb2 as pb
from simhub._proto.simhub.v1 import scenario_pb2_grpc
from tests.conftest import INTEROP, REPO, RunningServer, Tokens, bearer

ESMINI = INTEROP / "esmini"


def stub(server: RunningServer) -> scenario_pb2_grpc.ScenarioServiceStub:
    return scenario_pb2_grpc.ScenarioServiceStub(server.channel)


def esmini_bundle(name: str) -> pb.ScenarioBundle:
    """An esmini scenario with the roads and catalogs it refers to, laid out as on disk."""
    if not ESMINI.exists():
        pytest.skip(f"{ESMINI} is absent (the shared interop folder)")
    files = [
        pb.ScenarioFile(path=str(p.relative_to(ESMINI)), content=p.read_bytes())
        for p in sorted(ESMINI.rglob("*"))
        if p.is_file() and (p.suffix == ".xodr" or "Catalogs" in p.parts or p.name == name)
    ]
    return pb.ScenarioBundle(main_file=f"xosc/{name}", files=files)


def yaml_bundle(text: str | None = None) -> pb.ScenarioBundle:
    scenario = REPO / "scenarios" / "cut_in.yaml"
    files = [pb.ScenarioFile(path="cut_in.yaml", content=(text or scenario.read_text()).encode())]
    files += [
        pb.ScenarioFile(path=f"roads/{p.name}", content=p.read_bytes())
        for p in sorted((REPO / "scenarios" / "roads").glob("*.xodr"))
    ]
    return pb.ScenarioBundle(main_file="cut_in.yaml", files=files)


def violations(error: grpc.RpcError) -> list[tuple[str, str]]:
    status = rpc_status.from_call(error)  # type: ignore[arg-type]
    assert status is not None
    bad = error_details_pb2.BadRequest()
    assert status.details[0].Unpack(bad)
    return [(v.field, v.description) for v in bad.field_violations]


def test_upload_versions_list_get_bundle(server: RunningServer, tokens: Tokens) -> None:
    scenarios = stub(server)
    auth = bearer(tokens.engineer)
    first = scenarios.UploadScenario(
        pb.UploadScenarioRequest(name="cut-in", bundle=esmini_bundle("cut-in.xosc")), metadata=auth
    )
    assert (first.version.version, first.version.format) == (1, "xosc")
    second = scenarios.UploadScenario(
        pb.UploadScenarioRequest(name="cut-in", bundle=esmini_bundle("cut-in.xosc")), metadata=auth
    )
    assert second.scenario.id == first.scenario.id and second.version.version == 2

    listed = scenarios.ListScenarios(pb.ListScenariosRequest(), metadata=bearer(tokens.viewer))
    assert [s.name for s in listed.scenarios] == ["cut-in"]
    got = scenarios.GetScenario(pb.GetScenarioRequest(scenario_id=first.scenario.id), metadata=auth)
    assert [v.version for v in got.versions] == [2, 1]
    bundle = scenarios.GetScenarioBundle(
        pb.GetScenarioBundleRequest(scenario_id=first.scenario.id, version=1), metadata=auth
    )
    sent = {f.path: f.content for f in esmini_bundle("cut-in.xosc").files}
    assert {f.path: f.content for f in bundle.files} == sent


def test_broken_file_is_refused_with_file_line_column(
    server: RunningServer, tokens: Tokens
) -> None:
    good = (REPO / "scenarios" / "cut_in.yaml").read_text()
    lines = good.splitlines()
    # misspell the first key of line 3 onwards that has one, keeping the line number known
    index = next(
        i
        for i, line in enumerate(lines)
        if ":" in line and i >= 2 and not line.lstrip().startswith("#")
    )
    key = lines[index].split(":")[0]
    lines[index] = lines[index].replace(key, key + "x", 1)
    with pytest.raises(grpc.RpcError) as info:
        stub(server).UploadScenario(
            pb.UploadScenarioRequest(name="broken", bundle=yaml_bundle("\n".join(lines) + "\n")),
            metadata=bearer(tokens.engineer),
        )
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    found = violations(info.value)
    assert found and found[0][0].startswith(f"cut_in.yaml:{index + 1}:")
    assert (
        stub(server)
        .ListScenarios(pb.ListScenariosRequest(), metadata=bearer(tokens.engineer))
        .scenarios
        == []
    )

    checked = stub(server).ValidateScenario(
        pb.ValidateScenarioRequest(bundle=yaml_bundle("\n".join(lines) + "\n")),
        metadata=bearer(tokens.viewer),
    )
    assert not checked.ok and checked.errors[0].line == index + 1


def test_bundle_paths_are_checked(server: RunningServer, tokens: Tokens) -> None:
    bundle = yaml_bundle()
    bundle.files.append(pb.ScenarioFile(path="../../etc/passwd", content=b"x"))
    with pytest.raises(grpc.RpcError) as info:
        stub(server).ValidateScenario(
            pb.ValidateScenarioRequest(bundle=bundle), metadata=bearer(tokens.engineer)
        )
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert violations(info.value)[0][0] == f"files[{len(bundle.files) - 1}].path"


def test_other_organisation_and_viewer(server: RunningServer, tokens: Tokens) -> None:
    scenarios = stub(server)
    mine = scenarios.UploadScenario(
        pb.UploadScenarioRequest(name="cut-in", bundle=yaml_bundle()),
        metadata=bearer(tokens.engineer),
    ).scenario
    rival = bearer(tokens.other_engineer)
    for call, request in (
        (scenarios.GetScenario, pb.GetScenarioRequest(scenario_id=mine.id)),
        (scenarios.GetScenarioBundle, pb.GetScenarioBundleRequest(scenario_id=mine.id)),
        (scenarios.DeleteScenario, pb.DeleteScenarioRequest(scenario_id=mine.id)),
    ):
        with pytest.raises(grpc.RpcError) as info:
            call(request, metadata=rival)
        assert info.value.code() == grpc.StatusCode.NOT_FOUND
    assert scenarios.ListScenarios(pb.ListScenariosRequest(), metadata=rival).scenarios == []
    with pytest.raises(grpc.RpcError) as denied:
        scenarios.UploadScenario(
            pb.UploadScenarioRequest(name="x", bundle=yaml_bundle()), metadata=bearer(tokens.viewer)
        )
    assert denied.value.code() == grpc.StatusCode.PERMISSION_DENIED
    operator_view = scenarios.ListScenarios(
        pb.ListScenariosRequest(), metadata=bearer(tokens.operator)
    )
    assert [s.id for s in operator_view.scenarios] == [mine.id]

    scenarios.DeleteScenario(
        pb.DeleteScenarioRequest(scenario_id=mine.id), metadata=bearer(tokens.engineer)
    )
    assert (
        scenarios.ListScenarios(
            pb.ListScenariosRequest(), metadata=bearer(tokens.engineer)
        ).scenarios
        == []
    )
    again = scenarios.UploadScenario(
        pb.UploadScenarioRequest(name="cut-in", bundle=yaml_bundle()),
        metadata=bearer(tokens.engineer),
    )
    assert again.scenario.id != mine.id and again.version.version == 1


def test_render_gives_a_png_of_the_scenario(server: RunningServer, tokens: Tokens) -> None:
    import cv2
    import numpy as np

    scenarios = stub(server)
    auth = bearer(tokens.engineer)
    made = scenarios.UploadScenario(
        pb.UploadScenarioRequest(name="cut-in", bundle=esmini_bundle("cut-in.xosc")), metadata=auth
    ).scenario
    reply = scenarios.RenderScenario(
        pb.RenderScenarioRequest(scenario_id=made.id, at_time_s=2.0, max_side_px=600), metadata=auth
    )
    image = cv2.imdecode(np.frombuffer(reply.png, np.uint8), cv2.IMREAD_COLOR)
    assert image is not None and max(image.shape[:2]) <= 600
    assert len(np.unique(image.reshape(-1, 3), axis=0)) > 5  # road, marks, vehicles: not blank
    with pytest.raises(grpc.RpcError) as info:
        scenarios.RenderScenario(
            pb.RenderScenarioRequest(scenario_id=made.id, at_time_s=-1), metadata=auth
        )
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    with pytest.raises(grpc.RpcError) as hidden:
        scenarios.RenderScenario(
            pb.RenderScenarioRequest(scenario_id=made.id), metadata=bearer(tokens.other_engineer)
        )
    assert hidden.value.code() == grpc.StatusCode.NOT_FOUND
