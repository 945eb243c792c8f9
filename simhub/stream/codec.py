"""The wire format of frames, events, sessions and control inputs (protobuf, session.proto).

ZeroMQ messages are two frames: ``[topic, payload]``. Topics are ``<session_id>.frame``,
``<session_id>.motion`` and ``<session_id>.event``, so a subscriber filters by session and kind
with ZeroMQ's prefix subscription. Payloads are ``TelemetryFrame`` (frame), a
``TelemetryFrame`` that carries only its sequence, times and ``motion`` (motion: what the
platform controller needs) and ``SessionEvent`` (event). This is the one place that
turns the session's domain objects into ``session_pb2`` messages and back; ``simhub.rpc`` and
``simhub.record`` use it too.
"""

from __future__ import annotations

from datetime import datetime

from google.protobuf.timestamp_pb2 import Timestamp

from simhub._proto.simhub.v1 import session_pb2 as pb
from simhub.motion import M_ACC, M_CLIPPED, M_NEUTRAL, M_POSE, M_TILT_PITCH, M_TILT_ROLL, M_VEL
from simhub.session.controls import VERDICTS, ControlInput, Verdict
from simhub.session.frame import EventKind, Frame, SessionEvent
from simhub.session.model import (
    BindingKind,
    EgoBinding,
    Session,
    SessionMode,
    SessionState,
    TrafficConfig,
)
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
    EntityKind,
)

FRAME = "frame"
MOTION = "motion"
EVENT = "event"

STATES = {s: getattr(pb, f"SESSION_STATE_{s.name}") for s in SessionState}
STATES_BACK = {v: k for k, v in STATES.items()}
MODES = {m: getattr(pb, f"SESSION_MODE_{m.name}") for m in SessionMode}
MODES_BACK = {v: k for k, v in MODES.items()}
BINDINGS = {b: getattr(pb, f"EGO_BINDING_KIND_{b.name}") for b in BindingKind}
BINDINGS_BACK = {v: k for k, v in BINDINGS.items()}
EVENTS = {k: getattr(pb, f"SESSION_EVENT_KIND_{k.name}") for k in EventKind}
EVENTS_BACK = {v: k for k, v in EVENTS.items()}
CONTROL_STATUS = (pb.CONTROL_STATUS_AWAITING, pb.CONTROL_STATUS_OK, pb.CONTROL_STATUS_LOST)
_ACCEPTED = VERDICTS.index(Verdict.ACCEPTED)


def topic(session_id: str, kind: str) -> bytes:
    return f"{session_id}.{kind}".encode()


def _motion(frame: Frame, into: pb.MotionState) -> None:
    m = frame.motion
    into.active = frame.motion_ego >= 0
    if frame.motion_ego >= 0:
        into.ego = frame.entities[frame.motion_ego].name
    into.surge, into.sway, into.heave = m[M_POSE], m[M_POSE + 1], m[M_POSE + 2]
    into.roll, into.pitch, into.yaw = m[M_POSE + 3], m[M_POSE + 4], m[M_POSE + 5]
    into.surge_velocity, into.sway_velocity, into.heave_velocity = m[M_VEL : M_VEL + 3]
    into.roll_rate, into.pitch_rate, into.yaw_rate = m[M_VEL + 3 : M_VEL + 6]
    into.surge_acceleration, into.sway_acceleration, into.heave_acceleration = m[M_ACC : M_ACC + 3]
    into.roll_acceleration, into.pitch_acceleration, into.yaw_acceleration = m[
        M_ACC + 3 : M_ACC + 6
    ]
    into.tilt_roll, into.tilt_pitch = m[M_TILT_ROLL], m[M_TILT_PITCH]
    into.clipped_axes = frame.motion_clipped | int(m[M_CLIPPED])
    into.neutral = bool(m[M_NEUTRAL])


def frame_message(frame: Frame) -> pb.TelemetryFrame:
    """A ``TelemetryFrame`` of *frame* (every entity, the motion state, the counters)."""
    counts = frame.control_counts
    message = pb.TelemetryFrame(
        session_id=frame.session_id,
        sequence=frame.sequence,
        tick=frame.tick,
        sim_time=frame.sim_time_s,
        published_unix_ns=frame.published_unix_ns,
        state=STATES[frame.state],
        deadline_misses=frame.deadline_misses,
        controls_accepted=int(counts[_ACCEPTED]),
        controls_rejected=int(counts.sum() - counts[_ACCEPTED]),
    )
    world = frame.world
    egos = frame.ego_status.shape[0]
    for i, info in enumerate(frame.entities):
        row = world[i]
        message.entities.add(
            name=info.name,
            ego=info.kind is EntityKind.EGO,
            x=row[F_X],
            y=row[F_Y],
            yaw=row[F_YAW],
            speed=row[F_SPEED],
            accel_long=row[F_ACCEL_LONG],
            accel_lat=row[F_ACCEL_LAT],
            yaw_rate=row[F_YAW_RATE],
            steering=row[F_STEERING],
            length=row[F_LENGTH],
            width=row[F_WIDTH],
            control_status=CONTROL_STATUS[int(frame.ego_status[i])] if i < egos else 0,
        )
    _motion(frame, message.motion)
    return message


