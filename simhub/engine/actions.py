"""Actions compiled to vectorised runtimes: ``start(ctx, mask)`` then ``step(ctx, mask)``.

Each runtime acts on every episode at once (``mask``: the ``(E,)`` episodes where it runs)
and ``step`` returns where it finished. Private actions get one runtime per actor. A new
longitudinal (lateral) action on an entity takes over from the one running: the world's
``longitudinal_owner`` (``lateral_owner``) names the runtime in charge, and a runtime that
lost its entity ends.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numba
import numpy as np
import numpy.typing as npt

from simhub.engine import measure
from simhub.engine.context import Context
from simhub.engine.controllers import ControllerSpec, controller_spec, merge_specs
from simhub.engine.kinematics import lane_center_t, lane_centers
from simhub.engine.positions import PositionFn, at_world, compile_position, numbers, same
from simhub.engine.shapes import SHAPE_CODES, duration_for_rate, shape_progress
from simhub.engine.trajectory import Path, compile_trajectory
from simhub.engine.world import MODE_ROAD, MODE_WORLD
from simhub.errors import InvalidArgument
from simhub.road.kernels import RoadArrays, locate_lane
from simhub.scenario import actions as a
from simhub.scenario import global_actions as ga
from simhub.scenario.common import CatalogReference

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
B = npt.NDArray[np.bool_]

G = 9.81  # m/s^2
DONE_EPS = 1e-9


class Runtime:
    """An action instance; subclasses override ``start`` and ``step``."""

    def __init__(self, ctx: Context) -> None:
        self.id = ctx.new_id()

    def start(self, ctx: Context, mask: B) -> None:
        """Begin in the masked episodes."""

    def step(self, ctx: Context, mask: B) -> B:
        """Advance one step in the masked episodes; returns where the action is done."""
        return mask.copy()

    def stop(self, ctx: Context, mask: B) -> None:
        """Stopped from outside (a stop trigger or an overriding event)."""


def _take(owner: I64, k: int, mask: B, ident: int) -> None:
    owner[mask, k] = ident


def _release(owner: I64, k: int, mask: B, ident: int) -> None:
    mine = mask & (owner[:, k] == ident)
    owner[mine, k] = -1


# --- longitudinal -----------------------------------------------------------------------


class SpeedRuntime(Runtime):
    def __init__(self, ctx: Context, k: int, items: Sequence[a.SpeedAction]) -> None:
        super().__init__(ctx)
        self.k = k
        source = f"{ctx.source}: SpeedAction"
        dynamics = [i.dynamics for i in items]
        self.shape = same(dynamics, "dynamics_shape", source)
        self.dimension = same(dynamics, "dynamics_dimension", source)
        self.value = numbers(dynamics, "value")
        targets = [i.target for i in items]
        self.relative = isinstance(targets[0], a.RelativeTargetSpeed)
        self.target_value = numbers(targets, "value")
        if isinstance(targets[0], a.RelativeTargetSpeed):
            self.ref = ctx.entity(same(targets, "entity_ref", source), "SpeedAction")
            self.factor = same(targets, "speed_target_value_type", source) == "factor"
            self.continuous = bool(same(targets, "continuous", source))
        else:
            self.ref, self.factor, self.continuous = -1, False, False
        n = ctx.world.episodes
        self.start_speed = np.zeros(n)
        self.duration = np.zeros(n)
        self.elapsed = np.zeros(n)
        self._done = np.empty(n, np.bool_)  # step's result, overwritten by the next step

    def target(self, ctx: Context) -> F64:
        if not self.relative:
            return self.target_value
        ref_speed = ctx.world.speed[:, self.ref]
        return ref_speed * self.target_value if self.factor else ref_speed + self.target_value

    def start(self, ctx: Context, mask: B) -> None:
        w = ctx.world
        _take(w.longitudinal_owner, self.k, mask, self.id)
        v0 = w.speed[:, self.k]
        self.start_speed[mask] = v0[mask]
        self.elapsed[mask] = 0.0
        change = self.target(ctx) - v0
        if self.shape == "step":
            duration = np.zeros(w.episodes)
        elif self.dimension == "time":
            duration = self.value.copy()
        elif self.dimension == "distance":
            mean = np.maximum(np.abs(v0 + self.target(ctx)) / 2.0, 1e-9)
            duration = self.value / mean
        else:
            duration = duration_for_rate(self.shape, change, self.value)
        self.duration[mask] = duration[mask]

    def step(self, ctx: Context, mask: B) -> B:
        w = ctx.world
        done = self._done
        if done.shape[0] != w.episodes:
            done = self._done = np.empty(w.episodes, np.bool_)
        _speed_step(mask, w.longitudinal_owner, self.k, self.id, self.elapsed, self.duration,
                    ctx.dt, SHAPE_CODES.get(self.shape, 3), self.start_speed, self.target_value,
                    self.ref if self.relative else -1, self.factor, w.speed, self.continuous,
                    done)
        return done


@numba.njit(cache=True)
def _speed_step(mask: B, owner: I64, k: int, ident: int, elapsed: F64, duration: F64, dt: float,
                shape: int, start_speed: F64, target_value: F64, ref: int, factor: bool,
                speed: F64, continuous: bool, done: B) -> None:
    """One step of a speed transition in the masked episodes where it still owns entity
    ``k``'s speed; ``done`` where it ended (or lost the entity to another action). The target
    is ``target_value``, or relative to entity ``ref``'s speed (times it if ``factor``)."""
    for e in range(mask.shape[0]):
        done[e] = False
        if not mask[e]:
            continue
        if owner[e, k] != ident:
            done[e] = True  # another longitudinal action took over
            continue
        target = target_value[e]
        if ref >= 0:
            target = speed[e, ref] * target if factor else speed[e, ref] + target
        elapsed[e] += dt
        f = elapsed[e] / duration[e] if duration[e] > 0 else 1.0
        speed[e, k] = start_speed[e] + (target - start_speed[e]) * shape_progress(shape, f)
        if not continuous and f >= 1.0 - DONE_EPS:
            done[e] = True
            owner[e, k] = -1


