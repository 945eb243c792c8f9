"""Small helpers for calling BookingService over a real channel."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from simhub._proto.simhub.v1 import booking_pb2 as pb
from simhub._proto.simhub.v1 import booking_pb2_grpc, common_pb2
from simhub.rpc.mappers import timestamp


def stub(channel: grpc.Channel) -> booking_pb2_grpc.BookingServiceStub:
    return booking_pb2_grpc.BookingServiceStub(channel)


def span(start: datetime, end: datetime) -> common_pb2.TimeRange:
    return common_pb2.TimeRange(start=timestamp(start), end=timestamp(end))


def request(
    cabin: str, start: datetime, end: datetime, motion: bool = True, **extra: Any
) -> pb.RequestBookingRequest:
    mode = pb.BOOKING_MODE_MOTION if motion else pb.BOOKING_MODE_FIXED_BASE
    return pb.RequestBookingRequest(cabin_id=cabin, mode=mode, time_range=span(start, end), **extra)


def failure(call: Any, *args: Any, **kwargs: Any) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as info:
        call(*args, **kwargs)
    return info.value


def field_violations(error: grpc.RpcError) -> list[tuple[str, str]]:
    status = rpc_status.from_call(error)  # type: ignore[arg-type]
    assert status is not None
    found = []
    for detail in status.details:
        if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            detail.Unpack(bad)
            found += [(v.field, v.description) for v in bad.field_violations]
    return found
