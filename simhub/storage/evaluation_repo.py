"""``EvaluationRepository`` over SQLAlchemy: runs, per-chunk results, quotas."""

from __future__ import annotations

import json
import math
from datetime import datetime

from sqlalchemy import func, select, update

from simhub.evaluation.criteria import EpisodeResult
from simhub.evaluation.model import ExecutorKind, Quota, Resources, Run, RunState
from simhub.evaluation.quota import DEFAULT_CPU_HOURS, DEFAULT_GPU_HOURS
from simhub.evaluation.rollout import ChunkResult
from simhub.identity.tokens import new_id
from simhub.storage.db import Database
from simhub.storage.evaluation_tables import (
    EvalChunkRow,
    EvalEpisodeRow,
    EvalModelRow,
    EvalQuotaRow,
    EvalRunRow,
)


def _run(row: EvalRunRow) -> Run:
    return Run(
        id=row.id,
        organisation_id=row.organisation_id,
        user_id=row.user_id,
        model_id=row.model_id,
        model_sha256=row.model_sha256,
        suite_name=row.suite_name,
        suite_yaml=row.suite_yaml,
        executor=ExecutorKind(row.executor),
        resources=Resources(row.num_cpus, row.num_gpus),
        priority=row.priority,
        state=RunState(row.state),
        episodes_total=row.episodes_total,
        episodes_done=row.episodes_done,
        episodes_failed=row.episodes_failed,
        chunks_total=row.chunks_total,
        chunks_done=row.chunks_done,
        cpu_seconds=row.cpu_seconds,
        gpu_seconds=row.gpu_seconds,
        created_at=row.created_at,
        started_at=row.started_at,
        finished_at=row.finished_at,
        error=row.error,
        cancel_requested=row.cancel_requested,
    )


def _json_float(value: float) -> float | str:
    return value if math.isfinite(value) else str(value)  # JSON has no inf / nan


def _episode(row: EvalEpisodeRow) -> EpisodeResult:
    return EpisodeResult(
        episode_id=row.episode_id,
        index=row.episode_index,
        scenario=row.scenario,
        parameters=tuple((k, float(v)) for k, v in json.loads(row.parameters_json)),
        seed=row.seed,
        passed=row.passed,
        score=row.score,
        metrics={k: float(v) for k, v in json.loads(row.metrics_json).items()},
        collided_with=row.collided_with,
        failure=row.failure,
        error=row.error,
    )


class SqlEvaluationStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    def add_model(self, organisation_id: str, content: bytes, sha256: str, at: datetime) -> str:
        model_id = new_id("mdl")
        with self._db.write() as s:
            s.add(
                EvalModelRow(
                    id=model_id,
                    organisation_id=organisation_id,
                    sha256=sha256,
                    size_bytes=len(content),
                    content=content,
                    created_at=at,
                )
            )
        return model_id

    def model(self, model_id: str) -> bytes:
        with self._db.read() as s:
            row = s.get(EvalModelRow, model_id)
            assert row is not None, model_id
            return row.content

    def add_run(self, run: Run) -> None:
        with self._db.write() as s:
            s.add(
                EvalRunRow(
                    id=run.id,
                    organisation_id=run.organisation_id,
                    user_id=run.user_id,
                    model_id=run.model_id,
                    model_sha256=run.model_sha256,
                    suite_name=run.suite_name,
                    suite_yaml=run.suite_yaml,
                    executor=run.executor.value,
                    num_cpus=run.resources.num_cpus,
                    num_gpus=run.resources.num_gpus,
                    priority=run.priority,
                    state=run.state.value,
                    episodes_total=run.episodes_total,
                    episodes_done=run.episodes_done,
                    episodes_failed=run.episodes_failed,
                    chunks_total=run.chunks_total,
                    chunks_done=run.chunks_done,
                    cpu_seconds=run.cpu_seconds,
                    gpu_seconds=run.gpu_seconds,
                    created_at=run.created_at,
                    started_at=run.started_at,
                    finished_at=run.finished_at,
                    error=run.error,
                    cancel_requested=run.cancel_requested,
                )
            )

    def get(self, run_id: str) -> Run | None:
        with self._db.read() as s:
            row = s.get(EvalRunRow, run_id)
            return _run(row) if row else None

    def list_runs(self, organisation_id: str | None, limit: int, offset: int) -> list[Run]:
        query = select(EvalRunRow).order_by(EvalRunRow.created_at.desc(), EvalRunRow.id)
        if organisation_id is not None:
            query = query.where(EvalRunRow.organisation_id == organisation_id)
        with self._db.read() as s:
            return [_run(r) for r in s.scalars(query.offset(offset).limit(limit))]

    def queued(self) -> list[Run]:
        query = select(EvalRunRow).where(EvalRunRow.state == RunState.QUEUED.value)
        with self._db.read() as s:
            return [_run(r) for r in s.scalars(query.order_by(EvalRunRow.created_at))]

    def running_count_by_organisation(self) -> dict[str, int]:
        query = (
            select(EvalRunRow.organisation_id, func.count())
            .where(EvalRunRow.state == RunState.RUNNING.value)
            .group_by(EvalRunRow.organisation_id)
        )
        with self._db.read() as s:
            return {org: int(n) for org, n in s.execute(query)}

    def start(self, run_id: str, at: datetime) -> bool:
        with self._db.write() as s:
            result = s.execute(
                update(EvalRunRow)
                .where(EvalRunRow.id == run_id, EvalRunRow.state == RunState.QUEUED.value)
                .values(state=RunState.RUNNING.value, started_at=at)
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]

    def requeue_interrupted(self) -> list[str]:
        with self._db.write() as s:
            ids = list(
                s.scalars(select(EvalRunRow.id).where(EvalRunRow.state == RunState.RUNNING.value))
            )
            s.execute(
                update(EvalRunRow).where(EvalRunRow.id.in_(ids)).values(state=RunState.QUEUED.value)
            )
            return ids

    def done_chunks(self, run_id: str) -> set[int]:
        with self._db.read() as s:
            return set(
                s.scalars(select(EvalChunkRow.chunk_index).where(EvalChunkRow.run_id == run_id))
            )

    def save_chunk(
        self, run_id: str, result: ChunkResult, cpu_s: float, gpu_s: float, at: datetime
    ) -> bool:
        with self._db.write() as s:
            if s.get(EvalChunkRow, (run_id, result.chunk_index)) is not None:
                return False  # a retried task's second answer: already stored
            run = s.get(EvalRunRow, run_id)
            assert run is not None, run_id
            s.add(
                EvalChunkRow(
                    run_id=run_id,
                    chunk_index=result.chunk_index,
                    worker=result.worker,
                    wall_s=result.wall_s,
                    completed_at=at,
                )
            )
            s.flush()
            s.add_all(
                EvalEpisodeRow(
                    run_id=run_id,
                    episode_index=e.index,
                    chunk_index=result.chunk_index,
                    episode_id=e.episode_id,
                    scenario=e.scenario,
                    parameters_json=json.dumps([list(p) for p in e.parameters]),
                    seed=e.seed,
                    passed=e.passed,
                    score=e.score,
                    metrics_json=json.dumps({k: _json_float(v) for k, v in e.metrics.items()}),
                    collided_with=e.collided_with,
                    failure=e.failure,
                    error=e.error,
                )
                for e in result.episodes
            )
            run.episodes_done += len(result.episodes)
            run.episodes_failed += sum(not e.passed for e in result.episodes)
            run.chunks_done += 1
            run.cpu_seconds += cpu_s
            run.gpu_seconds += gpu_s
            quota = self._quota_row(s, run.organisation_id)
            quota.cpu_seconds_used += cpu_s
            quota.gpu_seconds_used += gpu_s
            return True

    def finish(self, run_id: str, state: RunState, error: str, at: datetime) -> None:
        with self._db.write() as s:
            s.execute(
                update(EvalRunRow)
                .where(EvalRunRow.id == run_id)
                .values(state=state.value, error=error, finished_at=at)
            )

    def request_cancel(self, run_id: str) -> None:
        with self._db.write() as s:
            s.execute(
                update(EvalRunRow).where(EvalRunRow.id == run_id).values(cancel_requested=True)
            )

    def set_priority(self, run_id: str, priority: int) -> None:
        with self._db.write() as s:
            s.execute(update(EvalRunRow).where(EvalRunRow.id == run_id).values(priority=priority))

    def results(self, run_id: str, limit: int, offset: int) -> list[EpisodeResult]:
        query = (
            select(EvalEpisodeRow)
            .where(EvalEpisodeRow.run_id == run_id)
            .order_by(EvalEpisodeRow.episode_index)
            .offset(offset)
            .limit(limit)
        )
        with self._db.read() as s:
            return [_episode(r) for r in s.scalars(query)]

    @staticmethod
    def _quota_row(s: object, organisation_id: str) -> EvalQuotaRow:
        from sqlalchemy.orm import Session

        assert isinstance(s, Session)
        row = s.get(EvalQuotaRow, organisation_id)
        if row is None:
            row = EvalQuotaRow(
                organisation_id=organisation_id,
                cpu_hours_limit=DEFAULT_CPU_HOURS,
                gpu_hours_limit=DEFAULT_GPU_HOURS,
                cpu_seconds_used=0.0,
                gpu_seconds_used=0.0,
                weight=1.0,
            )
            s.add(row)
            s.flush()
        return row

    def quota(self, organisation_id: str) -> Quota:
        with self._db.read() as s:
            row = s.get(EvalQuotaRow, organisation_id)
            if row is None:
                return Quota(organisation_id, DEFAULT_CPU_HOURS, DEFAULT_GPU_HOURS, 0.0, 0.0)
            return _quota(row)

    def set_quota(
        self, organisation_id: str, cpu_hours: float, gpu_hours: float, weight: float
    ) -> Quota:
        with self._db.write() as s:
            row = self._quota_row(s, organisation_id)
            row.cpu_hours_limit, row.gpu_hours_limit, row.weight = cpu_hours, gpu_hours, weight
            return _quota(row)


def _quota(row: EvalQuotaRow) -> Quota:
    return Quota(
        organisation_id=row.organisation_id,
        cpu_hours_limit=row.cpu_hours_limit,
        gpu_hours_limit=row.gpu_hours_limit,
        cpu_hours_used=row.cpu_seconds_used / 3600.0,
        gpu_hours_used=row.gpu_seconds_used / 3600.0,
        weight=row.weight,
    )