class SpeedProfileRuntime(Runtime):
    def __init__(self, ctx: Context, k: int, items: Sequence[a.SpeedProfileAction]) -> None:
        super().__init__(ctx)
        self.k = k
        source = f"{ctx.source}: SpeedProfileAction"
        first = items[0]
        self.ref = ctx.entity(first.entity_ref, "SpeedProfileAction") if first.entity_ref else -1
        count = len(first.entries)
        if any(len(i.entries) != count for i in items):
            raise InvalidArgument(f"{source}: entry counts differ between variants")
        self.speeds = np.array([[e.speed for e in i.entries] for i in items])
        self.times = np.array([[math.nan if e.time is None else e.time for e in i.entries]
                               for i in items])
        limits = [i.dynamic_constraints for i in items]
        self.max_acc = np.array([(c.max_acceleration if c and c.max_acceleration else math.nan)
                                 for c in limits])
        self.max_dec = np.array([(c.max_deceleration if c and c.max_deceleration else math.nan)
                                 for c in limits])
        n = ctx.world.episodes
        self.index = np.zeros(n, np.int64)
        self.elapsed = np.zeros(n)
        self.from_speed = np.zeros(n)
        self.count = count

    def _segment_duration(self, ctx: Context, rows: I64) -> F64:
        w = ctx.world
        e = np.arange(w.episodes)
        idx = np.minimum(rows, self.count - 1)
        given = self.times[e, idx]
        target = self._target(ctx)[e, idx]
        change = target - self.from_speed
        acc = np.where(np.isnan(self.max_acc), w.max_acceleration[:, self.k], self.max_acc)
        dec = np.where(np.isnan(self.max_dec), w.max_deceleration[:, self.k], self.max_dec)
        by_rate = np.abs(change) / np.maximum(np.where(change >= 0, acc, dec), 1e-9)
        return np.where(np.isnan(given), by_rate, given)

    def _target(self, ctx: Context) -> F64:
        if self.ref < 0:
            return self.speeds
        return self.speeds + ctx.world.speed[:, self.ref][:, None]

    def start(self, ctx: Context, mask: B) -> None:
        w = ctx.world
        _take(w.longitudinal_owner, self.k, mask, self.id)
        self.index[mask] = 0
        self.elapsed[mask] = 0.0
        self.from_speed[mask] = w.speed[mask, self.k]

    def step(self, ctx: Context, mask: B) -> B:
        w = ctx.world
        mine = mask & (w.longitudinal_owner[:, self.k] == self.id)
        lost = mask & ~mine
        self.elapsed[mine] += ctx.dt
        duration = self._segment_duration(ctx, self.index)
        with np.errstate(divide="ignore", invalid="ignore"):
            f = np.where(duration > 0, self.elapsed / duration, 1.0)
        e = np.arange(w.episodes)
        target = self._target(ctx)[e, np.minimum(self.index, self.count - 1)]
        speed = self.from_speed + (target - self.from_speed) * np.clip(f, 0.0, 1.0)
        w.speed[mine, self.k] = speed[mine]
        advance = mine & (f >= 1.0 - DONE_EPS)
        self.from_speed[advance] = target[advance]
        self.index[advance] += 1
        self.elapsed[advance] = 0.0
        done = mine & (self.index >= self.count)
        _release(w.longitudinal_owner, self.k, done, self.id)
        return np.asarray(done | lost, dtype=np.bool_)


