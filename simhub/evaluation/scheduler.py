"""Which queued run goes next: operator priority first, then fair share between organisations.

Fair share: among organisations with waiting runs, the one with the fewest runs executing now
goes first; then the one that used the least compute (CPU-hours + GPU-hours weighted x10)
relative to its weight; then the oldest submission. One organisation flooding the queue
therefore cannot starve another.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from simhub.evaluation.model import Quota, Run

GPU_HOUR_WEIGHT = 10.0  # one GPU-hour counts like ten CPU-hours in the fair-share order


def usage(quota: Quota) -> float:
    return (quota.cpu_hours_used + GPU_HOUR_WEIGHT * quota.gpu_hours_used) / max(quota.weight, 1e-9)


def pick(
    queued: Sequence[Run], running: Mapping[str, int], quotas: Mapping[str, Quota]
) -> Run | None:
    """The run to start next, or None when nothing waits."""
    if not queued:
        return None

    def key(run: Run) -> tuple[float, int, float, float]:
        quota = quotas.get(run.organisation_id)
        return (
            -run.priority,
            running.get(run.organisation_id, 0),
            usage(quota) if quota else 0.0,
            run.created_at.timestamp(),
        )

    return min(queued, key=key)
