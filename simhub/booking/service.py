"""Booking use cases over the ``BookingStore`` port.

Every write runs in one storage transaction and re-checks the rules inside it, after locking
the requesting organisation (its quota and its request ids): on SQLite the transaction holds
the database's write lock from its first statement (``BEGIN IMMEDIATE``); on PostgreSQL the
exclusion constraints of migration 0002 refuse whatever a concurrent writer slipped in, and the
store turns that into ``SlotUnavailable``.

A request that the rules refuse is refused by a read before any write lock is taken
(``_refuse_early``); a request that passes it is checked again inside the write transaction,
which alone decides.

No-shows, completions, waitlist expiry and promotion are applied by ``sweep``: lazily at the
start of every write (committed first where the write itself may then be refused; one indexed
query says whether anything is due, so a write pays for a sweep only when there is work), and
every thirty seconds by the server's background task, so a read may show an overdue booking as
``approved`` until the next sweep (at most one interval).

Reads never serve stale data, yet mostly skip the database: every write transaction bumps the
store's change counters (bookings, policy) before it commits, whichever process makes it, and
logs the bookings it wrote; a read takes the counters first (one row). The policy is reused
while the policy counter stands; FindSlots, GetSchedule and ListBookings results until a
logged change meets what they read (``cache``: the bookings near a search window or day and
between it and its platform neighbours, the organisation's quota margin, its listing pages
that the booking sorts into). Cached are the results before the caller's visibility is
applied; tenancy is decided per call. The results that depend on the facility's mounted cabin
(a day with no planned motion booking before it) are not cached. Writes always check against
the policy as of their own transaction (the one whose counter they read inside it). Reads also
keep an organisation's motion minutes per quota window (dropped by any logged change of its
motion bookings in those windows); writes sum them in their own transaction.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Protocol

from simhub.booking import ical
from simhub.booking.cache import (
    Change,
    Generation,
    GenerationCache,
    QuotaMargin,
    Reads,
    Span,
)
from simhub.booking.model import (
    HOLDING,
    OPEN,
    Blackout,
    Booking,
    BookingMode,
    BookingRules,
    BookingState,
    OpeningInterval,
    Policy,
    Quota,
    Transition,
    may_transition,
)
from simhub.booking.nearby import Nearby, Reader
from simhub.booking.planner import (
    ChangeoverStep,
    Slot,
    SlotQuery,
    ceil_to_grid,
    find_slots,
    mounted_before,
    plan_range,
)
from simhub.booking.rules import (
    AVAILABILITY_RULES,
    MINUTE,
    REQUEST_RULES,
    Proposal,
    RuleContext,
    RuleViolation,
    blocked_period,
    check,
    local_midnight,
    local_text,
    month_window,
    quota_spare_minutes,
    quota_windows,
    validate_opening_hours,
    validate_rules,
    week_window,
    zone,
)
from simhub.errors import (
    Conflict,
    FailedPrecondition,
    FieldViolation,
    InvalidArgument,
    NotFound,
    PreconditionViolation,
    QuotaExceeded,
    QuotaViolation,
)
from simhub.facility.model import CabinSpec, Facility
from simhub.identity.model import Principal, Role
from simhub.identity.service import require_role
from simhub.identity.tokens import new_id

Clock = Callable[[], datetime]
MAX_SEARCH_DAYS = 31
MAX_SLOTS = 50
#: Schedules shown from cached answers, kept per viewer (see ``cached_schedule``).
SHOWN_SCHEDULES = 1024
#: Listing filters narrowed to an organisation, kept (see ``_own``).
OWN_FILTERS_KEPT = 1024


class SlotUnavailable(Conflict):
    """The slot is taken (by a booking stored first, or a concurrent one): every reason is a
    field violation; the caller can look for a free slot with FindSlots and retry."""

    def __init__(self, message: str, violations: Sequence[FieldViolation] = ()) -> None:
        super().__init__(message)
        self.violations: tuple[FieldViolation, ...] = tuple(violations)


@dataclass(frozen=True)
class BookingFilter:
    organisation_id: str | None = None  # None: every organisation (operators only)
    states: frozenset[BookingState] = frozenset()  # empty: any
    cabin_id: str | None = None
    start: datetime | None = None  # bookings ending after this
    end: datetime | None = None  # bookings starting before this


class BookingTransaction(Protocol):
    """One storage transaction over bookings and the booking policy."""

    def generation(self) -> Generation | None: ...
    def load_policy(self, time_zone: str) -> Policy: ...
    def save_rules(self, rules: BookingRules) -> None: ...
    def save_opening_hours(self, hours: Sequence[OpeningInterval]) -> None: ...
    def add_blackout(self, blackout: Blackout) -> None: ...
    def remove_blackout(self, blackout_id: str) -> bool: ...
    def save_quota(self, quota: Quota) -> None: ...
    def organisation_exists(self, organisation_id: str) -> bool: ...
    def lock_organisation(self, organisation_id: str) -> None: ...
    def sweep_due(self, no_show_started_before: datetime, ended_before: datetime) -> bool: ...
    def get(self, booking_id: str) -> Booking | None: ...
    def by_request_id(self, organisation_id: str, request_id: str) -> Booking | None: ...
    def holding_between(self, start: datetime, end: datetime) -> list[Booking]: ...
    def motion_minutes_of(
        self, organisation_id: str, windows: Sequence[tuple[datetime, datetime]]
    ) -> dict[tuple[datetime, datetime], int]: ...
    def motion_neighbours(self, start: datetime, end: datetime) -> list[Booking]: ...
    def last_planned_motion_before(self, at: datetime) -> Booking | None: ...
    def add(self, booking: Booking, transition: Transition) -> None: ...
    def change(self, booking: Booking, expected: BookingState, transition: Transition) -> bool: ...
    def try_promote(self, booking: Booking, transition: Transition) -> bool: ...
    def waitlisted_meeting(self, start: datetime, end: datetime) -> list[Booking]: ...
    def approved_motion_started_before(self, at: datetime) -> list[Booking]: ...
    def checked_in_ended_before(self, at: datetime) -> list[Booking]: ...
    def overdue_waitlist(self, ended_before: datetime) -> list[Booking]: ...
    def list_bookings(self, where: BookingFilter, limit: int, offset: int) -> list[Booking]: ...
    def transitions(self, booking_id: str) -> list[Transition]: ...


class BookingStore(Protocol):
    """Port: where bookings live (``simhub.storage.booking_repo`` implements it)."""

    def generation(self) -> Generation | None:
        """The change counters as committed now (see ``cache``); None: not kept."""
        ...

    def changes(self, after: int, upto: int) -> Sequence[Change] | None:
        """The bookings written under bookings counters in (after, upto]; None: unknown."""
        ...

    def read(self) -> AbstractContextManager[BookingTransaction]: ...
    def write(self) -> AbstractContextManager[BookingTransaction]: ...


@dataclass(frozen=True)
class BookingSpec:
    """What a caller asks for in ``RequestBooking``."""

    cabin_id: str
    mode: BookingMode
    start: datetime
    end: datetime
    purpose: str = ""
    scenario_ids: tuple[str, ...] = ()
    request_id: str = ""  # same id, same organisation: the same booking back, never a second
    join_waitlist: bool = False  # slot taken: wait for it instead of failing


@dataclass(frozen=True)
class RequestRead:
    """``BookingService.read_request``'s answer, for ``request``: the caller and spec, the
    cabin, the time the request is judged at, and the change counters and rule context the
    early read saw (None where it read none)."""

    principal: Principal
    spec: BookingSpec
    cabin: CabinSpec
    now: datetime
    early: tuple[Generation | None, RuleContext] | None


@dataclass(frozen=True)
class BookingDetail:
    booking: Booking
    transitions: tuple[Transition, ...]


@dataclass(frozen=True)
class ScheduleEntry:
    """One slot-holding booking; ``booking`` is None when the caller may only see busy/free."""

    booking: Booking | None
    mode: BookingMode
    cabin_id: str  # for another organisation's motion booking: "" (only the platform is busy)
    start: datetime
    end: datetime
    blocked_start: datetime
    blocked_end: datetime


@dataclass(frozen=True)
class Schedule:
    start: datetime
    end: datetime
    time_zone: str
    entries: tuple[ScheduleEntry, ...]
    changeovers: tuple[ChangeoverStep, ...]  # cabin/booking blanked where not the caller's
    blackouts: tuple[Blackout, ...]


@dataclass(frozen=True)
class QuotaUsage:
    quota: Quota
    week_start: datetime
    week_end: datetime
    week_used_minutes: int
    month_start: datetime
    month_end: datetime
    month_used_minutes: int


@dataclass(frozen=True)
class SweepResult:
    no_shows: list[Booking] = field(default_factory=list)
    completed: list[Booking] = field(default_factory=list)
    expired: list[Booking] = field(default_factory=list)
    promoted: list[Booking] = field(default_factory=list)


def _not_found(booking_id: str) -> NotFound:
    return NotFound(f"no booking with id {booking_id!r} in your organisation")


class BookingService:
    def __init__(
        self,
        facility: Facility,
        store: BookingStore,
        clock: Clock,
        mounted_cabin: Callable[[], str | None] = lambda: None,
    ) -> None:
        self.facility = facility
        self._store = store
        self._clock = clock
        self._mounted_cabin = mounted_cabin
        self.cabins: dict[str, CabinSpec] = {c.id: c for c in facility.cabins}
        self._max_mount = max((c.mount_minutes for c in facility.cabins), default=0) * MINUTE
        self._max_unmount = max((c.unmount_minutes for c in facility.cabins), default=0) * MINUTE
        self._policy_lock = threading.Lock()
        self._cached_policy: tuple[int, Policy] | None = None  # (policy counter, policy)
        self._slots: GenerationCache[tuple[Slot, ...]] = GenerationCache(store.changes)
        self._schedules: GenerationCache[tuple[tuple[Booking, ...], tuple[ChangeoverStep, ...]]]
        self._schedules = GenerationCache(store.changes)
        self._listings: GenerationCache[tuple[Booking, ...]] = GenerationCache(store.changes)
        # (organisation, quota windows) -> its motion minutes in each (reads only, see _context)
        self._motion_used: GenerationCache[Mapping[tuple[datetime, datetime], int]]
        self._motion_used = GenerationCache(store.changes)
        self._nearby = Nearby(store.changes)  # the bookings near a read's period, by block
        # (cached answer's id, viewer) -> (that answer, the policy, the schedule shown)
        self._shown_schedules: dict[tuple[int, str | None], tuple[object, Policy, Schedule]] = {}

    @property
    def longest_changeover_minutes(self) -> int:
        return int((self._max_mount + self._max_unmount).total_seconds() // 60)

    # -- helpers -----------------------------------------------------------------------------

    def _cached_policy_of(self, generation: Generation | None) -> Policy | None:
        cached = self._cached_policy
        if generation is not None and cached is not None and cached[0] == generation[1]:
            return cached[1]
        return None

    def _read_policy(self, tx: BookingTransaction, generation: Generation | None) -> Policy:
        """The policy for a read, reused while the policy counter stands (see the module doc).
        *generation* was read before *tx*'s reads, or inside *tx*."""
        cached = self._cached_policy_of(generation)
        if cached is not None:
            return cached
        policy = tx.load_policy(self.facility.time_zone)
        if generation is not None:
            with self._policy_lock:
                if self._cached_policy is None or self._cached_policy[0] < generation[1]:
                    self._cached_policy = (generation[1], policy)
        return policy

    def _policy_changed(self) -> None:
        """Drop the policy at once (the counters would, on the next read, anyway)."""
        with self._policy_lock:
            self._cached_policy = None

    def _cabin(self, cabin_id: str, field_name: str = "cabin_id") -> CabinSpec:
        cabin = self.cabins.get(cabin_id)
        if cabin is None:
            known = ", ".join(sorted(self.cabins))
            raise InvalidArgument(
                f"unknown cabin {cabin_id!r}",
                [FieldViolation(field_name, f"found {cabin_id!r}; allowed: {known}")],
            )
        return cabin

    def _context(
        self,
        tx: BookingTransaction,
        policy: Policy,
        now: datetime,
        organisation_id: str,
        start: datetime,
        end: datetime,
        read_at: Generation | None = None,
    ) -> tuple[RuleContext, list[Booking]]:
        """A rule context for proposals inside [start, end): the bookings that can meet them,
        the organisation's motion minutes in every quota window they touch (summed by the
        database), the neighbours. *read_at*: the counters a read (never a write) took before
        *tx*; the minutes then come from the cache while no logged change of the
        organisation's motion bookings meets the windows (see ``_motion_minutes``), and the
        bookings (and the neighbours, where it can tell) from the block of days the period
        lies in (``nearby``)."""
        pad = self._max_mount + self._max_unmount
        block = None if read_at is None else self._nearby.block(read_at, start - pad, end + pad, tx)
        near: Reader = tx if block is None else block
        bookings = {b.id: b for b in near.holding_between(start - pad, end + pad)}
        windows = quota_windows(start, end, zone(policy.time_zone))
        used = {organisation_id: self._motion_minutes(tx, organisation_id, windows, read_at)}
        neighbours = None if block is None else block.motion_neighbours(start, end)
        for b in tx.motion_neighbours(start, end) if neighbours is None else neighbours:
            bookings.setdefault(b.id, b)
        found = list(bookings.values())
        return RuleContext(policy, self.cabins, found, now, motion_used=used), found

    def _motion_minutes(
        self,
        tx: BookingTransaction,
        organisation_id: str,
        windows: Sequence[tuple[datetime, datetime]],
        read_at: Generation | None,
    ) -> Mapping[tuple[datetime, datetime], int]:
        """``tx.motion_minutes_of``, kept for reads at *read_at* (the sum over a month of
        bookings was the dearest query of a RequestBooking or a FindSlots miss). Any logged
        change of one of the organisation's motion bookings whose period meets the windows
        drops it (a margin of 0: every motion minute counts), as does a policy change."""
        if read_at is None or not windows:
            return tx.motion_minutes_of(organisation_id, windows)
        key = (organisation_id, tuple(windows))
        found = self._motion_used.get(read_at, key)
        if found is None:
            found = tx.motion_minutes_of(organisation_id, windows)
            reads = Reads(
                quota=QuotaMargin(
                    organisation_id,
                    min(w0 for w0, _ in windows),
                    max(w1 for _, w1 in windows),
                    0,
                )
            )
            self._motion_used.put(read_at, key, found, reads)
        return found

    def _visible(self, principal: Principal, booking: Booking | None, booking_id: str) -> Booking:
        if booking is None or not principal.can_see(booking.organisation_id):
            raise _not_found(booking_id)
        return booking

    def _transition(
        self,
        tx: BookingTransaction,
        booking: Booking,
        target: BookingState,
        by: str | None,
        now: datetime,
        reason: str = "",
        **changes: object,
    ) -> Booking:
        if not may_transition(booking.state, target):
            raise FailedPrecondition(
                f"booking {booking.id} is {booking.state.value}; it cannot become {target.value}",
                [
                    PreconditionViolation(
                        "BOOKING_STATE",
                        f"booking:{booking.id}",
                        f"is {booking.state.value}; allowed from: "
                        + ", ".join(s.value for s in BookingState if may_transition(s, target)),
                    )
                ],
            )
        updated = replace(booking, state=target, updated_at=now, **changes)  # type: ignore[arg-type]
        if not tx.change(
            updated, booking.state, Transition(booking.id, booking.state, target, now, by, reason)
        ):
            raise Conflict(f"booking {booking.id} changed meanwhile; read it again and retry")
        return updated

    # -- requests ----------------------------------------------------------------------------

    def _validate_spec(self, spec: BookingSpec) -> CabinSpec:
        found = []
        if spec.cabin_id not in self.cabins:
            known = ", ".join(sorted(self.cabins))
            found.append(FieldViolation("cabin_id", f"found {spec.cabin_id!r}; allowed: {known}"))
        if spec.end <= spec.start:
            found.append(
                FieldViolation(
                    "time_range",
                    f"end {spec.end.isoformat()} is not after start {spec.start.isoformat()}",
                )
            )
        if len(spec.purpose) > 500:
            found.append(FieldViolation("purpose", f"{len(spec.purpose)} characters; at most 500"))
        if len(spec.scenario_ids) > 50 or any(len(s) > 100 for s in spec.scenario_ids):
            found.append(FieldViolation("scenario_ids", "at most 50 ids of at most 100 characters"))
        if len(spec.request_id) > 100:
            found.append(FieldViolation("request_id", "at most 100 characters"))
        if found:
            raise InvalidArgument("the booking request is malformed", found)
        return self.cabins[spec.cabin_id]

    def read_request(self, principal: Principal, spec: BookingSpec) -> RequestRead:
        """The read half of ``request``: checks the caller and the spec, and refuses by a
        read what the write would refuse (``_refuse_early``). Raises as ``request`` does.
        The RPC layer runs it where reads run (on SQLite, the event loop) and hands what it
        read to ``request`` on the write pool, so that a refused request never takes a
        worker thread."""
        require_role(principal, Role.ENGINEER, Role.OPERATOR)
        cabin = self._validate_spec(spec)
        now = self._clock()
        early = (
            None
            if spec.join_waitlist
            else self._refuse_early(principal.organisation_id, cabin, spec, now)
        )
        return RequestRead(principal, spec, cabin, now, early)

    def request(
        self, principal: Principal, spec: BookingSpec, read: RequestRead | None = None
    ) -> Booking:
        """Request a booking for the caller's organisation; it holds its slot at once (state
        ``requested``) and waits for an operator's approval. Raises ``InvalidArgument``,
        ``SlotUnavailable`` or ``QuotaExceeded`` with every broken rule. ``read`` is
        ``read_request``'s answer for this principal and spec (taken here when None)."""
        if read is None:
            read = self.read_request(principal, spec)
        elif read.principal != principal or read.spec != spec:
            raise ValueError("read_request's answer belongs to another request")
        cabin, now, early = read.cabin, read.now, read.early
        organisation = principal.organisation_id
        with self._store.write() as tx:
            tx.lock_organisation(organisation)
            if spec.request_id:
                existing = tx.by_request_id(organisation, spec.request_id)
                if existing is not None:
                    return self._replay(spec, existing)
            generation = tx.generation()
            policy = self._read_policy(tx, generation)  # as of this transaction
            swept = self._sweep(tx, now, policy)
            proposal = Proposal(organisation, cabin.id, spec.mode, spec.start, spec.end)
            if (
                early is not None
                and generation is not None
                and early[0] == generation
                and not (swept.no_shows or swept.completed or swept.expired)
            ):
                # nothing committed since the early read took the counters, and the sweep
                # wrote nothing: what it read is what this transaction would read again
                context = early[1]
            else:
                context, _ = self._context(tx, policy, now, organisation, spec.start, spec.end)
            violations = check(proposal, context)
            state = BookingState.REQUESTED
            if violations:
                rules = {v.rule for v in violations}
                if not (spec.join_waitlist and rules <= AVAILABILITY_RULES):
                    raise _rejection(organisation, violations)
                state = BookingState.WAITLISTED
            blocked_start, blocked_end = blocked_period(cabin, spec.mode, spec.start, spec.end)
            booking = Booking(
                id=new_id("bkg"),
                organisation_id=organisation,
                created_by_user_id=principal.user_id,
                cabin_id=cabin.id,
                mode=spec.mode,
                state=state,
                start=spec.start,
                end=spec.end,
                blocked_start=blocked_start,
                blocked_end=blocked_end,
                purpose=spec.purpose,
                scenario_ids=spec.scenario_ids,
                request_id=spec.request_id or None,
                created_at=now,
                updated_at=now,
            )
            reason = (
                "slot taken; waiting for it to free" if state is BookingState.WAITLISTED else ""
            )
            tx.add(booking, Transition(booking.id, None, state, now, principal.user_id, reason))
        return booking

    def _refuse_early(
        self, organisation: str, cabin: CabinSpec, spec: BookingSpec, now: datetime
    ) -> tuple[Generation | None, RuleContext] | None:
        """Raise the rejection that the write would raise, found by a read: a request that
        loses (the slot is taken, the quota spent) then never waits for the write lock. It
        decides nothing else: a request that passes, names a request_id already used, or
        could gain from a due sweep (a no-show release frees slots) goes on to the write,
        which checks every rule again inside its transaction. Refusing on what a read saw is
        refusing at the moment of that read, which lies within the call.

        Returns the counters taken before the read and the rule context it read (None where
        it read none): the write checks against that context again if the counters still
        stand inside its transaction (no write committed in between), instead of reading it
        a second time."""
        generation = self._store.generation()  # first: what is read next is at least as new
        with self._store.read() as tx:
            if spec.request_id and tx.by_request_id(organisation, spec.request_id) is not None:
                return None
            policy = self._read_policy(tx, generation)
            late = now - policy.rules.no_show_after_minutes * MINUTE
            if tx.sweep_due(late, now):
                return None
            proposal = Proposal(organisation, cabin.id, spec.mode, spec.start, spec.end)
            context, _ = self._context(
                tx, policy, now, organisation, spec.start, spec.end, generation
            )
        violations = check(proposal, context)
        if violations:
            raise _rejection(organisation, violations)
        return generation, context

    @staticmethod
    def _replay(spec: BookingSpec, existing: Booking) -> Booking:
        same = (existing.cabin_id, existing.mode, existing.end) == (
            spec.cabin_id,
            spec.mode,
            spec.end,
        ) and (existing.start == spec.start or existing.state is not BookingState.WAITLISTED)
        if not same:
            raise InvalidArgument(
                f"request_id {spec.request_id!r} was used for a different booking "
                f"({existing.id}: {existing.cabin_id} {existing.mode.value} "
                f"{existing.start.isoformat()} to {existing.end.isoformat()})",
                [FieldViolation("request_id", "use a new request_id for a new booking")],
            )
        return existing

    # -- reading -----------------------------------------------------------------------------

    def get(self, principal: Principal, booking_id: str) -> BookingDetail:
        with self._store.read() as tx:
            booking = self._visible(principal, tx.get(booking_id), booking_id)
            return BookingDetail(booking, tuple(tx.transitions(booking.id)))

    @staticmethod
    def _own_filter(principal: Principal, where: BookingFilter) -> BookingFilter:
        if principal.is_operator:
            return where
        if where.organisation_id not in (None, principal.organisation_id):
            raise NotFound(f"no organisation {where.organisation_id!r} among yours")
        return _own(where, principal.organisation_id)

    def cached_list_bookings(
        self, principal: Principal, where: BookingFilter, limit: int, offset: int
    ) -> tuple[Booking, ...] | None:
        """``list_bookings``'s answer where the cache holds it, else None: one counter read,
        no transaction (a caller on an event loop tries this before it hands off to a
        thread). The very tuple the cache holds, the same object while the answer stands.
        The ``cached_*`` methods raise what their full forms raise."""
        key = (self._own_filter(principal, where), limit, offset)
        return self._listings.get(self._store.generation(), key)

    def list_bookings(
        self, principal: Principal, where: BookingFilter, limit: int, offset: int
    ) -> list[Booking]:
        """Bookings by start time: the caller's organisation, or any (operators)."""
        where = self._own_filter(principal, where)
        key = (where, limit, offset)  # the organisation is in *where*: one entry per tenant
        generation = self._store.generation()  # first: what is read next is at least as new
        found = self._listings.get(generation, key)
        if found is None:
            with self._store.read() as tx:
                found = tuple(tx.list_bookings(where, limit, offset))
            reads = Reads(
                organisation_id=where.organisation_id,
                every_organisation=where.organisation_id is None,
                # a full page: bookings that start after its last row cannot change it
                sorted_upto=found[-1].start if found and len(found) == limit else None,
            )
            self._listings.put(generation, key, found, reads)
        return list(found)

    # -- transitions -------------------------------------------------------------------------

    def cancel(self, principal: Principal, booking_id: str, reason: str = "") -> Booking:
        require_role(principal, Role.ENGINEER, Role.OPERATOR)
        self.sweep()  # committed on its own: a refusal below must not undo a release
        now = self._clock()
        with self._store.write() as tx:
            booking = self._visible(principal, tx.get(booking_id), booking_id)
            if booking.state not in OPEN:
                raise _closed(booking, "cancelled")
            updated = self._transition(
                tx, booking, BookingState.CANCELLED, principal.user_id, now, reason
            )
            if booking.holds_slot:
                self._promote(tx, booking, now)
        return updated

    def approve(self, principal: Principal, booking_id: str, reason: str = "") -> Booking:
        require_role(principal, Role.OPERATOR)
        now = self._clock()
        with self._store.write() as tx:
            booking = self._visible(principal, tx.get(booking_id), booking_id)
            return self._transition(
                tx,
                booking,
                BookingState.APPROVED,
                principal.user_id,
                now,
                reason,
                decision_reason=reason,
            )

    def reject(self, principal: Principal, booking_id: str, reason: str) -> Booking:
        require_role(principal, Role.OPERATOR)
        if not reason.strip():
            raise InvalidArgument(
                "a rejection needs a reason",
                [FieldViolation("reason", "empty; say why, the requester reads it")],
            )
        now = self._clock()
        with self._store.write() as tx:
            booking = self._visible(principal, tx.get(booking_id), booking_id)
            updated = self._transition(
                tx,
                booking,
                BookingState.REJECTED,
                principal.user_id,
                now,
                reason,
                decision_reason=reason,
            )
            self._promote(tx, booking, now)
        return updated

    def check_in(self, principal: Principal, booking_id: str) -> Booking:
        """Check in from ``check_in_opens_minutes`` before the start; a motion booking must
        check in within ``no_show_after_minutes`` of its start or it is released."""
        require_role(principal, Role.ENGINEER, Role.OPERATOR)
        self.sweep()  # committed on its own: a refusal below must not undo a release
        now = self._clock()
        with self._store.write() as tx:
            booking = self._visible(principal, tx.get(booking_id), booking_id)
            rules = tx.load_policy(self.facility.time_zone).rules
            tz = zone(self.facility.time_zone)
            opens = booking.start - rules.check_in_opens_minutes * MINUTE
            closes = (
                booking.start + rules.no_show_after_minutes * MINUTE
                if booking.mode is BookingMode.MOTION
                else booking.end
            )
            if booking.state is BookingState.APPROVED and not opens <= now < closes:
                raise FailedPrecondition(
                    f"check-in for booking {booking.id} is open from {local_text(opens, tz)} "
                    f"to {local_text(closes, tz)}; it is {local_text(now, tz)}",
                    [PreconditionViolation("CHECK_IN_WINDOW", f"booking:{booking.id}", "closed")],
                )
            return self._transition(
                tx, booking, BookingState.CHECKED_IN, principal.user_id, now, checked_in_at=now
            )

    # -- no-shows, completions, the waitlist ---------------------------------------------------

    def sweep(self) -> SweepResult:
        """Release no-shows (promoting the waitlist), complete finished sessions, expire
        waitlist entries whose time has passed. Idempotent; safe from any replica."""
        now = self._clock()
        with self._store.write() as tx:
            return self._sweep(tx, now, self._read_policy(tx, tx.generation()))

    def _sweep(self, tx: BookingTransaction, now: datetime, policy: Policy) -> SweepResult:
        rules = policy.rules
        result = SweepResult()
        late = now - rules.no_show_after_minutes * MINUTE
        if not tx.sweep_due(late, now):
            return result
        for booking in tx.approved_motion_started_before(late):
            reason = f"not checked in {rules.no_show_after_minutes} min after the start"
            updated = replace(booking, state=BookingState.NO_SHOW, updated_at=now)
            transition = Transition(
                booking.id, booking.state, BookingState.NO_SHOW, now, None, reason
            )
            if tx.change(updated, booking.state, transition):
                result.no_shows.append(updated)
                result.promoted.extend(self._promote(tx, booking, now, policy))
        for booking in tx.checked_in_ended_before(now):
            updated = replace(booking, state=BookingState.COMPLETED, updated_at=now)
            transition = Transition(
                booking.id, booking.state, BookingState.COMPLETED, now, None, "session ended"
            )
            if tx.change(updated, booking.state, transition):
                result.completed.append(updated)
        for booking in tx.overdue_waitlist(now):
            updated = replace(booking, state=BookingState.CANCELLED, updated_at=now)
            transition = Transition(
                booking.id, booking.state, BookingState.CANCELLED, now, None, "waitlist expired"
            )
            if tx.change(updated, booking.state, transition):
                result.expired.append(updated)
        return result

    def _promote(
        self, tx: BookingTransaction, freed: Booking, now: datetime, policy: Policy | None = None
    ) -> list[Booking]:
        """Offer the period *freed* held to the waitlist, first come first served. A promoted
        entry keeps the rest of its period that is still ahead (from the next grid step) and
        becomes ``requested``: it holds the slot and waits for approval like any request."""
        policy = policy or tx.load_policy(self.facility.time_zone)
        pad = self._max_mount + self._max_unmount
        step = policy.rules.granularity_minutes * MINUTE
        promoted = []
        for waiting in tx.waitlisted_meeting(freed.blocked_start - pad, freed.blocked_end + pad):
            start = max(waiting.start, ceil_to_grid(now, step))
            if (waiting.end - start) < policy.rules.min_duration_minutes * MINUTE:
                continue
            proposal = Proposal(
                waiting.organisation_id, waiting.cabin_id, waiting.mode, start, waiting.end
            )
            context, _ = self._context(tx, policy, now, waiting.organisation_id, start, waiting.end)
            if check(proposal, context, skip_notice=True):
                continue
            cabin = self.cabins[waiting.cabin_id]
            blocked_start, blocked_end = blocked_period(cabin, waiting.mode, start, waiting.end)
            candidate = replace(
                waiting,
                state=BookingState.REQUESTED,
                start=start,
                blocked_start=blocked_start,
                blocked_end=blocked_end,
                updated_at=now,
            )
            transition = Transition(
                waiting.id,
                BookingState.WAITLISTED,
                BookingState.REQUESTED,
                now,
                None,
                f"promoted from the waitlist: booking {freed.id} freed the slot",
            )
            if tx.try_promote(candidate, transition):
                promoted.append(candidate)
        return promoted

    # -- slots and the schedule ----------------------------------------------------------------

    def _slot_query(self, principal: Principal, query: SlotQuery) -> SlotQuery:
        """*query* for the caller's organisation, checked."""
        self._cabin(query.cabin_id)
        found = []
        if query.duration_minutes <= 0:
            found.append(FieldViolation("duration_minutes", "must be > 0"))
        if query.window_end <= query.window_start:
            found.append(FieldViolation("window", "end must be after start"))
        elif query.window_end - query.window_start > timedelta(days=MAX_SEARCH_DAYS):
            found.append(
                FieldViolation("window", f"spans more than {MAX_SEARCH_DAYS} days; search less")
            )
        if not 0 < query.max_results <= MAX_SLOTS:
            found.append(
                FieldViolation(
                    "max_results", f"found {query.max_results}; allowed 1 to {MAX_SLOTS}"
                )
            )
        if found:
            raise InvalidArgument("the slot search is malformed", found)
        if query.organisation_id == principal.organisation_id:
            return query  # as the RPC layer builds it: no copy
        return replace(query, organisation_id=principal.organisation_id)

    def cached_find_slots(self, principal: Principal, query: SlotQuery) -> tuple[Slot, ...] | None:
        """``find_slots``'s answer where the cache holds it, else None (see
        ``cached_list_bookings``): the very tuple the cache holds."""
        query = self._slot_query(principal, query)
        return self._cached_slots(query, self._store.generation(), self._clock())

    def _cached_slots(
        self, query: SlotQuery, generation: Generation | None, now: datetime
    ) -> tuple[Slot, ...] | None:
        policy = self._cached_policy_of(generation)
        if policy is None:
            return None
        return self._slots.get(generation, (query, _time_key(query, policy, now)))

    def find_slots(self, principal: Principal, query: SlotQuery) -> list[Slot]:
        """The best free slots for the caller's organisation (see ``planner.find_slots``)."""
        query = self._slot_query(principal, query)
        now = self._clock()
        generation = self._store.generation()  # first: what is read next is at least as new
        cached = self._cached_slots(query, generation, now)
        if cached is not None:
            return list(cached)
        with self._store.read() as tx:
            policy = self._read_policy(tx, generation)
            key = (query, _time_key(query, policy, now))
            context, bookings = self._context(
                tx,
                policy,
                now,
                query.organisation_id,
                query.window_start,
                query.window_end,
                generation,
            )
        # the mounted cabin only counts where no motion booking ends before the window
        # (a facility read: skipped where it cannot matter, and such results are not cached)
        mounted = None
        if query.mode is BookingMode.MOTION and not any(
            b.mode is BookingMode.MOTION and b.state in HOLDING and b.end <= query.window_start
            for b in bookings
        ):
            mounted = self._mounted_cabin()
            generation = None
        slots = find_slots(query, context, bookings, mounted)
        self._slots.put(generation, key, tuple(slots), self._slot_reads(query, context, bookings))
        return slots

    def _slot_reads(
        self, query: SlotQuery, context: RuleContext, bookings: Sequence[Booking]
    ) -> Reads:
        """What a slot search read (``_context``): every booking near the window, the motion
        bookings between it and its neighbours on the platform, and its organisation's quota
        use in the weeks and months of the window."""
        pad = self._max_mount + self._max_unmount
        motion = [b for b in bookings if b.mode is BookingMode.MOTION and b.state in HOLDING]
        before = max(
            (b for b in motion if b.end <= query.window_start), key=lambda b: b.start, default=None
        )
        after = min(
            (b for b in motion if b.start >= query.window_end), key=lambda b: b.start, default=None
        )
        start, end = query.window_start - pad, query.window_end + pad
        near = Span(start, end)
        between = Span(  # unbounded where no neighbour: any motion booking may become it
            min(start, before.blocked_start) if before else None,
            max(end, after.blocked_end) if after else None,
            motion_only=True,
        )
        quota = None
        if query.mode is BookingMode.MOTION:
            organisation, start, end = query.organisation_id, query.window_start, query.window_end
            windows = quota_windows(start, end, context.tz)
            spare = quota_spare_minutes(context, organisation, start, end)
            quota = QuotaMargin(
                organisation,
                min(w0 for w0, _ in windows),
                max(w1 for _, w1 in windows),
                spare - query.duration_minutes,
            )
        return Reads(spans=(near, between), quota=quota)

    def _days(self, day: date, days: int) -> tuple[datetime, datetime]:
        tz = zone(self.facility.time_zone)
        return local_midnight(day, tz), local_midnight(day + timedelta(days=days), tz)

    def cached_schedule(self, principal: Principal, day: date, days: int = 1) -> Schedule | None:
        """``schedule``'s answer where the cache holds it, else None (see
        ``cached_list_bookings``): the same object for every caller who sees the same
        (an operator, or one organisation) while the cached answer and the policy stand."""
        start, end = self._days(day, days)
        generation = self._store.generation()
        policy = self._cached_policy_of(generation)
        cached = self._schedules.get(generation, (start, end)) if policy else None
        if policy is None or cached is None:
            return None
        viewer = None if principal.is_operator else principal.organisation_id
        key = (id(cached), viewer)
        shown = self._shown_schedules.get(key)
        if shown is not None and shown[0] is cached and shown[1] is policy:
            return shown[2]
        schedule = self._shown_schedule(principal, start, end, policy, *cached)
        if len(self._shown_schedules) >= SHOWN_SCHEDULES:
            self._shown_schedules.clear()
        self._shown_schedules[key] = (cached, policy, schedule)  # holds both: the ids stay
        return schedule

    def schedule(self, principal: Principal, day: date, days: int = 1) -> Schedule:
        """Every slot-holding booking of *days* local days from *day*, the changeovers they
        need and the blackouts; other organisations' bookings only as busy periods."""
        start, end = self._days(day, days)
        now = self._clock()
        generation = self._store.generation()  # first: what is read next is at least as new
        cached_policy = self._cached_policy_of(generation)
        cached = self._schedules.get(generation, (start, end)) if cached_policy else None
        if cached_policy is not None and cached is not None:
            policy, (bookings, steps) = cached_policy, cached
        else:
            with self._store.read() as tx:
                policy = self._read_policy(tx, generation)
                found = tx.holding_between(start, end)
                last = tx.last_planned_motion_before(start)
            if last is None:  # the plan starts from what the facility has mounted now
                fallback, generation = self._mounted_cabin(), None
            else:
                fallback = None
            context = RuleContext(policy, self.cabins, found, now)
            before = mounted_before(start, [last] if last else [], fallback)
            bookings = tuple(sorted(found, key=lambda b: (b.start, b.id)))
            steps = tuple(plan_range(start, end, context, found, before))
            reads = Reads(
                spans=(
                    Span(start, end),
                    # the plan starts from the last planned motion booking before the day
                    Span(last.start if last else None, start, planned_only=True),
                )
            )
            self._schedules.put(generation, (start, end), (bookings, steps), reads)
        return self._shown_schedule(principal, start, end, policy, bookings, steps)

    def _shown_schedule(
        self,
        principal: Principal,
        start: datetime,
        end: datetime,
        policy: Policy,
        bookings: tuple[Booking, ...],
        steps: tuple[ChangeoverStep, ...],
    ) -> Schedule:
        """The schedule as *principal* may see it: other organisations' bookings as busy
        periods only."""
        own = {b.id for b in bookings if principal.can_see(b.organisation_id)}
        entries = tuple(
            ScheduleEntry(
                booking=b if b.id in own else None,
                mode=b.mode,
                cabin_id=b.cabin_id if b.id in own or b.mode is BookingMode.FIXED_BASE else "",
                start=b.start,
                end=b.end,
                blocked_start=b.blocked_start,
                blocked_end=b.blocked_end,
            )
            for b in bookings
        )
        shown = tuple(
            s if s.booking_id in own else replace(s, cabin_id="", booking_id="") for s in steps
        )
        blackouts = tuple(b for b in policy.blackouts if b.start < end and start < b.end)
        return Schedule(start, end, self.facility.time_zone, entries, shown, blackouts)

    def export_ical(
        self,
        principal: Principal,
        start: datetime | None = None,
        end: datetime | None = None,
        organisation_id: str = "",
    ) -> str:
        """An RFC 5545 calendar of the caller's organisation's bookings (operators: any)."""
        organisation = organisation_id or principal.organisation_id
        if not principal.can_see(organisation):
            raise NotFound(f"no organisation {organisation!r} among yours")
        where = BookingFilter(organisation_id=organisation, start=start, end=end)
        with self._store.read() as tx:
            bookings = tx.list_bookings(where, 10_000, 0)
        return ical.calendar(bookings, self.facility, self._clock())

    # -- policy --------------------------------------------------------------------------------

    def policy(self, principal: Principal) -> Policy:
        generation = self._store.generation()
        with self._store.read() as tx:
            policy = self._read_policy(tx, generation)
        if principal.is_operator:
            return policy
        own = tuple(q for q in policy.quotas if q.organisation_id == principal.organisation_id)
        return replace(policy, quotas=own)

    def update_rules(self, principal: Principal, rules: BookingRules) -> Policy:
        require_role(principal, Role.OPERATOR)
        found = validate_rules(rules, self.longest_changeover_minutes)
        if found:
            raise InvalidArgument("the booking rules are not valid", found)
        try:
            with self._store.write() as tx:
                tx.save_rules(rules)
                return tx.load_policy(self.facility.time_zone)
        finally:
            self._policy_changed()

    def set_opening_hours(self, principal: Principal, hours: Sequence[OpeningInterval]) -> Policy:
        require_role(principal, Role.OPERATOR)
        found = validate_opening_hours(hours)
        if found:
            raise InvalidArgument("the opening hours are not valid", found)
        try:
            with self._store.write() as tx:
                tx.save_opening_hours(hours)
                return tx.load_policy(self.facility.time_zone)
        finally:
            self._policy_changed()

    def add_blackout(
        self,
        principal: Principal,
        start: datetime,
        end: datetime,
        reason: str,
        cabin_id: str | None = None,
    ) -> tuple[Blackout, list[Booking]]:
        """Add a blackout; returns it and the slot-holding bookings it meets (left as they
        are: the operators decide whether to cancel or move them)."""
        require_role(principal, Role.OPERATOR)
        if cabin_id:
            self._cabin(cabin_id)
        if end <= start:
            raise InvalidArgument(
                "a blackout must end after it starts",
                [FieldViolation("time_range", f"{start.isoformat()} to {end.isoformat()}")],
            )
        blackout = Blackout(new_id("blk"), start, end, reason, cabin_id or None)
        with self._store.write() as tx:
            tx.add_blackout(blackout)
            self._policy_changed()
            meeting = [
                b
                for b in tx.holding_between(start, end)
                if b.start < end
                and start < b.end
                and (b.cabin_id == cabin_id if cabin_id else b.mode is BookingMode.MOTION)
            ]
        self._policy_changed()
        return blackout, meeting

    def remove_blackout(self, principal: Principal, blackout_id: str) -> None:
        require_role(principal, Role.OPERATOR)
        try:
            with self._store.write() as tx:
                if not tx.remove_blackout(blackout_id):
                    raise NotFound(f"no blackout with id {blackout_id!r}")
        finally:
            self._policy_changed()

    def set_quota(self, principal: Principal, quota: Quota) -> Quota:
        require_role(principal, Role.OPERATOR)
        found = [
            FieldViolation(name, f"found {value}; must be >= 0")
            for name, value in (
                ("motion_hours_per_week", quota.motion_hours_per_week),
                ("motion_hours_per_month", quota.motion_hours_per_month),
            )
            if value < 0
        ]
        if found:
            raise InvalidArgument("the quota is not valid", found)
        with self._store.write() as tx:
            if not tx.organisation_exists(quota.organisation_id):
                raise NotFound(f"no organisation with id {quota.organisation_id!r}")
            tx.save_quota(quota)
        self._policy_changed()
        return quota

    def quota_usage(
        self, principal: Principal, organisation_id: str = "", at: datetime | None = None
    ) -> QuotaUsage:
        """Motion minutes held (requested, approved, checked in, completed) in the local week
        and month containing *at* (default: now), against the organisation's quota."""
        organisation = organisation_id or principal.organisation_id
        if not principal.can_see(organisation):
            raise NotFound(f"no organisation {organisation!r} among yours")
        at = at or self._clock()
        tz = zone(self.facility.time_zone)
        w0, w1 = week_window(at, tz)
        m0, m1 = month_window(at, tz)
        with self._store.read() as tx:
            if not tx.organisation_exists(organisation):
                raise NotFound(f"no organisation with id {organisation!r}")
            policy = self._read_policy(tx, tx.generation())
            used = tx.motion_minutes_of(organisation, [(w0, w1), (m0, m1)])
        return QuotaUsage(
            quota=policy.quota_of(organisation),
            week_start=w0,
            week_end=w1,
            week_used_minutes=used[(w0, w1)],
            month_start=m0,
            month_end=m1,
            month_used_minutes=used[(m0, m1)],
        )