class LongitudinalDistanceRuntime(Runtime):
    """Keep a distance or time gap to another entity (with limits: a damped controller)."""

    def __init__(self, ctx: Context, k: int, items: Sequence[a.LongitudinalDistanceAction]
                 ) -> None:
        super().__init__(ctx)
        self.k = k
        source = f"{ctx.source}: LongitudinalDistanceAction"
        first = items[0]
        self.ref = ctx.entity(same(items, "entity_ref", source), "LongitudinalDistanceAction")
        self.freespace = bool(same(items, "freespace", source))
        self.continuous = bool(same(items, "continuous", source))
        self.by_time = first.distance is None and first.time_gap is not None
        self.gap = numbers(items, "time_gap" if self.by_time else "distance")
        self.leading = first.displacement == "leadingReferencedEntity"
        self.system = first.coordinate_system or "entity"
        limits = [i.dynamic_constraints for i in items]
        self.constrained = limits[0] is not None

        def get(name: str) -> F64:
            return np.array([math.nan if c is None or getattr(c, name) is None
                             else float(getattr(c, name)) for c in limits])
        self.max_acc, self.max_dec = get("max_acceleration"), get("max_deceleration")
        self.max_speed = get("max_speed")
        self.max_jerk_up, self.max_jerk_down = get("max_acceleration_rate"), get(
            "max_deceleration_rate")
        self.acc = np.zeros(ctx.world.episodes)

    def start(self, ctx: Context, mask: B) -> None:
        _take(ctx.world.longitudinal_owner, self.k, mask, self.id)
        self.acc[mask] = 0.0

    def step(self, ctx: Context, mask: B) -> B:
        w = ctx.world
        mine = mask & (w.longitudinal_owner[:, self.k] == self.id)
        lost = mask & ~mine
        wanted = self.gap * (w.speed[:, self.k] if self.by_time else 1.0)
        wanted = -wanted if self.leading else wanted
        d = measure.longitudinal(w, self.k, self.ref, self.system, self.freespace)
        error = d - wanted
        relative_speed = w.speed[:, self.ref] - w.speed[:, self.k]
        if not self.constrained:
            # no limits: jump to the distance and the other entity's speed (as esmini does)
            w.s[mine, self.k] += (error * w.direction[:, self.k])[mine]
            w.speed[mine, self.k] = w.speed[mine, self.ref]
            done = mine & (not self.continuous)
            _release(w.longitudinal_owner, self.k, done, self.id)
            return np.asarray(done | lost, dtype=np.bool_)
        omega = 0.8  # rad/s: natural frequency of the gap controller, critically damped
        demand = omega * omega * error + 2.0 * omega * relative_speed
        acc_max = np.where(np.isnan(self.max_acc), w.max_acceleration[:, self.k], self.max_acc)
        dec_max = np.where(np.isnan(self.max_dec), w.max_deceleration[:, self.k], self.max_dec)
        demand = np.clip(demand, -dec_max, acc_max)
        up = np.where(np.isnan(self.max_jerk_up), np.inf, self.max_jerk_up) * ctx.dt
        down = np.where(np.isnan(self.max_jerk_down), np.inf, self.max_jerk_down) * ctx.dt
        self.acc = np.where(mine, np.clip(demand, self.acc - down, self.acc + up), self.acc)
        top = np.where(np.isnan(self.max_speed), w.max_speed[:, self.k], self.max_speed)
        speed = np.clip(w.speed[:, self.k] + self.acc * ctx.dt, 0.0, top)
        w.speed[mine, self.k] = speed[mine]
        settled = (np.abs(error) < 0.1) & (np.abs(relative_speed) < 0.1)
        done = mine & settled & (not self.continuous)
        _release(w.longitudinal_owner, self.k, done, self.id)
        return np.asarray(done | lost, dtype=np.bool_)


class SynchronizeRuntime(Runtime):
    """Arrive at a target position when the master arrives at its own."""

    def __init__(self, ctx: Context, k: int, items: Sequence[a.SynchronizeAction]) -> None:
        super().__init__(ctx)
        self.k = k
        source = f"{ctx.source}: SynchronizeAction"
        self.master = ctx.entity(same(items, "master_entity_ref", source), "SynchronizeAction")
        self.target_master = compile_position([i.target_position_master for i in items], source)
        self.target = compile_position([i.target_position for i in items], source)
        self.tol_master = np.array([i.target_tolerance_master or 1.0 for i in items])
        self.tol = np.array([i.target_tolerance or 1.0 for i in items])
        final = [i.final_speed for i in items]
        self.final_kind = "none" if final[0] is None else type(final[0]).__name__
        self.final_value = np.array([0.0 if f is None else f.value for f in final])
        self.final_factor = (isinstance(final[0], a.RelativeSpeedToMaster)
                             and final[0].speed_target_value_type == "factor")

    def start(self, ctx: Context, mask: B) -> None:
        _take(ctx.world.longitudinal_owner, self.k, mask, self.id)

    def _along(self, ctx: Context, k: int, placed: Any) -> F64:
        w = ctx.world
        dx, dy = placed.x - w.x[:, k], placed.y - w.y[:, k]
        along = dx * np.cos(w.heading[:, k]) + dy * np.sin(w.heading[:, k])
        return np.asarray(along, dtype=np.float64)

    def step(self, ctx: Context, mask: B) -> B:
        w = ctx.world
        mine = mask & (w.longitudinal_owner[:, self.k] == self.id)
        lost = mask & ~mine
        d_master = self._along(ctx, self.master, self.target_master(ctx))
        d_self = self._along(ctx, self.k, self.target(ctx))
        master_speed = w.speed[:, self.master]
        arrived = d_master <= self.tol_master
        with np.errstate(divide="ignore", invalid="ignore"):
            time_left = np.where(master_speed > 1e-6, d_master / master_speed, np.inf)
            speed = np.where(np.isfinite(time_left) & (time_left > ctx.dt),
                             np.maximum(d_self, 0.0) / time_left, w.speed[:, self.k])
        speed = np.clip(speed, 0.0, w.max_speed[:, self.k])
        w.speed[mine & ~arrived, self.k] = speed[mine & ~arrived]
        done = mine & arrived
        if self.final_kind == "AbsoluteSpeed":
            w.speed[done, self.k] = self.final_value[done]
        elif self.final_kind == "RelativeSpeedToMaster":
            final = (master_speed * self.final_value if self.final_factor
                     else master_speed + self.final_value)
            w.speed[done, self.k] = final[done]
        _release(w.longitudinal_owner, self.k, done, self.id)
        return np.asarray(done | lost, dtype=np.bool_)


# --- lateral ----------------------------------------------------------------------------


def step_lane(lane: I64, delta: I64) -> I64:
    """``lane + delta`` counted in lanes, skipping the centre lane 0."""
    out = lane + delta
    crossed = ((np.sign(lane) != np.sign(out)) | (out == 0)) & (delta != 0)
    return np.where(crossed, out + np.sign(delta), out).astype(np.int64)


