"""Booking: one row of change counters, for caches that must never serve stale reads.

``booking_generation`` (id 1) holds two counters: ``bookings``, bumped inside every write
transaction that changes a booking or the policy, and ``policy``, bumped by policy changes
only (rules, opening hours, blackouts, quotas). A reader reads the row first, then the data:
anything it computes is at least as new as the counters it read, so a result cached under
them is valid until they move, in this process or any other (the bump commits with the data).

Revision ID: 0005_booking_generation
Revises: 0004_booking_indexes
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_booking_generation"
down_revision = "0004_booking_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table(
        "booking_generation",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("bookings", sa.BigInteger(), nullable=False),
        sa.Column("policy", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.bulk_insert(table, [{"id": 1, "bookings": 0, "policy": 0}])


def downgrade() -> None:
    op.drop_table("booking_generation")
