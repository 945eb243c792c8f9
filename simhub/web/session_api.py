"""JSON API over live sessions, and the WebSocket that carries a session's telemetry to the
browser (decimated) and, for drivers, the browser's controls back.

Frames reach the socket through the session's in-process fan-out (the same one the gRPC
stream reads): a bounded queue per reader that drops its oldest frame when the browser is slow,
so a slow page never holds up the real-time loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from typing import Any

from fastapi import APIRouter, Query, WebSocket, WebSocketDisconnect
from pydantic import BaseModel, Field

from simhub.app import App
from simhub.errors import FailedPrecondition, SimhubError
from simhub.identity.model import Principal
from simhub.motion import M_CLIPPED, M_NEUTRAL, M_POSE
from simhub.session.controls import VERDICTS, ControlInput
from simhub.session.frame import Frame, SessionEvent
from simhub.session.model import (
    BindingKind,
    EgoBinding,
    Session,
    SessionMode,
    TrafficConfig,
)
from simhub.session.service import CreateRequest, SessionService
from simhub.session.watchdog import AWAITING, LOST, OK
from simhub.session.world import (
    F_ACCEL_LAT,
    F_ACCEL_LONG,
    F_LENGTH,
    F_SPEED,
    F_STEERING,
    F_WIDTH,
    F_X,
    F_Y,
    F_YAW,
    F_YAW_RATE,
)
from simhub.web.deps import COOKIE, ApiCaller, AppDep

router = APIRouter(prefix="/api/v1", tags=["sessions"])
EGO_STATUS = {AWAITING: "awaiting", OK: "ok", LOST: "lost"}
WEB_EGO = "ego"  # the ego a session made on the web page is bound to (a client: the browser)


class SessionIn(BaseModel):
    mode: SessionMode = SessionMode.VIRTUAL
    booking_id: str = Field("", max_length=100, description="a checked-in booking (not virtual)")
    cabin_id: str = Field("passenger", max_length=40, description="the ego's vehicle model")
    start_speed_m_s: float = Field(0.0, ge=0.0, le=70.0)
    traffic_vehicles: int = Field(0, ge=0, le=50)
    scenario_ref: str = Field("", max_length=200)


def sessions_of(app: App) -> SessionService:
    if app.sessions is None:
        raise FailedPrecondition("this server runs without live sessions")
    return app.sessions


def create_request(body: SessionIn) -> CreateRequest:
    """A session with one ego driven by a client (the browser, or any gRPC / ZeroMQ client)."""
    egos: tuple[EgoBinding, ...] = ()
    if body.mode is SessionMode.VIRTUAL:
        egos = (
            EgoBinding(
                WEB_EGO, BindingKind.CLIENT, body.cabin_id, start_speed_m_s=body.start_speed_m_s
            ),
        )
    return CreateRequest(
        mode=body.mode,
        booking_id=body.booking_id,
        scenario_ref=body.scenario_ref,
        egos=egos,
        traffic=TrafficConfig(vehicles=body.traffic_vehicles),
    )


@router.get("/sessions", response_model=list[Session])
def list_sessions(
    caller: ApiCaller,
    app: AppDep,
    offset: int = Query(0, ge=0, le=1_000_000),
    limit: int = Query(50, ge=1, le=500),
) -> list[Session]:
    return sessions_of(app).list(caller.principal, limit, offset)


@router.post("/sessions", response_model=Session, status_code=201)
def create_session(body: SessionIn, caller: ApiCaller, app: AppDep) -> Session:
    return sessions_of(app).create(caller.principal, create_request(body))


@router.get("/sessions/{session_id}", response_model=Session)
def get_session(session_id: str, caller: ApiCaller, app: AppDep) -> Session:
    return sessions_of(app).get(caller.principal, session_id)


@router.post("/sessions/{session_id}/start", response_model=Session)
def start_session(session_id: str, caller: ApiCaller, app: AppDep) -> Session:
    """Start a created session (warm-up, then running) or resume a paused one."""
    return sessions_of(app).start(caller.principal, session_id)


@router.post("/sessions/{session_id}/pause", response_model=Session)
def pause_session(session_id: str, caller: ApiCaller, app: AppDep) -> Session:
    return sessions_of(app).pause(caller.principal, session_id)


@router.post("/sessions/{session_id}/stop", response_model=Session)
def stop_session(session_id: str, caller: ApiCaller, app: AppDep) -> Session:
    return sessions_of(app).stop(caller.principal, session_id)


# -- telemetry over a WebSocket ----------------------------------------------------------------


def _number(value: float, digits: int = 3) -> float | None:
    return round(float(value), digits) if math.isfinite(value) else None


def frame_message(frame: Frame, dropped: int) -> dict[str, Any]:
    """One frame as JSON: entities (SI, world frame), the first ego's readouts, the watchdog
    status of every ego, the motion platform's pose, the loop's counters."""
    world = frame.world
    entities = [
        {
            "name": info.name,
            "kind": info.kind.value,
            "x": _number(row[F_X], 2),
            "y": _number(row[F_Y], 2),
            "heading": _number(row[F_YAW]),
            "speed": _number(row[F_SPEED], 2),
            "length": _number(row[F_LENGTH], 2),
            "width": _number(row[F_WIDTH], 2),
        }
        for info, row in zip(frame.entities, world, strict=True)
    ]
    ego = world[0] if len(world) else None
    pose = frame.motion[M_POSE : M_POSE + 6]
    return {
        "type": "frame",
        "sequence": frame.sequence,
        "sim_time_s": _number(frame.sim_time_s),
        "state": frame.state.value,
        "entities": entities,
        "ego": None
        if ego is None
        else {
            "speed_m_s": _number(ego[F_SPEED], 2),
            "accel_long_m_s2": _number(ego[F_ACCEL_LONG], 2),
            "accel_lat_m_s2": _number(ego[F_ACCEL_LAT], 2),
            "steering_rad": _number(ego[F_STEERING], 4),
            "yaw_rate_rad_s": _number(ego[F_YAW_RATE], 4),
        },
        "ego_status": [EGO_STATUS.get(int(s), "unknown") for s in frame.ego_status],
        "motion": {
            "pose": [_number(v, 4) for v in pose],  # surge, sway, heave [m]; roll, pitch, yaw
            "neutral": bool(frame.motion[M_NEUTRAL] > 0.5),
            "clipped": int(frame.motion[M_CLIPPED]) | int(frame.motion_clipped),
        },
        "deadline_misses": int(frame.deadline_misses),
        "controls": {v.value: int(n) for v, n in zip(VERDICTS, frame.control_counts, strict=True)},
        "dropped": dropped,
    }


WIRE_STATES = ("unspecified", "created", "warming_up", "running", "paused", "stopped", "failed")
WIRE_CONTROL = ("unknown", "awaiting", "ok", "lost")


def wire_frame_message(wire: Any, dropped: int) -> dict[str, Any]:
    """The same JSON from a frame that reached the fan-out already encoded (a
    ``simhub.v1.TelemetryFrame``, when the loop runs in a process of its own), read by field
    name so that this edge never depends on the generated code."""
    entities = list(wire.entities)
    egos = [e for e in entities if e.ego]
    first = egos[0] if egos else (entities[0] if entities else None)
    motion = wire.motion
    pose = [motion.surge, motion.sway, motion.heave, motion.roll, motion.pitch, motion.yaw]
    return {
        "type": "frame",
        "sequence": int(wire.sequence),
        "sim_time_s": _number(wire.sim_time),
        "state": WIRE_STATES[int(wire.state)] if int(wire.state) < len(WIRE_STATES) else "",
        "entities": [
            {
                "name": e.name,
                "kind": "ego" if e.ego else "traffic",
                "x": _number(e.x, 2),
                "y": _number(e.y, 2),
                "heading": _number(e.yaw),
                "speed": _number(e.speed, 2),
                "length": _number(e.length, 2),
                "width": _number(e.width, 2),
            }
            for e in sorted(entities, key=lambda e: not e.ego)  # egos first, as in Frame
        ],
        "ego": None
        if first is None
        else {
            "speed_m_s": _number(first.speed, 2),
            "accel_long_m_s2": _number(first.accel_long, 2),
            "accel_lat_m_s2": _number(first.accel_lat, 2),
            "steering_rad": _number(first.steering, 4),
            "yaw_rate_rad_s": _number(first.yaw_rate, 4),
        },
        "ego_status": [WIRE_CONTROL[min(int(e.control_status), 3)] for e in egos],
        "motion": {
            "pose": [_number(v, 4) for v in pose],
            "neutral": not motion.active,
            "clipped": 0,
        },
        "deadline_misses": int(wire.deadline_misses),
        "controls": {
            "accepted": int(wire.controls_accepted),
            "rejected": int(wire.controls_rejected),
        },
        "dropped": dropped,
    }


def any_frame_message(frame: Frame, dropped: int) -> dict[str, Any]:
    if frame.wire is not None and hasattr(frame.wire, "entities"):
        return wire_frame_message(frame.wire, dropped)
    return frame_message(frame, dropped)


def event_message(event: SessionEvent) -> dict[str, Any]:
    return {
        "type": "event",
        "kind": event.kind.value,
        "sequence": event.sequence,
        "sim_time_s": _number(event.sim_time_s),
        "ego": event.ego,
        "state": event.state.value if event.state else None,
        "detail": event.detail,
    }


def _principal(app: App, socket: WebSocket) -> Principal | None:
    """The cookie's principal, for a socket opened by a page of this very site."""
    origin = socket.headers.get("origin", "")
    host = socket.headers.get("host", "")
    if origin and origin.split("://", 1)[-1] != host:
        return None  # another site's page: cross-site WebSocket hijacking
    secret = socket.cookies.get(COOKIE)
    if not secret:
        return None
    try:
        return app.identity.web_session(secret)[0]
    except SimhubError:
        return None