class LaneChangeRuntime(Runtime):
    def __init__(self, ctx: Context, k: int, items: Sequence[a.LaneChangeAction]) -> None:
        super().__init__(ctx)
        self.k = k
        source = f"{ctx.source}: LaneChangeAction"
        dynamics = [i.dynamics for i in items]
        self.shape = same(dynamics, "dynamics_shape", source)
        self.dimension = same(dynamics, "dynamics_dimension", source)
        self.value = numbers(dynamics, "value")
        self.lane_offset = numbers(items, "target_lane_offset")
        targets = [i.target for i in items]
        if isinstance(targets[0], a.RelativeTargetLane):
            self.ref = ctx.entity(same(targets, "entity_ref", source), "LaneChangeAction")
            self.delta = np.array([t.value for t in targets], dtype=np.int64)
            self.absolute = np.zeros(0, np.int64)
        else:
            self.ref = -1
            self.delta = np.zeros(0, np.int64)
            self.absolute = np.array([int(float(t.value)) for t in targets], dtype=np.int64)
        n = ctx.world.episodes
        self.target_lane = np.zeros(n, np.int64)
        self.start_t = np.zeros(n)
        self.elapsed = np.zeros(n)
        self.duration = np.zeros(n)
        self._finished = np.zeros(n, np.bool_)  # step's result, overwritten by the next step

    def start(self, ctx: Context, mask: B) -> None:
        w = ctx.world
        k = self.k
        _take(w.lateral_owner, k, mask, self.id)
        if self.ref >= 0:
            lane = step_lane(w.lane[:, self.ref], self.delta * w.direction[:, self.ref].astype(
                np.int64))
        else:
            lane = self.absolute
        self.target_lane[mask] = lane[mask]
        self.start_t[mask] = w.t[mask, k]
        self.elapsed[mask] = 0.0
        if self.dimension == "rate":
            change = self._target_t(ctx) - w.t[:, k]
            self.duration[mask] = duration_for_rate(self.shape, change, self.value)[mask]
        else:
            self.duration[mask] = self.value[mask]

    def _target_t(self, ctx: Context) -> F64:
        w = ctx.world
        center = lane_centers(ctx.arrays, w.road[:, self.k], self.target_lane, w.s[:, self.k])
        center = np.where(np.isnan(center), w.t[:, self.k], center)
        return center + self.lane_offset * w.direction[:, self.k]

    def step(self, ctx: Context, mask: B) -> B:
        w = ctx.world
        finished = self._finished
        _lane_change_step(ctx.arrays, mask, w.lateral_owner, self.k, self.id,
                          self.dimension == "distance", SHAPE_CODES.get(self.shape, 3),
                          self.target_lane, self.lane_offset, self.start_t, self.elapsed,
                          self.duration, ctx.dt, w.road, w.s, w.t, w.lane, w.lane_offset,
                          w.direction, w.heading_offset, w.speed, finished)
        return finished


@numba.njit(cache=True)
def _lane_change_step(arrays: RoadArrays, mask: B, owner: I64, k: int, ident: int,
                      by_distance: bool, shape: int, target_lane: I64, target_offset: F64,
                      start_t: F64, elapsed: F64, duration: F64, dt: float, road: I64, s: F64,
                      t: F64, lane: I64, lane_offset: F64, direction: F64,
                      heading_offset: F64, speed: F64, finished: B) -> None:
    """One step of a lane change of entity ``k`` in the masked episodes where it still owns
    the entity's lateral position: ``t`` moves towards the target lane's centre (plus
    ``target_offset``), the lane follows ``t``, the heading offset is the path's angle;
    ``finished`` where it ended (or lost the entity to another action)."""
    for e in range(mask.shape[0]):
        finished[e] = False
        if not mask[e]:
            continue
        if owner[e, k] != ident:
            finished[e] = True  # another lateral action took over
            continue
        center = lane_center_t(arrays, road[e, k], target_lane[e], s[e, k])
        if math.isnan(center):
            center = t[e, k]
        target_t = center + target_offset[e] * direction[e, k]
        v = speed[e, k]
        if by_distance:
            elapsed[e] += v * dt
        else:
            span = abs(target_t - start_t[e])
            if duration[e] * v < span:  # too slow to cover the change in time: stretch it
                elapsed[e] += dt * v * duration[e] / max(span, 1e-12)
            else:
                elapsed[e] += dt
        f = elapsed[e] / duration[e] if duration[e] > 0 else 1.0
        t_new = start_t[e] + (target_t - start_t[e]) * shape_progress(shape, f)
        angle = 0.0
        if v > 1e-9:
            angle = math.atan((t_new - t[e, k]) * direction[e, k] / max(v * dt, 1e-12))
        now_in, _ = locate_lane(arrays, road[e, k], s[e, k], t_new)
        now_center = lane_center_t(arrays, road[e, k], now_in, s[e, k])
        if math.isnan(now_center):
            now_center = 0.0
        elif math.isinf(now_center):
            now_center = 1.7976931348623157e308 if now_center > 0 else -1.7976931348623157e308
        t[e, k] = t_new
        lane[e, k] = now_in
        lane_offset[e, k] = t_new - now_center
        heading_offset[e, k] = angle
        if f >= 1.0 - DONE_EPS:
            finished[e] = True
            heading_offset[e, k] = 0.0
            lane[e, k] = target_lane[e]
            lane_offset[e, k] = target_offset[e] * direction[e, k]
            owner[e, k] = -1


