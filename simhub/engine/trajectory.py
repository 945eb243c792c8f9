"""Trajectories (polyline, clothoid, clothoid spline, NURBS) sampled into dense paths.

A ``Path`` is a polyline of world points with arc length ``s`` [m], heading [rad] and, where
the trajectory gives times, ``time`` [s] per point (NaN otherwise).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from simhub.errors import InvalidArgument
from simhub.scenario import routes as r
from simhub.scenario.common import CatalogReference

if TYPE_CHECKING:
    from simhub.engine.context import Context

F64 = npt.NDArray[np.float64]

SAMPLE_M = 0.25  # spacing of clothoid / NURBS samples [m]


@dataclass(frozen=True)
class Path:
    """A dense polyline: arrays of shape ``(n,)``; ``s`` starts at 0 and never decreases."""

    x: F64
    y: F64
    z: F64
    h: F64
    s: F64
    time: F64

    @property
    def length(self) -> float:
        return float(self.s[-1])

    def at(self, s: float) -> tuple[float, float, float]:
        """``(x, y, heading)`` at arc length ``s`` (clamped)."""
        s = min(max(s, 0.0), self.length)
        if self.s.shape[0] == 1:
            return float(self.x[0]), float(self.y[0]), float(self.h[0])
        i = int(np.clip(np.searchsorted(self.s, s, side="right") - 1, 0, self.s.shape[0] - 2))
        span = self.s[i + 1] - self.s[i]
        f = (s - self.s[i]) / span if span > 0 else 0.0
        x = self.x[i] + f * (self.x[i + 1] - self.x[i])
        y = self.y[i] + f * (self.y[i + 1] - self.y[i])
        heading = math.atan2(self.y[i + 1] - self.y[i], self.x[i + 1] - self.x[i]) if span > 0 \
            else float(self.h[i])
        return float(x), float(y), heading

    def s_at_time(self, time: float) -> float:
        """Arc length where the trajectory is at ``time`` (clamped to its time span)."""
        valid = ~np.isnan(self.time)
        if not valid.any():
            return 0.0
        return float(np.interp(time, self.time[valid], self.s[valid]))

    @property
    def timed(self) -> bool:
        return bool((~np.isnan(self.time)).all()) and self.s.shape[0] > 0


def make_path(x: F64, y: F64, z: F64, time: F64, h: F64 | None = None) -> Path:
    """A path through points; headings follow the segments unless ``h`` is given."""
    seg = np.hypot(np.diff(x), np.diff(y))
    s = np.concatenate([[0.0], np.cumsum(seg)])
    if h is None:
        h = np.empty_like(x)
        if x.shape[0] > 1:
            h[:-1] = np.arctan2(np.diff(y), np.diff(x))
            h[-1] = h[-2]
        else:
            h[:] = 0.0
    return Path(x, y, z, h, s, time)


def _clothoid(x0: float, y0: float, h0: float, k0: float, k1: float, length: float
              ) -> tuple[F64, F64, F64]:
    """Points of a clothoid from curvature ``k0`` to ``k1`` [1/m] over ``length`` [m]."""
    n = max(math.ceil(length / SAMPLE_M), 1)
    u = np.linspace(0.0, length, n + 1)
    rate = (k1 - k0) / length if length > 0 else 0.0
    heading = h0 + k0 * u + 0.5 * rate * u * u
    mid = 0.5 * (u[1:] + u[:-1])
    mid_h = h0 + k0 * mid + 0.5 * rate * mid * mid
    step = np.diff(u)
    x = x0 + np.concatenate([[0.0], np.cumsum(step * np.cos(mid_h))])
    y = y0 + np.concatenate([[0.0], np.cumsum(step * np.sin(mid_h))])
    return x, y, heading


def _nurbs(points: F64, weights: F64, knots: F64, order: int, times: F64) -> tuple[F64, F64, F64]:
    """Evaluate a NURBS curve (Cox-de Boor) densely; returns x, y, time."""
    n = points.shape[0]
    degree = order - 1
    if knots.shape[0] != n + order:
        raise InvalidArgument(f"NURBS with {n} control points of order {order} needs "
                              f"{n + order} knots, got {knots.shape[0]}")
    chord = float(np.hypot(np.diff(points[:, 0]), np.diff(points[:, 1])).sum())
    count = max(int(chord / SAMPLE_M), 2 * n, 10)
    lo, hi = float(knots[degree]), float(knots[n])
    params = np.linspace(lo, hi, count)
    basis = np.zeros((count, n))
    for row, raw in enumerate(params):
        u = min(float(raw), hi - 1e-12 * max(1.0, abs(hi)))
        values = np.array([1.0 if knots[i] <= u < knots[i + 1] else 0.0
                           for i in range(knots.shape[0] - 1)])
        for d in range(1, degree + 1):
            nxt = np.zeros(knots.shape[0] - 1 - d)
            for i in range(nxt.shape[0]):
                left = knots[i + d] - knots[i]
                right = knots[i + d + 1] - knots[i + 1]
                a = (u - knots[i]) / left * values[i] if left > 0 else 0.0
                b = (knots[i + d + 1] - u) / right * values[i + 1] if right > 0 else 0.0
                nxt[i] = a + b
            values = nxt
        basis[row] = values[:n]
    weighted = basis * weights
    total = weighted.sum(axis=1)
    total[total == 0] = 1.0
    x = (weighted @ points[:, 0]) / total
    y = (weighted @ points[:, 1]) / total
    t = (weighted @ times) / total
    return x, y, t


def _shape_of(item: Any) -> Any:
    trajectory = item.resolved if isinstance(item, CatalogReference) else item
    if not isinstance(trajectory, r.Trajectory):
        raise InvalidArgument("a trajectory reference must resolve to a Trajectory")
    return trajectory.shape


TrajectoryFn = Callable[["Context", int | None], list[Path]]


def compile_trajectory(items: Sequence[Any], source: str) -> TrajectoryFn:
    """Compile one trajectory per episode; the result builds each episode's ``Path``.

    Positions inside the trajectory are resolved when the function runs (so relative
    positions see the world as it is then); ``entity`` is the follower (the start of a
    clothoid without a position).
    """
    from simhub.engine.positions import compile_position

    shapes = [_shape_of(item) for item in items]
    first = shapes[0]
    if isinstance(first, r.Polyline):
        count = len(first.vertices)
        fns = [compile_position([s.vertices[j].position for s in shapes], source)
               for j in range(count)]
        times = np.array([[np.nan if v.time is None else float(v.time) for v in s.vertices]
                          for s in shapes])

        def polyline(ctx: Context, entity: int | None) -> list[Path]:
            placed = [fn(ctx) for fn in fns]
            return [make_path(np.array([pl.x[e] for pl in placed]),
                              np.array([pl.y[e] for pl in placed]),
                              np.array([pl.z[e] for pl in placed]), times[e])
                    for e in range(ctx.world.episodes)]
        return polyline
    if isinstance(first, r.Clothoid):
        start = (compile_position([s.position for s in shapes], source)
                 if first.position is not None else None)

        def clothoid(ctx: Context, entity: int | None) -> list[Path]:
            x0, y0, h0 = _start(ctx, start, entity)
            paths = []
            for e, shape in enumerate(shapes):
                k1 = shape.curvature + (shape.curvature_prime or 0.0) * shape.length
                x, y, h = _clothoid(x0[e], y0[e], h0[e], shape.curvature, k1, shape.length)
                time = _linear_time(shape.start_time, shape.stop_time, x.shape[0])
                paths.append(make_path(x, y, np.zeros_like(x), time, h))
            return paths
        return clothoid
    if isinstance(first, r.ClothoidSpline):
        start = (compile_position([s.segments[0].position_start for s in shapes], source)
                 if first.segments[0].position_start is not None else None)

        def spline(ctx: Context, entity: int | None) -> list[Path]:
            x0, y0, h0 = _start(ctx, start, entity)
            paths = []
            for e, shape in enumerate(shapes):
                xs, ys, hs, ts = [], [], [], []
                x, y, h = x0[e], y0[e], h0[e]
                time = shape.segments[0].time_start
                for index, segment in enumerate(shape.segments):
                    h = h + (segment.h_offset or 0.0)
                    px, py, ph = _clothoid(x, y, h, segment.curvature_start,
                                           segment.curvature_end, segment.length)
                    start_t = segment.time_start if segment.time_start is not None else time
                    nxt = (shape.segments[index + 1].time_start
                           if index + 1 < len(shape.segments) else shape.time_end)
                    seg_t = _linear_time(start_t, nxt, px.shape[0])
                    skip = 1 if index else 0
                    xs.append(px[skip:])
                    ys.append(py[skip:])
                    hs.append(ph[skip:])
                    ts.append(seg_t[skip:])
                    x, y, h = px[-1], py[-1], ph[-1]
                    time = nxt
                xa = np.concatenate(xs)
                paths.append(make_path(xa, np.concatenate(ys), np.zeros_like(xa),
                                       np.concatenate(ts), np.concatenate(hs)))
            return paths
        return spline
    if isinstance(first, r.Nurbs):
        count = len(first.control_points)
        fns = [compile_position([s.control_points[j].position for s in shapes], source)
               for j in range(count)]

        def nurbs(ctx: Context, entity: int | None) -> list[Path]:
            placed = [fn(ctx) for fn in fns]
            paths = []
            for e, shape in enumerate(shapes):
                points = np.array([[pl.x[e], pl.y[e]] for pl in placed])
                weights = np.array([cp.weight if cp.weight is not None else 1.0
                                    for cp in shape.control_points])
                times = np.array([np.nan if cp.time is None else cp.time
                                  for cp in shape.control_points])
                knots = np.array([k.value for k in shape.knots])
                x, y, t = _nurbs(points, weights, knots, shape.order, times)
                paths.append(make_path(x, y, np.zeros_like(x), t))
            return paths
        return nurbs
    raise InvalidArgument(f"{source}: trajectory shape {type(first).__name__} is not supported")


def _linear_time(start: float | None, stop: float | None, n: int) -> F64:
    if start is None or stop is None:
        return np.full(n, np.nan)
    return np.linspace(start, stop, n)


def _start(ctx: Context, start: Any, entity: int | None) -> tuple[F64, F64, F64]:
    if start is not None:
        placed = start(ctx)
        return placed.x, placed.y, placed.heading
    if entity is None:
        raise InvalidArgument(f"{ctx.source}: a clothoid without a start position needs an "
                              "entity to start from")
    w = ctx.world
    return w.x[:, entity].copy(), w.y[:, entity].copy(), w.heading[:, entity].copy()


def sample_trajectory(item: Any, ctx: Context, episode: int) -> Path:
    """The path of one trajectory in one episode (used by TrajectoryPosition)."""
    return compile_trajectory([item] * ctx.world.episodes, ctx.source)(ctx, None)[episode]
