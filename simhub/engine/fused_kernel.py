"""The fused run kernel: ``Storyboard.step``, the actions, movement and derived states of one
episode for many steps, over the packed tables that ``simhub.engine.fused`` builds.

Every helper repeats the Python step's order (``simhub.engine.storyboard``) with episode 0's
scalars in place of masks, and calls the same njit kernels for conditions (``_measure_test``,
``_edge_and_delay``), actions (``_speed_step``, ``_lane_change_step``,
``_lane_offset_step``), movement and derived states, so the arithmetic is the same. The
tables (``Tables``) are a few 2-D arrays with named columns: passing one namedtuple of many
arrays to every helper made compiling take minutes.
Helpers with one call site, or tiny ones, are inlined into their caller (numba IR inlining);
those that call the road or action kernels are compiled once each, as few levels deep as
possible, because numba re-optimises a callee's code in every library that links it. The
kernels are compiled without reference counting (``refcount_free``): with it, each read of a
table out of the namedtuples cost more than the arithmetic (~30 -> ~4 us per cut-in step).

Numba's disk cache knows only this file's time stamp: after editing a kernel it calls in
another module (physics, actions, conditions, measure, kinematics, road), the cached
``run_kernel`` still holds the old code until this file changes or ``__pycache__`` is cleared;
``tests/engine/test_fused.py`` then fails, as it should.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numba
import numpy as np
import numpy.typing as npt

from simhub.engine.actions import _lane_change_step, _lane_offset_step, _speed_step
from simhub.engine.conditions import TOLERANCE, _edge_and_delay, _holds, _measure_test
from simhub.engine.kinematics import lane_center_t
from simhub.engine.physics import derive_all, move_and_place
from simhub.engine.shapes import rate_duration
from simhub.engine.storyboard import COMPLETE, END, RUNNING, SKIP, STANDBY, START, STOP
from simhub.engine.traffic import _idm_step
from simhub.engine.world import MODE_ROAD, MODE_WORLD
from simhub.road.kernels import RoadArrays, refcount_free

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
B = npt.NDArray[np.bool_]

# head: one row of scalars
H_ROOT, H_STOP_TRIGGER, H_LOGGING, H_INIT_START, H_INIT_END, H_LOG_COUNT = range(6)
# el (M, EL): per storyboard element (children, post order: absolute rows of ``links``)
(EL_STATE, EL_TRANSITION, EL_FRAME, EL_EXEC, EL_MAX_EXEC, EL_PARENT, EL_CHILD_START,
 EL_CHILD_END, EL_PRIORITY, EL_START_TRIGGER, EL_STOP_TRIGGER, EL_RT_START, EL_RT_END,
 EL_POST, EL_SUBTREE) = range(15)
EL = 15
# ci (C, CI): per condition; cf (C, 3, E) floats; cb (C, 3, E) flags
(CI_KIND, CI_GROUP, CI_EDGE, CI_RULE, CI_SUB, CI_FLAG, CI_WANTED, CI_REF, CI_DISTANCE,
 CI_ALONG_ROAD, CI_FREESPACE, CI_ENT_START, CI_ENT_END) = range(13)
CI = 13
CF_VALUE, CF_DELAY, CF_FIRE_AT, CF_X, CF_Y = range(5)
CF = 5
CB_PREVIOUS, CB_STARTED, CB_RESULT = range(3)
COND_TIME, COND_STATE, COND_ENTITY, COND_TIME_OF_DAY = range(4)
(E_MEASURE, E_SPEED, E_ACCELERATION, E_RELATIVE_SPEED, E_LASTING, E_TRAVELED, E_COLLISION,
 E_COLLISION_KIND, E_POSITION) = range(9)
# rt (R, RT): per action runtime; rf (R, 6, E) floats; rl (R, 3, E) lanes
RT_KIND, RT_ID, RT_K, RT_REF, RT_SHAPE, RT_RATE, RT_DIMENSION, RT_FLAG, RT_CONTINUOUS, \
    RT_DONE = range(10)
RT = 10
RT_INSTANT, RT_SPEED, RT_LANE_CHANGE, RT_TELEPORT, RT_LANE_OFFSET = range(5)
RF_VALUE, RF_TARGET, RF_START, RF_DURATION, RF_ELAPSED, RF_OFFSET = range(6)
RF_MAX_ACC = RF_TARGET  # a lane offset's lateral acceleration limit (its target moves)
RL_DELTA, RL_ABSOLUTE, RL_TARGET = range(3)
# a teleport's fixed placement: rf rows (World fields, in this order) and rl rows
TELEPORT_FLOATS = ("x", "y", "z", "heading", "pitch", "s", "t", "lane_offset", "direction",
                   "heading_offset")
TELEPORT_INTS = ("road", "lane", "on_road")
RF, RL = 10, 3
DIM_TIME, DIM_DISTANCE, DIM_RATE = range(3)
PRIORITY_PARALLEL, PRIORITY_OVERWRITE, PRIORITY_SKIP = range(3)
CONDITION_TRUE = 5  # log state of a condition whose edge started
DONE, LOG_FULL = range(2)  # run_kernel's outcome


class Tables(NamedTuple):
    """One episode's storyboard as arrays (layouts in the column constants above);
    ``links`` holds children, the post order, init actions and triggering entities;
    ``log_i`` rows are (item, state): item >= 0 an element, -1 - c condition c."""

    head: I64
    el: I64
    links: I64
    trig: I64  # (T, 2): condition range
    ci: I64
    cf: F64
    cb: B
    rt: I64
    rf: F64
    rl: I64
    entity_kind: I64
    idm_columns: I64  # (J,): entities an IDM controller drives, in assignment order
    idm_params: F64  # (J, 6, E): Traffic._params
    idm_scratch: F64  # (2, E): Traffic.scratch
    log_time: F64
    log_i: I64
    scratch: B  # (2, E): row 0 all true (a mask), row 1 a kernel's output


class WorldArrays(NamedTuple):
    """The world's arrays the kernel reads and writes, plus the batch's per-step state."""

    x: F64
    y: F64
    z: F64
    heading: F64
    pitch: F64
    speed: F64
    acceleration: F64
    odometer: F64
    road: I64
    s: F64
    t: F64
    lane: I64
    lane_offset: F64
    direction: F64
    heading_offset: F64
    mode: I64
    present: B
    on_road: B
    end_of_road: B
    end_of_road_since: F64
    off_road_since: F64
    standstill_since: F64
    length: F64
    width: F64
    center_x: F64
    center_y: F64
    longitudinal_owner: I64
    lateral_owner: I64
    time_of_day: F64
    time_of_day_animated: B
    colliding: B
    traffic_visible: B
    previous_speed: F64
    collided: B
    collision_time: F64
    min_ttc: F64
    min_distance: F64
    friction: F64
    longitudinal_control: B
    solid: B  # (E, N) scratch: present and seen by traffic


_inline = numba.njit(inline="always")


@_inline
def _go(tb: Tables, i: int, transition: int, state: int, frame: int, now: float) -> None:
    """``Element.go`` in episode 0, with its log row."""
    el = tb.el
    el[i, EL_TRANSITION] = transition
    el[i, EL_FRAME] = frame
    el[i, EL_STATE] = state
    head = tb.head
    if head[H_LOGGING]:
        n = head[H_LOG_COUNT]
        tb.log_time[n] = now
        tb.log_i[n, 0] = i
        tb.log_i[n, 1] = transition
        head[H_LOG_COUNT] = n + 1


@_inline
def _children_complete(tb: Tables, i: int) -> bool:
    el = tb.el
    for c in range(el[i, EL_CHILD_START], el[i, EL_CHILD_END]):
        if el[tb.links[c], EL_STATE] != COMPLETE:
            return False
    return True


@_inline
def _entity_value(tb: Tables, w: WorldArrays, c: int, k: int, now: float) -> bool:
    """ByEntityCondition ``c`` for triggering entity ``k``."""
    ci = tb.ci[c]
    sub = ci[CI_SUB]
    reference = tb.cf[c, CF_VALUE]
    rule = ci[CI_RULE]
    if sub == E_MEASURE:
        _measure_test(ci[CI_WANTED], k, ci[CI_REF], ci[CI_DISTANCE], ci[CI_ALONG_ROAD] != 0,
                      ci[CI_FREESPACE] != 0, rule, reference, w.x, w.y, w.heading, w.road, w.s,
                      w.t, w.direction, w.heading_offset, w.speed, w.length, w.width,
                      w.center_x, w.center_y, tb.scratch[1])
        return bool(tb.scratch[1, 0])
    if sub == E_POSITION:  # to a fixed point (CF_X, CF_Y); CI_DISTANCE 0: euclidean
        dx = tb.cf[c, CF_X, 0] - w.x[0, k]
        dy = tb.cf[c, CF_Y, 0] - w.y[0, k]
        if ci[CI_DISTANCE] == 1:
            d = abs(dx * math.cos(w.heading[0, k]) + dy * math.sin(w.heading[0, k]))
        elif ci[CI_DISTANCE] == 2:
            d = abs(-dx * math.sin(w.heading[0, k]) + dy * math.cos(w.heading[0, k]))
        else:
            d = math.hypot(dx, dy)
        if ci[CI_FREESPACE] != 0:
            d = max(d - w.length[0, k] / 2, 0.0)
        return _holds(d, rule, reference[0])
    if sub == E_SPEED:
        return _holds(w.speed[0, k], rule, reference[0])
    if sub == E_ACCELERATION:
        return _holds(w.acceleration[0, k], rule, reference[0])
    if sub == E_RELATIVE_SPEED:
        return _holds(w.speed[0, k] - w.speed[0, ci[CI_REF]], rule, reference[0])
    if sub == E_LASTING:
        if ci[CI_WANTED] == 0:
            since = w.standstill_since[0, k]
        elif ci[CI_WANTED] == 1:
            since = w.end_of_road_since[0, k]
        else:
            since = w.off_road_since[0, k]
        return not math.isnan(since) and now - since >= reference[0] - TOLERANCE
    if sub == E_TRAVELED:
        return bool(w.odometer[0, k] >= reference[0] - TOLERANCE)
    if sub == E_COLLISION:
        return bool(w.colliding[0, k, ci[CI_REF]])
    for j in range(w.colliding.shape[2]):  # E_COLLISION_KIND
        if w.colliding[0, k, j] and tb.entity_kind[j] == ci[CI_WANTED]:
            return True
    return False


@_inline
def _raw_value(tb: Tables, w: WorldArrays, c: int, frame: int, now: float) -> bool:
    """Condition ``c`` before its edge and delay."""
    ci = tb.ci[c]
    kind = ci[CI_KIND]
    if kind == COND_TIME:
        return _holds(now, ci[CI_RULE], tb.cf[c, CF_VALUE, 0])
    if kind == COND_TIME_OF_DAY:
        now_of_day = w.time_of_day[0]
        return _holds(now_of_day, ci[CI_RULE], tb.cf[c, CF_VALUE, 0]) and not math.isnan(
            now_of_day)
    if kind == COND_STATE:
        i = ci[CI_SUB]
        if ci[CI_FLAG] != 0:
            return bool(tb.el[i, EL_STATE] == ci[CI_WANTED])
        return bool(tb.el[i, EL_FRAME] >= frame - 1
                    and tb.el[i, EL_TRANSITION] == ci[CI_WANTED])
    rule_any = ci[CI_FLAG] != 0
    value = not rule_any
    for n in range(ci[CI_ENT_START], ci[CI_ENT_END]):
        one = _entity_value(tb, w, c, tb.links[n], now)
        value = (value or one) if rule_any else (value and one)
    return value


@refcount_free
def _trigger(tb: Tables, w: WorldArrays, trigger: int, frame: int, now: float) -> bool:
    """``CompiledTrigger.fires`` in episode 0: every condition is evaluated (each keeps its
    edge state), groups AND, the trigger ORs its groups."""
    result = False
    group = -1
    group_value = False
    head = tb.head
    for c in range(tb.trig[trigger, 0], tb.trig[trigger, 1]):
        tb.scratch[1, 0] = _raw_value(tb, w, c, frame, now)
        started, _, _ = _edge_and_delay(tb.scratch[1], tb.cb[c, CB_PREVIOUS],
                                        tb.cf[c, CF_FIRE_AT], tb.cf[c, CF_DELAY],
                                        tb.ci[c, CI_EDGE], now, tb.cb[c, CB_STARTED],
                                        tb.cb[c, CB_RESULT])
        if started and head[H_LOGGING]:
            n = head[H_LOG_COUNT]
            tb.log_time[n] = now
            tb.log_i[n, 0] = -1 - c
            tb.log_i[n, 1] = CONDITION_TRUE
            head[H_LOG_COUNT] = n + 1
        value = tb.cb[c, CB_RESULT, 0]
        if tb.ci[c, CI_GROUP] != group:
            result = result or (group >= 0 and group_value)
            group = tb.ci[c, CI_GROUP]
            group_value = value
        else:
            group_value = group_value and value
    return result or (group >= 0 and group_value)


@refcount_free
def _stop(tb: Tables, w: WorldArrays, i: int, frame: int, now: float) -> None:
    """``Element.stop`` of ``i``: running descendants stop (children first, their actions
    release their entities), standby ones complete silently; a descendant is reached only
    while its ancestors below ``i`` run."""
    el = tb.el
    last = el[i, EL_POST]
    for p in range(last - el[i, EL_SUBTREE] + 1, last + 1):
        d = tb.links[p]
        a = d
        reached = True
        while a != i:
            a = el[a, EL_PARENT]
            if el[a, EL_STATE] != RUNNING:
                reached = False
                break
        if not reached:
            continue
        if el[d, EL_STATE] == RUNNING:
            for r in range(el[d, EL_RT_START], el[d, EL_RT_END]):
                ident = tb.rt[r, RT_ID]
                for k in range(w.longitudinal_owner.shape[1]):
                    if w.longitudinal_owner[0, k] == ident:
                        w.longitudinal_owner[0, k] = -1
                    if w.lateral_owner[0, k] == ident:
                        w.lateral_owner[0, k] = -1
            _go(tb, d, STOP, COMPLETE, frame, now)
        elif el[d, EL_STATE] == STANDBY:
            el[d, EL_STATE] = COMPLETE


@_inline
def _reset(tb: Tables, i: int) -> None:
    """``Element.reset``: ``i`` and its descendants to standby, descendants' executions 0."""
    el = tb.el
    el[i, EL_STATE] = STANDBY
    last = el[i, EL_POST]
    for p in range(last - el[i, EL_SUBTREE] + 1, last):
        d = tb.links[p]
        el[d, EL_STATE] = STANDBY
        el[d, EL_EXEC] = 0


