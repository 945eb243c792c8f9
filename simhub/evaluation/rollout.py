"""Closed-loop rollout of one chunk with the scenario engine: one ``BatchWorld`` for all its
episodes, the policy batched over them.

A chunk holds episodes of one suite scenario (``suite.chunks``), so its concrete scenarios are
variants of one file and compile into one engine batch (``simhub.engine.compile_batch``), the
ego bound to an external controller (``sources.bind_ego``). Per physics step the engine steps
every episode at once; per policy period (``1 / policy_hz`` s) ``PolicyController`` builds the
contract's observations from the world arrays and the road, asks the policy once for the whole
batch and checks the answer (a wrong shape or dtype fails the chunk; NaN rows fail only those
episodes). Criteria come from the engine's metrics (collision, its time, min TTC) and from
``observe.measure`` over the world arrays (off-road, lane departure, headway, comfort, speed).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from simhub.engine import BatchWorld, compile_batch
from simhub.engine.world import MODE_DYNAMICS
from simhub.errors import FieldViolation, InvalidArgument
from simhub.evaluation import observe as ob
from simhub.evaluation.adapter import EGO_VEHICLE, PolicyController
from simhub.evaluation.criteria import EpisodeResult, judge
from simhub.evaluation.policy import Policy, check_spec
from simhub.evaluation.sources import prepared
from simhub.evaluation.suite import Chunk, Suite, SuiteScenario
from simhub.scenario import Scenario
from simhub.scenario.expressions import ExpressionError, evaluate
from simhub.scenario.library import Bundle

KPH = 1.0 / 3.6


@dataclass(frozen=True)
class ChunkResult:
    chunk_index: int
    episodes: tuple[EpisodeResult, ...]
    wall_s: float = 0.0
    worker: str = ""


def _expression(text: str, scenario: Scenario, field: str) -> float:
    """A suite number or expression over the scenario's parameters (``4 * $EgoSpeed / 3.6``)."""
    body = text[2:-1] if text.startswith("${") and text.endswith("}") else text

    def lookup(name: str, position: int) -> float | str:
        if name not in scenario.parameters:
            raise ExpressionError(f"unknown parameter ${name}", position)
        value = scenario.parameters[name]
        try:
            return float(value)
        except ValueError:
            return value

    try:
        value = evaluate(body, lookup)
    except ExpressionError as exc:
        raise InvalidArgument(
            f"suite: {field}: {exc}", [FieldViolation(f"suite.{field}", str(exc))]
        ) from exc
    if isinstance(value, str | bool):
        raise InvalidArgument(
            f"suite: {field}: {text!r} is not a number",
            [FieldViolation(f"suite.{field}", "a number")],
        )
    return float(value)


def compile_chunk(
    chunk: Chunk, suite: Suite, bundles: Mapping[str, Bundle]
) -> tuple[BatchWorld, SuiteScenario]:
    """The chunk's episodes as one engine batch (physics step ``1 / physics_hz`` s)."""
    entry = next(s for s in suite.scenarios if s.name == chunk.episodes[0].scenario)
    source = prepared(bundles[entry.source_key])
    scenarios = [source.scenario(e.assignments, entry.ego) for e in chunk.episodes]
    batch = compile_batch(
        scenarios, 1.0 / suite.physics_hz, vehicle_params=EGO_VEHICLE, ego=_ego(scenarios[0], entry)
    )
    return batch, entry


def _ego(scenario: Scenario, entry: SuiteScenario) -> str:
    from simhub.evaluation.sources import ego_name

    return ego_name(scenario, entry.ego)


def run_chunk(
    chunk: Chunk, suite: Suite, policy: Policy, bundles: Mapping[str, Bundle]
) -> ChunkResult:
    """Roll out every episode of *chunk* with *policy* in closed loop; results in episode order.

    Raises ``InvalidArgument`` when the policy breaks the contract for the whole batch (spec,
    shape, dtype) or the scenario cannot hand its ego to the policy; NaN / infinite actions
    fail only the episodes they belong to.
    """
    kind = check_spec(policy.spec)
    batch, entry = compile_chunk(chunk, suite, bundles)
    return Rollout(batch, entry, suite, chunk).run(
        PolicyController(batch, policy, kind, suite.policy_hz)
    )


