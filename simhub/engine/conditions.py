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
from typing import Any, Protocol, TypeVar

import numba
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
I64 = npt.NDArray[np.int64]
B = npt.NDArray[np.bool_]
Test = Callable[[Context], B]
# What the fused run kernel (``simhub.engine.fused``) needs to evaluate a condition itself: a
# tuple tagged on the test function as ``kernel_spec``; tests without one are Python only.
KernelSpec = tuple[Any, ...]
TestT = TypeVar("TestT", bound=Callable[..., Any])

TOLERANCE = 1e-9
STANDSTILL_SPEED = 1e-4  # m/s, below this an entity stands still


RULES = {"greaterThan": 0, "lessThan": 1, "greaterOrEqual": 2, "lessOrEqual": 3, "equalTo": 4,
         "notEqualTo": 5}
LASTING = ("standstill_since", "end_of_road_since", "off_road_since")  # World fields
EDGES = {"rising": 0, "falling": 1, "risingOrFalling": 2, "none": 3}
HEADWAY, TTC, DISTANCE = 0, 1, 2


@numba.njit(cache=True)
def _holds(value: float, rule: int, reference: float) -> bool:
    """``compare`` for one number (rule as a ``RULES`` code)."""
    if rule == 0:
        return value > reference
    if rule == 1:
        return value < reference
    if rule == 2:
        return value >= reference
    if rule == 3:
        return value <= reference
    close = abs(value - reference) < TOLERANCE
    return close if rule == 4 else not close


@numba.njit(cache=True)
def _time_test(now: float, rule: int, reference: F64, out: B) -> None:
    for e in range(out.shape[0]):
        out[e] = _holds(now, rule, reference[e])


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


def tag(test: TestT, spec: KernelSpec) -> TestT:
    """``test`` with ``spec`` attached as its ``kernel_spec`` (returns ``test``)."""
    setattr(test, "kernel_spec", spec)  # noqa: B010 (a function attribute, not a field)
    return test


def kernel_spec(test: Any) -> KernelSpec | None:
    """The spec tagged on ``test`` by ``tag``, or None."""
    spec: KernelSpec | None = getattr(test, "kernel_spec", None)
    return spec


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
    _pending: bool = False  # some episode has an edge waiting out its delay
    _started: B = field(default_factory=lambda: np.zeros(0, np.bool_))
    _result: B = field(default_factory=lambda: np.zeros(0, np.bool_))
    _edge_code: int = 3
    fired_any: bool = False  # the last evaluation is true in some episode

    def evaluate(self, ctx: Context) -> B:
        """The condition's value now (after edge and delay), ``(E,)``; the array is this
        condition's own and is overwritten by its next evaluation."""
        value = self.test(ctx)
        if self.previous is None:
            episodes = value.shape[0]
            self.previous = np.zeros(episodes, np.bool_)
            self.fire_at = np.full(episodes, np.nan)
            self._started = np.zeros(episodes, np.bool_)
            self._result = np.zeros(episodes, np.bool_)
            self._edge_code = EDGES.get(self.edge, EDGES["none"])
        assert self.fire_at is not None
        started, self._pending, fired = _edge_and_delay(
            value, self.previous, self.fire_at, self.delay, self._edge_code, ctx.world.time,
            self._started, self._result)
        self.fired_any = fired > 0
        if started:
            ctx.record(self._started, self.name, "condition", "true")
        return self._result


@numba.njit(cache=True)
def _edge_and_delay(value: B, previous: B, fire_at: F64, delay: F64, edge: int, now: float,
                    started: B, result: B) -> tuple[int, bool, int]:
    """Edge (``EDGES`` code) and delay of a condition's raw ``value`` in every episode:
    ``previous`` becomes ``value``; an edge while nothing waits sets ``fire_at`` (``started``
    there); ``result`` where ``fire_at`` has come (cleared). Returns (episodes started, some
    episode still waiting, episodes that fire)."""
    count = 0
    fired = 0
    pending = False
    for e in range(value.shape[0]):
        v = value[e]
        p = previous[e]
        if edge == 0:
            edged = v and not p
        elif edge == 1:
            edged = p and not v
        elif edge == 2:
            edged = v != p
        else:
            edged = v
        previous[e] = v
        started[e] = False
        if edged and math.isnan(fire_at[e]):
            fire_at[e] = now + delay[e]
            started[e] = True
            count += 1
        fire = fire_at[e] <= now + TOLERANCE
        result[e] = fire
        if fire:
            fire_at[e] = math.nan
            fired += 1
        elif not math.isnan(fire_at[e]):
            pending = True
    return count, pending, fired