async def _receive_controls(
    socket: WebSocket, service: SessionService, principal: Principal, session_id: str
) -> None:
    """Controls the page sends ({"steering_wheel_rad", "throttle", "brake"}) go to the web ego."""
    authorised = False
    sequence = 0
    while True:
        message = await socket.receive_json()
        if not isinstance(message, dict) or message.get("type") != "controls":
            continue
        if not authorised:
            try:
                await asyncio.to_thread(service.authorize_driver, principal, session_id)
            except SimhubError as exc:
                await socket.send_json({"type": "error", "detail": exc.message})
                continue
            authorised = True
        sequence += 1
        try:
            control = ControlInput(
                ego=str(message.get("ego", WEB_EGO)),
                steering_wheel_rad=float(message.get("steering_wheel_rad", 0.0)),
                throttle=float(message.get("throttle", 0.0)),
                brake=float(message.get("brake", 0.0)),
                gear=int(message.get("gear", 1)),
                indicator=0,
                sequence=sequence,
                sent_at_unix_ns=time.time_ns(),
            )
        except (TypeError, ValueError):
            continue
        service.submit_control(session_id, control)


@router.websocket("/sessions/{session_id}/telemetry")
async def telemetry(socket: WebSocket, session_id: str, rate_hz: float = 10.0) -> None:
    """Frames at *rate_hz* (at most 30) and every event, as JSON text messages; the page may
    send controls back. Closes with 4401 without a session cookie, 4404 for a session that is
    not the caller's, 4409 for one that has ended."""
    app: App = socket.app.state.simhub
    principal = _principal(app, socket)
    if principal is None:
        await socket.close(code=4401)
        return
    service = sessions_of(app)
    loop = asyncio.get_running_loop()
    wake = asyncio.Event()

    def notify() -> None:
        loop.call_soon_threadsafe(wake.set)

    try:
        frames = service.subscribe(
            principal, session_id, notify, rate_hz=min(max(rate_hz, 0.5), 30.0), capacity=4
        )
        events = service.subscribe(principal, session_id, notify, events=True)
    except SimhubError as exc:
        await socket.close(code=4404 if "not found" in exc.message else 4409)
        return
    await socket.accept()
    controls = asyncio.create_task(_receive_controls(socket, service, principal, session_id))
    try:
        while True:
            # wake on a frame or event, or when the page goes away (the reader of its controls
            # ends): a created session that never starts sends nothing to notice that by
            waiter = asyncio.ensure_future(wake.wait())
            done, _ = await asyncio.wait({waiter, controls}, return_when=asyncio.FIRST_COMPLETED)
            if controls in done:
                waiter.cancel()
                break
            wake.clear()
            got, _, dropped = frames.drain()
            _, happened, _ = events.drain()
            for event in happened:
                await socket.send_json(event_message(event))
            if got:
                await socket.send_json(any_frame_message(got[-1], dropped))
            if frames.closed:
                await socket.send_json({"type": "closed"})
                break
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        controls.cancel()
        with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, RuntimeError):
            await controls
        service.unsubscribe(session_id, frames)
        service.unsubscribe(session_id, events)
        with contextlib.suppress(RuntimeError, WebSocketDisconnect):
            await socket.close()
