"""FacilityService through a real gRPC server on a free port, over both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from simhub._proto.simhub.v1 import facility_pb2 as pb
from simhub._proto.simhub.v1 import facility_pb2_grpc
from simhub.app import App
from simhub.identity.model import Role
from simhub.identity.service import IdentityService
from simhub.storage.identity_repo import SqlIdentityRepository
from tests.conftest import RunningServer, Tokens, bearer


def stub(server: RunningServer) -> facility_pb2_grpc.FacilityServiceStub:
    return facility_pb2_grpc.FacilityServiceStub(server.channel)


def code_of(call, *args, **kwargs) -> grpc.StatusCode:  # type: ignore[no-untyped-def]
    with pytest.raises(grpc.RpcError) as info:
        call(*args, **kwargs)
    return info.value.code()  # type: ignore[no-any-return]


def test_engineer_lists_the_three_cabins(server: RunningServer, tokens: Tokens) -> None:
    response = stub(server).ListCabins(pb.ListCabinsRequest(), metadata=bearer(tokens.engineer))
    assert [c.id for c in response.cabins] == ["commercial", "passenger", "special"]
    truck = next(c for c in response.cabins if c.id == "commercial")
    assert truck.vehicle.model == pb.VEHICLE_MODEL_KST and truck.vehicle.trailer.wheelbase_m == 8.1
    assert response.next_page_token == ""


def test_pagination_walks_all_cabins(server: RunningServer, tokens: Tokens) -> None:
    facility = stub(server)
    seen, token = [], ""
    while True:
        page = facility.ListCabins(
            pb.ListCabinsRequest(page_size=2, page_token=token), metadata=bearer(tokens.viewer)
        )
        seen += [c.id for c in page.cabins]
        token = page.next_page_token
        if not token:
            break
    assert seen == ["commercial", "passenger", "special"]


def test_bad_page_size_has_field_violation(server: RunningServer, tokens: Tokens) -> None:
    with pytest.raises(grpc.RpcError) as info:
        stub(server).ListCabins(
            pb.ListCabinsRequest(page_size=-1), metadata=bearer(tokens.engineer)
        )
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    status = rpc_status.from_call(info.value)
    assert status is not None
    bad_request = error_details_pb2.BadRequest()
    assert status.details[0].Unpack(bad_request)
    assert bad_request.field_violations[0].field == "page_size"


def test_missing_wrong_revoked_expired_tokens_are_unauthenticated(
    server: RunningServer, app: App, tokens: Tokens
) -> None:
    facility = stub(server)
    request = pb.ListCabinsRequest()
    assert code_of(facility.ListCabins, request) == grpc.StatusCode.UNAUTHENTICATED
    assert (
        code_of(facility.ListCabins, request, metadata=bearer("shb_tok_0_wrong"))
        == grpc.StatusCode.UNAUTHENTICATED
    )
    assert (
        code_of(facility.ListCabins, request, metadata=[("authorization", tokens.engineer)])
        == grpc.StatusCode.UNAUTHENTICATED
    )

    org = app.identity.find_organisation("Acme")
    user = app.identity.create_user(org.id, "leaver", Role.ENGINEER)
    revoked = app.identity.issue_token(user.id)
    assert facility.ListCabins(request, metadata=bearer(revoked.secret)).cabins
    app.identity.revoke_token(revoked.token.id)
    assert (
        code_of(facility.ListCabins, request, metadata=bearer(revoked.secret))
        == grpc.StatusCode.UNAUTHENTICATED
    )

    yesterday = datetime.now(UTC) - timedelta(days=1)
    expired = IdentityService(SqlIdentityRepository(app.db), lambda: yesterday).issue_token(
        user.id, timedelta(hours=1)
    )
    assert (
        code_of(facility.ListCabins, request, metadata=bearer(expired.secret))
        == grpc.StatusCode.UNAUTHENTICATED
    )


def test_viewer_and_engineer_cannot_mount(server: RunningServer, tokens: Tokens) -> None:
    request = pb.MountCabinRequest(cabin_id="special")
    for token in (tokens.viewer, tokens.engineer):
        assert (
            code_of(stub(server).MountCabin, request, metadata=bearer(token))
            == grpc.StatusCode.PERMISSION_DENIED
        )


def test_operator_mount_records_changeover_and_state_reflects_it(
    server: RunningServer, tokens: Tokens
) -> None:
    facility = stub(server)
    before = facility.GetFacilityState(pb.GetFacilityStateRequest(), metadata=bearer(tokens.viewer))
    assert before.mounted_cabin_id == "passenger"
    assert {b.id: b.cabin_id for b in before.bays} == {
        "bay-a": "",
        "bay-b": "commercial",
        "bay-c": "special",
    }

    change = facility.MountCabin(
        pb.MountCabinRequest(cabin_id="special", reason="fire drill"),
        metadata=bearer(tokens.operator),
    )
    assert (change.from_cabin_id, change.to_cabin_id, change.duration_minutes) == (
        "passenger",
        "special",
        20 + 35,
    )
    assert change.completes_at.ToDatetime() - change.started_at.ToDatetime() == timedelta(
        minutes=55
    )

    after = facility.GetFacilityState(
        pb.GetFacilityStateRequest(), metadata=bearer(tokens.engineer)
    )
    assert after.mounted_cabin_id == "special"
    assert after.mounted_since == change.completes_at
    assert after.changeover_in_progress.id == change.id
    assert {b.id: b.cabin_id for b in after.bays} == {
        "bay-a": "passenger",
        "bay-b": "commercial",
        "bay-c": "",
    }

    history = facility.ListChangeovers(
        pb.ListChangeoversRequest(), metadata=bearer(tokens.engineer)
    )
    assert [c.id for c in history.changeovers] == [change.id]
    busy = code_of(
        facility.MountCabin,
        pb.MountCabinRequest(cabin_id="commercial"),
        metadata=bearer(tokens.operator),
    )
    assert busy == grpc.StatusCode.FAILED_PRECONDITION


def test_unknown_cabin_is_not_found(server: RunningServer, tokens: Tokens) -> None:
    with pytest.raises(grpc.RpcError) as info:
        stub(server).GetCabin(pb.GetCabinRequest(cabin_id="tank"), metadata=bearer(tokens.engineer))
    assert info.value.code() == grpc.StatusCode.NOT_FOUND
    assert "'passenger'" in (info.value.details() or "")


def test_health_and_reflection_are_open(server: RunningServer) -> None:
    from grpc_health.v1 import health_pb2, health_pb2_grpc
    from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

    health = health_pb2_grpc.HealthStub(server.channel)
    for service in ("", "simhub.v1.FacilityService"):
        reply = health.Check(health_pb2.HealthCheckRequest(service=service))
        assert reply.status == health_pb2.HealthCheckResponse.SERVING

    reflect = reflection_pb2_grpc.ServerReflectionStub(server.channel)
    responses = reflect.ServerReflectionInfo(
        iter([reflection_pb2.ServerReflectionRequest(list_services="")])
    )
    names = {s.name for r in responses for s in r.list_services_response.service}
    assert "simhub.v1.FacilityService" in names