@_inline
def _start_runtime(arrays: RoadArrays, tb: Tables, w: WorldArrays, r: int) -> None:
    """``SpeedRuntime.start`` / ``LaneChangeRuntime.start`` / ``LaneOffsetRuntime.start`` /
    a fixed ``TeleportRuntime`` in episode 0."""
    rt = tb.rt[r]
    f = tb.rf[r]
    k = rt[RT_K]
    ref = rt[RT_REF]
    if rt[RT_KIND] == RT_SPEED:
        w.longitudinal_owner[0, k] = rt[RT_ID]
        v0 = w.speed[0, k]
        f[RF_START, 0] = v0
        f[RF_ELAPSED, 0] = 0.0
        target = f[RF_TARGET, 0]
        if ref >= 0:
            target = w.speed[0, ref] * target if rt[RT_FLAG] else w.speed[0, ref] + target
        if rt[RT_SHAPE] == 0:  # step
            f[RF_DURATION, 0] = 0.0
        elif rt[RT_DIMENSION] == DIM_TIME:
            f[RF_DURATION, 0] = f[RF_VALUE, 0]
        elif rt[RT_DIMENSION] == DIM_DISTANCE:
            f[RF_DURATION, 0] = f[RF_VALUE, 0] / max(abs(v0 + target) / 2.0, 1e-9)
        else:
            f[RF_DURATION, 0] = rate_duration(rt[RT_RATE], target - v0, f[RF_VALUE, 0])
    elif rt[RT_KIND] == RT_TELEPORT:  # actions.teleport to a fixed placement
        w.x[0, k], w.y[0, k], w.z[0, k] = f[0, 0], f[1, 0], f[2, 0]
        w.heading[0, k], w.pitch[0, k], w.s[0, k], w.t[0, k] = f[3, 0], f[4, 0], f[5, 0], f[6, 0]
        w.lane_offset[0, k], w.direction[0, k], w.heading_offset[0, k] = f[7, 0], f[8, 0], \
            f[9, 0]
        ints = tb.rl[r]
        w.road[0, k], w.lane[0, k], w.on_road[0, k] = ints[0, 0], ints[1, 0], ints[2, 0] != 0
        if w.mode[0, k] == MODE_WORLD:
            w.mode[0, k] = MODE_ROAD
    elif rt[RT_KIND] == RT_LANE_CHANGE:
        lanes = tb.rl[r]
        w.lateral_owner[0, k] = rt[RT_ID]
        if ref >= 0:  # actions.step_lane of one lane
            lane = w.lane[0, ref]
            delta = lanes[RL_DELTA, 0] * np.int64(w.direction[0, ref])
            out = lane + delta
            if delta != 0 and (np.sign(lane) != np.sign(out) or out == 0):
                out += np.sign(delta)
            lanes[RL_TARGET, 0] = out
        else:
            lanes[RL_TARGET, 0] = lanes[RL_ABSOLUTE, 0]
        f[RF_START, 0] = w.t[0, k]
        f[RF_ELAPSED, 0] = 0.0
        if rt[RT_DIMENSION] == DIM_RATE:
            center = lane_center_t(arrays, w.road[0, k], lanes[RL_TARGET, 0], w.s[0, k])
            if math.isnan(center):
                center = w.t[0, k]
            target_t = center + f[RF_OFFSET, 0] * w.direction[0, k]
            f[RF_DURATION, 0] = rate_duration(rt[RT_RATE], target_t - w.t[0, k],
                                              f[RF_VALUE, 0])
        else:
            f[RF_DURATION, 0] = f[RF_VALUE, 0]
    elif rt[RT_KIND] == RT_LANE_OFFSET:
        w.lateral_owner[0, k] = rt[RT_ID]
        f[RF_START, 0] = w.lane_offset[0, k]
        f[RF_ELAPSED, 0] = 0.0
        target = f[RF_VALUE, 0] * w.direction[0, k]
        if ref >= 0:
            target = w.lane_offset[0, ref] + target
        change = abs(target - w.lane_offset[0, k])
        acc = max(f[RF_MAX_ACC, 0], 1e-6)
        if rt[RT_SHAPE] == 3:  # sinusoidal
            f[RF_DURATION, 0] = math.pi * math.sqrt(change / (2.0 * acc))
        elif rt[RT_SHAPE] == 0:  # step
            f[RF_DURATION, 0] = 0.0
        else:
            f[RF_DURATION, 0] = math.sqrt(6.0 * change / acc)


