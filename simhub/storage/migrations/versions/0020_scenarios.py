"""Scenario library: scenarios, versions, files.

Revision ID: 0020_scenarios
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from simhub.storage.tables import UtcDateTime

revision = "0020_scenarios"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "scenarios",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("organisation_id", sa.String(40), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("latest_version", sa.Integer(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("deleted_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name="fk_scenarios_organisation_id_organisations",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_scenarios"),
    )
    op.create_index(
        "uq_scenarios_organisation_id_name_live",
        "scenarios",
        ["organisation_id", "name"],
        unique=True,
        sqlite_where=sa.text("deleted_at IS NULL"),
        postgresql_where=sa.text("deleted_at IS NULL"),
    )
    op.create_table(
        "scenario_versions",
        sa.Column("scenario_id", sa.String(40), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("main_file", sa.String(500), nullable=False),
        sa.Column("format", sa.String(10), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("concrete_scenarios", sa.Integer(), nullable=False),
        sa.Column("warnings_json", sa.Text(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("created_by_user_id", sa.String(40), nullable=False),
        sa.ForeignKeyConstraint(
            ["scenario_id"], ["scenarios.id"], name="fk_scenario_versions_scenario_id_scenarios"
        ),
        sa.ForeignKeyConstraint(
            ["created_by_user_id"],
            ["users.id"],
            name="fk_scenario_versions_created_by_user_id_users",
        ),
        sa.PrimaryKeyConstraint("scenario_id", "version", name="pk_scenario_versions"),
    )
    op.create_table(
        "scenario_files",
        sa.Column("scenario_id", sa.String(40), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("path", sa.String(500), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["scenario_id", "version"],
            ["scenario_versions.scenario_id", "scenario_versions.version"],
            name="fk_scenario_files_version",
        ),
        sa.PrimaryKeyConstraint("scenario_id", "version", "path", name="pk_scenario_files"),
    )


def downgrade() -> None:
    op.drop_table("scenario_files")
    op.drop_table("scenario_versions")
    op.drop_index("uq_scenarios_organisation_id_name_live", table_name="scenarios")
    op.drop_table("scenarios")
