"""SessionService over a real gRPC server: tenancy, two drivers in one world, slow clients."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest

from simhub._proto.simhub.v1 import session_pb2 as pb
from simhub._proto.simhub.v1 import session_pb2_grpc
from simhub.app import App, build_app
from simhub.identity.model import Role
from tests.conftest import RunningServer, Tokens, bearer, issue, make_settings


@pytest.fixture
def rpc(tmp_path: Path) -> Iterator[tuple[session_pb2_grpc.SessionServiceStub, Tokens, App]]:
    app = build_app(make_settings(f"sqlite:///{tmp_path / 'simhub.db'}"))
    tokens = Tokens(
        engineer=issue(app, "Acme", Role.ENGINEER),
        viewer=issue(app, "Acme", Role.VIEWER),
        operator=issue(app, "Facility", Role.OPERATOR),
        other_engineer=issue(app, "Rival", Role.ENGINEER),
    )
    server = RunningServer(app)
    yield session_pb2_grpc.SessionServiceStub(server.channel), tokens, app
    server.close()
    app.close()


def controls(session_id: str, ego: str, n: int, **values: float) -> Iterator[pb.ControlInput]:
    for k in range(1, n + 1):
        yield pb.ControlInput(
            session_id=session_id,
            ego=ego,
            gear=1,
            sequence=k,
            sent_unix_ns=time.time_ns(),
            **values,
        )
        time.sleep(0.01)


def two_driver_session(stub: session_pb2_grpc.SessionServiceStub, token: str) -> pb.Session:
    created = stub.CreateSession(
        pb.CreateSessionRequest(
            mode=pb.SESSION_MODE_VIRTUAL,
            egos=[
                pb.EgoBinding(
                    name="alice", binding=pb.EGO_BINDING_KIND_CLIENT, cabin_id="passenger", lane=0
                ),
                pb.EgoBinding(
                    name="bob",
                    binding=pb.EGO_BINDING_KIND_CLIENT,
                    cabin_id="special",
                    lane=1,
                    start_x=-20.0,
                ),
            ],
        ),
        metadata=bearer(token),
    )
    return stub.StartSession(pb.StartSessionRequest(session_id=created.id), metadata=bearer(token))


def test_two_drivers_in_one_world_see_each_other_and_other_orgs_cannot(
    rpc: tuple[session_pb2_grpc.SessionServiceStub, Tokens, App],
) -> None:
    stub, tokens, _ = rpc
    session = two_driver_session(stub, tokens.engineer)
    assert session.state == pb.SESSION_STATE_RUNNING
    results: dict[str, pb.SendControlsResponse] = {}

    def drive(ego: str) -> None:
        results[ego] = stub.SendControls(
            controls(session.id, ego, 150, throttle=0.6), metadata=bearer(tokens.engineer)
        )

    drivers = [threading.Thread(target=drive, args=(ego,)) for ego in ("alice", "bob")]
    for d in drivers:
        d.start()
    views: dict[str, list[pb.TelemetryFrame]] = {"alice": [], "bob": []}
    for ego in views:  # each driver's own telemetry stream
        stream = stub.StreamTelemetry(
            pb.StreamTelemetryRequest(session_id=session.id, rate_hz=20),
            metadata=bearer(tokens.engineer),
        )
        for frame in stream:
            views[ego].append(frame)
            if len(views[ego]) >= 15:
                stream.cancel()
                break
    for d in drivers:
        d.join()
    for reply in results.values():
        # Every input is accounted for and valid; on a starved machine a few may arrive older
        # than the staleness limit and be refused as stale, which is the rule working.
        assert reply.accepted + reply.rejected_stale == 150
        assert reply.rejected_nan == reply.rejected_range == reply.rejected_unbound == 0
        assert reply.accepted >= 100
    for ego, other in (("alice", "bob"), ("bob", "alice")):
        last = {e.name: e for e in views[ego][-1].entities}
        first = {e.name: e for e in views[ego][0].entities}
        assert last[other].x > first[other].x  # sees the other driver move
        assert last[other].y != last[ego].y  # in its own lane

    # another organisation: not found, whether watching, driving or stopping
    rival = bearer(tokens.other_engineer)
    for call in (
        lambda: stub.GetSession(pb.GetSessionRequest(session_id=session.id), metadata=rival),
        lambda: next(
            iter(
                stub.StreamTelemetry(
                    pb.StreamTelemetryRequest(session_id=session.id), metadata=rival
                )
            )
        ),
        lambda: stub.SendControls(controls(session.id, "alice", 1), metadata=rival),
        lambda: stub.StopSession(pb.StopSessionRequest(session_id=session.id), metadata=rival),
    ):
        with pytest.raises(grpc.RpcError) as error:
            call()
        assert error.value.code() == grpc.StatusCode.NOT_FOUND
    listed = stub.ListSessions(pb.ListSessionsRequest(), metadata=rival)
    assert session.id not in [s.id for s in listed.sessions]
    # a viewer of the same organisation watches but may not drive
    viewer = bearer(tokens.viewer)
    assert stub.GetSession(pb.GetSessionRequest(session_id=session.id), metadata=viewer).id
    with pytest.raises(grpc.RpcError) as error:
        stub.SendControls(controls(session.id, "alice", 1), metadata=viewer)
    assert error.value.code() == grpc.StatusCode.PERMISSION_DENIED
    # operators see every organisation's sessions
    operator = bearer(tokens.operator)
    assert stub.GetSession(pb.GetSessionRequest(session_id=session.id), metadata=operator).id
    stopped = stub.StopSession(
        pb.StopSessionRequest(session_id=session.id), metadata=bearer(tokens.engineer)
    )
    assert stopped.state == pb.SESSION_STATE_STOPPED
    # the session's own count agrees with what each driver was told (300 sent; under load a
    # few may be refused as stale, as above)
    assert stopped.stats.controls_accepted == sum(r.accepted for r in results.values())
    assert stopped.stats.controls_rejected_stale == sum(
        r.rejected_stale for r in results.values())


def test_slow_telemetry_client_drops_its_oldest_frames_and_says_so(
    rpc: tuple[session_pb2_grpc.SessionServiceStub, Tokens, App],
) -> None:
    stub, tokens, app = rpc
    auth = bearer(tokens.engineer)
    created = stub.CreateSession(
        pb.CreateSessionRequest(mode=pb.SESSION_MODE_VIRTUAL), metadata=auth
    )
    stub.StartSession(pb.StartSessionRequest(session_id=created.id), metadata=auth)
    slow = stub.StreamTelemetry(
        pb.StreamTelemetryRequest(session_id=created.id, queue_size=2), metadata=auth
    )
    fast = stub.StreamTelemetry(pb.StreamTelemetryRequest(session_id=created.id), metadata=auth)
    got = []
    for frame in fast:  # meanwhile nobody reads the slow stream
        got.append(frame.sequence)
        if len(got) >= 300:
            fast.cancel()
            break
    assert got == list(range(got[0], got[0] + 300))  # the fast client lost nothing
    late = None
    for frame in slow:
        late = frame
        if frame.dropped_frames > 0:
            slow.cancel()
            break
    assert late is not None and late.dropped_frames > 0  # the slow one was told
    assert app.sessions is not None
    loop = app.sessions.loop_of(created.id)
    assert loop is not None and loop.ticks > 0  # it kept ticking (in its own process)
    # bad inputs through gRPC are rejected and counted like ZeroMQ's
    nan = pb.ControlInput(
        session_id=created.id,
        ego="ego",
        throttle=float("nan"),
        gear=1,
        sequence=1,
        sent_unix_ns=time.time_ns(),
    )
    stale = pb.ControlInput(
        session_id=created.id,
        ego="ego",
        throttle=0.1,
        gear=1,
        sequence=2,
        sent_unix_ns=time.time_ns() - 10**9,
    )
    reply = stub.SendControls(iter([nan, stale]), metadata=auth)
    assert (reply.rejected_nan, reply.rejected_stale, reply.accepted) == (1, 1, 0)
    stub.StopSession(pb.StopSessionRequest(session_id=created.id), metadata=auth)


def test_virtual_quota_and_booking_check_in(
    rpc: tuple[session_pb2_grpc.SessionServiceStub, Tokens, App],
) -> None:
    stub, tokens, _ = rpc
    auth = bearer(tokens.engineer)
    for _ in range(2):
        stub.CreateSession(pb.CreateSessionRequest(mode=pb.SESSION_MODE_VIRTUAL), metadata=auth)
    with pytest.raises(grpc.RpcError) as error:
        stub.CreateSession(pb.CreateSessionRequest(mode=pb.SESSION_MODE_VIRTUAL), metadata=auth)
    assert error.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    with pytest.raises(grpc.RpcError) as error:
        stub.CreateSession(
            pb.CreateSessionRequest(mode=pb.SESSION_MODE_MOTION, booking_id="bkg_nope"),
            metadata=auth,
        )
    assert error.value.code() == grpc.StatusCode.FAILED_PRECONDITION
