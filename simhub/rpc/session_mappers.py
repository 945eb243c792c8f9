"""``SessionService`` requests to domain objects; responses via ``simhub.stream.codec`` (the
one codec of frames, events and sessions, shared with ZeroMQ and MCAP)."""

from __future__ import annotations

from collections import Counter

from simhub._proto.simhub.v1 import session_pb2 as pb
from simhub.errors import FieldViolation, InvalidArgument
from simhub.session.controls import Verdict
from simhub.session.model import SessionMode
from simhub.session.service import CreateRequest
from simhub.stream import codec
from simhub.stream.codec import control_input, event_message, frame_message, session_message

__all__ = [
    "control_input",
    "controls_response",
    "create_request",
    "event_message",
    "frame_message",
    "session_message",
]


def create_request(request: pb.CreateSessionRequest) -> CreateRequest:
    mode = codec.MODES_BACK.get(request.mode)
    if mode is None:
        allowed = ", ".join(f"SESSION_MODE_{m.name}" for m in SessionMode)
        raise InvalidArgument("mode is required", [FieldViolation("mode", f"one of {allowed}")])
    return CreateRequest(
        mode=mode,
        booking_id=request.booking_id,
        scenario_ref=request.scenario_ref,
        egos=tuple(codec.ego_binding(e) for e in request.egos),
        traffic=codec.traffic_config(request.traffic),
        physics_hz=request.physics_hz,
        frame_hz=request.frame_hz,
    )


def controls_response(counts: Counter[Verdict]) -> pb.SendControlsResponse:
    return pb.SendControlsResponse(
        accepted=counts[Verdict.ACCEPTED],
        rejected_nan=counts[Verdict.NAN],
        rejected_range=counts[Verdict.RANGE],
        rejected_stale=counts[Verdict.STALE],
        rejected_unbound=counts[Verdict.UNBOUND],
    )
