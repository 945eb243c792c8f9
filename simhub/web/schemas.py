"""Request bodies and small shared types of the JSON API (the replies are the services' own
frozen dataclasses, which FastAPI documents as they are)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BaseModel, Field

from simhub.booking.model import BookingMode
from simhub.booking.planner import SlotOrder
from simhub.errors import FieldViolation, InvalidArgument

EARLIEST_YEAR = 2000
LATEST_YEAR = 2200


def _in_range(at: datetime) -> datetime:
    """Times far from now are typos; refusing them here keeps the arithmetic of the rules
    (padding by changeover minutes, week windows) away from ``datetime``'s limits."""
    if not EARLIEST_YEAR <= at.year <= LATEST_YEAR:
        raise ValueError(f"year {at.year} is outside {EARLIEST_YEAR} to {LATEST_YEAR}")
    return at


def _day_in_range(day: date) -> date:
    if not EARLIEST_YEAR <= day.year <= LATEST_YEAR:
        raise ValueError(f"year {day.year} is outside {EARLIEST_YEAR} to {LATEST_YEAR}")
    return day


#: A timezone-aware instant (UTC offset required) between the years 2000 and 2200.
Instant = Annotated[AwareDatetime, AfterValidator(_in_range)]
Day = Annotated[date, AfterValidator(_day_in_range)]


def check_day(day: date, name: str = "day") -> date:
    """The same bound for query parameters (FastAPI query validators cannot use ``Day``)."""
    try:
        return _day_in_range(day)
    except ValueError as exc:
        raise InvalidArgument(f"{name} out of range", [FieldViolation(name, str(exc))]) from None


def check_instant(at: datetime | None, name: str) -> datetime | None:
    if at is None:
        return None
    if at.tzinfo is None:
        raise InvalidArgument(
            f"{name} needs a UTC offset", [FieldViolation(name, "e.g. 2026-07-01T08:00:00Z")]
        )
    try:
        return _in_range(at)
    except ValueError as exc:
        raise InvalidArgument(f"{name} out of range", [FieldViolation(name, str(exc))]) from None


class BookingIn(BaseModel):
    cabin_id: str = Field(min_length=1, max_length=40)
    mode: BookingMode
    start: Instant
    end: Instant
    purpose: str = Field("", max_length=500)
    scenario_ids: list[Annotated[str, Field(max_length=100)]] = Field([], max_length=50)
    request_id: str = Field("", max_length=100, description="same id again: the same booking")
    join_waitlist: bool = False


class ReasonIn(BaseModel):
    reason: str = Field("", max_length=500)


class OpeningIntervalIn(BaseModel):
    weekday: int = Field(ge=0, le=6, description="0 = Monday")
    opens_minute: int = Field(ge=0, le=1440, description="minute of the local day")
    closes_minute: int = Field(ge=0, le=1440)


class BlackoutIn(BaseModel):
    start: Instant
    end: Instant
    reason: str = Field("", max_length=500)
    cabin_id: str | None = Field(None, max_length=40, description="null: the motion platform")


class QuotaIn(BaseModel):
    motion_hours_per_week: int = Field(ge=0, le=10_000)
    motion_hours_per_month: int = Field(ge=0, le=100_000)


class SlotQueryIn(BaseModel):
    cabin_id: str = Field(min_length=1, max_length=40)
    mode: BookingMode = BookingMode.MOTION
    duration_minutes: int = Field(ge=1, le=24 * 60)
    window_start: Instant
    window_end: Instant
    max_results: int = Field(10, ge=1, le=50)
    order: SlotOrder = SlotOrder.FEWEST_SWAPS
