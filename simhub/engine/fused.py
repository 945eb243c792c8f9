"""Fused run: the storyboard, its actions, movement and derived states of many steps inside
one numba kernel.

``BatchWorld.run`` uses it when a one-episode batch holds only what the kernel implements
(see ``plan``); anything else runs the Python step (``BatchWorld.step``), which stays the
reference: the kernel repeats its order and arithmetic (it calls the same njit kernels for
conditions, actions, movement and derived states), so positions and event logs are equal.

The storyboard becomes tables: elements in depth-first order (state, last transition and its
frame, executions, children, post-order ranges for stop), triggers as ranges of conditions
(edge and delay state per condition) and action runtimes (speed, lane change, lane offset, a
fixed teleport, or "instant": an init action whose work was done at start). Before a run the
Python objects' state is copied into the tables (``gather``) and afterwards back
(``scatter``), so ``step`` and ``run`` can be mixed. Transitions are written to preallocated
log arrays and become ``LogEntry``s.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from simhub.engine import fused_kernel as k
from simhub.engine.actions import (
    LaneChangeRuntime,
    LaneOffsetRuntime,
    Runtime,
    SpeedRuntime,
    TeleportRuntime,
)
from simhub.engine.conditions import EDGES, CompiledCondition, CompiledTrigger, kernel_spec
from simhub.engine.context import LogEntry
from simhub.engine.shapes import LINEAR_RATE, RATE_CODES, SHAPE_CODES
from simhub.engine.storyboard import (
    COMPLETE,
    TRANSITION_NAMES,
    ActionElement,
    Element,
    EventElement,
    ManeuverGroupElement,
)

if TYPE_CHECKING:
    from simhub.engine.batch import BatchWorld

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
B = npt.NDArray[np.bool_]

PRIORITY_CODES = {"parallel": k.PRIORITY_PARALLEL, "overwrite": k.PRIORITY_OVERWRITE,
                  "override": k.PRIORITY_OVERWRITE, "skip": k.PRIORITY_SKIP}
ENTITY_CODES = {"measure": k.E_MEASURE, "speed": k.E_SPEED, "acceleration": k.E_ACCELERATION,
                "relative_speed": k.E_RELATIVE_SPEED, "lasting": k.E_LASTING,
                "traveled": k.E_TRAVELED, "collision": k.E_COLLISION,
                "collision_kind": k.E_COLLISION_KIND, "position": k.E_POSITION}
LOG_ROOM = 64  # initial log rows per element and condition


class Unsupported(Exception):
    """Why a batch cannot use the fused run (it then steps in Python)."""


class Plan:
    """A batch's storyboard as ``Tables``, with the Python objects they mirror."""

    def __init__(self, batch: BatchWorld) -> None:
        ctx = batch.ctx
        if ctx.world.episodes != 1:
            raise Unsupported("more than one episode")
        if batch.network is None:
            raise Unsupported("no road network")
        board = batch.storyboard
        self.batch = batch
        self.elements: list[Element] = []
        self.parents: list[int] = []
        self._walk(board.root, -1)
        self.index = {id(el): i for i, el in enumerate(self.elements)}
        self.init_actions = list(board.init_actions)
        for action in self.init_actions:
            self.index[id(action)] = len(self.elements)
            self.elements.append(action)
            self.parents.append(-1)
        self.triggers: list[CompiledTrigger] = []
        self.conditions: list[CompiledCondition] = []
        self.runtimes: list[Runtime] = []
        self.done_rows: list[tuple[ActionElement, int]] = []  # runtime -> its action, index
        m = len(self.elements)
        self._element_tables(m)
        self.triggers_of = self._trigger_tables(board)
        self._runtime_tables()

    def _walk(self, element: Element, parent: int) -> None:
        self.elements.append(element)
        self.parents.append(parent)
        here = len(self.elements) - 1
        for child in element.children:
            self._walk(child, here)

    def _element_tables(self, m: int) -> None:
        children: list[int] = []
        start, end = np.zeros(m, np.int64), np.zeros(m, np.int64)
        for i, element in enumerate(self.elements):
            start[i] = len(children)
            children.extend(self.index[id(c)] for c in element.children)
            end[i] = len(children)
        post: list[int] = []

        def order(i: int) -> None:
            for c in range(start[i], end[i]):
                order(children[c])
            post.append(i)
        for i in range(m):
            if self.parents[i] < 0:
                order(i)
        self.child_start, self.child_end = start, end
        self.children = np.array(children, np.int64)
        self.post_order = np.array(post, np.int64)
        self.post_pos = np.zeros(m, np.int64)
        self.post_pos[self.post_order] = np.arange(m)
        self.subtree = np.ones(m, np.int64)
        for i in post:  # children come before their parent
            if self.parents[i] >= 0:
                self.subtree[self.parents[i]] += self.subtree[i]

    def _trigger_tables(self, board: Any) -> dict[tuple[int, str], int]:
        found: dict[tuple[int, str], int] = {}
        for i, element in enumerate(self.elements):
            for slot, trigger in (("start", getattr(element, "start_trigger", None)),
                                  ("stop", getattr(element, "stop_trigger", None)),
                                  ("start", getattr(element, "trigger", None))):
                if trigger is not None:
                    found[(i, slot)] = self._add_trigger(trigger)
        if board.stop_trigger is not None:
            found[(-1, "stop")] = self._add_trigger(board.stop_trigger)
        return found

    def _add_trigger(self, trigger: CompiledTrigger) -> int:
        self.triggers.append(trigger)
        for group in trigger.groups:
            for condition in group:
                if kernel_spec(condition.test) is None:
                    raise Unsupported(f"condition {condition.name!r}")
                if condition.edge not in EDGES:
                    raise Unsupported(f"condition {condition.name!r}: edge {condition.edge}")
                self.conditions.append(condition)
        return len(self.triggers) - 1

    def _runtime_tables(self) -> None:
        m = len(self.elements)
        self.rt_start, self.rt_end = np.zeros(m, np.int64), np.zeros(m, np.int64)
        for i, element in enumerate(self.elements):
            self.rt_start[i] = self.rt_end[i] = len(self.runtimes)
            if not isinstance(element, ActionElement):
                continue
            assert element.action is not None
            init = any(element is a for a in self.init_actions)
            for j, runtime in enumerate(element.action.runtimes):
                if isinstance(runtime, SpeedRuntime | LaneChangeRuntime | LaneOffsetRuntime) or (
                        isinstance(runtime, TeleportRuntime)
                        and getattr(runtime.position, "static", False)):
                    pass
                elif not init:
                    raise Unsupported(f"action {element.name!r}: {type(runtime).__name__}")
                elif type(runtime).step is not Runtime.step and element.state[0] != COMPLETE:
                    raise Unsupported(f"init action {element.name!r}: "
                                      f"{type(runtime).__name__}")
                self.done_rows.append((element, j))
                self.runtimes.append(runtime)
            self.rt_end[i] = len(self.runtimes)

    def usable(self) -> str | None:
        """Why the batch cannot run fused now (controllers, followers...), or None."""
        batch = self.batch
        ctx = batch.ctx
        kinds = {spec.kind for spec in ctx.controllers.values()}
        if kinds & {"idm_mobil", "external"}:
            return f"controllers {', '.join(sorted(kinds & {'idm_mobil', 'external'}))}"
        if ctx.followers:
            return "trajectory followers"
        if batch.external:
            return "external controls"
        return None

    # -- tables ------------------------------------------------------------------------

    def gather(self, logging: bool) -> k.Tables:
        """The tables with the Python objects' current state."""
        elements = self.elements
        m = len(elements)
        links = list(self.children)
        el = np.zeros((m, k.EL), np.int64)
        for i, item in enumerate(elements):
            row = el[i]
            row[k.EL_STATE] = item.state[0]
            row[k.EL_TRANSITION] = item.transition[0]
            row[k.EL_FRAME] = item.transition_frame[0]
            row[k.EL_EXEC] = item.executions[0]
            if isinstance(item, EventElement | ManeuverGroupElement):
                assert item.maximum_executions is not None
                row[k.EL_MAX_EXEC] = item.maximum_executions[0]
            if isinstance(item, EventElement):
                row[k.EL_PRIORITY] = PRIORITY_CODES.get(item.priority, k.PRIORITY_PARALLEL)
            row[k.EL_PARENT] = self.parents[i]
            row[k.EL_CHILD_START], row[k.EL_CHILD_END] = self.child_start[i], self.child_end[i]
            row[k.EL_START_TRIGGER] = self.triggers_of.get((i, "start"), -1)
            row[k.EL_STOP_TRIGGER] = self.triggers_of.get((i, "stop"), -1)
            row[k.EL_RT_START], row[k.EL_RT_END] = self.rt_start[i], self.rt_end[i]
            row[k.EL_POST] = len(links) + self.post_pos[i]
            row[k.EL_SUBTREE] = self.subtree[i]
        links.extend(self.post_order)
        head = np.zeros(6, np.int64)
        head[k.H_ROOT] = 0
        head[k.H_STOP_TRIGGER] = self.triggers_of.get((-1, "stop"), -1)
        head[k.H_LOGGING] = int(logging)
        head[k.H_INIT_START] = len(links)
        links.extend(self.index[id(a)] for a in self.init_actions)
        head[k.H_INIT_END] = len(links)
        trig, ci, cf, cb = self._conditions(links)
        rt, rf, rl = self._runtimes()
        rows = LOG_ROOM * (m + len(self.conditions) + 1)
        kinds = np.array([e.kind for e in self.batch.world.entities], np.int64)
        scratch = np.zeros((2, 1), np.bool_)
        scratch[0] = True
        traffic = self.batch.traffic
        columns, params = np.zeros(0, np.int64), np.zeros((0, 6, 1))
        if self.batch.ctx.controllers:
            traffic._driven(self.batch.ctx)
            columns, params = traffic._columns, traffic._params
        return k.Tables(head, el, np.array(links, np.int64), trig, ci, cf, cb, rt, rf, rl,
                        kinds, columns, params, traffic.scratch, np.zeros(rows),
                        np.zeros((rows, 2), np.int64), scratch)

    def _conditions(self, links: list[int]) -> tuple[Any, ...]:
        n = len(self.conditions)
        trig = np.zeros((len(self.triggers), 2), np.int64)
        ci = np.zeros((n, k.CI), np.int64)
        cf = np.zeros((n, k.CF, 1))
        cf[:, k.CF_FIRE_AT] = np.nan
        cb = np.zeros((n, 3, 1), np.bool_)
        c = 0
        for t, trigger in enumerate(self.triggers):
            trig[t, 0] = c
            for g, group in enumerate(trigger.groups):
                for condition in group:
                    ci[c, k.CI_GROUP] = g
                    ci[c, k.CI_EDGE] = EDGES[condition.edge]
                    cf[c, k.CF_DELAY, 0] = condition.delay[0]
                    if condition.previous is not None:
                        assert condition.fire_at is not None
                        cb[c, k.CB_PREVIOUS, 0] = condition.previous[0]
                        cf[c, k.CF_FIRE_AT, 0] = condition.fire_at[0]
                    spec = kernel_spec(condition.test)
                    assert spec is not None
                    cf[c, k.CF_VALUE, 0] = self._condition(spec, ci[c], cf[c], links)
                    c += 1
            trig[t, 1] = c
        return trig, ci, cf, cb

    def _condition(self, spec: tuple[Any, ...], ci: npt.NDArray[np.int64],
                   cf: npt.NDArray[np.float64], links: list[int]) -> float:
        """Fill ``ci`` (one condition's row) from its spec; returns its reference value."""
        if spec[0] in ("time", "time_of_day"):
            ci[k.CI_KIND] = k.COND_TIME if spec[0] == "time" else k.COND_TIME_OF_DAY
            ci[k.CI_RULE] = spec[1]
            return float(spec[2][0])
        if spec[0] == "state":
            _, kind, name, is_state, wanted = spec
            element = self.batch.storyboard._find(kind, name)
            if element is None or id(element) not in self.index:
                raise Unsupported(f"no {kind} {name!r}")
            ci[k.CI_KIND], ci[k.CI_SUB] = k.COND_STATE, self.index[id(element)]
            ci[k.CI_FLAG], ci[k.CI_WANTED] = int(is_state), wanted
            return 0.0
        _, names, rule_any, inner = spec
        ci[k.CI_KIND], ci[k.CI_FLAG] = k.COND_ENTITY, int(rule_any)
        ci[k.CI_ENT_START] = len(links)
        links.extend(self._column(name) for name in names)
        ci[k.CI_ENT_END] = len(links)
        what = inner[0]
        ci[k.CI_SUB] = ENTITY_CODES[what]
        if what == "measure":
            _, quantity, ref, distance_kind, along_road, freespace, rule, reference = inner
            ci[k.CI_RULE], ci[k.CI_WANTED], ci[k.CI_REF] = rule, quantity, self._column(ref)
            ci[k.CI_DISTANCE], ci[k.CI_ALONG_ROAD] = distance_kind, int(along_road)
            ci[k.CI_FREESPACE] = int(freespace)
            return float(reference[0])
        if what in ("speed", "acceleration"):
            ci[k.CI_RULE] = inner[1]
            return float(inner[2][0])
        if what == "relative_speed":
            ci[k.CI_REF], ci[k.CI_RULE] = self._column(inner[1]), inner[2]
            return float(inner[3][0])
        if what == "lasting":
            ci[k.CI_WANTED] = inner[1]
            return float(inner[2][0])
        if what == "traveled":
            return float(inner[1][0])
        if what == "position":
            _, target, ci[k.CI_DISTANCE], freespace, ci[k.CI_RULE], reference = inner
            ci[k.CI_FREESPACE] = int(freespace)
            placed = target(self.batch.ctx)
            cf[k.CF_X, 0], cf[k.CF_Y, 0] = placed.x[0], placed.y[0]
            return float(reference[0])
        if what == "collision":
            ci[k.CI_REF] = self._column(inner[1])
        else:
            ci[k.CI_WANTED] = inner[1]
        return 0.0

    def _column(self, name: str) -> int:
        try:
            return int(self.batch.world.index(name))
        except KeyError:
            raise Unsupported(f"unknown entity {name!r}") from None

    def _runtimes(self) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64],
                                 npt.NDArray[np.int64]]:
        n = len(self.runtimes)
        rt = np.zeros((n, k.RT), np.int64)
        rf = np.zeros((n, k.RF, 1))
        rl = np.zeros((n, k.RL, 1), np.int64)
        for r, runtime in enumerate(self.runtimes):
            row = rt[r]
            row[k.RT_ID] = runtime.id
            action, index = self.done_rows[r]
            done = getattr(action, "_done", None)
            row[k.RT_DONE] = 0 if done is None else int(done[index, 0])
            if isinstance(runtime, SpeedRuntime):
                row[k.RT_KIND] = k.RT_SPEED
                row[k.RT_REF] = runtime.ref if runtime.relative else -1
                row[k.RT_FLAG], row[k.RT_CONTINUOUS] = runtime.factor, runtime.continuous
                rf[r, k.RF_TARGET, 0] = runtime.target_value[0]
                rf[r, k.RF_START, 0] = runtime.start_speed[0]
            elif isinstance(runtime, LaneChangeRuntime):
                row[k.RT_KIND] = k.RT_LANE_CHANGE
                row[k.RT_REF] = runtime.ref
                if runtime.ref >= 0:
                    rl[r, k.RL_DELTA, 0] = runtime.delta[0]
                else:
                    rl[r, k.RL_ABSOLUTE, 0] = runtime.absolute[0]
                rl[r, k.RL_TARGET, 0] = runtime.target_lane[0]
                rf[r, k.RF_START, 0] = runtime.start_t[0]
                rf[r, k.RF_OFFSET, 0] = runtime.lane_offset[0]
            elif isinstance(runtime, LaneOffsetRuntime):
                row[k.RT_KIND] = k.RT_LANE_OFFSET
                row[k.RT_REF], row[k.RT_CONTINUOUS] = runtime.ref, runtime.continuous
                rf[r, k.RF_MAX_ACC, 0] = runtime.max_lat_acc[0]
                rf[r, k.RF_START, 0] = runtime.start_offset[0]
            elif isinstance(runtime, TeleportRuntime) and getattr(runtime.position, "static",
                                                                   False):
                row[k.RT_KIND], row[k.RT_K] = k.RT_TELEPORT, runtime.k
                placed = runtime.position(self.batch.ctx)
                for index, name in enumerate(k.TELEPORT_FLOATS):
                    field = "offset" if name == "lane_offset" else name
                    rf[r, index, 0] = getattr(placed, field)[0]
                for index, name in enumerate(k.TELEPORT_INTS):
                    rl[r, index, 0] = getattr(placed, name)[0]
                continue
            else:
                continue  # instant: done at its first step
            row[k.RT_K] = runtime.k
            row[k.RT_SHAPE] = SHAPE_CODES.get(runtime.shape, 3)
            row[k.RT_RATE] = RATE_CODES.get(runtime.shape, LINEAR_RATE)
            # a lane offset has no dimension: its duration follows from its acceleration limit
            row[k.RT_DIMENSION] = {"time": k.DIM_TIME, "distance": k.DIM_DISTANCE}.get(
                getattr(runtime, "dimension", "time"), k.DIM_RATE)
            rf[r, k.RF_VALUE, 0] = runtime.value[0]
            rf[r, k.RF_DURATION, 0] = runtime.duration[0]
            rf[r, k.RF_ELAPSED, 0] = runtime.elapsed[0]
        return rt, rf, rl

    def scatter(self, tb: k.Tables) -> None:
        """Copy the tables' state back into the Python objects."""
        for i, item in enumerate(self.elements):
            row = tb.el[i]
            item.state[0] = row[k.EL_STATE]
            item.transition[0] = row[k.EL_TRANSITION]
            item.transition_frame[0] = row[k.EL_FRAME]
            item.latest_frame = int(row[k.EL_FRAME])
            item.executions[0] = row[k.EL_EXEC]
            item.refresh()
            if isinstance(item, ActionElement):
                done = tb.rt[self.rt_start[i]:self.rt_end[i], k.RT_DONE] != 0
                item._done = done.reshape(-1, 1).copy()
        for c, condition in enumerate(self.conditions):
            condition.previous = tb.cb[c, k.CB_PREVIOUS].copy()
            condition.fire_at = tb.cf[c, k.CF_FIRE_AT].copy()
            condition._started = tb.cb[c, k.CB_STARTED].copy()
            condition._result = tb.cb[c, k.CB_RESULT].copy()
            condition._edge_code = int(tb.ci[c, k.CI_EDGE])
        for r, runtime in enumerate(self.runtimes):
            f = tb.rf[r]
            if isinstance(runtime, SpeedRuntime):
                runtime.start_speed[0] = f[k.RF_START, 0]
            elif isinstance(runtime, LaneChangeRuntime):
                runtime.start_t[0] = f[k.RF_START, 0]
                runtime.target_lane[0] = tb.rl[r, k.RL_TARGET, 0]
            elif isinstance(runtime, LaneOffsetRuntime):
                runtime.start_offset[0] = f[k.RF_START, 0]
            else:
                continue
            runtime.duration[0] = f[k.RF_DURATION, 0]
            runtime.elapsed[0] = f[k.RF_ELAPSED, 0]

    def entries(self, tb: k.Tables) -> list[LogEntry]:
        """The log rows as ``LogEntry``s."""
        out = []
        for n in range(int(tb.head[k.H_LOG_COUNT])):
            item, state = int(tb.log_i[n, 0]), int(tb.log_i[n, 1])
            time = float(tb.log_time[n])
            if item >= 0:
                element = self.elements[item]
                out.append(LogEntry(time, 0, element.name, element.kind,
                                    TRANSITION_NAMES[state]))
            else:
                out.append(LogEntry(time, 0, self.conditions[-1 - item].name, "condition",
                                    "true"))
        return out


