"""OpenSCENARIO positions compiled to functions that place every episode at once.

A compiled position returns a ``Placement`` of ``(E,)`` arrays. Lane-based positions keep the
lane and offset (so the entity follows its lane); world positions are projected onto the road.
``direction`` is +1 when the entity faces the road's ``s`` direction, -1 when it faces against.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from simhub.engine.context import Context
from simhub.engine.kinematics import lane_centers, locate_lanes, place_all, road_headings
from simhub.engine.trajectory import Path, sample_trajectory
from simhub.errors import InvalidArgument
from simhub.scenario import positions as p

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
B = npt.NDArray[np.bool_]


@dataclass
class Placement:
    """Where an entity goes, per episode (every array ``(E,)``)."""

    x: F64
    y: F64
    z: F64
    heading: F64
    pitch: F64
    road: I64
    s: F64
    t: F64
    lane: I64
    offset: F64
    direction: F64
    heading_offset: F64
    on_road: B


PositionFn = Callable[[Context], Placement]


def numbers(items: Sequence[Any], name: str, default: float = 0.0) -> F64:
    """Attribute ``name`` of each variant as a float array (None -> ``default``)."""
    values = [getattr(item, name) for item in items]
    return np.array([default if v is None else float(v) for v in values], dtype=np.float64)


def same(items: Sequence[Any], name: str, source: str) -> Any:
    """Attribute ``name``, which must be the same in every variant of a batch."""
    first = getattr(items[0], name)
    for item in items[1:]:
        if getattr(item, name) != first:
            raise InvalidArgument(
                f"{source}: {type(items[0]).__name__}.{name} differs between variants "
                f"({first!r} vs {getattr(item, name)!r}); a batch may vary numbers only")
    return first


def _road_indices(ctx: Context, items: Sequence[Any], name: str) -> I64:
    network = ctx.network
    if network is None:
        raise InvalidArgument(f"{ctx.source}: a road position needs a road network")
    out = []
    for item in items:
        road_id = str(getattr(item, name))
        if road_id not in network.roads:
            raise InvalidArgument(f"{ctx.source}: road {road_id!r} is not in {network.source}; "
                                  f"roads: {', '.join(network.road_ids)}")
        out.append(network.road_index(road_id))
    return np.array(out, dtype=np.int64)


def on_lane(ctx: Context, road: I64, lane: I64, s: F64, offset: F64, direction: F64,
            heading_offset: F64) -> Placement:
    """Placement on lanes; poses from the road."""
    n = s.shape[0]
    out = [np.zeros(n) for _ in range(6)]
    on_road = np.ones(n, np.bool_)
    lane = lane.copy()
    offset = offset.copy()
    s = np.clip(s, 0.0, ctx.arrays.road_length[road])
    place_all(ctx.arrays, road, lane, s, offset, direction, heading_offset, np.ones(n, np.bool_),
              out[0], out[1], out[2], out[3], out[4], out[5], on_road)
    return Placement(out[0], out[1], out[2], out[3], out[4], road, s, out[5], lane, offset,
                     direction, heading_offset, on_road)


def on_road_t(ctx: Context, road: I64, s: F64, t: F64, direction: F64,
              heading_offset: F64) -> Placement:
    """Placement at road coordinates ``(road, s, t)``: the lane is the one holding ``t``."""
    lane, _ = locate_lanes(ctx.arrays, road, s, t)
    center = lane_centers(ctx.arrays, road, lane, s)
    offset = np.where(np.isnan(center), 0.0, t - np.nan_to_num(center))
    return on_lane(ctx, road, lane, s, offset, direction, heading_offset)


def at_world(ctx: Context, x: F64, y: F64, z: F64 | None, heading: F64) -> Placement:
    """Placement at world ``(x, y, heading)``, projected onto the road when there is one."""
    n = x.shape[0]
    if ctx.network is None:
        zeros = np.zeros(n)
        return Placement(x, y, zeros if z is None else z, np.mod(heading, 2 * math.pi), zeros,
                         np.zeros(n, np.int64), zeros.copy(), zeros.copy(),
                         np.zeros(n, np.int64), zeros.copy(), np.ones(n), zeros.copy(),
                         np.zeros(n, np.bool_))
    projection = ctx.network.project(x, y)
    road = projection.road_index.astype(np.int64)
    road_h = road_headings(ctx.arrays, road, projection.s)
    direction = np.where(np.cos(heading - road_h) >= 0.0, 1.0, -1.0)
    base = road_h + np.where(direction > 0, 0.0, math.pi)
    heading_offset = np.angle(np.exp(1j * (heading - base)))
    placement = on_road_t(ctx, road, projection.s, projection.t, direction, heading_offset)
    placement.x = x.copy()
    placement.y = y.copy()
    if z is not None:
        placement.z = z.copy()
    placement.heading = np.mod(heading, 2 * math.pi)
    placement.on_road = projection.on_road.copy()
    return placement


def _lane_direction(lane: I64) -> F64:
    # right-hand traffic: lanes right of the centre (negative ids) run with s
    return np.where(lane > 0, -1.0, 1.0)


def _orient(ctx: Context, placement: Placement, items: Sequence[Any]) -> Placement:
    """Apply an optional ``Orientation`` (relative: to the lane's driving direction)."""
    orientations = [getattr(item, "orientation", None) for item in items]
    if all(o is None or o.h is None for o in orientations):
        return placement
    h = np.array([0.0 if o is None or o.h is None else float(o.h) for o in orientations])
    absolute = np.array([o is not None and o.type == "absolute" for o in orientations])
    base = placement.heading - placement.heading_offset
    wanted = np.where(absolute, h, base + h)
    road_h = road_headings(ctx.arrays, placement.road, placement.s)
    direction = np.where(np.cos(wanted - road_h) >= 0.0, 1.0, -1.0)
    new_base = road_h + np.where(direction > 0, 0.0, math.pi)
    offset = np.angle(np.exp(1j * (wanted - new_base)))
    return on_lane(ctx, placement.road, placement.lane, placement.s, placement.offset,
                   direction, offset)


def _step_lane(lane: I64, delta: I64) -> I64:
    """``lane + delta`` counting lanes, skipping the centre lane 0."""
    out = lane + delta
    crossed = (np.sign(lane) != np.sign(out)) | (out == 0)
    return np.where(crossed & (delta != 0), out + np.sign(delta), out).astype(np.int64)


def _static(position: PositionFn) -> PositionFn:
    """A position that depends on nothing but the road, placed once per context (a condition
    that tests it every step would otherwise project it onto the road every step). Callers
    only read placements."""
    memo: list[tuple[Context, Placement]] = []

    def placed_once(ctx: Context) -> Placement:
        if not memo or memo[0][0] is not ctx:
            memo[:] = [(ctx, position(ctx))]
        return memo[0][1]
    setattr(placed_once, "static", True)  # noqa: B010 (read by the fused run kernel)
    return placed_once


def compile_position(items: Sequence[p.Position], ctx_source: str,
                     trajectories: Callable[[Any], Path] | None = None) -> PositionFn:
    """Compile one position (one model object per episode) into a placement function."""
    first = items[0]
    kind = type(first)
    for item in items:
        if type(item) is not kind:
            raise InvalidArgument(f"{ctx_source}: position types differ between variants")
    if isinstance(first, p.LanePosition):
        lanes = np.array([int(float(i.lane_id)) for i in items], dtype=np.int64)  # type: ignore[union-attr]
        s = numbers(items, "s")
        offset = numbers(items, "offset")

        def lane_position(ctx: Context) -> Placement:
            road = _road_indices(ctx, items, "road_id")
            placed = on_lane(ctx, road, lanes, s, offset, _lane_direction(lanes),
                             np.zeros_like(s))
            return _orient(ctx, placed, items)
        return _static(lane_position)
    if isinstance(first, p.RoadPosition):
        s = numbers(items, "s")
        t = numbers(items, "t")

        def road_position(ctx: Context) -> Placement:
            road = _road_indices(ctx, items, "road_id")
            placed = on_road_t(ctx, road, s, t, np.ones_like(s), np.zeros_like(s))
            return _orient(ctx, placed, items)
        return _static(road_position)
    if isinstance(first, p.WorldPosition):
        x, y = numbers(items, "x"), numbers(items, "y")
        h = numbers(items, "h")
        z = None if first.z is None else numbers(items, "z")

        def world_position(ctx: Context) -> Placement:
            return at_world(ctx, x, y, z, h)
        return _static(world_position)
    ref = same(items, "entity_ref", ctx_source) if hasattr(first, "entity_ref") else ""
    if isinstance(first, p.RelativeWorldPosition | p.RelativeObjectPosition):
        dx, dy = numbers(items, "dx"), numbers(items, "dy")
        dz = numbers(items, "dz")
        h = np.array([0.0 if i.orientation is None or i.orientation.h is None  # type: ignore[union-attr]
                      else float(i.orientation.h) for i in items])  # type: ignore[union-attr]
        absolute = np.array([i.orientation is not None and i.orientation.type == "absolute"  # type: ignore[union-attr]
                             for i in items])
        in_object = isinstance(first, p.RelativeObjectPosition)

        def relative_world(ctx: Context) -> Placement:
            w = ctx.world
            k = ctx.entity(ref, kind.__name__)
            rh = w.heading[:, k]
            if in_object:
                x = w.x[:, k] + dx * np.cos(rh) - dy * np.sin(rh)
                y = w.y[:, k] + dx * np.sin(rh) + dy * np.cos(rh)
            else:
                x, y = w.x[:, k] + dx, w.y[:, k] + dy
            heading = np.where(absolute, h, rh + h)
            placed = at_world(ctx, x, y, None, heading)
            if ctx.network is not None:
                placed.z = placed.z + dz
            else:
                placed.z = w.z[:, k] + dz
            return placed
        return relative_world
    if isinstance(first, p.RelativeRoadPosition):
        ds, dt = numbers(items, "ds"), numbers(items, "dt")

        def relative_road(ctx: Context) -> Placement:
            w = ctx.world
            k = ctx.entity(ref, "RelativeRoadPosition")
            placed = on_road_t(ctx, w.road[:, k].copy(), w.s[:, k] + ds, w.t[:, k] + dt,
                               w.direction[:, k].copy(), np.zeros_like(ds))
            return _orient(ctx, placed, items)
        return relative_road
    if isinstance(first, p.RelativeLanePosition):
        d_lane = np.array([i.d_lane for i in items], dtype=np.int64)  # type: ignore[union-attr]
        ds = numbers(items, "ds")
        ds_lane = numbers(items, "ds_lane")
        use_ds_lane = first.ds is None and first.ds_lane is not None
        offset = numbers(items, "offset")

        def relative_lane(ctx: Context) -> Placement:
            w = ctx.world
            k = ctx.entity(ref, "RelativeLanePosition")
            direction = w.direction[:, k].copy()
            lane = _step_lane(w.lane[:, k], (d_lane * direction).astype(np.int64))
            step = ds_lane if use_ds_lane else ds
            placed = on_lane(ctx, w.road[:, k].copy(), lane, w.s[:, k] + step * direction,
                             offset * direction, direction, np.zeros_like(ds))
            return _orient(ctx, placed, items)
        return relative_lane
    if isinstance(first, p.RoutePosition):
        return _route_position(items, ctx_source)
    if isinstance(first, p.TrajectoryPosition):
        s_along = numbers(items, "s")
        t_along = numbers(items, "t")

        def trajectory_position(ctx: Context) -> Placement:
            xs, ys, hs = [], [], []
            for e, item in enumerate(items):
                path = sample_trajectory(item.trajectory, ctx, e)  # type: ignore[union-attr]
                x, y, h = path.at(float(s_along[e]))
                xs.append(x - t_along[e] * math.sin(h))
                ys.append(y + t_along[e] * math.cos(h))
                hs.append(h)
            return at_world(ctx, np.array(xs), np.array(ys), None, np.array(hs))
        return trajectory_position
    raise InvalidArgument(f"{ctx_source}: position {kind.__name__} is not supported")


def _route_position(items: Sequence[Any], source: str) -> PositionFn:
    from simhub.engine.routes import resolve_route

    first = items[0]
    inner = first.in_route_position
    if isinstance(inner, p.FromCurrentEntity):
        ref = inner.entity_ref

        def from_entity(ctx: Context) -> Placement:
            w = ctx.world
            k = ctx.entity(ref, "RoutePosition")
            return on_lane(ctx, w.road[:, k].copy(), w.lane[:, k].copy(), w.s[:, k].copy(),
                           w.lane_offset[:, k].copy(), w.direction[:, k].copy(),
                           np.zeros(w.episodes))
        return from_entity
    path_s = np.array([float(i.in_route_position.path_s) for i in items])

    def from_path(ctx: Context) -> Placement:
        starts = [resolve_route(i.route, ctx, source) for i in items]
        road = np.array([r[0] for r in starts], dtype=np.int64)
        s0 = np.array([r[1] for r in starts])
        direction = np.array([r[2] for r in starts])
        s = s0 + direction * path_s
        if isinstance(inner, p.FromLaneCoordinates):
            lane = np.array([int(float(i.in_route_position.lane_id)) for i in items],
                            dtype=np.int64)
            offset = np.array([float(i.in_route_position.lane_offset or 0.0) for i in items])
            return on_lane(ctx, road, lane, s, offset, direction, np.zeros_like(s))
        t = np.array([float(i.in_route_position.t) for i in items])
        return on_road_t(ctx, road, s, t, direction, np.zeros_like(s))
    return from_path
