"""Booking: bookings and their transitions, the booking settings, opening hours, blackouts,
quotas; on PostgreSQL the exclusion constraints that make overlaps impossible.

The constraints, over slot-holding bookings only (requested, approved, checked in, completed):

- ``ex_bookings_platform``: two motion bookings never overlap;
- ``ex_bookings_changeover``: two motion bookings of *different* cabins never overlap in their
  blocked periods (period padded by the cabin's mount minutes before and unmount minutes
  after), which leaves unmount(old) + mount(new) between them;
- ``ex_bookings_cabin_place``: a cabin's fixed-base bookings never meet its motion bookings'
  blocked periods (a cabin is in one place at a time);
- ``ex_bookings_bay``: a cabin's fixed-base bookings never overlap each other.

Revision ID: 0002_booking
Revises: 0001
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from simhub.storage.tables import UtcDateTime

revision = "0002_booking"  # unique across the parallel branches rooted at 0001
down_revision = "0001"
branch_labels = ("booking",)
depends_on = None

HOLDING = "state IN ('requested', 'approved', 'checked_in', 'completed')"
EXCLUSIONS = {
    "ex_bookings_platform": (
        "tstzrange(start_at, end_at, '[)') WITH &&",
        f"mode = 'motion' AND {HOLDING}",
    ),
    "ex_bookings_changeover": (
        "cabin_id WITH <>, tstzrange(blocked_start, blocked_end, '[)') WITH &&",
        f"mode = 'motion' AND {HOLDING}",
    ),
    "ex_bookings_cabin_place": (
        "cabin_id WITH =, mode WITH <>, tstzrange(blocked_start, blocked_end, '[)') WITH &&",
        HOLDING,
    ),
    "ex_bookings_bay": (
        "cabin_id WITH =, tstzrange(start_at, end_at, '[)') WITH &&",
        f"mode = 'fixed_base' AND {HOLDING}",
    ),
}

# Monday to Friday 07:00-21:00, Saturday 08:00-16:00 (local time); operators change them.
DEFAULT_OPENING_HOURS = [(day, 7 * 60, 21 * 60) for day in range(5)] + [(5, 8 * 60, 16 * 60)]


def upgrade() -> None:
    op.create_table(
        "bookings",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("organisation_id", sa.String(40), nullable=False),
        sa.Column("created_by_user_id", sa.String(40), nullable=False),
        sa.Column("cabin_id", sa.String(40), nullable=False),
        sa.Column("mode", sa.String(20), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("start_at", UtcDateTime(), nullable=False),
        sa.Column("end_at", UtcDateTime(), nullable=False),
        sa.Column("blocked_start", UtcDateTime(), nullable=False),
        sa.Column("blocked_end", UtcDateTime(), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("scenario_ids", sa.Text(), nullable=False),
        sa.Column("request_id", sa.String(100), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("checked_in_at", UtcDateTime(), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name="fk_bookings_organisation_id_organisations",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_user_id"], ["users.id"], name="fk_bookings_created_by_user_id_users"
        ),
        sa.ForeignKeyConstraint(["cabin_id"], ["cabins.id"], name="fk_bookings_cabin_id_cabins"),
        sa.PrimaryKeyConstraint("id", name="pk_bookings"),
        sa.UniqueConstraint(
            "organisation_id", "request_id", name="uq_bookings_organisation_request"
        ),
        sa.CheckConstraint("end_at > start_at", name="ck_bookings_period"),
        sa.CheckConstraint("mode IN ('motion', 'fixed_base')", name="ck_bookings_mode"),
    )
    op.create_index("ix_bookings_organisation_start", "bookings", ["organisation_id", "start_at"])
    op.create_index("ix_bookings_state_start", "bookings", ["state", "start_at"])
    op.create_index("ix_bookings_blocked_start", "bookings", ["blocked_start"])
    op.create_table(
        "booking_transitions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("booking_id", sa.String(40), nullable=False),
        sa.Column("from_state", sa.String(20), nullable=True),
        sa.Column("to_state", sa.String(20), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("by_user_id", sa.String(40), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["bookings.id"], name="fk_booking_transitions_booking_id_bookings"
        ),
        sa.ForeignKeyConstraint(
            ["by_user_id"], ["users.id"], name="fk_booking_transitions_by_user_id_users"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_booking_transitions"),
    )
    op.create_index("ix_booking_transitions_booking_id", "booking_transitions", ["booking_id"])
    settings = op.create_table(
        "booking_settings",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("granularity_minutes", sa.Integer(), nullable=False),
        sa.Column("min_duration_minutes", sa.Integer(), nullable=False),
        sa.Column("max_duration_minutes", sa.Integer(), nullable=False),
        sa.Column("min_notice_minutes", sa.Integer(), nullable=False),
        sa.Column("max_horizon_days", sa.Integer(), nullable=False),
        sa.Column("default_motion_hours_per_week", sa.Integer(), nullable=False),
        sa.Column("default_motion_hours_per_month", sa.Integer(), nullable=False),
        sa.Column("check_in_opens_minutes", sa.Integer(), nullable=False),
        sa.Column("no_show_after_minutes", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_booking_settings"),
    )
    hours = op.create_table(
        "opening_hours",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("opens_minute", sa.Integer(), nullable=False),
        sa.Column("closes_minute", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_opening_hours"),
    )
    op.create_table(
        "blackouts",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("start_at", UtcDateTime(), nullable=False),
        sa.Column("end_at", UtcDateTime(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("cabin_id", sa.String(40), nullable=True),
        sa.ForeignKeyConstraint(["cabin_id"], ["cabins.id"], name="fk_blackouts_cabin_id_cabins"),
        sa.PrimaryKeyConstraint("id", name="pk_blackouts"),
    )
    op.create_index("ix_blackouts_start_at", "blackouts", ["start_at"])
    op.create_table(
        "booking_quotas",
        sa.Column("organisation_id", sa.String(40), nullable=False),
        sa.Column("motion_hours_per_week", sa.Integer(), nullable=False),
        sa.Column("motion_hours_per_month", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name="fk_booking_quotas_organisation_id_organisations",
        ),
        sa.PrimaryKeyConstraint("organisation_id", name="pk_booking_quotas"),
    )
    op.bulk_insert(
        settings,
        [
            {
                "id": 1,
                "granularity_minutes": 15,
                "min_duration_minutes": 30,
                "max_duration_minutes": 480,
                "min_notice_minutes": 120,
                "max_horizon_days": 180,
                "default_motion_hours_per_week": 20,
                "default_motion_hours_per_month": 60,
                "check_in_opens_minutes": 15,
                "no_show_after_minutes": 15,
            }
        ],
    )
    op.bulk_insert(
        hours,
        [
            {"weekday": day, "opens_minute": opens, "closes_minute": closes}
            for day, opens, closes in DEFAULT_OPENING_HOURS
        ],
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
        for name, (elements, where) in EXCLUSIONS.items():
            op.execute(
                f"ALTER TABLE bookings ADD CONSTRAINT {name} "
                f"EXCLUDE USING gist ({elements}) WHERE ({where})"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name in EXCLUSIONS:
            op.execute(f"ALTER TABLE bookings DROP CONSTRAINT {name}")
    for table in (
        "booking_quotas",
        "blackouts",
        "opening_hours",
        "booking_settings",
        "booking_transitions",
        "bookings",
    ):
        op.drop_table(table)
