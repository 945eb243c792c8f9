"""The tables, as typed SQLAlchemy 2 ORM classes. Migrations in ``migrations/versions`` create
them; ``tests/storage/test_migrations.py`` checks the two agree."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, ForeignKey, Integer, MetaData, String, Text, TypeDecorator
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