class Rollout:
    """The measuring loop around one engine batch (see the module doc)."""

    def __init__(self, batch: BatchWorld, entry: SuiteScenario, suite: Suite, chunk: Chunk) -> None:
        self.batch, self.suite, self.chunk = batch, suite, chunk
        n = batch.world.episodes
        self.k = batch.ego
        if not batch.external or self.k not in batch.external:
            raise InvalidArgument(
                f"{entry.name}: the ego is not driven by the policy's external controller"
            )
        self.limit = np.zeros(n)
        self.goal = np.full(n, np.inf)
        scenarios = batch.scenarios
        if entry.goal_m:
            self.goal = np.array(
                [_expression(entry.goal_m, s, f"{entry.name}.goal_m") for s in scenarios]
            )
        self.metrics = np.zeros((n, ob.N_STEP_METRICS))
        self.metrics[:, ob.S_MIN_THW] = np.inf
        self.metrics[:, ob.S_TIME_TO_GOAL] = np.nan
        self.min_ttc = np.full(n, np.inf)
        self.max_jerk = np.zeros(n)
        self.partner = np.full(n, -1, np.int64)
        self.relative_speed = np.full(n, np.nan)
        self.active = np.ones(n, np.bool_)
        self._new_collision = np.zeros(n, np.bool_)
        self.failed: dict[int, str] = {}
        self._limit_text = entry.speed_limit_kph

    def run(
        self, controller: PolicyController, observer: Callable[[BatchWorld], None] | None = None
    ) -> ChunkResult:
        """Step the whole episode; ``observer`` (if any) sees the batch once per policy period
        (a clip recorder)."""
        batch, w, suite = self.batch, self.batch.world, self.suite
        dt = batch.dt
        batch.step(controller.hold())  # the Init actions place the entities
        if not (w.mode[:, self.k] == MODE_DYNAMICS).all():
            raise InvalidArgument(
                f"{self.chunk.episodes[0].scenario}: the scenario switches the "
                "ego's controller off at the start; the policy cannot drive it"
            )
        if self._limit_text:
            self.limit[:] = [
                _expression(self._limit_text, s, "speed_limit_kph") * KPH for s in batch.scenarios
            ]
        else:
            self.limit[:] = w.speed[:, self.k]
        controller.limit = self.limit
        steps = round(suite.duration_s * suite.physics_hz)
        substeps = suite.physics_hz // suite.policy_hz
        arrays = batch.network.arrays if batch.network is not None else None
        if arrays is None:
            raise InvalidArgument(
                f"{self.chunk.episodes[0].scenario}: evaluation needs a road network"
            )
        for i in range(1, steps):
            if (i - 1) % substeps == 0:
                if observer is not None:
                    observer(batch)
                bad, jerk = controller.decide()
                for e in np.flatnonzero(bad & self.active):
                    self.failed[int(e)] = (
                        f"the model answered NaN or infinite actions at t = {w.time:.2f} s"
                    )
                self.active &= ~bad
                self.max_jerk = np.where(
                    self.active, np.maximum(self.max_jerk, jerk), self.max_jerk
                )
                if not self.active.any():
                    break
            batch.step(controller.controls(self.active))
            m = batch.metrics
            if ob.measure(
                arrays,
                self.k,
                w.x,
                w.y,
                w.heading,
                w.speed,
                w.acceleration,
                w.length,
                w.width,
                w.center_x,
                w.center_y,
                w.present,
                w.road,
                w.lane,
                w.s,
                w.t,
                w.on_road,
                w.odometer,
                self.limit,
                self.goal,
                w.time,
                dt,
                m.collided,
                m.min_ttc,
                self.active,
                self.metrics,
                self.min_ttc,
                self._new_collision,
            ):
                self._collisions()
        return ChunkResult(self.chunk.index, tuple(self._results()))

    def _collisions(self) -> None:
        """Whom the ego hit, at what relative speed, for the episodes that just collided."""
        w, k = self.batch.world, self.k
        for e in np.flatnonzero(self._new_collision):
            j = int(np.flatnonzero(w.colliding[e, k])[0]) if w.colliding[e, k].any() else -1
            self.partner[e] = j
            if j >= 0:
                vx = w.speed[e, k] * math.cos(w.heading[e, k]) - w.speed[e, j] * math.cos(
                    w.heading[e, j]
                )
                vy = w.speed[e, k] * math.sin(w.heading[e, k]) - w.speed[e, j] * math.sin(
                    w.heading[e, j]
                )
                self.relative_speed[e] = math.hypot(vx, vy)

    def _results(self) -> list[EpisodeResult]:
        w, m, names = self.batch.world, self.batch.metrics, self.batch.world.entities
        out = []
        for e, episode in enumerate(self.chunk.episodes):
            step = self.metrics[e]
            travelled = float(w.odometer[e, self.k])
            goal = float(self.goal[e])
            completion = (
                1.0 if not math.isfinite(goal) else min(1.0, max(0.0, travelled / max(goal, 1e-9)))
            )
            collided = bool(m.collided[e])
            metrics = {
                "collision": float(collided),
                "collision_relative_speed_m_s": float(self.relative_speed[e]),
                "collision_time_s": float(m.collision_time[e]),
                "off_road": float(step[ob.S_OFF_ROAD]),
                "lane_departure": float(step[ob.S_LANE_DEPARTURE]),
                "min_ttc_s": float(self.min_ttc[e]),
                "min_time_headway_s": float(step[ob.S_MIN_THW]),
                "max_deceleration_m_s2": float(step[ob.S_MAX_DECEL]),
                "max_jerk_m_s3": float(self.max_jerk[e]),
                "speeding_s": float(step[ob.S_SPEEDING_S]),
                "red_light_violations": 0.0,
                "time_to_goal_s": float(step[ob.S_TIME_TO_GOAL]),
                "route_completion": completion,
                "distance_m": travelled,
                "max_speed_m_s": float(step[ob.S_MAX_SPEED]),
            }
            partner = int(self.partner[e])
            out.append(
                judge(
                    episode,
                    metrics,
                    names[partner].name if partner >= 0 else "",
                    self.failed.get(e, ""),
                )
            )
        return out