@dataclass
class CompiledTrigger:
    """OR of AND groups; an empty trigger never fires."""

    groups: list[list[CompiledCondition]]
    fired_any: bool = False  # the last evaluation is true in some episode

    def evaluate(self, ctx: Context) -> B:
        """The trigger's value now, ``(E,)`` (possibly the array of its only condition,
        overwritten by the next evaluation)."""
        # every condition is evaluated (no short cut): each keeps its edge state per step
        groups = self.groups
        if len(groups) == 1 and len(groups[0]) == 1:
            only = groups[0][0]
            value = only.evaluate(ctx)
            self.fired_any = only.fired_any
            return value
        result = np.zeros(ctx.world.episodes, np.bool_)
        for group in groups:
            if not group:
                continue
            values = group[0].evaluate(ctx).copy()
            for condition in group[1:]:
                values &= condition.evaluate(ctx)
            result |= values
        self.fired_any = bool(np.count_nonzero(result))
        return result

    def fires(self, ctx: Context, mask: B) -> B | None:
        """Episodes of ``mask`` where the trigger is true now (a new array), or None if
        there are none."""
        value = self.evaluate(ctx)
        if not self.fired_any:
            return None
        fire = mask & value
        return fire if np.count_nonzero(fire) else None


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
        code = RULES[same(kinds, "rule", source)]
        out = np.zeros(len(kinds), np.bool_)

        def simulation_time(ctx: Context) -> B:
            _time_test(ctx.world.time, code, value, out)
            return out
        return tag(simulation_time, ("time", code, value))
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
        return tag(lambda ctx: compare(ctx.world.time_of_day, rule, stamps) & ~np.isnan(
            ctx.world.time_of_day), ("time_of_day", RULES[rule], stamps))
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
        inner = kernel_spec(per_entity)
        spec = None if inner is None else ("entity", tuple(names), rule_any, inner)

        if len(names) == 1:
            single = names[0]
            return _tagged(lambda ctx: per_entity(ctx, ctx.entity(single, where)), spec)

        def by_entity(ctx: Context) -> B:
            values = [per_entity(ctx, ctx.entity(n, where)) for n in names]
            combined = (np.logical_or.reduce(values) if rule_any
                        else np.logical_and.reduce(values))
            return np.asarray(combined, dtype=np.bool_)
        return _tagged(by_entity, spec)
    raise InvalidArgument(f"{source}: {type(first).__name__} is not supported")


def _tagged(test: TestT, spec: KernelSpec | None) -> TestT:
    return test if spec is None else tag(test, spec)


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
        return tag(lambda ctx, k: compare(ctx.world.speed[:, k], str(rule), value),
                   ("speed", RULES[str(rule)], value))
    if isinstance(first, c.AccelerationCondition):
        return tag(lambda ctx, k: compare(ctx.world.acceleration[:, k], str(rule), value),
                   ("acceleration", RULES[str(rule)], value))
    if isinstance(first, c.RelativeSpeedCondition):
        ref = same(kinds, "entity_ref", source)
        return tag(lambda ctx, k: compare(
            ctx.world.speed[:, k] - ctx.world.speed[:, ctx.entity(ref, name)], str(rule), value),
            ("relative_speed", ref, RULES[str(rule)], value))
    if isinstance(first, c.StandStillCondition | c.EndOfRoadCondition | c.OffroadCondition):
        duration = numbers(kinds, "duration")
        attribute = {"StandStillCondition": "standstill_since",
                     "EndOfRoadCondition": "end_of_road_since",
                     "OffroadCondition": "off_road_since"}[name]

        def lasting(ctx: Context, k: int) -> B:
            since = getattr(ctx.world, attribute)[:, k]
            lasted = ~np.isnan(since) & (ctx.world.time - since >= duration - TOLERANCE)
            return np.asarray(lasted, dtype=np.bool_)
        return tag(lasting, ("lasting", LASTING.index(attribute), duration))
    if isinstance(first, c.TraveledDistanceCondition):
        return tag(lambda ctx, k: ctx.world.odometer[:, k] >= value - TOLERANCE,
                   ("traveled", value))
    if isinstance(first, c.CollisionCondition):
        return _collision(first, source)
    if isinstance(first, c.TimeHeadwayCondition):
        ref = same(kinds, "entity_ref", source)
        freespace = bool(same(kinds, "freespace", source))
        system = _system(first, "road" if first.relative_distance_type is None else "entity")
        return _measured(HEADWAY, name, ref, measure.LONGITUDINAL, system, freespace,
                         str(rule), value)
    if isinstance(first, c.TimeToCollisionCondition):
        return _ttc(kinds, ctx, source, str(rule), value)
    if isinstance(first, c.RelativeDistanceCondition):
        ref = same(kinds, "entity_ref", source)
        freespace = bool(same(kinds, "freespace", source))
        kind = same(kinds, "relative_distance_type", source)
        return _measured(DISTANCE, name, ref, measure.DISTANCE_KINDS.get(kind, measure.EUCLIDEAN),
                         _system(first), freespace, str(rule), value)
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
        if not getattr(target, "static", False):
            return to_position
        code = {"longitudinal": 1, "lateral": 2}.get(kind, 0)
        return tag(to_position, ("position", target, code, freespace,
                                 RULES["lessOrEqual"] if tolerance is not None
                                 else RULES[str(rule)],
                                 value if tolerance is None else tolerance))
    if isinstance(first, c.RelativeClearanceCondition):
        return _clearance(first, source)
    raise InvalidArgument(f"{source}: {name} is not supported")


