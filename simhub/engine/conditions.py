"""Conditions compiled to vectorised tests over episodes, with edges and delays.

A trigger is true when any of its condition groups is; a group when all its conditions are.
A condition's raw value goes through its edge (rising, falling, risingOrFalling, none) and
fires ``delay`` s after the edge. Every test returns a bool array of shape ``(E,)``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from simhub.engine import measure
from simhub.engine.context import Context
from simhub.engine.positions import compile_position, numbers, same
from simhub.engine.world import KIND_MISC, KIND_PEDESTRIAN, KIND_VEHICLE
from simhub.errors import InvalidArgument
from simhub.scenario import conditions as c
from simhub.scenario.common import EntityRef

F64 = npt.NDArray[np.float64]
B = npt.NDArray[np.bool_]
Test = Callable[[Context], B]

TOLERANCE = 1e-9
STANDSTILL_SPEED = 1e-4  # m/s, below this an entity stands still


def compare(value: Any, rule: str, reference: Any) -> B:
    """``value <rule> reference`` element-wise (numbers, or strings for equality rules)."""
    if rule == "greaterThan":
        return np.asarray(value > reference)
    if rule == "lessThan":
        return np.asarray(value < reference)
    if rule == "greaterOrEqual":
        return np.asarray(value >= reference)
    if rule == "lessOrEqual":
        return np.asarray(value <= reference)
    if value.dtype.kind == "f" or (isinstance(reference, np.ndarray)
                                   and reference.dtype.kind == "f"):
        close = np.abs(np.asarray(value, dtype=np.float64)
                       - np.asarray(reference, dtype=np.float64)) < TOLERANCE
    else:
        close = np.asarray(value == reference)
    return close if rule == "equalTo" else ~close


class ElementStates(Protocol):
    """Looks up storyboard elements for StoryboardElementStateCondition."""

    def state_test(self, kind: str, name: str, state: str) -> Test: ...


@dataclass
class CompiledCondition:
    """One condition: its raw test, edge and delay [s] (per episode)."""

    name: str
    edge: str
    delay: F64
    test: Test
    previous: B | None = None
    fire_at: F64 | None = None
    fired: list[float] = field(default_factory=list)
    _pending: bool = False  # some episode has an edge waiting out its delay

    def evaluate(self, ctx: Context) -> B:
        """The condition's value now (after edge and delay), ``(E,)``."""
        value = self.test(ctx)
        previous = self.previous
        if previous is None:
            previous = self.previous = np.zeros_like(value)
            self.fire_at = np.full(value.shape, np.nan)
            self._pending = False
        fire_at = self.fire_at
        assert fire_at is not None
        if self.edge == "rising":
            edged = value & ~previous
        elif self.edge == "falling":
            edged = ~value & previous
        elif self.edge == "risingOrFalling":
            edged = value != previous
        else:
            edged = value
        self.previous = value
        now = ctx.world.time
        if edged.any():
            start = edged & np.isnan(fire_at)
            if start.any():
                fire_at[start] = now + self.delay[start]
                self._pending = True
                ctx.record(start, self.name, "condition", "true")
        if not self._pending:
            # nothing is waiting to fire: the result is all False without looking at fire_at
            return np.zeros(value.shape, np.bool_)
        result = fire_at <= now + TOLERANCE
        if result.any():
            fire_at[result] = np.nan
            self._pending = bool((~np.isnan(fire_at)).any())
        return result


@dataclass
class CompiledTrigger:
    """OR of AND groups; an empty trigger never fires."""

    groups: list[list[CompiledCondition]]

    def evaluate(self, ctx: Context) -> B:
        # every condition is evaluated (no short cut): each keeps its edge state per step
        groups = self.groups
        if len(groups) == 1 and len(groups[0]) == 1:
            return groups[0][0].evaluate(ctx)
        result = np.zeros(ctx.world.episodes, np.bool_)
        for group in groups:
            if not group:
                continue
            values = group[0].evaluate(ctx).copy()
            for condition in group[1:]:
                values &= condition.evaluate(ctx)
            result |= values
        return result


