"""Live sessions.

Revision ID: 0003_sessions
Revises: 0001
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from simhub.storage.tables import UtcDateTime

revision = "0003_sessions"  # unique across the parallel branches rooted at 0001
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "live_sessions",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("organisation_id", sa.String(40), nullable=False),
        sa.Column("created_by_user_id", sa.String(40), nullable=False),
        sa.Column("mode", sa.String(20), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("booking_id", sa.String(40), nullable=False),
        sa.Column("cabin_id", sa.String(40), nullable=False),
        sa.Column("bay_id", sa.String(40), nullable=False),
        sa.Column("scenario_ref", sa.String(200), nullable=False),
        sa.Column("egos_json", sa.Text(), nullable=False),
        sa.Column("traffic_json", sa.Text(), nullable=False),
        sa.Column("physics_hz", sa.Integer(), nullable=False),
        sa.Column("frame_hz", sa.Integer(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("started_at", UtcDateTime(), nullable=True),
        sa.Column("stopped_at", UtcDateTime(), nullable=True),
        sa.Column("failure_reason", sa.Text(), nullable=False),
        sa.Column("recording_path", sa.Text(), nullable=False),
        sa.Column("stats_json", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name="fk_live_sessions_organisation_id_organisations",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_user_id"], ["users.id"], name="fk_live_sessions_created_by_user_id_users"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_live_sessions"),
    )
    op.create_index("ix_live_sessions_organisation_id", "live_sessions", ["organisation_id"])
    op.create_index("ix_live_sessions_created_at", "live_sessions", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_live_sessions_created_at", table_name="live_sessions")
    op.drop_index("ix_live_sessions_organisation_id", table_name="live_sessions")
    op.drop_table("live_sessions")
