"""Booking: indexes for the hot queries (FindSlots, GetSchedule, RequestBooking, the sweep).

- ``ix_bookings_state_blocked_end``: slot-holding bookings meeting a period (``blocked_end >
  start`` per state), instead of every slot-holding booking since the first;
- ``ix_bookings_mode_start``: the motion booking just before / after a time, read in index
  order (no sort of the whole history);
- ``ix_bookings_organisation_end``: an organisation's motion periods in its quota windows;
- ``ix_bookings_state_mode_start``: "is an approved motion booking overdue?" (the sweep).

Revision ID: 0004_booking_indexes
Revises: 0002_booking
Create Date: 2026-12-01
"""

from __future__ import annotations

from alembic import op

revision = "0004_booking_indexes"
down_revision = "0002_booking"
branch_labels = None
depends_on = None

INDEXES = {
    "ix_bookings_state_blocked_end": ["state", "blocked_end"],
    "ix_bookings_mode_start": ["mode", "start_at"],
    "ix_bookings_organisation_end": ["organisation_id", "end_at"],
    "ix_bookings_state_mode_start": ["state", "mode", "start_at"],
}


def upgrade() -> None:
    for name, columns in INDEXES.items():
        op.create_index(name, "bookings", columns)


def downgrade() -> None:
    for name in INDEXES:
        op.drop_index(name, table_name="bookings")