def _measured(what: int, where: str, ref: str, kind: int, system: str, freespace: bool,
              rule: str, value: F64) -> EntityTest:
    """A headway, time-to-collision or distance test (``what``) from entity ``k`` to ``ref``,
    every episode in one kernel call; one result array per triggering entity."""
    along_road = system in measure.ROAD_SYSTEMS
    code = RULES[rule]
    reference = np.ascontiguousarray(value, dtype=np.float64)
    results: dict[int, B] = {}

    def test(ctx: Context, k: int) -> B:
        w = ctx.world
        out = results.get(k)
        if out is None:
            out = results[k] = np.zeros(w.episodes, np.bool_)
        _measure_test(what, k, ctx.entity(ref, where), kind, along_road, freespace, code,
                      reference, w.x, w.y, w.heading, w.road, w.s, w.t, w.direction,
                      w.heading_offset, w.speed, w.length, w.width, w.center_x, w.center_y,
                      out)
        return out
    return tag(test, ("measure", what, ref, kind, along_road, freespace, code, reference))


@numba.njit(cache=True)
def _measure_test(what: int, k: int, j: int, kind: int, along_road: bool, freespace: bool,
                  rule: int, reference: F64, x: F64, y: F64, heading: F64, road: I64, s: F64,
                  t: F64, direction: F64, heading_offset: F64, speed: F64, length: F64,
                  width: F64, cx: F64, cy: F64, out: B) -> None:
    """``out[e]``: the headway [s] (``HEADWAY``), time to collision [s] (``TTC``) or distance
    [m] (``DISTANCE``, of ``measure`` kind) from ``k`` to ``j`` holds ``rule`` against
    ``reference[e]``."""
    for e in range(out.shape[0]):
        d = measure.distance_at(e, k, j, kind, along_road, freespace, x, y, heading, road, s,
                                t, direction, heading_offset, length, width, cx, cy)
        if what == HEADWAY:
            v = speed[e, k]
            quantity = d / max(v, TOLERANCE) if v > TOLERANCE else math.inf
        elif what == TTC:
            closing = speed[e, k] - speed[e, j] * math.cos(heading[e, j] - heading[e, k])
            if d < 0:
                closing = -closing
            quantity = abs(d) / closing if closing > TOLERANCE else math.inf
        else:
            quantity = d
        out[e] = _holds(quantity, rule, reference[e])


def _collision(first: c.CollisionCondition, source: str) -> EntityTest:
    target = first.target
    if isinstance(target, EntityRef):
        ref = target.entity_ref
        return tag(lambda ctx, k: ctx.world.colliding[:, k, ctx.entity(ref, "CollisionCondition")],
                   ("collision", ref))
    wanted = {"vehicle": KIND_VEHICLE, "pedestrian": KIND_PEDESTRIAN,
              "miscellaneous": KIND_MISC}.get(target.type, -1)

    def by_type(ctx: Context, k: int) -> B:
        mask = np.array([e.kind == wanted for e in ctx.world.entities])
        return np.asarray((ctx.world.colliding[:, k, :] & mask).any(axis=1))
    return tag(by_type, ("collision_kind", wanted))


def _ttc(kinds: Sequence[Any], ctx: Context, source: str, rule: str, value: F64) -> EntityTest:
    first = kinds[0]
    freespace = bool(same(kinds, "freespace", source))
    system = _system(first)
    target = first.target
    if isinstance(target, EntityRef):
        ref = target.entity_ref
        return _measured(TTC, "TimeToCollisionCondition", ref, measure.LONGITUDINAL, system,
                         freespace, rule, value)
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
