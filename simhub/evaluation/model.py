"""Runs, quotas and progress: the records the evaluation service keeps."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime


class RunState(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def finished(self) -> bool:
        return self in (RunState.SUCCEEDED, RunState.FAILED, RunState.CANCELLED)


class ExecutorKind(enum.StrEnum):
    LOCAL = "local"
    RAY = "ray"


@dataclass(frozen=True)
class Resources:
    """What each chunk task asks for: CPU cores and GPUs (fractions allowed on Ray)."""

    num_cpus: float = 1.0
    num_gpus: float = 0.0


@dataclass(frozen=True)
class Run:
    id: str
    organisation_id: str
    user_id: str
    model_id: str
    model_sha256: str
    suite_name: str
    suite_yaml: str  # the expanded suite document, as stored
    executor: ExecutorKind
    resources: Resources
    priority: int  # set by the operator; higher runs first
    state: RunState
    episodes_total: int
    episodes_done: int
    episodes_failed: int  # done but not passed (criteria or model errors)
    chunks_total: int
    chunks_done: int
    cpu_seconds: float  # charged: wall time of finished chunks x num_cpus
    gpu_seconds: float  # charged: wall time of finished chunks x num_gpus
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    error: str
    cancel_requested: bool


@dataclass(frozen=True)
class Quota:
    """An organisation's limits and what it used (hours); ``weight`` is its fair share."""

    organisation_id: str
    cpu_hours_limit: float
    gpu_hours_limit: float
    cpu_hours_used: float
    gpu_hours_used: float
    weight: float = 1.0
