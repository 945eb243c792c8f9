"""Every BookingService RPC with another organisation's ids: NOT_FOUND, never a leak."""

from __future__ import annotations

import grpc

from simhub._proto.simhub.v1 import booking_pb2 as pb
from tests.booking.conftest import at
from tests.booking.rpc_helpers import failure, request, span, stub
from tests.conftest import RunningServer, Tokens, bearer


def test_other_organisations_ids_are_not_found(server: RunningServer, tokens: Tokens) -> None:
    s = stub(server.channel)
    rival = bearer(tokens.other_engineer)
    theirs = s.RequestBooking(
        request("passenger", at(3, 9), at(3, 10), purpose="confidential", request_id="r1"),
        metadata=bearer(tokens.engineer),
    )
    acme = theirs.organisation_id
    for call, message in [
        (s.GetBooking, pb.GetBookingRequest(booking_id=theirs.id)),
        (s.CancelBooking, pb.CancelBookingRequest(booking_id=theirs.id)),
        (s.CheckIn, pb.CheckInRequest(booking_id=theirs.id)),
        (s.ListBookings, pb.ListBookingsRequest(organisation_id=acme)),
        (s.ExportCalendar, pb.ExportCalendarRequest(organisation_id=acme)),
        (s.GetQuotaUsage, pb.GetQuotaUsageRequest(organisation_id=acme)),
    ]:
        error = failure(call, message, metadata=rival)
        assert error.code() == grpc.StatusCode.NOT_FOUND, call
        assert "confidential" not in (error.details() or "")
    # operator-only RPCs: refused by role before any id is looked at
    for call, message in [
        (s.ApproveBooking, pb.ApproveBookingRequest(booking_id=theirs.id)),
        (s.RejectBooking, pb.RejectBookingRequest(booking_id=theirs.id, reason="x")),
        (s.SetQuota, pb.SetQuotaRequest(quota=pb.Quota(organisation_id=acme))),
        (s.AddBlackout, pb.AddBlackoutRequest(time_range=span(at(3, 9), at(3, 10)))),
        (s.RemoveBlackout, pb.RemoveBlackoutRequest(blackout_id="blk_x")),
        (s.SetOpeningHours, pb.SetOpeningHoursRequest()),
        (s.UpdateBookingRules, pb.UpdateBookingRulesRequest()),
    ]:
        assert failure(call, message, metadata=rival).code() == grpc.StatusCode.PERMISSION_DENIED
    # lists, schedules, calendars and slot searches show nothing of Acme's beyond busy/free
    assert not s.ListBookings(pb.ListBookingsRequest(), metadata=rival).bookings
    assert "BEGIN:VEVENT" not in s.ExportCalendar(pb.ExportCalendarRequest(), metadata=rival).ics
    day = s.GetSchedule(pb.GetScheduleRequest(date="2026-03-03"), metadata=rival)
    assert [e.HasField("booking") for e in day.entries] == [False]
    policy = s.GetBookingPolicy(pb.GetBookingPolicyRequest(), metadata=rival)
    assert all(q.organisation_id != acme for q in policy.quotas)
    # the same request_id in another organisation is another request, not Acme's booking
    own = s.RequestBooking(
        request("passenger", at(3, 12), at(3, 13), request_id="r1"), metadata=rival
    )
    assert own.id != theirs.id
    # and it is still there, untouched
    mine = s.GetBooking(
        pb.GetBookingRequest(booking_id=theirs.id), metadata=bearer(tokens.engineer)
    )
    assert mine.state == pb.BOOKING_STATE_REQUESTED


def test_viewer_reads_but_cannot_book(server: RunningServer, tokens: Tokens) -> None:
    s = stub(server.channel)
    booked = s.RequestBooking(
        request("passenger", at(3, 9), at(3, 10)), metadata=bearer(tokens.engineer)
    )
    viewer = bearer(tokens.viewer)
    assert s.GetBooking(pb.GetBookingRequest(booking_id=booked.id), metadata=viewer).id == booked.id
    denied = failure(s.RequestBooking, request("passenger", at(3, 11), at(3, 12)), metadata=viewer)
    assert denied.code() == grpc.StatusCode.PERMISSION_DENIED
    denied = failure(
        s.CancelBooking, pb.CancelBookingRequest(booking_id=booked.id), metadata=viewer
    )
    assert denied.code() == grpc.StatusCode.PERMISSION_DENIED


def test_operator_sees_and_decides_for_everyone(server: RunningServer, tokens: Tokens) -> None:
    s = stub(server.channel)
    booked = s.RequestBooking(
        request("passenger", at(3, 9), at(3, 10)), metadata=bearer(tokens.other_engineer)
    )
    op = bearer(tokens.operator)
    assert [b.id for b in s.ListBookings(pb.ListBookingsRequest(), metadata=op).bookings] == [
        booked.id
    ]
    no_reason = failure(s.RejectBooking, pb.RejectBookingRequest(booking_id=booked.id), metadata=op)
    assert no_reason.code() == grpc.StatusCode.INVALID_ARGUMENT
    rejected = s.RejectBooking(
        pb.RejectBookingRequest(booking_id=booked.id, reason="platform reserved for calibration"),
        metadata=op,
    )
    assert rejected.state == pb.BOOKING_STATE_REJECTED
    again = failure(s.ApproveBooking, pb.ApproveBookingRequest(booking_id=booked.id), metadata=op)
    assert again.code() == grpc.StatusCode.FAILED_PRECONDITION