def compile_trigger(items: Sequence[c.Trigger | None], ctx: Context,
                    elements: ElementStates) -> CompiledTrigger | None:
    """Compile one trigger per episode (None when the first variant has none)."""
    if items[0] is None:
        return None
    triggers = [t for t in items if t is not None]
    groups = []
    for g, group in enumerate(triggers[0].condition_groups):
        conditions = []
        for k, _ in enumerate(group.conditions):
            variants = [t.condition_groups[g].conditions[k] for t in triggers]
            conditions.append(compile_condition(variants, ctx, elements))
        groups.append(conditions)
    return CompiledTrigger(groups)


def compile_condition(items: Sequence[c.Condition], ctx: Context,
                      elements: ElementStates) -> CompiledCondition:
    first = items[0]
    kinds = [i.kind for i in items]
    where = f"condition {first.name!r}"
    test = _compile_kind(kinds, ctx, elements, where)
    return CompiledCondition(first.name, same(items, "condition_edge", ctx.source),
                             numbers(items, "delay"), test)


def _compile_kind(kinds: Sequence[Any], ctx: Context, elements: ElementStates,
                  where: str) -> Test:
    first = kinds[0]
    source = f"{ctx.source}: {where}"
    if isinstance(first, c.SimulationTimeCondition):
        value = numbers(kinds, "value")
        rule = same(kinds, "rule", source)
        return lambda ctx: compare(np.full(ctx.world.episodes, ctx.world.time), rule, value)
    if isinstance(first, c.StoryboardElementStateCondition):
        return elements.state_test(first.storyboard_element_type,
                                   same(kinds, "storyboard_element_ref", source),
                                   same(kinds, "state", source))
    if isinstance(first, c.ParameterCondition | c.VariableCondition):
        is_param = isinstance(first, c.ParameterCondition)
        name = same(kinds, "parameter_ref" if is_param else "variable_ref", source)
        rule = same(kinds, "rule", source)
        raw = [k.value for k in kinds]

        def by_value(ctx: Context) -> B:
            store = ctx.parameters if is_param else ctx.variables
            if name not in store:
                raise InvalidArgument(f"{source}: unknown {'parameter' if is_param else 'variable'}"
                                      f" {name!r}")
            current = store[name]
            if current.dtype.kind == "f":
                return compare(current, rule, np.array([_to_float(v) for v in raw]))
            return compare(current.astype(str), rule, np.array([_text(v) for v in raw]))
        return by_value
    if isinstance(first, c.TimeOfDayCondition):
        rule = same(kinds, "rule", source)
        stamps = np.array([_timestamp(k.date_time, source) for k in kinds])
        return lambda ctx: compare(ctx.world.time_of_day, rule, stamps) & ~np.isnan(
            ctx.world.time_of_day)
    if isinstance(first, c.TrafficSignalCondition):
        name = same(kinds, "name", source)
        state = same(kinds, "state", source)

        def signal(ctx: Context) -> B:
            current = ctx.signals.get(name)
            if current is None:
                return np.zeros(ctx.world.episodes, np.bool_)
            return np.asarray(current == state)
        return signal
    if isinstance(first, c.ByEntityCondition):
        rule_any = same([k.triggering_entities for k in kinds], "triggering_entities_rule",
                        source) == "any"
        names = [ref.entity_ref for ref in first.triggering_entities.entity_refs]
        per_entity = _compile_entity([k.condition for k in kinds], ctx, source)

        def by_entity(ctx: Context) -> B:
            values = [per_entity(ctx, ctx.entity(n, where)) for n in names]
            combined = (np.logical_or.reduce(values) if rule_any
                        else np.logical_and.reduce(values))
            return np.asarray(combined, dtype=np.bool_)
        return by_entity
    raise InvalidArgument(f"{source}: {type(first).__name__} is not supported")


