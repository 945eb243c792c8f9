"""RFC 5545 calendars of bookings, written with the ``icalendar`` package.

Each booking is one VEVENT whose UID is stable (``<booking id>@simhub``), so a calendar
client that re-imports the export updates events instead of duplicating them; cancelled,
rejected and no-show bookings stay in the feed with ``STATUS:CANCELLED`` for the same reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import icalendar

from simhub.booking.model import Booking, BookingMode, BookingState
from simhub.facility.model import Facility

PRODID = "-//simhub//booking//EN"

_STATUS = {
    BookingState.WAITLISTED: "TENTATIVE",
    BookingState.REQUESTED: "TENTATIVE",
    BookingState.APPROVED: "CONFIRMED",
    BookingState.CHECKED_IN: "CONFIRMED",
    BookingState.COMPLETED: "CONFIRMED",
    BookingState.REJECTED: "CANCELLED",
    BookingState.NO_SHOW: "CANCELLED",
    BookingState.CANCELLED: "CANCELLED",
}


def calendar(bookings: Sequence[Booking], facility: Facility, now: datetime) -> str:
    """The bookings as one VCALENDAR (CRLF line endings, folded as RFC 5545 requires)."""
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", f"{facility.name} bookings")
    cal.add("x-wr-timezone", facility.time_zone)
    for booking in bookings:
        cabin = facility.cabin(booking.cabin_id)
        cabin_name = cabin.name if cabin else booking.cabin_id
        where = "motion platform" if booking.mode is BookingMode.MOTION else "fixed-base bay"
        event = icalendar.Event()
        event.add("uid", f"{booking.id}@simhub")
        event.add("dtstamp", now)
        event.add("created", booking.created_at)
        event.add("last-modified", booking.updated_at)
        event.add("dtstart", booking.start)
        event.add("dtend", booking.end)
        event.add("summary", f"{cabin_name} ({where}) [{booking.state.value}]")
        lines = [booking.purpose] if booking.purpose else []
        if booking.scenario_ids:
            lines.append("scenarios: " + ", ".join(booking.scenario_ids))
        lines.append(f"booking {booking.id}, {booking.state.value}")
        event.add("description", "\n".join(lines))
        event.add("location", f"{facility.name}, {where}")
        event.add("status", _STATUS[booking.state])
        event.add("categories", [booking.mode.value, booking.cabin_id])
        cal.add_component(event)
    text: bytes = cal.to_ical()
    return text.decode()