@refcount_free
def _start_action(arrays: RoadArrays, tb: Tables, w: WorldArrays, a: int, frame: int,
                  now: float) -> None:
    """``ActionElement.start`` in episode 0."""
    _go(tb, a, START, RUNNING, frame, now)
    first, last = tb.el[a, EL_RT_START], tb.el[a, EL_RT_END]
    for r in range(first, last):
        tb.rt[r, RT_DONE] = 0
    for r in range(first, last):
        _start_runtime(arrays, tb, w, r)


@refcount_free
def _step_action(arrays: RoadArrays, tb: Tables, w: WorldArrays, a: int, frame: int,
                 now: float, dt: float) -> None:
    """``ActionElement.step`` in episode 0: each runtime's own njit step."""
    if tb.el[a, EL_STATE] != RUNNING:
        return
    finished = True
    for r in range(tb.el[a, EL_RT_START], tb.el[a, EL_RT_END]):
        rt = tb.rt[r]
        if not rt[RT_DONE]:
            kind = rt[RT_KIND]
            f = tb.rf[r]
            out = tb.scratch[1]
            out[0] = True  # an instant runtime is done at its first step
            if kind == RT_SPEED:
                _speed_step(tb.scratch[0], w.longitudinal_owner, rt[RT_K], rt[RT_ID],
                            f[RF_ELAPSED], f[RF_DURATION], dt, rt[RT_SHAPE], f[RF_START],
                            f[RF_TARGET], rt[RT_REF], rt[RT_FLAG] != 0, w.speed,
                            rt[RT_CONTINUOUS] != 0, out)
            elif kind == RT_LANE_CHANGE:
                lanes = tb.rl[r]
                _lane_change_step(arrays, tb.scratch[0], w.lateral_owner, rt[RT_K], rt[RT_ID],
                                  rt[RT_DIMENSION] == DIM_DISTANCE, rt[RT_SHAPE],
                                  lanes[RL_TARGET], f[RF_OFFSET], f[RF_START], f[RF_ELAPSED],
                                  f[RF_DURATION], dt, w.road, w.s, w.t, w.lane, w.lane_offset,
                                  w.direction, w.heading_offset, w.speed, out)
            elif kind == RT_LANE_OFFSET:
                _lane_offset_step(tb.scratch[0], w.lateral_owner, rt[RT_K], rt[RT_ID],
                                  rt[RT_SHAPE], f[RF_VALUE], rt[RT_REF], f[RF_START],
                                  f[RF_ELAPSED], f[RF_DURATION], dt, w.lane_offset,
                                  w.direction, w.heading_offset, w.speed,
                                  rt[RT_CONTINUOUS] != 0, out)
            rt[RT_DONE] = int(out[0])
        finished = finished and rt[RT_DONE] != 0
    if finished:
        _go(tb, a, END, COMPLETE, frame, now)