class LaneOffsetRuntime(Runtime):
    def __init__(self, ctx: Context, k: int, items: Sequence[a.LaneOffsetAction]) -> None:
        super().__init__(ctx)
        self.k = k
        source = f"{ctx.source}: LaneOffsetAction"
        self.shape = same([i.dynamics for i in items], "dynamics_shape", source)
        self.max_lat_acc = numbers([i.dynamics for i in items], "max_lateral_acc", 0.5)
        self.continuous = bool(same(items, "continuous", source))
        targets = [i.target for i in items]
        self.value = numbers(targets, "value")
        self.ref = (ctx.entity(same(targets, "entity_ref", source), "LaneOffsetAction")
                    if isinstance(targets[0], a.RelativeTargetLaneOffset) else -1)
        n = ctx.world.episodes
        self.start_offset = np.zeros(n)
        self.elapsed = np.zeros(n)
        self.duration = np.zeros(n)
        self._finished = np.empty(n, np.bool_)  # step's result, overwritten by the next step

    def _target(self, ctx: Context) -> F64:
        w = ctx.world
        if self.ref < 0:
            return self.value * w.direction[:, self.k]
        return w.lane_offset[:, self.ref] + self.value * w.direction[:, self.k]

    def start(self, ctx: Context, mask: B) -> None:
        w = ctx.world
        _take(w.lateral_owner, self.k, mask, self.id)
        self.start_offset[mask] = w.lane_offset[mask, self.k]
        self.elapsed[mask] = 0.0
        change = np.abs(self._target(ctx) - w.lane_offset[:, self.k])
        acc = np.maximum(self.max_lat_acc, 1e-6)
        if self.shape == "sinusoidal":
            duration = math.pi * np.sqrt(change / (2.0 * acc))
        elif self.shape == "step":
            duration = np.zeros_like(change)
        else:
            duration = np.sqrt(6.0 * change / acc)
        self.duration[mask] = duration[mask]

    def step(self, ctx: Context, mask: B) -> B:
        w = ctx.world
        finished = self._finished
        if finished.shape[0] != w.episodes:
            finished = self._finished = np.empty(w.episodes, np.bool_)
        _lane_offset_step(mask, w.lateral_owner, self.k, self.id, SHAPE_CODES.get(self.shape, 3),
                          self.value, self.ref, self.start_offset, self.elapsed, self.duration,
                          ctx.dt, w.lane_offset, w.direction, w.heading_offset, w.speed,
                          self.continuous, finished)
        return finished


@numba.njit(cache=True)
def _lane_offset_step(mask: B, owner: I64, k: int, ident: int, shape: int, value: F64, ref: int,
                      start_offset: F64, elapsed: F64, duration: F64, dt: float,
                      lane_offset: F64, direction: F64, heading_offset: F64, speed: F64,
                      continuous: bool, finished: B) -> None:
    """One step of a lane offset change of entity ``k`` in the masked episodes where it still
    owns the entity's lateral position: the offset moves towards ``value`` (along the
    entity's direction; relative to entity ``ref``'s offset when ``ref >= 0``), the heading
    offset is the path's angle; ``finished`` where it ended (never, when ``continuous``: it
    then keeps the target) or lost the entity to another action."""
    for e in range(mask.shape[0]):
        finished[e] = False
        if not mask[e]:
            continue
        if owner[e, k] != ident:
            finished[e] = True  # another lateral action took over
            continue
        target = value[e] * direction[e, k]
        if ref >= 0:
            target = lane_offset[e, ref] + target
        elapsed[e] += dt
        f = elapsed[e] / duration[e] if duration[e] > 0 else 1.0
        offset = start_offset[e] + (target - start_offset[e]) * shape_progress(shape, f)
        old = lane_offset[e, k]
        lane_offset[e, k] = offset
        v = speed[e, k]
        angle = 0.0
        if v > 1e-9:
            angle = math.atan((offset - old) * direction[e, k] / max(v * dt, 1e-12))
        heading_offset[e, k] = angle
        if f >= 1.0 - DONE_EPS:
            heading_offset[e, k] = 0.0
            if not continuous:
                finished[e] = True
                owner[e, k] = -1


# --- routing and placement --------------------------------------------------------------


class TeleportRuntime(Runtime):
    def __init__(self, ctx: Context, k: int, position: PositionFn) -> None:
        super().__init__(ctx)
        self.k = k
        self.position = position

    def start(self, ctx: Context, mask: B) -> None:
        teleport(ctx, self.k, mask, self.position)


def teleport(ctx: Context, k: int, mask: B, position: PositionFn) -> None:
    """Place entity ``k`` at ``position`` in the masked episodes."""
    w = ctx.world
    placed = position(ctx)
    for name in ("x", "y", "z", "heading", "pitch", "s", "t", "lane_offset", "direction",
                 "heading_offset", "on_road"):
        source = "offset" if name == "lane_offset" else name
        getattr(w, name)[mask, k] = getattr(placed, source)[mask]
    w.road[mask, k] = placed.road[mask]
    w.lane[mask, k] = placed.lane[mask]
    if ctx.network is None:
        w.mode[mask, k] = MODE_WORLD
    else:
        w.mode[mask & (w.mode[:, k] == MODE_WORLD), k] = MODE_ROAD


@dataclass
class Follower:
    """Entity ``k`` moving along one path per episode."""

    k: int
    paths: list[Path]
    progress: F64
    active: B
    timing: str  # "none", "absolute", "relative"
    scale: F64
    offset: F64
    start_time: F64


