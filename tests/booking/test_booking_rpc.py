"""BookingService through a real gRPC server, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC

import grpc
import icalendar

from simhub._proto.simhub.v1 import booking_pb2 as pb
from tests.booking.conftest import Clock, at
from tests.booking.rpc_helpers import failure, field_violations, request, span, stub
from tests.conftest import RunningServer, Tokens, bearer


def test_request_approve_check_in_complete(
    server: RunningServer, tokens: Tokens, clock: Clock
) -> None:
    s = stub(server.channel)
    booked = s.RequestBooking(
        request("commercial", at(3, 9), at(3, 10), purpose="lane change study"),
        metadata=bearer(tokens.engineer),
    )
    assert booked.state == pb.BOOKING_STATE_REQUESTED
    # the truck mounts in 40 min and unmounts in 30: that is what it keeps from others
    assert booked.blocked_range.start.ToDatetime().hour == 8
    assert booked.blocked_range.start.ToDatetime().minute == 20
    approved = s.ApproveBooking(
        pb.ApproveBookingRequest(booking_id=booked.id), metadata=bearer(tokens.operator)
    )
    assert approved.state == pb.BOOKING_STATE_APPROVED
    early = failure(
        s.CheckIn, pb.CheckInRequest(booking_id=booked.id), metadata=bearer(tokens.engineer)
    )
    assert early.code() == grpc.StatusCode.FAILED_PRECONDITION
    clock.now = at(3, 8, 50)
    checked = s.CheckIn(pb.CheckInRequest(booking_id=booked.id), metadata=bearer(tokens.engineer))
    assert checked.state == pb.BOOKING_STATE_CHECKED_IN
    clock.now = at(3, 10, 1)
    swept = server_sweep(server)
    assert [b.id for b in swept.completed] == [booked.id]
    full = s.GetBooking(
        pb.GetBookingRequest(booking_id=booked.id), metadata=bearer(tokens.engineer)
    )
    assert [t.to_state for t in full.transitions] == [
        pb.BOOKING_STATE_REQUESTED,
        pb.BOOKING_STATE_APPROVED,
        pb.BOOKING_STATE_CHECKED_IN,
        pb.BOOKING_STATE_COMPLETED,
    ]
    assert full.transitions[1].by_user_id and not full.transitions[3].by_user_id


def server_sweep(server: RunningServer):  # type: ignore[no-untyped-def]
    return server.server._app.booking_service.sweep()


def test_rejection_lists_every_broken_rule(server: RunningServer, tokens: Tokens) -> None:
    s = stub(server.channel)
    s.RequestBooking(request("commercial", at(3, 9), at(3, 10)), metadata=bearer(tokens.engineer))
    error = failure(
        s.RequestBooking,
        request("passenger", at(3, 10, 5), at(3, 10, 20)),
        metadata=bearer(tokens.other_engineer),
    )
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    rules = {d.split(":")[0] for _, d in field_violations(error)}
    assert rules == {"granularity", "duration", "changeover"}
    taken = failure(
        s.RequestBooking,
        request("passenger", at(3, 9, 30), at(3, 10, 30)),
        metadata=bearer(tokens.other_engineer),
    )
    assert taken.code() == grpc.StatusCode.ABORTED
    assert {d.split(":")[0] for _, d in field_violations(taken)} == {"overlap"}
    # the rival sees no detail of whose booking it is
    assert "Acme" not in (taken.details() or "")


def test_find_slots_then_request_each(server: RunningServer, tokens: Tokens) -> None:
    s = stub(server.channel)
    s.RequestBooking(request("commercial", at(3, 9), at(3, 12)), metadata=bearer(tokens.engineer))
    found = s.FindSlots(
        pb.FindSlotsRequest(
            cabin_id="commercial",
            mode=pb.BOOKING_MODE_MOTION,
            duration_minutes=60,
            window=span(at(3, 6), at(3, 20)),
            max_results=3,
        ),
        metadata=bearer(tokens.other_engineer),
    )
    # fewest swaps first: next to the truck's own session no swap is added (the swap from the
    # mounted passenger cabin to the truck is needed anyway), then earliest
    assert [slot.added_changeover_minutes for slot in found.slots] == [0, 0, 0]
    assert [slot.time_range.start.ToDatetime().minute for slot in found.slots] == [0, 15, 30]
    first = found.slots[0]
    booked = s.RequestBooking(
        pb.RequestBookingRequest(
            cabin_id="commercial", mode=pb.BOOKING_MODE_MOTION, time_range=first.time_range
        ),
        metadata=bearer(tokens.other_engineer),
    )
    assert booked.state == pb.BOOKING_STATE_REQUESTED


def test_idempotent_request_id(server: RunningServer, tokens: Tokens) -> None:
    s = stub(server.channel)
    ask = request("passenger", at(3, 9), at(3, 10), request_id="req-1")
    first = s.RequestBooking(ask, metadata=bearer(tokens.engineer))
    again = s.RequestBooking(ask, metadata=bearer(tokens.engineer))
    assert again.id == first.id
    listed = s.ListBookings(pb.ListBookingsRequest(), metadata=bearer(tokens.engineer))
    assert [b.id for b in listed.bookings] == [first.id]
    reused = failure(
        s.RequestBooking,
        request("passenger", at(3, 11), at(3, 12), request_id="req-1"),
        metadata=bearer(tokens.engineer),
    )
    assert reused.code() == grpc.StatusCode.INVALID_ARGUMENT
    # request ids are per organisation: the rival's "req-1" is its own request
    rival = failure(s.RequestBooking, ask, metadata=bearer(tokens.other_engineer))
    assert rival.code() == grpc.StatusCode.ABORTED


def test_schedule_shows_others_as_busy_only(server: RunningServer, tokens: Tokens) -> None:
    s = stub(server.channel)
    mine = s.RequestBooking(
        request("commercial", at(3, 9), at(3, 10), purpose="secret"),
        metadata=bearer(tokens.engineer),
    )
    s.ApproveBooking(pb.ApproveBookingRequest(booking_id=mine.id), metadata=bearer(tokens.operator))
    theirs = s.GetSchedule(
        pb.GetScheduleRequest(date="2026-03-03"), metadata=bearer(tokens.other_engineer)
    )
    (entry,) = theirs.entries
    assert not entry.HasField("booking") and entry.cabin_id == ""
    assert entry.time_range.start.ToDatetime().hour == 9
    assert all(c.cabin_id == "" and c.booking_id == "" for c in theirs.changeovers)
    ours = s.GetSchedule(pb.GetScheduleRequest(date="2026-03-03"), metadata=bearer(tokens.engineer))
    assert ours.entries[0].booking.purpose == "secret"
    ops = s.GetSchedule(
        pb.GetScheduleRequest(date="2026-03-02", span=pb.SCHEDULE_SPAN_WEEK),
        metadata=bearer(tokens.operator),
    )
    kinds = [(c.kind, c.cabin_id) for c in ops.changeovers]
    assert kinds == [
        (pb.CHANGEOVER_STEP_KIND_UNMOUNT, "passenger"),
        (pb.CHANGEOVER_STEP_KIND_MOUNT, "commercial"),
    ]


def test_replies_kept_for_cached_answers_follow_writes_and_viewers(
    server: RunningServer, tokens: Tokens
) -> None:
    """Cached reads answer with a reply serialised once per cached answer and viewer: a
    write must show in the next reply, and one viewer's reply never goes to another."""
    s = stub(server.channel)
    engineer, other = bearer(tokens.engineer), bearer(tokens.other_engineer)
    # a planned motion booking the day before: the day's plan no longer depends on what the
    # facility has mounted now, so its schedule is cached
    before = s.RequestBooking(request("commercial", at(2, 12), at(2, 13)), metadata=engineer)
    s.ApproveBooking(
        pb.ApproveBookingRequest(booking_id=before.id), metadata=bearer(tokens.operator)
    )
    day = pb.GetScheduleRequest(date="2026-03-03")
    listing = pb.ListBookingsRequest(page_size=50)
    search = pb.FindSlotsRequest(
        cabin_id="passenger",
        mode=pb.BOOKING_MODE_MOTION,
        duration_minutes=60,
        window=span(at(3, 6), at(3, 20)),
        max_results=50,
    )

    def reads() -> tuple[object, ...]:
        return (
            s.GetSchedule(day, metadata=engineer),
            s.GetSchedule(day, metadata=other),
            s.ListBookings(listing, metadata=engineer),
            s.FindSlots(search, metadata=engineer),
        )

    first = reads()
    assert reads() == first  # answered from the kept replies
    mine = s.RequestBooking(
        request("passenger", at(3, 9), at(3, 10), purpose="secret"), metadata=engineer
    )
    ours, theirs, listed, slots = reads()
    assert [e.booking.purpose for e in ours.entries] == ["secret"]
    (entry,) = theirs.entries
    assert not entry.HasField("booking") and entry.time_range.start.ToDatetime().hour == 9
    assert [b.id for b in listed.bookings] == [before.id, mine.id]
    assert at(3, 9) not in [x.time_range.start.ToDatetime(tzinfo=UTC) for x in slots.slots]
    assert reads() == (ours, theirs, listed, slots)