@_inline
def _start_group(tb: Tables, g: int, frame: int, now: float) -> None:
    _go(tb, g, START, RUNNING, frame, now)
    el = tb.el
    el[g, EL_EXEC] += 1
    for c in range(el[g, EL_CHILD_START], el[g, EL_CHILD_END]):
        _go(tb, tb.links[c], START, RUNNING, frame, now)


@_inline
def _step_maneuver(arrays: RoadArrays, tb: Tables, w: WorldArrays, m: int, frame: int,
                   now: float, dt: float) -> None:
    """``Storyboard._step_maneuver`` in episode 0."""
    el = tb.el
    first, stop = el[m, EL_CHILD_START], el[m, EL_CHILD_END]
    for c in range(first, stop):
        event = tb.links[c]
        if el[event, EL_STATE] != STANDBY:
            continue
        trigger = el[event, EL_START_TRIGGER]
        if trigger >= 0 and not _trigger(tb, w, trigger, frame, now):
            continue
        priority = el[event, EL_PRIORITY]
        busy = False
        for o in range(first, stop):
            other = tb.links[o]
            if other != event and el[other, EL_STATE] == RUNNING:
                if priority == PRIORITY_OVERWRITE:
                    _stop(tb, w, other, frame, now)
                busy = True
        if priority == PRIORITY_SKIP and busy:
            _go(tb, event, SKIP, STANDBY, frame, now)
            continue
        _go(tb, event, START, RUNNING, frame, now)
        el[event, EL_EXEC] += 1
        for a in range(el[event, EL_CHILD_START], el[event, EL_CHILD_END]):
            _start_action(arrays, tb, w, tb.links[a], frame, now)
    for c in range(first, stop):
        event = tb.links[c]
        if el[event, EL_STATE] != RUNNING:
            continue
        for a in range(el[event, EL_CHILD_START], el[event, EL_CHILD_END]):
            _step_action(arrays, tb, w, tb.links[a], frame, now, dt)
        if _children_complete(tb, event):
            _go(tb, event, END, COMPLETE, frame, now)
            if el[event, EL_EXEC] < el[event, EL_MAX_EXEC]:
                _reset(tb, event)
    if _children_complete(tb, m):
        _go(tb, m, END, COMPLETE, frame, now)


