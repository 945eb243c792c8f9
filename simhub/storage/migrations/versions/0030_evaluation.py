"""AI-model evaluation: models, runs, chunks, episodes, quotas.

Revision ID: 0030_evaluation
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from simhub.storage.tables import UtcDateTime

revision = "0030_evaluation"
down_revision = "0001"
branch_labels = None
depends_on = None


def _org_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["organisation_id"], ["organisations.id"], name=f"fk_{table}_organisation_id_organisations"
    )


def upgrade() -> None:
    op.create_table(
        "eval_models",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("organisation_id", sa.String(40), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        _org_fk("eval_models"),
        sa.PrimaryKeyConstraint("id", name="pk_eval_models"),
    )
    op.create_table(
        "eval_runs",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("organisation_id", sa.String(40), nullable=False),
        sa.Column("user_id", sa.String(40), nullable=False),
        sa.Column("model_id", sa.String(40), nullable=False),
        sa.Column("model_sha256", sa.String(64), nullable=False),
        sa.Column("suite_name", sa.String(200), nullable=False),
        sa.Column("suite_yaml", sa.Text(), nullable=False),
        sa.Column("executor", sa.String(10), nullable=False),
        sa.Column("num_cpus", sa.Float(), nullable=False),
        sa.Column("num_gpus", sa.Float(), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("episodes_total", sa.Integer(), nullable=False),
        sa.Column("episodes_done", sa.Integer(), nullable=False),
        sa.Column("episodes_failed", sa.Integer(), nullable=False),
        sa.Column("chunks_total", sa.Integer(), nullable=False),
        sa.Column("chunks_done", sa.Integer(), nullable=False),
        sa.Column("cpu_seconds", sa.Float(), nullable=False),
        sa.Column("gpu_seconds", sa.Float(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("started_at", UtcDateTime(), nullable=True),
        sa.Column("finished_at", UtcDateTime(), nullable=True),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("cancel_requested", sa.Boolean(), nullable=False),
        _org_fk("eval_runs"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_eval_runs_user_id_users"),
        sa.ForeignKeyConstraint(
            ["model_id"], ["eval_models.id"], name="fk_eval_runs_model_id_eval_models"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_eval_runs"),
    )
    op.create_index("ix_eval_runs_state_created_at", "eval_runs", ["state", "created_at"])
    op.create_index(
        "ix_eval_runs_organisation_id_created_at", "eval_runs", ["organisation_id", "created_at"]
    )
    op.create_table(
        "eval_chunks",
        sa.Column("run_id", sa.String(40), nullable=False),
        sa.Column("chunk_index", sa.Integer(), nullable=False),
        sa.Column("worker", sa.String(200), nullable=False),
        sa.Column("wall_s", sa.Float(), nullable=False),
        sa.Column("completed_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["eval_runs.id"], name="fk_eval_chunks_run_id_eval_runs"
        ),
        sa.PrimaryKeyConstraint("run_id", "chunk_index", name="pk_eval_chunks"),
    )
    op.create_table(
        "eval_episodes",
        sa.Column("run_id", sa.String(40), nullable=False),
        sa.Column("episode_index", sa.Integer(), nullable=False),
        sa.Column("chunk_index", sa.Integer(), nullable=False),
        sa.Column("episode_id", sa.String(500), nullable=False),
        sa.Column("scenario", sa.String(200), nullable=False),
        sa.Column("parameters_json", sa.Text(), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("passed", sa.Boolean(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("metrics_json", sa.Text(), nullable=False),
        sa.Column("collided_with", sa.String(200), nullable=False),
        sa.Column("failure", sa.Text(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id", "chunk_index"],
            ["eval_chunks.run_id", "eval_chunks.chunk_index"],
            name="fk_eval_episodes_chunk",
        ),
        sa.PrimaryKeyConstraint("run_id", "episode_index", name="pk_eval_episodes"),
    )
    op.create_table(
        "eval_quotas",
        sa.Column("organisation_id", sa.String(40), nullable=False),
        sa.Column("cpu_hours_limit", sa.Float(), nullable=False),
        sa.Column("gpu_hours_limit", sa.Float(), nullable=False),
        sa.Column("cpu_seconds_used", sa.Float(), nullable=False),
        sa.Column("gpu_seconds_used", sa.Float(), nullable=False),
        sa.Column("weight", sa.Float(), nullable=False),
        _org_fk("eval_quotas"),
        sa.PrimaryKeyConstraint("organisation_id", name="pk_eval_quotas"),
    )


def downgrade() -> None:
    op.drop_table("eval_quotas")
    op.drop_table("eval_episodes")
    op.drop_table("eval_chunks")
    op.drop_index("ix_eval_runs_organisation_id_created_at", table_name="eval_runs")
    op.drop_index("ix_eval_runs_state_created_at", table_name="eval_runs")
    op.drop_table("eval_runs")
    op.drop_table("eval_models")