def test_operator_policy_rpcs(server: RunningServer, tokens: Tokens) -> None:
    s = stub(server.channel)
    op = bearer(tokens.operator)
    hours = s.SetOpeningHours(
        pb.SetOpeningHoursRequest(
            opening_hours=[pb.OpeningHours(weekday=2, opens="08:00", closes="12:00")]
        ),
        metadata=op,
    )
    assert [(h.weekday, h.opens, h.closes) for h in hours.opening_hours] == [(2, "08:00", "12:00")]
    closed = failure(
        s.RequestBooking,
        request("passenger", at(3, 12), at(3, 13)),
        metadata=bearer(tokens.engineer),
    )
    assert "opening_hours" in field_violations(closed)[0][1]
    bad = failure(
        s.SetOpeningHours,
        pb.SetOpeningHoursRequest(
            opening_hours=[pb.OpeningHours(weekday=9, opens="8", closes="25:00")]
        ),
        metadata=op,
    )
    assert {f for f, _ in field_violations(bad)} == {
        "opening_hours[0].opens",
        "opening_hours[0].closes",
    }
    blackout = s.AddBlackout(
        pb.AddBlackoutRequest(time_range=span(at(3, 7), at(3, 11)), reason="actuator service"),
        metadata=op,
    )
    blocked = failure(
        s.RequestBooking, request("passenger", at(3, 8), at(3, 9)), metadata=bearer(tokens.engineer)
    )
    assert any("actuator service" in d for _, d in field_violations(blocked))
    s.RemoveBlackout(pb.RemoveBlackoutRequest(blackout_id=blackout.blackout.id), metadata=op)
    s.RequestBooking(request("passenger", at(3, 8), at(3, 9)), metadata=bearer(tokens.engineer))
    policy = s.GetBookingPolicy(pb.GetBookingPolicyRequest(), metadata=bearer(tokens.engineer))
    rules = policy.rules
    rules.granularity_minutes = 7
    invalid = failure(s.UpdateBookingRules, pb.UpdateBookingRulesRequest(rules=rules), metadata=op)
    assert invalid.code() == grpc.StatusCode.INVALID_ARGUMENT
    denied = failure(
        s.UpdateBookingRules,
        pb.UpdateBookingRulesRequest(rules=rules),
        metadata=bearer(tokens.engineer),
    )
    assert denied.code() == grpc.StatusCode.PERMISSION_DENIED


