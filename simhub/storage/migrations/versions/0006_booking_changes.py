"""Booking: the change log behind the read caches' fine invalidation.

``booking_changes`` holds one row per booking a write transaction added or changed, under
the ``booking_generation.bookings`` value that transaction committed (same transaction): a
reader that sees the counter move reads the rows in between and drops only the cached
answers they can alter (``simhub.booking.cache``). Writers prune rows far behind the counter.

Revision ID: 0006_booking_changes
Revises: 0005_booking_generation
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from simhub.storage.tables import UtcDateTime

revision = "0006_booking_changes"
down_revision = "0005_booking_generation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "booking_changes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("generation", sa.BigInteger(), nullable=False),
        sa.Column("organisation_id", sa.String(40), nullable=False),
        sa.Column("motion", sa.Boolean(), nullable=False),
        sa.Column("planned", sa.Boolean(), nullable=False),
        sa.Column("start_at", UtcDateTime(), nullable=False),
        sa.Column("end_at", UtcDateTime(), nullable=False),
        sa.Column("motion_minutes", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_booking_changes"),
    )
    op.create_index("ix_booking_changes_generation", "booking_changes", ["generation"])


def downgrade() -> None:
    op.drop_index("ix_booking_changes_generation", table_name="booking_changes")
    op.drop_table("booking_changes")
