"""``simhub.v1.BookingService``: maps requests to ``BookingService`` calls and back.

The reads that the service caches (ListBookings, FindSlots, GetSchedule) are first tried on
the event loop: a cached answer costs one read of the change counters (``cached_*``), less
than handing the call to a worker thread and back. Anything else runs on the thread pool.
A cached answer is the same object while it stands, so its reply is serialised once and kept
by that object's identity (``Replies``); such a handler returns the bytes, which the auth
wrapper sends as they are.

Where the database is an SQLite file (``reads_inline``), a read the cache misses runs on the
event loop too: its queries never wait (WAL readers take no lock) and its Python work holds
the GIL wherever it runs, so the thread hop only added its own cost (~8% of the server's CPU
per call under the benchmark mix). A PostgreSQL read waits on the network: it stays on the
thread pool. Writes always go to the pool (they may wait for the write lock); RequestBooking's
early read (``read_request``) runs as a read, so a request the rules refuse never takes a
worker thread.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import ParamSpec, TypeVar

import grpc

from simhub._proto.simhub.v1 import booking_pb2 as pb
from simhub._proto.simhub.v1 import booking_pb2_grpc
from simhub.booking.model import Booking
from simhub.booking.planner import Slot, SlotQuery
from simhub.booking.rules import zone
from simhub.booking.service import BookingFilter, BookingService, BookingSpec, Clock
from simhub.errors import FieldViolation, InvalidArgument
from simhub.rpc import booking_mappers as m
from simhub.rpc import paging
from simhub.rpc.auth import current_principal
from simhub.rpc.blocking import Blocking
from simhub.rpc.mappers import from_timestamp

P = ParamSpec("P")
R = TypeVar("R")

DEFAULT_SLOTS = 10
#: Serialised replies kept per read (one per cached answer and viewer: small).
REPLIES = 1024


class Replies:
    """Serialised replies to cached answers, by the answer's identity. An entry holds its
    answer, so the id cannot be reused while it is kept; a reply is only ever read, never
    changed. Empty answers are not kept: one shared object stands for every empty tuple."""

    def __init__(self, max_entries: int = REPLIES) -> None:
        self._max_entries = max_entries
        self._by_answer: dict[int, tuple[object, bytes]] = {}

    def get(self, answer: object) -> bytes | None:
        hit = self._by_answer.get(id(answer))
        return hit[1] if hit is not None and hit[0] is answer else None

    def put(self, answer: object, reply: bytes) -> bytes:
        if answer != ():
            if len(self._by_answer) >= self._max_entries:
                self._by_answer.clear()
            self._by_answer[id(answer)] = (answer, reply)
        return reply


class BookingServicer(booking_pb2_grpc.BookingServiceServicer):
    def __init__(
        self, service: BookingService, blocking: Blocking, clock: Clock, reads_inline: bool = False
    ) -> None:
        self._service = service
        self._blocking = blocking
        self._clock = clock
        self._reads_inline = reads_inline
        # a reply depends on the cached answer alone (a listing's answer is held per filter
        # and page, a schedule's per viewer): building one copies every booking message
        self._listings = Replies()
        self._slots = Replies()
        self._schedules = Replies()

    async def _read(self, fn: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        """*fn* (a read the cache missed) here on the event loop, or on the pool (module doc)."""
        if self._reads_inline:
            return fn(*args, **kwargs)
        return await self._blocking.run(fn, *args, **kwargs)

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
        principal = current_principal()
        read = self._service.read_request(principal, spec) if self._reads_inline else None
        booking = await self._blocking.run(self._service.request, principal, spec, read)
        return m.booking(booking)

    async def GetBooking(
        self, request: pb.GetBookingRequest, context: grpc.aio.ServicerContext
    ) -> pb.Booking:
        found = await self._blocking.run(self._service.get, current_principal(), request.booking_id)
        return m.detail(found)

    async def ListBookings(
        self, request: pb.ListBookingsRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListBookingsResponse | bytes:
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
        if cached is not None:
            return self._listings.get(cached) or self._listings.put(
                cached, _listing(cached, offset, size).SerializeToString()
            )
        rows = await self._read(self._service.list_bookings, principal, where, size, offset)
        return _listing(rows, offset, size)

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
    ) -> pb.FindSlotsResponse | bytes:
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
        cached = self._service.cached_find_slots(principal, query)
        if cached is not None:
            return self._slots.get(cached) or self._slots.put(
                cached, _slots(cached).SerializeToString()
            )
        return _slots(await self._read(self._service.find_slots, principal, query))

    async def GetSchedule(
        self, request: pb.GetScheduleRequest, context: grpc.aio.ServicerContext
    ) -> pb.Schedule | bytes:
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
        cached = self._service.cached_schedule(principal, day, days)
        if cached is not None:
            return self._schedules.get(cached) or self._schedules.put(
                cached, m.schedule(cached).SerializeToString()
            )
        return m.schedule(await self._read(self._service.schedule, principal, day, days))

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


def _listing(rows: Sequence[Booking], offset: int, size: int) -> pb.ListBookingsResponse:
    return pb.ListBookingsResponse(
        bookings=m.bookings(rows),
        next_page_token=paging.next_token(offset, size, len(rows), "bookings"),
    )


def _slots(slots: Sequence[Slot]) -> pb.FindSlotsResponse:
    return pb.FindSlotsResponse(slots=[m.slot(s) for s in slots])