def test_quota(server: RunningServer, tokens: Tokens) -> None:
    s = stub(server.channel)
    mine = s.RequestBooking(
        request("passenger", at(3, 8), at(3, 10)), metadata=bearer(tokens.engineer)
    )
    org = mine.organisation_id
    s.SetQuota(
        pb.SetQuotaRequest(
            quota=pb.Quota(organisation_id=org, motion_hours_per_week=3, motion_hours_per_month=50)
        ),
        metadata=bearer(tokens.operator),
    )
    over = failure(
        s.RequestBooking,
        request("passenger", at(4, 8), at(4, 10)),
        metadata=bearer(tokens.engineer),
    )
    assert over.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    usage = s.GetQuotaUsage(
        pb.GetQuotaUsageRequest(at=mine.time_range.start), metadata=bearer(tokens.engineer)
    )
    assert usage.week_used_minutes == 120 and usage.quota.motion_hours_per_week == 3
    # fixed-base sessions do not use the motion quota
    s.RequestBooking(
        request("passenger", at(4, 12), at(4, 14), motion=False), metadata=bearer(tokens.engineer)
    )


def test_ical_export(server: RunningServer, tokens: Tokens) -> None:
    s = stub(server.channel)
    mine = s.RequestBooking(
        request("special", at(3, 9), at(3, 10), purpose="night run"),
        metadata=bearer(tokens.engineer),
    )
    s.RequestBooking(
        request("passenger", at(4, 9), at(4, 10)), metadata=bearer(tokens.other_engineer)
    )
    reply = s.ExportCalendar(pb.ExportCalendarRequest(), metadata=bearer(tokens.engineer))
    assert reply.content_type == "text/calendar" and "\r\n" in reply.ics
    calendar = icalendar.Calendar.from_ical(reply.ics)
    events = calendar.walk("VEVENT")
    assert [str(e["UID"]) for e in events] == [f"{mine.id}@simhub"]
    assert events[0].decoded("DTSTART") == at(3, 9)
    assert str(events[0]["STATUS"]) == "TENTATIVE" and "night run" in str(events[0]["DESCRIPTION"])