@_inline
def _step_act(arrays: RoadArrays, tb: Tables, w: WorldArrays, act: int, frame: int,
              now: float, dt: float) -> None:
    """``Storyboard._step_act`` (with ``_step_group``) in episode 0."""
    el = tb.el
    if el[act, EL_STATE] == STANDBY:
        trigger = el[act, EL_START_TRIGGER]
        if trigger < 0 or _trigger(tb, w, trigger, frame, now):
            _go(tb, act, START, RUNNING, frame, now)
            for c in range(el[act, EL_CHILD_START], el[act, EL_CHILD_END]):
                _start_group(tb, tb.links[c], frame, now)
    if el[act, EL_STATE] != RUNNING:
        return
    trigger = el[act, EL_STOP_TRIGGER]
    if trigger >= 0 and _trigger(tb, w, trigger, frame, now):
        _stop(tb, w, act, frame, now)
        return
    for c in range(el[act, EL_CHILD_START], el[act, EL_CHILD_END]):
        group = tb.links[c]
        if el[group, EL_STATE] != RUNNING:
            continue
        for n in range(el[group, EL_CHILD_START], el[group, EL_CHILD_END]):
            maneuver = tb.links[n]
            if el[maneuver, EL_STATE] == RUNNING:
                _step_maneuver(arrays, tb, w, maneuver, frame, now, dt)
        if _children_complete(tb, group):
            _go(tb, group, END, COMPLETE, frame, now)
            if el[group, EL_EXEC] < el[group, EL_MAX_EXEC]:
                _reset(tb, group)
                _start_group(tb, group, frame, now)
    if _children_complete(tb, act):
        _go(tb, act, END, COMPLETE, frame, now)


