"""Projection ``(x, y) -> (road, lane, s, t)`` for many points at once.

Each road's reference line is sampled (chords within 5 cm, at most 5 m apart), and the
segments are bucketed in a uniform grid (CSR cell lists). A query walks grid rings outwards
from its cell, keeps the nearest segment of up to ``_CANDIDATES`` distinct roads, refines each
by Newton's method on ``f(s) = (P - C(s)) . T(s) = 0`` (``f' = -(1 - curvature * t)``), and
keeps the road whose lanes hold the point (nearest reference line among those; nearest of all
when none does).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numba
import numpy as np

from simhub.road.kernels import F64, I64, B, RoadArrays, locate_lane, reference_point, road_extent

_CANDIDATES = 8
_MAX_SAMPLE_STEP_M = 5.0
_MIN_SAMPLE_STEP_M = 0.25
_CHORD_TOLERANCE_M = 0.05
_MAX_CELLS = 4_000_000


class ProjectionTable(NamedTuple):
    """Reference-line segments and their grid.

    ``seg_*`` have shape ``(n_segments,)``; cell ``(ix, iy)`` owns
    ``cell_items[cell_start[ix * ny + iy] : cell_start[ix * ny + iy + 1]]``. ``margin_m`` is
    the widest lateral extent of any road (how far beyond the nearest reference line another
    road's lanes may still hold the point).
    """

    seg_x0: F64
    seg_y0: F64
    seg_x1: F64
    seg_y1: F64
    seg_s0: F64
    seg_s1: F64
    seg_road: I64
    origin_x: float
    origin_y: float
    cell_size: float
    nx: int
    ny: int
    cell_start: I64
    cell_items: I64
    margin_m: float


@numba.njit(cache=True, nogil=True)
def _sample_step(arrays: RoadArrays, road: int, g: int) -> float:
    """Sample spacing along geometry ``g`` keeping chords within ``_CHORD_TOLERANCE_M``."""
    length = arrays.geom_length[g]
    s0 = arrays.geom_s[g]
    k_max = 0.0
    for j in range(9):
        _, _, _, k = reference_point(arrays, road, s0 + length * j / 8.0)
        k_max = max(k_max, abs(k))
    if k_max <= 0.0:
        return _MAX_SAMPLE_STEP_M
    step = math.sqrt(8.0 * _CHORD_TOLERANCE_M / k_max)
    return min(max(step, _MIN_SAMPLE_STEP_M), _MAX_SAMPLE_STEP_M)


@numba.njit(cache=True)
def _sample_roads(arrays: RoadArrays) -> tuple[F64, F64, F64, I64, float]:
    """Sample points ``(x, y, s, road)`` of every reference line and the widest road extent."""
    n_roads = arrays.road_length.shape[0]
    counts = np.zeros(arrays.geom_s.shape[0], dtype=np.int64)
    total = 0
    for r in range(n_roads):
        for g in range(arrays.road_geom_start[r], arrays.road_geom_start[r + 1]):
            counts[g] = max(math.ceil(arrays.geom_length[g] / _sample_step(arrays, r, g)), 1)
            total += counts[g]
        total += 1
    xs = np.empty(total)
    ys = np.empty(total)
    ss = np.empty(total)
    roads = np.empty(total, dtype=np.int64)
    margin = 0.0
    k = 0
    for r in range(n_roads):
        for g in range(arrays.road_geom_start[r], arrays.road_geom_start[r + 1]):
            n = counts[g]
            for j in range(n):
                s = arrays.geom_s[g] + arrays.geom_length[g] * j / n
                xs[k], ys[k], _, _ = reference_point(arrays, r, s)
                ss[k] = s
                roads[k] = r
                right, left = road_extent(arrays, r, s)
                margin = max(margin, abs(right), abs(left))
                k += 1
        s_end = arrays.road_length[r]
        xs[k], ys[k], _, _ = reference_point(arrays, r, s_end)
        ss[k] = s_end
        roads[k] = r
        k += 1
    return xs[:k], ys[:k], ss[:k], roads[:k], margin


@numba.njit(cache=True, nogil=True)
def _cell_range(a: float, b: float, origin: float, h: float, n: int) -> tuple[int, int]:
    lo = max(math.floor((min(a, b) - origin) / h), 0)
    hi = min(math.floor((max(a, b) - origin) / h), n - 1)
    return lo, hi


@numba.njit(cache=True)
def _fill_grid(
    x0: F64, y0: F64, x1: F64, y1: F64, ox: float, oy: float, h: float, nx: int, ny: int
) -> tuple[I64, I64]:
    """CSR cell lists of the segments whose bounding box touches each cell."""
    counts = np.zeros(nx * ny + 1, dtype=np.int64)
    for i in range(x0.shape[0]):
        ia, ib = _cell_range(x0[i], x1[i], ox, h, nx)
        ja, jb = _cell_range(y0[i], y1[i], oy, h, ny)
        for ix in range(ia, ib + 1):
            for iy in range(ja, jb + 1):
                counts[ix * ny + iy + 1] += 1
    starts = np.cumsum(counts)
    items = np.empty(starts[-1], dtype=np.int64)
    fill = starts.copy()
    for i in range(x0.shape[0]):
        ia, ib = _cell_range(x0[i], x1[i], ox, h, nx)
        ja, jb = _cell_range(y0[i], y1[i], oy, h, ny)
        for ix in range(ia, ib + 1):
            for iy in range(ja, jb + 1):
                cell = ix * ny + iy
                items[fill[cell]] = i
                fill[cell] += 1
    return starts, items


def build_projection_table(arrays: RoadArrays) -> ProjectionTable:
    """Sample the reference lines and bucket their segments (call once per network)."""
    xs, ys, ss, roads, margin = _sample_roads(arrays)
    same_road = roads[1:] == roads[:-1]
    x0, y0, s0, seg_road = (
        xs[:-1][same_road],
        ys[:-1][same_road],
        ss[:-1][same_road],
        roads[:-1][same_road],
    )
    x1, y1, s1 = xs[1:][same_road], ys[1:][same_road], ss[1:][same_road]
    if x0.size == 0:  # only zero-length roads: one degenerate segment per sample
        x0, y0, s0, seg_road, x1, y1, s1 = xs, ys, ss, roads, xs, ys, ss
    ox, oy = float(xs.min()) - 1.0, float(ys.min()) - 1.0
    width = float(xs.max()) + 1.0 - ox
    height = float(ys.max()) + 1.0 - oy
    # Cells of about half the widest road: a query then scans a few rings of a few segments.
    cell = min(max(0.5 * float(margin), 2.0 * _MAX_SAMPLE_STEP_M), 50.0)
    cell = max(cell, math.sqrt(width * height / _MAX_CELLS))
    nx = int(width / cell) + 1
    ny = int(height / cell) + 1
    cell_start, cell_items = _fill_grid(x0, y0, x1, y1, ox, oy, cell, nx, ny)
    return ProjectionTable(
        x0,
        y0,
        x1,
        y1,
        s0,
        s1,
        seg_road,
        ox,
        oy,
        cell,
        nx,
        ny,
        cell_start,
        cell_items,
        float(margin) + 0.5,
    )


@numba.njit(cache=True, nogil=True, inline="always")
def _refine(
    arrays: RoadArrays, road: int, s: float, px: float, py: float
) -> tuple[float, float, float, float]:
    """Newton on ``s``: returns ``(s, t, distance, along)``; ``along`` ~ 0 when perpendicular."""
    length = arrays.road_length[road]
    along = 0.0
    t = 0.0
    for _ in range(12):
        x, y, h, k = reference_point(arrays, road, s)
        ch = math.cos(h)
        sh = math.sin(h)
        along = (px - x) * ch + (py - y) * sh
        t = -(px - x) * sh + (py - y) * ch
        denominator = max(1.0 - k * t, 0.1)
        s_new = min(max(s + along / denominator, 0.0), length)
        step = s_new - s
        s = s_new
        if abs(step) < 1e-10:
            break
    x, y, h, _ = reference_point(arrays, road, s)
    ch = math.cos(h)
    sh = math.sin(h)
    along = (px - x) * ch + (py - y) * sh
    t = -(px - x) * sh + (py - y) * ch
    return s, t, math.hypot(px - x, py - y), along


@numba.njit(cache=True, nogil=True, inline="always")
def project_near(
    arrays: RoadArrays, road: int, s_guess: float, px: float, py: float, reach: float
) -> tuple[float, float, bool]:
    """Project ``(px, py)`` onto road ``road`` by Newton from ``s_guess``: ``(s, t, ok)``.

    The incremental projection for an entity that moved a little since its last projection.
    ``ok`` is false, and the caller should project globally, when Newton did not end
    perpendicular to the reference line (it ran into the road's start or end), ended further
    than ``reach`` [m] from ``s_guess`` (the entity jumped), or the point is outside the
    road's paved width.
    """
    s, t, _, along = _refine(arrays, road, s_guess, px, py)
    if abs(along) >= 1e-6 or abs(s - s_guess) > reach:
        return s, t, False
    right, left = road_extent(arrays, road, s)
    return s, t, right - 1e-9 <= t <= left + 1e-9


@numba.njit(cache=True, nogil=True)
def _project_one(
    arrays: RoadArrays,
    table: ProjectionTable,
    px: float,
    py: float,
    cand_road: I64,
    cand_s: F64,
    cand_d: F64,
) -> tuple[int, int, float, float, bool]:
    cand_road[:] = -1
    cand_d[:] = np.inf
    h = table.cell_size
    nx = table.nx
    ny = table.ny
    ix = math.floor((px - table.origin_x) / h)
    iy = math.floor((py - table.origin_y) / h)
    r0 = max(0, -ix, ix - (nx - 1), -iy, iy - (ny - 1))
    best = np.inf
    for r in range(r0, r0 + max(nx, ny) + 2):
        worst = cand_d.max()
        if (r - 1) * h > min(best + table.margin_m, worst):
            break
        for jy in range(max(iy - r, 0), min(iy + r, ny - 1) + 1):
            edge_row = jy == iy - r or jy == iy + r
            jx = max(ix - r, 0)
            while jx <= min(ix + r, nx - 1):
                if not edge_row and jx != ix - r and jx != ix + r:
                    jx = ix + r  # jump across the ring's interior
                    continue
                cell = jx * ny + jy
                for item in range(table.cell_start[cell], table.cell_start[cell + 1]):
                    seg = table.cell_items[item]
                    dx = table.seg_x1[seg] - table.seg_x0[seg]
                    dy = table.seg_y1[seg] - table.seg_y0[seg]
                    len2 = dx * dx + dy * dy
                    u = 0.0
                    if len2 > 0.0:
                        u = ((px - table.seg_x0[seg]) * dx + (py - table.seg_y0[seg]) * dy) / len2
                        u = min(max(u, 0.0), 1.0)
                    d = math.hypot(px - table.seg_x0[seg] - u * dx, py - table.seg_y0[seg] - u * dy)
                    if d > best + table.margin_m:
                        continue  # too far for any road's lanes to hold the point
                    best = min(best, d)
                    road = table.seg_road[seg]
                    s = table.seg_s0[seg] + u * (table.seg_s1[seg] - table.seg_s0[seg])
                    slot = -1
                    for c in range(_CANDIDATES):
                        if cand_road[c] == road:
                            slot = c
                            break
                    if slot < 0:
                        slot = int(np.argmax(cand_d))
                    if d < cand_d[slot]:
                        cand_road[slot] = road
                        cand_s[slot] = s
                        cand_d[slot] = d
                jx += 1
    best_score = np.inf
    out_road = -1
    out_s = 0.0
    out_t = 0.0
    for c in range(_CANDIDATES):
        road = cand_road[c]
        if road < 0 or cand_d[c] > best + table.margin_m:
            continue
        s, t, distance, along = _refine(arrays, road, cand_s[c], px, py)
        right, left = road_extent(arrays, road, s)
        perpendicular = abs(along) < 1e-6
        inside = perpendicular and right - 1e-9 <= t <= left + 1e-9
        score = distance + (0.0 if inside else 1e6) + (0.0 if perpendicular else 1e6)
        if score < best_score:
            best_score = score
            out_road = road
            out_s = s
            out_t = t
    if out_road < 0:
        return -1, 0, math.nan, math.nan, False
    lane, on_road = locate_lane(arrays, out_road, out_s, out_t)
    return out_road, lane, out_s, out_t, on_road


@numba.njit(cache=True, parallel=True)
def project_points(
    arrays: RoadArrays, table: ProjectionTable, x: F64, y: F64
) -> tuple[I64, I64, F64, F64, B]:
    """Project world points; returns ``road_index, lane_id, s, t, on_road`` of shape ``(n,)``."""
    n = x.shape[0]
    road = np.empty(n, dtype=np.int64)
    lane = np.empty(n, dtype=np.int64)
    s = np.empty(n)
    t = np.empty(n)
    on_road = np.empty(n, dtype=np.bool_)
    chunk = 256  # candidate buffers are allocated once per chunk, not per point
    for c in numba.prange((n + chunk - 1) // chunk):
        cand_road = np.empty(_CANDIDATES, dtype=np.int64)
        cand_s = np.empty(_CANDIDATES)
        cand_d = np.empty(_CANDIDATES)
        for i in range(c * chunk, min((c + 1) * chunk, n)):
            road[i], lane[i], s[i], t[i], on_road[i] = _project_one(
                arrays, table, x[i], y[i], cand_road, cand_s, cand_d
            )
    return road, lane, s, t, on_road
