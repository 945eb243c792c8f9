"""The tables, as typed SQLAlchemy 2 ORM classes. Migrations in ``migrations/versions`` create
them; ``tests/storage/test_migrations.py`` checks the two agree."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in Python; naive UTC in SQLite, timestamptz in PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: simhub stores UTC-aware times only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class OrganisationRow(Base):
    __tablename__ = "organisations"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class UserRow(Base):
    __tablename__ = "users"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ApiTokenRow(Base):
    __tablename__ = "api_tokens"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    secret_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class CabinRow(Base):
    """The cabins the facility files describe, mirrored so that other rows can refer to them."""

    __tablename__ = "cabins"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    cabin_class: Mapped[str] = mapped_column(String(20))
    mount_minutes: Mapped[int] = mapped_column(Integer)
    unmount_minutes: Mapped[int] = mapped_column(Integer)
    home_bay_id: Mapped[str] = mapped_column(String(40))


class CabinPlacementRow(Base):
    """Where each cabin stands now: ``platform`` or a bay id, since when."""

    __tablename__ = "cabin_placements"
    cabin_id: Mapped[str] = mapped_column(ForeignKey("cabins.id"), primary_key=True)
    location: Mapped[str] = mapped_column(String(40))
    since: Mapped[datetime] = mapped_column(UtcDateTime)


class ChangeoverRow(Base):
    __tablename__ = "changeovers"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    from_cabin_id: Mapped[str | None] = mapped_column(ForeignKey("cabins.id"), nullable=True)
    to_cabin_id: Mapped[str] = mapped_column(ForeignKey("cabins.id"))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    completes_at: Mapped[datetime] = mapped_column(UtcDateTime)
    duration_minutes: Mapped[int] = mapped_column(Integer)
    requested_by_user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    reason: Mapped[str] = mapped_column(Text, default="")


class WebSessionRow(Base):
    """A browser sign-in (cookie secret stored as SHA-256), tied to the API token it came from."""

    __tablename__ = "web_sessions"
    id_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    token_id: Mapped[str] = mapped_column(ForeignKey("api_tokens.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)


# -- booking (migration 0002) -------------------------------------------------------------------


class BookingRow(Base):
    """A booking; ``blocked_*`` is its period padded by mount/unmount minutes (motion).

    On PostgreSQL, exclusion constraints over these columns (migration 0002, btree_gist)
    refuse overlapping slot-holding bookings; they are not declared here because SQLite has
    no equivalent (it relies on ``BEGIN IMMEDIATE`` and the re-check in the service)."""

    __tablename__ = "bookings"
    __table_args__ = (
        UniqueConstraint("organisation_id", "request_id", name="uq_bookings_organisation_request"),
        Index("ix_bookings_organisation_start", "organisation_id", "start_at"),
        Index("ix_bookings_state_start", "state", "start_at"),
        # migration 0004: the hot queries of FindSlots, GetSchedule and the sweep
        Index("ix_bookings_state_blocked_end", "state", "blocked_end"),
        Index("ix_bookings_mode_start", "mode", "start_at"),
        Index("ix_bookings_organisation_end", "organisation_id", "end_at"),
        Index("ix_bookings_state_mode_start", "state", "mode", "start_at"),
    )
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"))
    created_by_user_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    cabin_id: Mapped[str] = mapped_column(ForeignKey("cabins.id"))
    mode: Mapped[str] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(String(20))
    start_at: Mapped[datetime] = mapped_column(UtcDateTime)
    end_at: Mapped[datetime] = mapped_column(UtcDateTime)
    blocked_start: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    blocked_end: Mapped[datetime] = mapped_column(UtcDateTime)
    purpose: Mapped[str] = mapped_column(Text)
    scenario_ids: Mapped[str] = mapped_column(Text)  # JSON list of strings
    request_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    checked_in_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    decision_reason: Mapped[str] = mapped_column(Text)


class BookingTransitionRow(Base):
    """Every state change of a booking: from, to, when, by whom (NULL: the system)."""

    __tablename__ = "booking_transitions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    booking_id: Mapped[str] = mapped_column(ForeignKey("bookings.id"), index=True)
    from_state: Mapped[str | None] = mapped_column(String(20), nullable=True)
    to_state: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    by_user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    reason: Mapped[str] = mapped_column(Text)


class BookingSettingsRow(Base):
    """The facility's scalar booking rules: one row, id 1 (seeded by migration 0002)."""

    __tablename__ = "booking_settings"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    granularity_minutes: Mapped[int] = mapped_column(Integer)
    min_duration_minutes: Mapped[int] = mapped_column(Integer)
    max_duration_minutes: Mapped[int] = mapped_column(Integer)
    min_notice_minutes: Mapped[int] = mapped_column(Integer)
    max_horizon_days: Mapped[int] = mapped_column(Integer)
    default_motion_hours_per_week: Mapped[int] = mapped_column(Integer)
    default_motion_hours_per_month: Mapped[int] = mapped_column(Integer)
    check_in_opens_minutes: Mapped[int] = mapped_column(Integer)
    no_show_after_minutes: Mapped[int] = mapped_column(Integer)