class FollowTrajectoryRuntime(Runtime):
    def __init__(self, ctx: Context, k: int, items: Sequence[a.FollowTrajectoryAction]) -> None:
        super().__init__(ctx)
        self.k = k
        source = f"{ctx.source}: FollowTrajectoryAction"
        self.build = compile_trajectory([i.trajectory for i in items], source)
        refs = [i.time_reference for i in items]
        self.timing = ("none" if isinstance(refs[0], a.NoTiming)
                       else same(refs, "domain_absolute_relative", source))
        self.scale = np.array([getattr(r, "scale", 1.0) for r in refs])
        self.offset = np.array([getattr(r, "offset", 0.0) for r in refs])
        self.initial = numbers(items, "initial_distance_offset")
        self.follower: Follower | None = None

    def start(self, ctx: Context, mask: B) -> None:
        w = ctx.world
        paths = self.build(ctx, self.k)
        n = w.episodes
        progress = self.initial.copy()
        follower = Follower(self.k, paths, progress, mask.copy(), self.timing, self.scale,
                            self.offset, np.full(n, w.time))
        if self.timing != "none" and not all(p.timed for p in paths):
            follower.timing = "none"
        self.follower = follower
        ctx.followers[self.k] = follower
        _take(w.lateral_owner, self.k, mask, self.id)
        if follower.timing != "none":
            _take(w.longitudinal_owner, self.k, mask, self.id)
        w.mode[mask, self.k] = MODE_WORLD
        _place_on_path(ctx, follower, mask)

    def step(self, ctx: Context, mask: B) -> B:
        w = ctx.world
        follower = self.follower
        if follower is None:
            return mask.copy()
        mine = mask & (w.lateral_owner[:, self.k] == self.id)
        lost = mask & ~mine
        if follower.timing != "none":
            next_time = w.time + ctx.dt
            for e in np.flatnonzero(mine):
                base = next_time if follower.timing == "absolute" else \
                    next_time - follower.start_time[e]
                target = follower.paths[e].s_at_time(base * follower.scale[e]
                                                     + follower.offset[e])
                w.speed[e, self.k] = max(target - follower.progress[e], 0.0) / ctx.dt
        lengths = np.array([p.length for p in follower.paths])
        done = mine & (follower.progress >= lengths - 1e-6)
        finish = done | lost
        follower.active[finish] = False
        if finish.any():
            _leave_path(ctx, self.k, finish)
            _release(w.lateral_owner, self.k, finish, self.id)
            _release(w.longitudinal_owner, self.k, finish, self.id)
        return np.asarray(finish, dtype=np.bool_)

    def stop(self, ctx: Context, mask: B) -> None:
        if self.follower is not None:
            self.follower.active[mask] = False
            _leave_path(ctx, self.k, mask)


def _place_on_path(ctx: Context, follower: Follower, mask: B) -> None:
    w = ctx.world
    for e in np.flatnonzero(mask):
        x, y, h = follower.paths[e].at(float(follower.progress[e]))
        w.x[e, follower.k], w.y[e, follower.k], w.heading[e, follower.k] = x, y, h % (2 * math.pi)


def advance_followers(ctx: Context) -> None:
    """Move every trajectory follower by ``speed * dt`` along its path."""
    w = ctx.world
    for follower in ctx.followers.values():
        for e in np.flatnonzero(follower.active):
            step = w.speed[e, follower.k] * ctx.dt
            follower.progress[e] = min(follower.progress[e] + step, follower.paths[e].length)
            w.odometer[e, follower.k] += abs(step)
        _place_on_path(ctx, follower, follower.active)
        if ctx.network is not None and follower.active.any():
            k = follower.k
            rows = follower.active
            placed = at_world(ctx, w.x[:, k].copy(), w.y[:, k].copy(), None,
                              w.heading[:, k].copy())
            w.road[rows, k] = placed.road[rows]
            w.s[rows, k] = placed.s[rows]
            w.t[rows, k] = placed.t[rows]
            w.lane[rows, k] = placed.lane[rows]
            w.lane_offset[rows, k] = placed.offset[rows]
            w.direction[rows, k] = placed.direction[rows]
            w.heading_offset[rows, k] = placed.heading_offset[rows]
            w.on_road[rows, k] = placed.on_road[rows]


def _leave_path(ctx: Context, k: int, mask: B) -> None:
    """Back to following the road from where the path ended."""
    w = ctx.world
    if ctx.network is None or not mask.any():
        return
    placed = at_world(ctx, w.x[:, k].copy(), w.y[:, k].copy(), None, w.heading[:, k].copy())
    for name, source in (("road", "road"), ("s", "s"), ("t", "t"), ("lane", "lane"),
                         ("lane_offset", "offset"), ("direction", "direction"),
                         ("heading_offset", "heading_offset")):
        getattr(w, name)[mask, k] = getattr(placed, source)[mask]
    w.mode[mask, k] = MODE_ROAD


class AcquirePositionRuntime(Runtime):
    """Drive on to a position: done when the entity is within 1 m of it (or has passed it)."""

    def __init__(self, ctx: Context, k: int, items: Sequence[a.AcquirePositionAction]) -> None:
        super().__init__(ctx)
        self.k = k
        self.position = compile_position([i.position for i in items], ctx.source)
        self.target_x = np.zeros(ctx.world.episodes)
        self.target_y = np.zeros(ctx.world.episodes)

    def start(self, ctx: Context, mask: B) -> None:
        placed = self.position(ctx)
        self.target_x[mask] = placed.x[mask]
        self.target_y[mask] = placed.y[mask]

    def step(self, ctx: Context, mask: B) -> B:
        w = ctx.world
        dx, dy = self.target_x - w.x[:, self.k], self.target_y - w.y[:, self.k]
        along = dx * np.cos(w.heading[:, self.k]) + dy * np.sin(w.heading[:, self.k])
        return mask & ((np.hypot(dx, dy) < 1.0) | (along < 0))