@lru_cache(maxsize=OWN_FILTERS_KEPT)
def _own(where: BookingFilter, organisation_id: str) -> BookingFilter:
    """*where* for *organisation_id* only. Kept: every ListBookings of an engineer asks it
    (``dataclasses.replace`` cost as much as the rest of a cached listing's lookup)."""
    return replace(where, organisation_id=organisation_id)


def _time_key(query: SlotQuery, policy: Policy, now: datetime) -> tuple[datetime, datetime]:
    """What a slot search's answer takes from *now*: the earliest and latest grid start that
    notice and horizon allow, clipped to the window (every start the finder tries lies on
    the absolute granularity grid, so two *now* with the same key give the same slots)."""
    rules = policy.rules
    step = rules.granularity_minutes * MINUTE
    earliest = ceil_to_grid(max(query.window_start, now + rules.min_notice_minutes * MINUTE), step)
    latest = min(query.window_end, now + timedelta(days=rules.max_horizon_days))
    return earliest, latest - timedelta(seconds=latest.timestamp() % step.total_seconds())


def _closed(booking: Booking, verb: str) -> FailedPrecondition:
    return FailedPrecondition(
        f"booking {booking.id} is {booking.state.value}; only open bookings "
        f"({', '.join(sorted(s.value for s in OPEN))}) can be {verb}",
        [PreconditionViolation("BOOKING_STATE", f"booking:{booking.id}", booking.state.value)],
    )


def _rejection(organisation_id: str, violations: list[RuleViolation]) -> Exception:
    """The error for a refused request: every broken rule, in the kind the worst one calls for
    (a malformed request beats a taken slot beats an exhausted quota)."""
    rules = {v.rule for v in violations}
    fields = [v.as_field_violation() for v in violations]
    summary = "; ".join(sorted(rules))
    if rules & REQUEST_RULES:
        return InvalidArgument(f"the booking breaks {len(violations)} rule(s): {summary}", fields)
    if rules & AVAILABILITY_RULES:
        return SlotUnavailable(
            f"the slot is not free ({summary}); find a free one with FindSlots and retry", fields
        )
    return QuotaExceeded(
        f"the booking would exceed the organisation's quota ({summary})",
        [QuotaViolation(f"organisation:{organisation_id}", v.description) for v in violations],
    )