def _to_float(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return math.nan


def _text(value: str) -> str:
    lowered = value.lower()
    return lowered if lowered in ("true", "false") else value


def _timestamp(text: str, source: str) -> float:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise InvalidArgument(f"{source}: dateTime {text!r} is not ISO 8601") from None


EntityTest = Callable[[Context, int], B]


def _system(kind: Any, default: str = "entity") -> str:
    system = getattr(kind, "coordinate_system", None)
    return str(system) if system else default


def _compile_entity(kinds: Sequence[Any], ctx: Context, source: str) -> EntityTest:
    first = kinds[0]
    name = type(first).__name__
    rule = getattr(first, "rule", None)
    value = numbers(kinds, "value") if hasattr(first, "value") else np.zeros(len(kinds))
    world_kinds = (c.SpeedCondition, c.AccelerationCondition, c.RelativeSpeedCondition,
                   c.TimeHeadwayCondition, c.TimeToCollisionCondition, c.DistanceCondition,
                   c.RelativeDistanceCondition)
    if isinstance(first, world_kinds):
        rule = same(kinds, "rule", source)
    if isinstance(first, c.SpeedCondition):
        return lambda ctx, k: compare(ctx.world.speed[:, k], str(rule), value)
    if isinstance(first, c.AccelerationCondition):
        return lambda ctx, k: compare(ctx.world.acceleration[:, k], str(rule), value)
    if isinstance(first, c.RelativeSpeedCondition):
        ref = same(kinds, "entity_ref", source)
        return lambda ctx, k: compare(
            ctx.world.speed[:, k] - ctx.world.speed[:, ctx.entity(ref, name)], str(rule), value)
    if isinstance(first, c.StandStillCondition | c.EndOfRoadCondition | c.OffroadCondition):
        duration = numbers(kinds, "duration")
        attribute = {"StandStillCondition": "standstill_since",
                     "EndOfRoadCondition": "end_of_road_since",
                     "OffroadCondition": "off_road_since"}[name]

        def lasting(ctx: Context, k: int) -> B:
            since = getattr(ctx.world, attribute)[:, k]
            lasted = ~np.isnan(since) & (ctx.world.time - since >= duration - TOLERANCE)
            return np.asarray(lasted, dtype=np.bool_)
        return lasting
    if isinstance(first, c.TraveledDistanceCondition):
        return lambda ctx, k: ctx.world.odometer[:, k] >= value - TOLERANCE
    if isinstance(first, c.CollisionCondition):
        return _collision(first, source)
    if isinstance(first, c.TimeHeadwayCondition):
        ref = same(kinds, "entity_ref", source)
        freespace = bool(same(kinds, "freespace", source))
        system = _system(first, "road" if first.relative_distance_type is None else "entity")

        def headway(ctx: Context, k: int) -> B:
            w = ctx.world
            d = measure.longitudinal(w, k, ctx.entity(ref, name), system, freespace)
            speed = w.speed[:, k]
            with np.errstate(divide="ignore", invalid="ignore"):
                thw = np.where(speed > TOLERANCE, d / np.maximum(speed, TOLERANCE), np.inf)
            return compare(thw, str(rule), value)
        return headway
    if isinstance(first, c.TimeToCollisionCondition):
        return _ttc(kinds, ctx, source, str(rule), value)
    if isinstance(first, c.RelativeDistanceCondition):
        ref = same(kinds, "entity_ref", source)
        freespace = bool(same(kinds, "freespace", source))
        kind = same(kinds, "relative_distance_type", source)
        system = _system(first)

        def rel_distance(ctx: Context, k: int) -> B:
            d = measure.relative(ctx.world, k, ctx.entity(ref, name), kind, system, freespace)
            return compare(d, str(rule), value)
        return rel_distance
    if isinstance(first, c.ReachPositionCondition | c.DistanceCondition):
        target = compile_position([k.position for k in kinds], source)
        tolerance = numbers(kinds, "tolerance") if isinstance(first, c.ReachPositionCondition) \
            else None
        freespace = bool(getattr(first, "freespace", False))
        kind = getattr(first, "relative_distance_type", None) or "euclidianDistance"

        def to_position(ctx: Context, k: int) -> B:
            placed = target(ctx)
            w = ctx.world
            if kind == "longitudinal":
                d = np.abs((placed.x - w.x[:, k]) * np.cos(w.heading[:, k])
                           + (placed.y - w.y[:, k]) * np.sin(w.heading[:, k]))
            elif kind == "lateral":
                d = np.abs(-(placed.x - w.x[:, k]) * np.sin(w.heading[:, k])
                           + (placed.y - w.y[:, k]) * np.cos(w.heading[:, k]))
            else:
                d = np.hypot(placed.x - w.x[:, k], placed.y - w.y[:, k])
            if freespace:
                d = np.maximum(d - w.length[:, k] / 2, 0.0)
            if tolerance is not None:
                return np.asarray(d <= tolerance)
            return compare(d, str(rule), value)
        return to_position
    if isinstance(first, c.RelativeClearanceCondition):
        return _clearance(first, source)
    raise InvalidArgument(f"{source}: {name} is not supported")


def _collision(first: c.CollisionCondition, source: str) -> EntityTest:
    target = first.target
    if isinstance(target, EntityRef):
        ref = target.entity_ref
        return lambda ctx, k: ctx.world.colliding[:, k, ctx.entity(ref, "CollisionCondition")]
    wanted = {"vehicle": KIND_VEHICLE, "pedestrian": KIND_PEDESTRIAN,
              "miscellaneous": KIND_MISC}.get(target.type, -1)

    def by_type(ctx: Context, k: int) -> B:
        mask = np.array([e.kind == wanted for e in ctx.world.entities])
        return np.asarray((ctx.world.colliding[:, k, :] & mask).any(axis=1))
    return by_type


def _ttc(kinds: Sequence[Any], ctx: Context, source: str, rule: str, value: F64) -> EntityTest:
    first = kinds[0]
    freespace = bool(same(kinds, "freespace", source))
    system = _system(first)
    target = first.target
    if isinstance(target, EntityRef):
        ref = target.entity_ref

        def ttc_entity(ctx: Context, k: int) -> B:
            w = ctx.world
            j = ctx.entity(ref, "TimeToCollisionCondition")
            d = measure.longitudinal(w, k, j, system, freespace)
            closing = w.speed[:, k] - w.speed[:, j] * np.cos(w.heading[:, j] - w.heading[:, k])
            closing = np.where(d < 0, -closing, closing)
            with np.errstate(divide="ignore", invalid="ignore"):
                ttc = np.where(closing > TOLERANCE, np.abs(d) / closing, np.inf)
            return compare(ttc, rule, value)
        return ttc_entity
    position = compile_position([k.target for k in kinds], source)

    def ttc_position(ctx: Context, k: int) -> B:
        w = ctx.world
        placed = position(ctx)
        d = np.hypot(placed.x - w.x[:, k], placed.y - w.y[:, k])
        with np.errstate(divide="ignore", invalid="ignore"):
            ttc = np.where(w.speed[:, k] > TOLERANCE, d / w.speed[:, k], np.inf)
        return compare(ttc, rule, value)
    return ttc_position


def _clearance(first: c.RelativeClearanceCondition, source: str) -> EntityTest:
    forward = first.distance_forward or 0.0
    backward = first.distance_backward or 0.0
    ranges = [(r.from_lane if r.from_lane is not None else -99,
               r.to_lane if r.to_lane is not None else 99) for r in first.lane_ranges]
    only = [ref.entity_ref for ref in first.entity_refs]

    def clear(ctx: Context, k: int) -> B:
        w = ctx.world
        result = np.ones(w.episodes, np.bool_)
        for j, entity in enumerate(w.entities):
            if j == k or (only and entity.name not in only):
                continue
            d = measure.longitudinal(w, k, j, "road", first.free_space)
            relative_lane = (w.lane[:, j] - w.lane[:, k]) * w.direction[:, k]
            same_way = w.direction[:, j] == w.direction[:, k]
            in_lanes = np.zeros(w.episodes, np.bool_)
            for lo, hi in ranges or [(-99, 99)]:
                in_lanes |= (relative_lane >= lo) & (relative_lane <= hi)
            near = (d <= forward) & (d >= -backward)
            result &= ~(near & in_lanes & (same_way | first.opposite_lanes) & w.present[:, j])
        return result
    return clear