@refcount_free
def _step_storyboard(arrays: RoadArrays, tb: Tables, w: WorldArrays, frame: int, now: float,
                     dt: float) -> None:
    """``Storyboard.step`` in episode 0."""
    head, el = tb.head, tb.el
    for n in range(head[H_INIT_START], head[H_INIT_END]):
        _step_action(arrays, tb, w, tb.links[n], frame, now, dt)
    root = head[H_ROOT]
    if el[root, EL_STATE] != RUNNING:
        return
    stop_trigger = head[H_STOP_TRIGGER]
    if stop_trigger >= 0 and _trigger(tb, w, stop_trigger, frame, now):
        for c in range(el[root, EL_CHILD_START], el[root, EL_CHILD_END]):
            _stop(tb, w, tb.links[c], frame, now)
        _go(tb, root, STOP, COMPLETE, frame, now)
        return
    for c in range(el[root, EL_CHILD_START], el[root, EL_CHILD_END]):
        story = tb.links[c]
        if el[story, EL_STATE] != RUNNING:
            continue
        for n in range(el[story, EL_CHILD_START], el[story, EL_CHILD_END]):
            act = tb.links[n]
            if el[act, EL_STATE] != COMPLETE:
                _step_act(arrays, tb, w, act, frame, now, dt)
        if _children_complete(tb, story):
            _go(tb, story, END, COMPLETE, frame, now)
    if stop_trigger < 0 and el[root, EL_CHILD_END] > el[root, EL_CHILD_START] \
            and _children_complete(tb, root):
        _go(tb, root, END, COMPLETE, frame, now)


