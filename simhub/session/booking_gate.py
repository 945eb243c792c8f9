"""``BookingGate`` over the booking store: a session runs only in a booking that is checked in
and whose period has begun and not ended; a motion booking also needs its cabin mounted on the
platform (``mounted_cabin``: the facility's state now)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from simhub.booking.model import BookingMode, BookingState
from simhub.booking.service import BookingStore
from simhub.facility.model import Facility
from simhub.session.model import SessionMode
from simhub.session.service import CheckedInBooking

_MODES = {BookingMode.MOTION: SessionMode.MOTION, BookingMode.FIXED_BASE: SessionMode.FIXED_BASE}


class StoredBookingGate:
    def __init__(
        self,
        facility: Facility,
        store: BookingStore,
        clock: Callable[[], datetime],
        mounted_cabin: Callable[[], str | None] | None = None,
    ) -> None:
        self._mounted_cabin = mounted_cabin
        self._facility = facility
        self._store = store
        self._clock = clock

    def checked_in(self, booking_id: str) -> CheckedInBooking | None:
        with self._store.read() as tx:
            booking = tx.get(booking_id)
        if booking is None or booking.state is not BookingState.CHECKED_IN:
            return None
        if not booking.start <= self._clock() < booking.end:
            return None
        mounted = self._mounted_cabin() if self._mounted_cabin is not None else None
        cabin = self._facility.cabin(booking.cabin_id)
        bay = (
            cabin.home_bay_id
            if cabin is not None and booking.mode is BookingMode.FIXED_BASE
            else ""
        )
        return CheckedInBooking(
            booking_id=booking.id,
            organisation_id=booking.organisation_id,
            cabin_id=booking.cabin_id,
            mode=_MODES[booking.mode],
            bay_id=bay,
            mounted_cabin_id=mounted if self._mounted_cabin is not None else booking.cabin_id,
        )