class RouteRuntime(Runtime):
    def __init__(self, ctx: Context, k: int, items: Sequence[a.AssignRouteAction]) -> None:
        super().__init__(ctx)
        self.k = k
        self.route = items[0].route

    def start(self, ctx: Context, mask: B) -> None:
        ctx.routes[self.k] = self.route


# --- controllers, visibility --------------------------------------------------------------


class AssignControllerRuntime(Runtime):
    def __init__(self, ctx: Context, k: int, items: Sequence[a.AssignControllerAction]) -> None:
        super().__init__(ctx)
        self.k = k
        self.spec: ControllerSpec = merge_specs(
            [controller_spec(i.controller, ctx) for i in items], ctx.source)
        first = items[0]
        self.lateral = first.activate_lateral
        self.longitudinal = first.activate_longitudinal

    def start(self, ctx: Context, mask: B) -> None:
        ctx.assign_controller(self.k, self.spec, mask, self.lateral is not False,
                              self.longitudinal is not False)


class ActivateControllerRuntime(Runtime):
    def __init__(self, ctx: Context, k: int, items: Sequence[a.ActivateControllerAction]
                 ) -> None:
        super().__init__(ctx)
        self.k = k
        self.lateral = items[0].lateral
        self.longitudinal = items[0].longitudinal

    def start(self, ctx: Context, mask: B) -> None:
        ctx.activate_controller(self.k, mask, self.lateral, self.longitudinal)


class VisibilityRuntime(Runtime):
    def __init__(self, ctx: Context, k: int, items: Sequence[a.VisibilityAction]) -> None:
        super().__init__(ctx)
        self.k = k
        self.graphics = np.array([i.graphics for i in items])
        self.traffic = np.array([i.traffic for i in items])

    def start(self, ctx: Context, mask: B) -> None:
        ctx.world.visible[mask, self.k] = self.graphics[mask]
        ctx.traffic_visible[mask, self.k] = self.traffic[mask]


# --- global actions -------------------------------------------------------------------------


PRECIPITATION_FRICTION = {"dry": 1.0, "rain": 0.7, "snow": 0.3}


def environment_friction(environment: ga.Environment) -> float:
    """Road friction (1.0 dry asphalt) of an environment: precipitation, then the road
    condition's ``frictionScaleFactor``."""
    friction = 1.0
    weather = environment.weather
    if weather is not None and weather.precipitation is not None:
        kind = weather.precipitation.precipitation_type
        friction = PRECIPITATION_FRICTION.get(kind, 1.0)
        intensity = weather.precipitation.precipitation_intensity
        if kind != "dry" and intensity is not None and intensity < 1.0:
            # light rain or snow: between dry and the full value, by intensity (0..1)
            friction = 1.0 - (1.0 - friction) * max(intensity, 0.0) ** 0.5
    if environment.road_condition is not None:
        friction *= environment.road_condition.friction_scale_factor
    return friction


class EnvironmentRuntime(Runtime):
    def __init__(self, ctx: Context, items: Sequence[ga.EnvironmentAction]) -> None:
        super().__init__(ctx)
        environments = []
        for item in items:
            env = item.environment
            if isinstance(env, CatalogReference):
                env = env.resolved
            if not isinstance(env, ga.Environment):
                raise InvalidArgument(f"{ctx.source}: EnvironmentAction needs an Environment")
            environments.append(env)
        self.friction = np.array([environment_friction(e) for e in environments])
        from simhub.engine.conditions import _timestamp

        self.time_of_day = np.array([
            math.nan if e.time_of_day is None else _timestamp(e.time_of_day.date_time,
                                                               ctx.source)
            for e in environments])
        self.animated = np.array([e.time_of_day is not None and e.time_of_day.animation
                                  for e in environments])

    def start(self, ctx: Context, mask: B) -> None:
        w = ctx.world
        w.friction[mask] = self.friction[mask]
        has_time = mask & ~np.isnan(self.time_of_day)
        w.time_of_day[has_time] = self.time_of_day[has_time]
        w.time_of_day_animated[has_time] = self.animated[has_time]


class ParameterRuntime(Runtime):
    def __init__(self, ctx: Context, items: Sequence[Any], variable: bool) -> None:
        super().__init__(ctx)
        self.variable = variable
        source = f"{ctx.source}: {'Variable' if variable else 'Parameter'}Action"
        self.name = same(items, "variable_ref" if variable else "parameter_ref", source)
        actions = [i.action for i in items]
        self.kind = type(actions[0]).__name__
        if isinstance(actions[0], ga.SetAction):
            self.values: list[str] = [str(x.value) for x in actions]
            self.rule = "set"
        else:
            rule = actions[0].rule
            self.rule = "add" if isinstance(rule, ga.AddValue) else "multiply"
            self.amount = np.array([float(x.rule.value) for x in actions])

    def start(self, ctx: Context, mask: B) -> None:
        store = ctx.variables if self.variable else ctx.parameters
        current = store.get(self.name)
        if current is None:
            what = "variable" if self.variable else "parameter"
            raise InvalidArgument(f"{ctx.source}: unknown {what} "
                                  f"{self.name!r}")
        if self.rule == "set":
            if current.dtype.kind == "f":
                current[mask] = np.array([float(v) for v in self.values])[mask]
            else:
                current[mask] = np.array(self.values, dtype=object)[mask]
            return
        if current.dtype.kind != "f":
            raise InvalidArgument(f"{ctx.source}: {self.name!r} is not a number")
        if self.rule == "add":
            current[mask] += self.amount[mask]
        else:
            current[mask] *= self.amount[mask]