@refcount_free
def run_kernel(arrays: RoadArrays, tb: Tables, w: WorldArrays, dt: float, ego: int,
               frame: int, now: float, duration: float, max_steps: int, log_room: int
               ) -> tuple[int, int, float, int]:
    """Steps as ``BatchWorld.step`` until the storyboard ends (``duration`` NaN), ``duration``
    [s] has passed or ``max_steps`` were made; stops early (``LOG_FULL``) when fewer than
    ``log_room`` log rows are left. Returns (steps, frame, time [s], outcome)."""
    steps = 0
    capacity = tb.log_time.shape[0]
    head = tb.head
    root = head[H_ROOT]
    episodes, n = w.speed.shape
    while steps < max_steps:
        if math.isnan(duration):
            if tb.el[root, EL_STATE] != RUNNING:
                break
        elif now >= duration - 1e-9:
            break
        if head[H_LOGGING] and head[H_LOG_COUNT] + log_room > capacity:
            return steps, frame, now, LOG_FULL
        _step_storyboard(arrays, tb, w, frame, now, dt)
        for e in range(episodes):
            for i in range(n):
                w.previous_speed[e, i] = w.speed[e, i]
                w.solid[e, i] = w.present[e, i] and w.traffic_visible[e, i]
        if tb.idm_columns.shape[0]:  # Traffic.step of IDM drivers (no MOBIL)
            _idm_step(tb.idm_columns, tb.idm_params, w.longitudinal_control, w.mode, w.road,
                      w.s, w.t, w.direction, w.speed, w.heading, w.length, w.width,
                      w.center_x, w.solid, w.friction, dt, tb.idm_scratch)
        frame += 1
        now = frame * dt
        for e in range(episodes):
            if w.time_of_day_animated[e]:
                w.time_of_day[e] += dt
        move_and_place(arrays, w.mode, w.present, w.road, w.lane, w.s, w.lane_offset,
                       w.direction, w.heading_offset, w.speed, dt, w.odometer, w.end_of_road,
                       w.x, w.y, w.z, w.heading, w.pitch, w.t, w.on_road)
        derive_all(now, ego, w.speed, w.previous_speed, dt, w.acceleration, w.end_of_road,
                   w.on_road, w.standstill_since, w.end_of_road_since, w.off_road_since, w.x,
                   w.y, w.heading, w.length, w.width, w.center_x, w.center_y, w.present,
                   w.traffic_visible, w.colliding, w.collided, w.collision_time, w.min_ttc,
                   w.min_distance)
        steps += 1
    return steps, frame, now, DONE
