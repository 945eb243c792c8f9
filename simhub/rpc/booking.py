"""``simhub.v1.BookingService``: maps requests to ``BookingService`` calls and back.

The reads that the service caches (ListBookings, FindSlots, GetSchedule) are first tried on
the event loop: a cached answer costs one read of the change counters (``cached_*``), less
than handing the call to a worker thread and back. Anything else runs on the thread pool.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import grpc

from simhub._proto.simhub.v1 import booking_pb2 as pb
from simhub._proto.simhub.v1 import booking_pb2_grpc
from simhub.booking.model import Booking
from simhub.booking.planner import SlotQuery
from simhub.booking.rules import zone
from simhub.booking.service import BookingFilter, BookingService, BookingSpec, Clock
from simhub.errors import FieldViolation, InvalidArgument
from simhub.rpc import booking_mappers as m
from simhub.rpc import paging
from simhub.rpc.auth import current_principal
from simhub.rpc.blocking import Blocking
from simhub.rpc.mappers import from_timestamp

DEFAULT_SLOTS = 10
LISTING_REPLIES = 1024


class BookingServicer(booking_pb2_grpc.BookingServiceServicer):
    def __init__(self, service: BookingService, blocking: Blocking, clock: Clock) -> None:
        self._service = service
        self._blocking = blocking
        self._clock = clock
        # replies to cached listings (a reply depends on the rows and the page only; it is
        # only ever serialised, never changed): building one copies every booking message
        self._listing_replies: dict[int, tuple[Sequence[Booking], pb.ListBookingsResponse]] = {}

    async def RequestBooking(
        self, request: pb.RequestBookingRequest, context: grpc.aio.ServicerContext
    ) -> pb.Booking:
        start, end = m.required_range(request.time_range, "time_range")
        spec = BookingSpec(
            cabin_id=request.cabin_id,
            mode=m.mode_from(request.mode),
            start=start,
            end=end,
            purpose=request.purpose,
            scenario_ids=tuple(request.scenario_ids),
            request_id=request.request_id,
            join_waitlist=request.join_waitlist,
        )
        booking = await self._blocking.run(self._service.request, current_principal(), spec)
        return m.booking(booking)

    async def GetBooking(
        self, request: pb.GetBookingRequest, context: grpc.aio.ServicerContext
    ) -> pb.Booking:
        found = await self._blocking.run(self._service.get, current_principal(), request.booking_id)
        return m.detail(found)

    async def ListBookings(
        self, request: pb.ListBookingsRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListBookingsResponse:
        size = paging.page_size(request.page_size)
        offset = paging.decode(request.page_token, "bookings")
        start, end = m.optional_range(request.time_range, request.HasField("time_range"))
        where = BookingFilter(
            organisation_id=request.organisation_id or None,
            states=frozenset(m.state_from(s) for s in request.states),
            cabin_id=request.cabin_id or None,
            start=start,
            end=end,
        )
        principal = current_principal()
        cached = self._service.cached_list_bookings(principal, where, size, offset)
        if cached:  # the reply built for this very cached answer, if any (not for the
            # empty tuple: one object for every empty answer, whatever its page)
            reply = self._listing_replies.get(id(cached))
            if reply is not None and reply[0] is cached:
                return reply[1]
        rows: Sequence[Booking]
        if cached is not None:
            rows = cached
        else:
            rows = await self._blocking.run(
                self._service.list_bookings, principal, where, size, offset
            )
        response = pb.ListBookingsResponse(
            bookings=m.bookings(rows),
            next_page_token=paging.next_token(offset, size, len(rows), "bookings"),
        )
        if cached:
            if len(self._listing_replies) >= LISTING_REPLIES:
                self._listing_replies.clear()
            self._listing_replies[id(cached)] = (cached, response)  # holds it: the id stays
        return response

    async def CancelBooking(
        self, request: pb.CancelBookingRequest, context: grpc.aio.ServicerContext
    ) -> pb.Booking:
        booking = await self._blocking.run(
            self._service.cancel, current_principal(), request.booking_id, request.reason
        )
        return m.booking(booking)

    async def ApproveBooking(
        self, request: pb.ApproveBookingRequest, context: grpc.aio.ServicerContext
    ) -> pb.Booking:
        booking = await self._blocking.run(
            self._service.approve, current_principal(), request.booking_id, request.reason
        )
        return m.booking(booking)

    async def RejectBooking(
        self, request: pb.RejectBookingRequest, context: grpc.aio.ServicerContext
    ) -> pb.Booking:
        booking = await self._blocking.run(
            self._service.reject, current_principal(), request.booking_id, request.reason
        )
        return m.booking(booking)

    async def CheckIn(
        self, request: pb.CheckInRequest, context: grpc.aio.ServicerContext
    ) -> pb.Booking:
        booking = await self._blocking.run(
            self._service.check_in, current_principal(), request.booking_id
        )
        return m.booking(booking)

    async def FindSlots(
        self, request: pb.FindSlotsRequest, context: grpc.aio.ServicerContext
    ) -> pb.FindSlotsResponse:
        start, end = m.required_range(request.window, "window")
        principal = current_principal()
        query = SlotQuery(
            organisation_id=principal.organisation_id,
            cabin_id=request.cabin_id,
            mode=m.mode_from(request.mode),
            duration_minutes=request.duration_minutes,
            window_start=start,
            window_end=end,
            max_results=request.max_results or DEFAULT_SLOTS,
            order=m.slot_order(request.order),
        )
        slots = self._service.cached_find_slots(principal, query)
        if slots is None:
            slots = await self._blocking.run(self._service.find_slots, principal, query)
        return pb.FindSlotsResponse(slots=[m.slot(s) for s in slots])

    async def GetSchedule(
        self, request: pb.GetScheduleRequest, context: grpc.aio.ServicerContext
    ) -> pb.Schedule:
        if request.date:
            try:
                day = date.fromisoformat(request.date)
            except ValueError:
                raise InvalidArgument(
                    f"date {request.date!r} is not a calendar date",
                    [FieldViolation("date", "allowed: YYYY-MM-DD, or empty for today")],
                ) from None
        else:
            day = self._clock().astimezone(zone(self._service.facility.time_zone)).date()
        days = 7 if request.span == pb.SCHEDULE_SPAN_WEEK else 1
        principal = current_principal()
        schedule = self._service.cached_schedule(principal, day, days)
        if schedule is None:
            schedule = await self._blocking.run(self._service.schedule, principal, day, days)
        return m.schedule(schedule)

    async def ExportCalendar(
        self, request: pb.ExportCalendarRequest, context: grpc.aio.ServicerContext
    ) -> pb.ExportCalendarResponse:
        start, end = m.optional_range(request.time_range, request.HasField("time_range"))
        ics = await self._blocking.run(
            self._service.export_ical, current_principal(), start, end, request.organisation_id
        )
        return pb.ExportCalendarResponse(content_type="text/calendar", ics=ics)

    async def GetBookingPolicy(
        self, request: pb.GetBookingPolicyRequest, context: grpc.aio.ServicerContext
    ) -> pb.BookingPolicy:
        policy = await self._blocking.run(self._service.policy, current_principal())
        return m.policy(policy)

    async def UpdateBookingRules(
        self, request: pb.UpdateBookingRulesRequest, context: grpc.aio.ServicerContext
    ) -> pb.BookingPolicy:
        policy = await self._blocking.run(
            self._service.update_rules, current_principal(), m.rules_from(request.rules)
        )
        return m.policy(policy)

    async def SetOpeningHours(
        self, request: pb.SetOpeningHoursRequest, context: grpc.aio.ServicerContext
    ) -> pb.BookingPolicy:
        hours = m.opening_hours_from(list(request.opening_hours))
        policy = await self._blocking.run(
            self._service.set_opening_hours, current_principal(), hours
        )
        return m.policy(policy)

    async def AddBlackout(
        self, request: pb.AddBlackoutRequest, context: grpc.aio.ServicerContext
    ) -> pb.AddBlackoutResponse:
        start, end = m.required_range(request.time_range, "time_range")
        blackout, affected = await self._blocking.run(
            self._service.add_blackout,
            current_principal(),
            start,
            end,
            request.reason,
            request.cabin_id or None,
        )
        return pb.AddBlackoutResponse(
            blackout=m.blackout(blackout), affected_booking_ids=[b.id for b in affected]
        )

    async def RemoveBlackout(
        self, request: pb.RemoveBlackoutRequest, context: grpc.aio.ServicerContext
    ) -> pb.RemoveBlackoutResponse:
        await self._blocking.run(
            self._service.remove_blackout, current_principal(), request.blackout_id
        )
        return pb.RemoveBlackoutResponse()

    async def SetQuota(
        self, request: pb.SetQuotaRequest, context: grpc.aio.ServicerContext
    ) -> pb.Quota:
        quota = await self._blocking.run(
            self._service.set_quota, current_principal(), m.quota_from(request.quota)
        )
        return m.quota(quota)

    async def GetQuotaUsage(
        self, request: pb.GetQuotaUsageRequest, context: grpc.aio.ServicerContext
    ) -> pb.QuotaUsage:
        at = from_timestamp(request.at) if request.HasField("at") else None
        usage = await self._blocking.run(
            self._service.quota_usage, current_principal(), request.organisation_id, at
        )
        return m.quota_usage(usage)