def motion_message(frame: Frame) -> pb.TelemetryFrame:
    """The platform's message: sequence, time and ``motion`` only (no entities)."""
    message = pb.TelemetryFrame(
        session_id=frame.session_id,
        sequence=frame.sequence,
        tick=frame.tick,
        sim_time=frame.sim_time_s,
        published_unix_ns=frame.published_unix_ns,
        state=STATES[frame.state],
    )
    _motion(frame, message.motion)
    return message


def event_message(event: SessionEvent) -> pb.SessionEvent:
    return pb.SessionEvent(
        session_id=event.session_id,
        sequence=event.sequence,
        kind=EVENTS[event.kind],
        sim_time=event.sim_time_s,
        unix_ns=event.unix_ns,
        ego=event.ego,
        state=STATES[event.state] if event.state is not None else pb.SESSION_STATE_UNSPECIFIED,
        detail=event.detail,
    )


def session_event(message: pb.SessionEvent) -> SessionEvent:
    """The domain event of a decoded ``SessionEvent`` (inverse of ``event_message``)."""
    return SessionEvent(
        session_id=message.session_id,
        sequence=message.sequence,
        kind=EVENTS_BACK.get(message.kind, EventKind.WARNING),
        sim_time_s=message.sim_time,
        unix_ns=message.unix_ns,
        ego=message.ego,
        state=STATES_BACK.get(message.state),
        detail=message.detail,
    )


def _timestamp(value: datetime | None) -> Timestamp | None:
    if value is None:
        return None
    stamp = Timestamp()
    stamp.FromDatetime(value)
    return stamp


def ego_message(ego: EgoBinding) -> pb.EgoBinding:
    return pb.EgoBinding(
        name=ego.name,
        binding=BINDINGS[ego.binding],
        cabin_id=ego.cabin_id,
        bay_id=ego.bay_id,
        lane=ego.lane,
        start_x=ego.start_x_m,
        start_speed=ego.start_speed_m_s,
    )


def ego_binding(message: pb.EgoBinding) -> EgoBinding:
    return EgoBinding(
        name=message.name,
        binding=BINDINGS_BACK.get(message.binding, BindingKind.CLIENT),
        cabin_id=message.cabin_id or "passenger",
        bay_id=message.bay_id,
        lane=message.lane,
        start_x_m=message.start_x,
        start_speed_m_s=message.start_speed,
    )


def traffic_config(message: pb.TrafficSettings) -> TrafficConfig:
    default = TrafficConfig()
    return TrafficConfig(
        vehicles=message.vehicles,
        lanes=message.lanes or default.lanes,
        desired_speed_m_s=message.desired_speed or default.desired_speed_m_s,
    )


def session_message(session: Session) -> pb.Session:
    s = session.stats
    return pb.Session(
        id=session.id,
        organisation_id=session.organisation_id,
        created_by_user_id=session.created_by_user_id,
        mode=MODES[session.mode],
        state=STATES[session.state],
        booking_id=session.booking_id,
        cabin_id=session.cabin_id,
        bay_id=session.bay_id,
        scenario_ref=session.scenario_ref,
        egos=[ego_message(e) for e in session.egos],
        physics_hz=session.physics_hz,
        frame_hz=session.frame_hz,
        created_at=_timestamp(session.created_at),
        started_at=_timestamp(session.started_at),
        stopped_at=_timestamp(session.stopped_at),
        failure_reason=session.failure_reason,
        recording_path=session.recording_path,
        endpoints=session.endpoints,
        stats=pb.SessionStats(
            ticks=s.ticks,
            frames=s.frames,
            deadline_misses=s.deadline_misses,
            skipped_ticks=s.skipped_ticks,
            max_lateness_us=s.max_lateness_us,
            controls_accepted=s.controls_accepted,
            controls_rejected_nan=s.controls_rejected_nan,
            controls_rejected_range=s.controls_rejected_range,
            controls_rejected_stale=s.controls_rejected_stale,
            controls_rejected_unbound=s.controls_rejected_unbound,
            motion_clipped_frames=s.motion_clipped_frames,
        ),
        traffic=pb.TrafficSettings(
            vehicles=session.traffic.vehicles,
            lanes=session.traffic.lanes,
            desired_speed=session.traffic.desired_speed_m_s,
        ),
    )


def control_input(message: pb.ControlInput) -> ControlInput:
    return ControlInput(
        ego=message.ego,
        steering_wheel_rad=message.steering_wheel,
        throttle=message.throttle,
        brake=message.brake,
        gear=message.gear,
        indicator=message.indicator,
        sequence=message.sequence,
        sent_at_unix_ns=message.sent_unix_ns,
    )


def control_message(control: ControlInput, session_id: str = "") -> pb.ControlInput:
    return pb.ControlInput(
        session_id=session_id,
        ego=control.ego,
        steering_wheel=control.steering_wheel_rad,
        throttle=control.throttle,
        brake=control.brake,
        gear=control.gear,
        indicator=control.indicator,
        sequence=control.sequence,
        sent_unix_ns=control.sent_at_unix_ns,
    )
