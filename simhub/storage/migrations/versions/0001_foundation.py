"""Foundation: identity, cabins, placements, changeovers.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from simhub.storage.tables import UtcDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "organisations",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_organisations"),
        sa.UniqueConstraint("name", name="uq_organisations_name"),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("organisation_id", sa.String(40), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"], name="fk_users_organisation_id_organisations"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
    )
    op.create_index("ix_users_organisation_id", "users", ["organisation_id"])
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("user_id", sa.String(40), nullable=False),
        sa.Column("secret_sha256", sa.String(64), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=True),
        sa.Column("revoked_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_api_tokens_user_id_users"),
        sa.PrimaryKeyConstraint("id", name="pk_api_tokens"),
        sa.UniqueConstraint("secret_sha256", name="uq_api_tokens_secret_sha256"),
    )
    op.create_index("ix_api_tokens_user_id", "api_tokens", ["user_id"])
    op.create_table(
        "cabins",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("cabin_class", sa.String(20), nullable=False),
        sa.Column("mount_minutes", sa.Integer(), nullable=False),
        sa.Column("unmount_minutes", sa.Integer(), nullable=False),
        sa.Column("home_bay_id", sa.String(40), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_cabins"),
    )
    op.create_table(
        "cabin_placements",
        sa.Column("cabin_id", sa.String(40), nullable=False),
        sa.Column("location", sa.String(40), nullable=False),
        sa.Column("since", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["cabin_id"], ["cabins.id"], name="fk_cabin_placements_cabin_id_cabins"
        ),
        sa.PrimaryKeyConstraint("cabin_id", name="pk_cabin_placements"),
    )
    op.create_table(
        "changeovers",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("from_cabin_id", sa.String(40), nullable=True),
        sa.Column("to_cabin_id", sa.String(40), nullable=False),
        sa.Column("started_at", UtcDateTime(), nullable=False),
        sa.Column("completes_at", UtcDateTime(), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("requested_by_user_id", sa.String(40), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["from_cabin_id"], ["cabins.id"], name="fk_changeovers_from_cabin_id_cabins"
        ),
        sa.ForeignKeyConstraint(
            ["to_cabin_id"], ["cabins.id"], name="fk_changeovers_to_cabin_id_cabins"
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_user_id"], ["users.id"], name="fk_changeovers_requested_by_user_id_users"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_changeovers"),
    )
    op.create_index("ix_changeovers_started_at", "changeovers", ["started_at"])


def downgrade() -> None:
    for table in (
        "changeovers",
        "cabin_placements",
        "cabins",
        "api_tokens",
        "users",
        "organisations",
    ):
        op.drop_table(table)
