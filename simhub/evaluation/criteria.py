"""Criteria, scores and pass/fail rules, per episode and per suite.

An episode fails when the ego collides, leaves the road, runs a red light, or when the model
answered NaN / infinite actions for it (``error``). Its score (0-100) starts at 100 and loses:

=====================================  ========
rule                                   penalty
=====================================  ========
collision or off-road                  all
lane departure                         20
each red-light violation               30
speeding, per second above 105 %       2 (at most 20)
min time to collision below 1.5 s      10
max deceleration above 6 m/s^2         10
max jerk above 15 m/s^3                5
=====================================  ========

and is then scaled by ``0.5 + 0.5 x route completion``. A suite passes when at least its
``pass_rate`` share of episodes passes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from simhub.evaluation.suite import Episode

TTC_CRITICAL_S = 1.5
HARSH_DECELERATION_M_S2 = 6.0
HARSH_JERK_M_S3 = 15.0

METRIC_NAMES = (
    "collision",
    "collision_relative_speed_m_s",
    "collision_time_s",
    "off_road",
    "lane_departure",
    "min_ttc_s",
    "min_time_headway_s",
    "max_deceleration_m_s2",
    "max_jerk_m_s3",
    "speeding_s",
    "red_light_violations",
    "time_to_goal_s",
    "route_completion",
    "distance_m",
    "max_speed_m_s",
)


@dataclass(frozen=True)
class EpisodeResult:
    episode_id: str
    index: int
    scenario: str
    parameters: tuple[tuple[str, float], ...]
    seed: int
    passed: bool
    score: float
    metrics: Mapping[str, float]
    collided_with: str = ""
    failure: str = ""  # why it failed, in words ("" when passed)
    error: str = ""  # the model broke the contract for this episode


def judge(
    episode: Episode, metrics: Mapping[str, float], collided_with: str, error: str
) -> EpisodeResult:
    """Score and pass/fail of one episode from its metrics (rules in the module doc)."""
    reasons = []
    if error:
        reasons.append(error)
    if metrics["collision"]:
        reasons.append(
            f"collision with {collided_with} at {metrics['collision_relative_speed_m_s']:.1f} m/s"
        )
    if metrics["off_road"]:
        reasons.append("left the road")
    if metrics["red_light_violations"]:
        reasons.append("ran a red light")
    if error or metrics["collision"] or metrics["off_road"]:
        score = 0.0
    else:
        penalty = 20.0 * metrics["lane_departure"] + 30.0 * metrics["red_light_violations"]
        penalty += min(20.0, 2.0 * metrics["speeding_s"])
        penalty += 10.0 if metrics["min_ttc_s"] < TTC_CRITICAL_S else 0.0
        penalty += 10.0 if metrics["max_deceleration_m_s2"] > HARSH_DECELERATION_M_S2 else 0.0
        penalty += 5.0 if metrics["max_jerk_m_s3"] > HARSH_JERK_M_S3 else 0.0
        score = max(0.0, 100.0 - penalty) * (0.5 + 0.5 * metrics["route_completion"])
    return EpisodeResult(
        episode_id=episode.id,
        index=episode.index,
        scenario=episode.scenario,
        parameters=episode.parameters,
        seed=episode.seed,
        passed=not reasons,
        score=round(score, 6),
        metrics=dict(metrics),
        collided_with=collided_with,
        failure="; ".join(reasons),
        error=error,
    )


@dataclass(frozen=True)
class ScenarioSummary:
    scenario: str
    episodes: int
    passed: int
    collisions: int
    off_road: int
    errors: int
    mean_score: float

    @property
    def failure_rate(self) -> float:
        return 1.0 - self.passed / self.episodes if self.episodes else 0.0


@dataclass(frozen=True)
class SuiteSummary:
    episodes: int
    passed: int
    mean_score: float
    pass_rate: float
    suite_passed: bool
    scenarios: tuple[ScenarioSummary, ...] = field(default_factory=tuple)


def summarise(results: Sequence[EpisodeResult], pass_rate: float) -> SuiteSummary:
    """Per-scenario and overall figures; ``suite_passed`` applies the suite's pass rate."""
    by_scenario: dict[str, list[EpisodeResult]] = {}
    for r in results:
        by_scenario.setdefault(r.scenario, []).append(r)
    scenarios = tuple(
        ScenarioSummary(
            scenario=name,
            episodes=len(rs),
            passed=sum(r.passed for r in rs),
            collisions=sum(bool(r.metrics.get("collision")) for r in rs),
            off_road=sum(bool(r.metrics.get("off_road")) for r in rs),
            errors=sum(bool(r.error) for r in rs),
            mean_score=sum(r.score for r in rs) / len(rs),
        )
        for name, rs in by_scenario.items()
    )
    n = len(results)
    passed = sum(r.passed for r in results)
    share = passed / n if n else 0.0
    return SuiteSummary(
        episodes=n,
        passed=passed,
        mean_score=sum(r.score for r in results) / n if n else math.nan,
        pass_rate=share,
        suite_passed=n > 0 and share >= pass_rate,
        scenarios=scenarios,
    )