class OpeningHoursRow(Base):
    """Open on ``weekday`` (0 = Monday) between two minutes of the local day."""

    __tablename__ = "opening_hours"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    weekday: Mapped[int] = mapped_column(Integer)
    opens_minute: Mapped[int] = mapped_column(Integer)
    closes_minute: Mapped[int] = mapped_column(Integer)


class BlackoutRow(Base):
    __tablename__ = "blackouts"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    start_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    end_at: Mapped[datetime] = mapped_column(UtcDateTime)
    reason: Mapped[str] = mapped_column(Text)
    cabin_id: Mapped[str | None] = mapped_column(ForeignKey("cabins.id"), nullable=True)


class BookingGenerationRow(Base):
    """Change counters of the booking data (one row, id 1; migration 0005): ``bookings``
    moves with every committed booking or policy change, ``policy`` with policy changes only.
    Caches of booking reads are keyed by them (see ``simhub.booking.cache``)."""

    __tablename__ = "booking_generation"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    bookings: Mapped[int] = mapped_column(BigInteger)
    policy: Mapped[int] = mapped_column(BigInteger)


class BookingChangeRow(Base):
    """One booking a write transaction added or changed, under the bookings counter it
    committed (migration 0006): what the read caches drop answers by."""

    __tablename__ = "booking_changes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    generation: Mapped[int] = mapped_column(BigInteger, index=True)
    organisation_id: Mapped[str] = mapped_column(String(40))
    motion: Mapped[bool] = mapped_column(Boolean)
    planned: Mapped[bool] = mapped_column(Boolean)
    start_at: Mapped[datetime] = mapped_column(UtcDateTime)
    end_at: Mapped[datetime] = mapped_column(UtcDateTime)
    motion_minutes: Mapped[int] = mapped_column(Integer)


class BookingQuotaRow(Base):
    __tablename__ = "booking_quotas"
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), primary_key=True)
    motion_hours_per_week: Mapped[int] = mapped_column(Integer)
    motion_hours_per_month: Mapped[int] = mapped_column(Integer)


class LiveSessionRow(Base):
    """A live session (simhub.session): its binding, lifecycle and final counters."""

    __tablename__ = "live_sessions"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    created_by_user_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    mode: Mapped[str] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(String(20))
    booking_id: Mapped[str] = mapped_column(String(40))
    cabin_id: Mapped[str] = mapped_column(String(40))
    bay_id: Mapped[str] = mapped_column(String(40))
    scenario_ref: Mapped[str] = mapped_column(String(200))
    egos_json: Mapped[str] = mapped_column(Text)
    traffic_json: Mapped[str] = mapped_column(Text)
    physics_hz: Mapped[int] = mapped_column(Integer)  # whole Hz
    frame_hz: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    stopped_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    failure_reason: Mapped[str] = mapped_column(Text)
    recording_path: Mapped[str] = mapped_column(Text)
    stats_json: Mapped[str] = mapped_column(Text)