def world_arrays(batch: BatchWorld) -> k.WorldArrays:
    """The batch's arrays for ``run_kernel`` (the same arrays, not copies)."""
    w, m = batch.world, batch.metrics
    return k.WorldArrays(
        w.x, w.y, w.z, w.heading, w.pitch, w.speed, w.acceleration, w.odometer, w.road, w.s,
        w.t, w.lane, w.lane_offset, w.direction, w.heading_offset, w.mode, w.present,
        w.on_road, w.end_of_road, w.end_of_road_since, w.off_road_since, w.standstill_since,
        w.length, w.width, w.center_x, w.center_y, w.longitudinal_owner, w.lateral_owner,
        w.time_of_day, w.time_of_day_animated, w.colliding, batch.ctx.traffic_visible,
        batch._previous_speed, m.collided, m.collision_time, m.min_ttc, m.min_distance,
        w.friction, batch.ctx.longitudinal_control, np.zeros_like(w.present))


def plan(batch: BatchWorld) -> Plan | str:
    """The batch's fused plan, or why it has none."""
    try:
        return Plan(batch)
    except Unsupported as why:
        return str(why)


def run(fused: Plan, duration: float | None, max_steps: int) -> int:
    """``BatchWorld.run`` in the kernel; returns the number of steps made."""
    batch = fused.batch
    ctx, w = batch.ctx, batch.world
    logging = ctx.log is not None
    assert batch.network is not None
    road = batch.network.arrays
    tb = fused.gather(logging)
    arrays = world_arrays(batch)
    room = 4 * (len(fused.elements) + len(fused.conditions)) + 8
    made = 0
    try:
        while True:
            steps, frame, now, outcome = k.run_kernel(
                road, tb, arrays, batch.dt, batch.ego, w.frame, w.time,
                math.nan if duration is None else float(duration), max_steps - made, room)
            made += steps
            w.frame, w.time = int(frame), float(now)
            if outcome != k.LOG_FULL:
                break
            assert ctx.log is not None
            ctx.log.extend(fused.entries(tb))
            tb.head[k.H_LOG_COUNT] = 0
    finally:
        if logging:
            assert ctx.log is not None
            ctx.log.extend(fused.entries(tb))
        fused.scatter(tb)
    return made
