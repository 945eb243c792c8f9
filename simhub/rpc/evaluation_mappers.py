"""Evaluation domain objects <-> ``evaluation_pb2`` messages (the only place that maps them)."""

from __future__ import annotations

from simhub._proto.simhub.v1 import evaluation_pb2 as pb
from simhub.evaluation.criteria import EpisodeResult
from simhub.evaluation.model import Quota, Run, RunState
from simhub.rpc.mappers import timestamp

STATES = {
    RunState.QUEUED: pb.RUN_STATE_QUEUED,
    RunState.RUNNING: pb.RUN_STATE_RUNNING,
    RunState.SUCCEEDED: pb.RUN_STATE_SUCCEEDED,
    RunState.FAILED: pb.RUN_STATE_FAILED,
    RunState.CANCELLED: pb.RUN_STATE_CANCELLED,
}
STATE_NAMES = {v: k for k, v in STATES.items()}


def run(r: Run) -> pb.Run:
    message = pb.Run(
        id=r.id,
        organisation_id=r.organisation_id,
        user_id=r.user_id,
        model_sha256=r.model_sha256,
        suite_name=r.suite_name,
        executor=r.executor.value,
        num_cpus=r.resources.num_cpus,
        num_gpus=r.resources.num_gpus,
        priority=r.priority,
        state=STATES[r.state],
        episodes_total=r.episodes_total,
        episodes_done=r.episodes_done,
        episodes_failed=r.episodes_failed,
        chunks_total=r.chunks_total,
        chunks_done=r.chunks_done,
        cpu_hours=r.cpu_seconds / 3600.0,
        gpu_hours=r.gpu_seconds / 3600.0,
        created_at=timestamp(r.created_at),
        error=r.error,
        cancel_requested=r.cancel_requested,
        suite_yaml=r.suite_yaml,
    )
    if r.started_at is not None:
        message.started_at.CopyFrom(timestamp(r.started_at))
    if r.finished_at is not None:
        message.finished_at.CopyFrom(timestamp(r.finished_at))
    return message


def progress(r: Run, eta_s: float) -> pb.RunProgress:
    return pb.RunProgress(
        run_id=r.id,
        state=STATES[r.state],
        episodes_done=r.episodes_done,
        episodes_failed=r.episodes_failed,
        episodes_total=r.episodes_total,
        eta_s=eta_s,
        error=r.error,
    )


def episode(e: EpisodeResult) -> pb.EpisodeResult:
    return pb.EpisodeResult(
        episode_id=e.episode_id,
        index=e.index,
        scenario=e.scenario,
        parameters=[pb.Parameter(name=k, value=v) for k, v in e.parameters],
        seed=e.seed,
        passed=e.passed,
        score=e.score,
        metrics=dict(e.metrics),
        collided_with=e.collided_with,
        failure=e.failure,
        error=e.error,
    )


def quota(q: Quota) -> pb.EvaluationQuota:
    return pb.EvaluationQuota(
        organisation_id=q.organisation_id,
        cpu_hours_limit=q.cpu_hours_limit,
        gpu_hours_limit=q.gpu_hours_limit,
        cpu_hours_used=q.cpu_hours_used,
        gpu_hours_used=q.gpu_hours_used,
        weight=q.weight,
    )
