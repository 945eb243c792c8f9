"""Tables of AI-model evaluation (migration ``0030_evaluation``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from simhub.storage.tables import Base, UtcDateTime


class EvalModelRow(Base):
    __tablename__ = "eval_models"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"))
    sha256: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class EvalRunRow(Base):
    __tablename__ = "eval_runs"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    model_id: Mapped[str] = mapped_column(ForeignKey("eval_models.id"))
    model_sha256: Mapped[str] = mapped_column(String(64))
    suite_name: Mapped[str] = mapped_column(String(200))
    suite_yaml: Mapped[str] = mapped_column(Text)
    executor: Mapped[str] = mapped_column(String(10))
    num_cpus: Mapped[float] = mapped_column(Float)
    num_gpus: Mapped[float] = mapped_column(Float)
    priority: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(12))
    episodes_total: Mapped[int] = mapped_column(Integer)
    episodes_done: Mapped[int] = mapped_column(Integer)
    episodes_failed: Mapped[int] = mapped_column(Integer)
    chunks_total: Mapped[int] = mapped_column(Integer)
    chunks_done: Mapped[int] = mapped_column(Integer)
    cpu_seconds: Mapped[float] = mapped_column(Float)
    gpu_seconds: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    error: Mapped[str] = mapped_column(Text)
    cancel_requested: Mapped[bool] = mapped_column(Boolean)

    __table_args__ = (
        Index("ix_eval_runs_state_created_at", "state", "created_at"),
        Index("ix_eval_runs_organisation_id_created_at", "organisation_id", "created_at"),
    )


class EvalChunkRow(Base):
    """One stored chunk: the primary key makes storing a chunk twice impossible."""

    __tablename__ = "eval_chunks"
    run_id: Mapped[str] = mapped_column(ForeignKey("eval_runs.id"), primary_key=True)
    chunk_index: Mapped[int] = mapped_column(Integer, primary_key=True)
    worker: Mapped[str] = mapped_column(String(200))
    wall_s: Mapped[float] = mapped_column(Float)
    completed_at: Mapped[datetime] = mapped_column(UtcDateTime)


class EvalEpisodeRow(Base):
    __tablename__ = "eval_episodes"
    run_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    episode_index: Mapped[int] = mapped_column(Integer, primary_key=True)
    chunk_index: Mapped[int] = mapped_column(Integer)
    episode_id: Mapped[str] = mapped_column(String(500))
    scenario: Mapped[str] = mapped_column(String(200))
    parameters_json: Mapped[str] = mapped_column(Text)
    seed: Mapped[int] = mapped_column(Integer)
    passed: Mapped[bool] = mapped_column(Boolean)
    score: Mapped[float] = mapped_column(Float)
    metrics_json: Mapped[str] = mapped_column(Text)
    collided_with: Mapped[str] = mapped_column(String(200))
    failure: Mapped[str] = mapped_column(Text)
    error: Mapped[str] = mapped_column(Text)

    __table_args__ = (
        ForeignKeyConstraint(
            ["run_id", "chunk_index"],
            ["eval_chunks.run_id", "eval_chunks.chunk_index"],
            name="fk_eval_episodes_chunk",
        ),
    )


class EvalQuotaRow(Base):
    __tablename__ = "eval_quotas"
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), primary_key=True)
    cpu_hours_limit: Mapped[float] = mapped_column(Float)
    gpu_hours_limit: Mapped[float] = mapped_column(Float)
    cpu_seconds_used: Mapped[float] = mapped_column(Float)
    gpu_seconds_used: Mapped[float] = mapped_column(Float)
    weight: Mapped[float] = mapped_column(Float)