class TrafficSignalRuntime(Runtime):
    def __init__(self, ctx: Context, name: str, states: list[str]) -> None:
        super().__init__(ctx)
        self.name = name
        self.states = np.array(states, dtype=object)

    def start(self, ctx: Context, mask: B) -> None:
        current = ctx.signals.setdefault(
            self.name, np.full(ctx.world.episodes, "", dtype=object))
        current[mask] = self.states[mask]


class EntityRuntime(Runtime):
    def __init__(self, ctx: Context, items: Sequence[ga.EntityAction]) -> None:
        super().__init__(ctx)
        source = f"{ctx.source}: EntityAction"
        self.k = ctx.entity(same(items, "entity_ref", source), "EntityAction")
        first = items[0].action
        self.position = (compile_position([i.action.position for i in items], source)  # type: ignore[union-attr]
                         if isinstance(first, ga.AddEntityAction) else None)

    def start(self, ctx: Context, mask: B) -> None:
        w = ctx.world
        if self.position is None:
            w.present[mask, self.k] = False
            return
        w.present[mask, self.k] = True
        teleport(ctx, self.k, mask, self.position)


# --- compiling --------------------------------------------------------------------------


@dataclass
class CompiledAction:
    """One storyboard Action: its runtimes (one per actor for private actions)."""

    name: str
    runtimes: list[Runtime] = field(default_factory=list)


def compile_private(kinds: Sequence[Any], ctx: Context, k: int) -> Runtime:
    """The runtime of a private action for entity column ``k`` (one model per episode)."""
    first = kinds[0]
    if isinstance(first, a.SpeedAction):
        return SpeedRuntime(ctx, k, kinds)
    if isinstance(first, a.SpeedProfileAction):
        return SpeedProfileRuntime(ctx, k, kinds)
    if isinstance(first, a.LongitudinalDistanceAction):
        return LongitudinalDistanceRuntime(ctx, k, kinds)
    if isinstance(first, a.SynchronizeAction):
        return SynchronizeRuntime(ctx, k, kinds)
    if isinstance(first, a.LaneChangeAction):
        return LaneChangeRuntime(ctx, k, kinds)
    if isinstance(first, a.LaneOffsetAction):
        return LaneOffsetRuntime(ctx, k, kinds)
    if isinstance(first, a.TeleportAction):
        return TeleportRuntime(ctx, k, compile_position([i.position for i in kinds],
                                                        ctx.source))
    if isinstance(first, a.FollowTrajectoryAction):
        return FollowTrajectoryRuntime(ctx, k, kinds)
    if isinstance(first, a.AcquirePositionAction):
        return AcquirePositionRuntime(ctx, k, kinds)
    if isinstance(first, a.AssignRouteAction):
        return RouteRuntime(ctx, k, kinds)
    if isinstance(first, a.AssignControllerAction):
        return AssignControllerRuntime(ctx, k, kinds)
    if isinstance(first, a.ActivateControllerAction):
        return ActivateControllerRuntime(ctx, k, kinds)
    if isinstance(first, a.VisibilityAction):
        return VisibilityRuntime(ctx, k, kinds)
    raise InvalidArgument(f"{ctx.source}: private action {type(first).__name__} is not "
                          "supported")


def compile_global(kinds: Sequence[Any], ctx: Context) -> Runtime:
    first = kinds[0]
    if isinstance(first, ga.EnvironmentAction):
        return EnvironmentRuntime(ctx, kinds)
    if isinstance(first, ga.ParameterAction):
        return ParameterRuntime(ctx, kinds, variable=False)
    if isinstance(first, ga.VariableAction):
        return ParameterRuntime(ctx, kinds, variable=True)
    if isinstance(first, ga.TrafficSignalStateAction):
        return TrafficSignalRuntime(ctx, same(kinds, "name", ctx.source),
                                    [k.state for k in kinds])
    if isinstance(first, ga.TrafficSignalControllerAction):
        return _signal_controller(kinds, ctx)
    if isinstance(first, ga.EntityAction):
        return EntityRuntime(ctx, kinds)
    raise InvalidArgument(f"{ctx.source}: global action {type(first).__name__} is not "
                          "supported")


class _Group(Runtime):
    def __init__(self, ctx: Context, parts: list[Runtime]) -> None:
        super().__init__(ctx)
        self.parts = parts

    def start(self, ctx: Context, mask: B) -> None:
        for part in self.parts:
            part.start(ctx, mask)


def _signal_controller(kinds: Sequence[ga.TrafficSignalControllerAction], ctx: Context
                       ) -> Runtime:
    name = kinds[0].traffic_signal_controller_ref
    phase_name = kinds[0].phase
    for controller in ctx.signal_controllers:
        if controller.name == name:
            for phase in controller.phases:
                if phase.name == phase_name:
                    return _Group(ctx, [
                        TrafficSignalRuntime(ctx, s.traffic_signal_id,
                                             [s.state] * ctx.world.episodes)
                        for s in phase.traffic_signal_states])
            raise InvalidArgument(f"{ctx.source}: traffic signal controller {name!r} has no "
                                  f"phase {phase_name!r}")
    raise InvalidArgument(f"{ctx.source}: unknown traffic signal controller {name!r}")
