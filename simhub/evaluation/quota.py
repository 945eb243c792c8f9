"""Quotas in CPU-hours and GPU-hours: checked at submit, charged for what actually ran."""

from __future__ import annotations

from simhub.errors import QuotaExceeded, QuotaViolation
from simhub.evaluation.model import Quota, Resources

DEFAULT_CPU_HOURS = 100.0
DEFAULT_GPU_HOURS = 10.0


def charge(wall_s: float, resources: Resources) -> tuple[float, float]:
    """CPU-seconds and GPU-seconds one chunk costs: its wall time x what it asked for."""
    return wall_s * resources.num_cpus, wall_s * resources.num_gpus


def check_submit(quota: Quota, resources: Resources) -> None:
    """Refuse a run when the organisation has used up a quota the run would draw on."""
    bad = []
    if quota.cpu_hours_used >= quota.cpu_hours_limit and resources.num_cpus > 0:
        bad.append(
            QuotaViolation(
                f"organisation:{quota.organisation_id}:cpu_hours",
                f"used {quota.cpu_hours_used:.3f} of {quota.cpu_hours_limit:g} CPU-hours",
            )
        )
    if quota.gpu_hours_used >= quota.gpu_hours_limit and resources.num_gpus > 0:
        bad.append(
            QuotaViolation(
                f"organisation:{quota.organisation_id}:gpu_hours",
                f"used {quota.gpu_hours_used:.3f} of {quota.gpu_hours_limit:g} GPU-hours",
            )
        )
    if bad:
        raise QuotaExceeded(
            "the organisation's evaluation quota is used up; ask the facility operator for more",
            bad,
        )
