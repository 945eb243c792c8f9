"""Numba kernels over the flat road arrays (``RoadArrays``): reference line, cubics, lanes.

All functions take the arrays tuple first and work on one point; the vectorised loops in
``simhub.road.evaluate`` and ``simhub.road.projection`` call them. Units: m and rad. The
reference line's heading is counter-clockwise from +x; ``t`` is lateral, positive to the left.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NamedTuple, TypeVar, cast

import numba
import numpy as np
import numpy.typing as npt

from simhub.road.fresnel import fresnel

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
B = npt.NDArray[np.bool_]

KIND_LINE = 0
KIND_ARC = 1
KIND_SPIRAL = 2
KIND_POLY3 = 3
KIND_PARAM_POLY3 = 4

# Below this curvature rate (1/m^2) the Fresnel form loses digits to cancellation, so the
# clothoid is integrated by Gauss-Legendre quadrature instead (it is then nearly an arc).
_SPIRAL_FRESNEL_MIN_RATE = 1e-8
_GL_NODES = np.array(
    [-0.9061798459386640, -0.5384693101056831, 0.0, 0.5384693101056831, 0.9061798459386640]
)
_GL_WEIGHTS = np.array(
    [
        0.2369268850561891,
        0.4786286704993665,
        0.5688888888888889,
        0.4786286704993665,
        0.2369268850561891,
    ]
)

_Kernel = TypeVar("_Kernel", bound=Callable[..., object])


def refcount_free(kernel: _Kernel) -> _Kernel:
    """``numba.njit(cache=True)`` without numba's reference counting (``_nrt=False``).

    For kernels that loop over many points and create no arrays (numba refuses to compile one
    that does). Every read of an array out of ``RoadArrays`` in an inlined helper otherwise
    raises and drops that array's reference count: two atomic, non-inlined calls, a few dozen
    per placed entity, which cost ~5x the arithmetic (``place_road`` on a straight road:
    ~1050 -> ~180 ns per entity).
    """
    jit: Any = numba.njit  # ``_nrt`` is not in numba's published signature
    return cast(_Kernel, jit(cache=True, _nrt=False)(kernel))


def refcount_free_nogil(kernel: _Kernel) -> _Kernel:
    """``refcount_free`` releasing the GIL while it runs, for kernels that Python threads
    run side by side on separate rows."""
    jit: Any = numba.njit
    return cast(_Kernel, jit(cache=True, _nrt=False, nogil=True)(kernel))


class RoadArrays(NamedTuple):
    """A road network compiled to flat float64 / int64 arrays (CSR ranges per road).

    ``road_*_start`` have shape ``(n_roads + 1,)``: road ``r`` owns rows
    ``start[r]:start[r + 1]`` of the matching table. Tables of cubics are ``(n, 5)`` with
    columns ``(s, a, b, c, d)``; ``geom_params`` is ``(n_geometries, 9)``.
    Lanes of a section are stored by id descending (left n..1, centre 0, right -1..-m).

    ``section_fixed`` marks sections whose lanes all have one constant width; for their lanes
    ``lane_border`` holds the outer border ``t`` [m] from the centre lane (0 for the centre
    lane), summed outward in the order ``lane_and_extent`` sums: on a road without a lane
    offset it reads the borders instead of evaluating every lane's width cubic.
    """

    road_length: F64
    road_geom_start: I64
    geom_s: F64
    geom_x: F64
    geom_y: F64
    geom_heading: F64
    geom_length: F64
    geom_kind: I64
    geom_params: F64
    road_elev_start: I64
    elevation: F64
    road_offset_start: I64
    lane_offset: F64
    road_section_start: I64
    section_s: F64
    section_left_count: I64
    section_lane_start: I64
    lane_id: I64
    lane_width_start: I64
    lane_width: F64
    section_fixed: B
    lane_border: F64


@numba.njit(cache=True, nogil=True, inline="always")
def last_at_or_below(values: F64, lo: int, hi: int, s: float) -> int:
    """Index in ``[lo, hi)`` of the last ``values[i] <= s`` (``lo`` when none); hi > lo."""
    a = lo
    b = hi - 1
    if values[b] <= s:
        return b
    while b - a > 1:
        mid = (a + b) // 2
        if values[mid] <= s:
            a = mid
        else:
            b = mid
    return a


@numba.njit(cache=True, nogil=True, inline="always")
def _last_row_at_or_below(table: F64, lo: int, hi: int, s: float) -> int:
    """``last_at_or_below`` over column 0 of a 2-D table.

    Indexing the table directly, not a ``table[:, 0]`` view: a view is a new array whose
    reference count numba raises and drops (two atomic calls) each time, which in the
    per-entity kernels cost more than all the arithmetic.
    """
    a = lo
    b = hi - 1
    if table[b, 0] <= s:
        return b
    while b - a > 1:
        mid = (a + b) // 2
        if table[mid, 0] <= s:
            a = mid
        else:
            b = mid
    return a


@numba.njit(cache=True, nogil=True, inline="always")
def cubic_at(table: F64, lo: int, hi: int, s: float, s_base: float) -> tuple[float, float]:
    """``(value, d value / ds)`` of the piecewise cubic in rows ``[lo, hi)`` at ``s``.

    Row ``i`` starts at ``s_base + table[i, 0]``; an empty range gives ``(0, 0)``.
    """
    if hi <= lo:
        return 0.0, 0.0
    i = _last_row_at_or_below(table, lo, hi, s - s_base)
    ds = s - s_base - table[i, 0]
    a, b, c, d = table[i, 1], table[i, 2], table[i, 3], table[i, 4]
    return a + ds * (b + ds * (c + ds * d)), b + ds * (2.0 * c + 3.0 * d * ds)


@numba.njit(cache=True, nogil=True, inline="always")
def _arc_point(
    x0: float, y0: float, h0: float, curvature: float, ds: float
) -> tuple[float, float, float]:
    if abs(curvature) < 1e-15:
        return x0 + ds * math.cos(h0), y0 + ds * math.sin(h0), h0
    half = 0.5 * curvature * ds
    # 2 sin(half) / k is the chord; written this way it stays exact as k -> 0.
    chord = ds * (math.sin(half) / half) if abs(half) > 1e-300 else ds
    mid = h0 + half
    return x0 + chord * math.cos(mid), y0 + chord * math.sin(mid), h0 + curvature * ds


@numba.njit(cache=True, nogil=True)
def _spiral_point(
    x0: float, y0: float, h0: float, k0: float, rate: float, ds: float
) -> tuple[float, float, float]:
    heading = h0 + k0 * ds + 0.5 * rate * ds * ds
    if abs(rate) < _SPIRAL_FRESNEL_MIN_RATE:
        turn = abs(k0 * ds) + abs(0.5 * rate * ds * ds)
        n_sub = min(int(turn / 0.2) + 1, 2000)
        step = ds / n_sub
        x = x0
        y = y0
        for j in range(n_sub):
            mid = (j + 0.5) * step
            for q in range(5):
                w = mid + 0.5 * step * _GL_NODES[q]
                h = h0 + k0 * w + 0.5 * rate * w * w
                x += 0.5 * step * _GL_WEIGHTS[q] * math.cos(h)
                y += 0.5 * step * _GL_WEIGHTS[q] * math.sin(h)
        return x, y, heading
    # heading = phi + rate/2 (w + k0/rate)^2; substitute tau = (w + k0/rate) sqrt(|rate|/pi).
    sign = 1.0 if rate > 0.0 else -1.0
    scale = math.sqrt(math.pi / abs(rate))
    phi = h0 - k0 * k0 / (2.0 * rate)
    u0 = k0 / rate
    c0, s0 = fresnel(u0 / scale)
    c1, s1 = fresnel((u0 + ds) / scale)
    dc = c1 - c0
    dsn = s1 - s0
    cp = math.cos(phi)
    sp = math.sin(phi)
    x = x0 + scale * (cp * dc - sign * sp * dsn)
    y = y0 + scale * (sp * dc + sign * cp * dsn)
    return x, y, heading


@numba.njit(cache=True, nogil=True, inline="always")
def _poly3_u(a: float, b: float, c: float, d: float, ds: float) -> float:
    """Local ``u`` where the arc length of ``(u, v(u))`` from ``u = 0`` equals ``ds``."""
    u = ds
    for _ in range(30):
        # Arc length to u by composite 5-point Gauss-Legendre on 8 panels.
        length = 0.0
        panel = u / 8.0
        for j in range(8):
            mid = (j + 0.5) * panel
            for q in range(5):
                w = mid + 0.5 * panel * _GL_NODES[q]
                slope = b + w * (2.0 * c + 3.0 * d * w)
                length += 0.5 * panel * _GL_WEIGHTS[q] * math.sqrt(1.0 + slope * slope)
        slope_u = b + u * (2.0 * c + 3.0 * d * u)
        step = (length - ds) / math.sqrt(1.0 + slope_u * slope_u)
        u -= step
        if abs(step) < 1e-12:
            break
    return u


@numba.njit(cache=True, nogil=True, inline="always")
def geometry_point(arrays: RoadArrays, g: int, ds: float) -> tuple[float, float, float, float]:
    """``(x, y, heading, curvature)`` at ``ds`` metres along geometry ``g``."""
    x0 = arrays.geom_x[g]
    y0 = arrays.geom_y[g]
    h0 = arrays.geom_heading[g]
    kind = arrays.geom_kind[g]
    # scalar reads of the (n, 9) table, not a row view (see _last_row_at_or_below)
    p = arrays.geom_params
    if kind == KIND_LINE:
        return x0 + ds * math.cos(h0), y0 + ds * math.sin(h0), h0, 0.0
    if kind == KIND_ARC:
        x, y, h = _arc_point(x0, y0, h0, p[g, 0], ds)
        return x, y, h, p[g, 0]
    if kind == KIND_SPIRAL:
        length = arrays.geom_length[g]
        rate = (p[g, 1] - p[g, 0]) / length if length > 0.0 else 0.0
        x, y, h = _spiral_point(x0, y0, h0, p[g, 0], rate, ds)
        return x, y, h, p[g, 0] + rate * ds
    if kind == KIND_POLY3:
        u = _poly3_u(p[g, 0], p[g, 1], p[g, 2], p[g, 3], ds)
        v = p[g, 0] + u * (p[g, 1] + u * (p[g, 2] + u * p[g, 3]))
        du, dv = 1.0, p[g, 1] + u * (2.0 * p[g, 2] + 3.0 * p[g, 3] * u)
        ddu, ddv = 0.0, 2.0 * p[g, 2] + 6.0 * p[g, 3] * u
    else:
        t = ds / arrays.geom_length[g] if p[g, 8] > 0.5 and arrays.geom_length[g] > 0.0 else ds
        u = p[g, 0] + t * (p[g, 1] + t * (p[g, 2] + t * p[g, 3]))
        v = p[g, 4] + t * (p[g, 5] + t * (p[g, 6] + t * p[g, 7]))
        du = p[g, 1] + t * (2.0 * p[g, 2] + 3.0 * p[g, 3] * t)
        dv = p[g, 5] + t * (2.0 * p[g, 6] + 3.0 * p[g, 7] * t)
        ddu = 2.0 * p[g, 2] + 6.0 * p[g, 3] * t
        ddv = 2.0 * p[g, 6] + 6.0 * p[g, 7] * t
    ch = math.cos(h0)
    sh = math.sin(h0)
    speed2 = du * du + dv * dv
    curvature = (du * ddv - dv * ddu) / (speed2 * math.sqrt(speed2)) if speed2 > 0.0 else 0.0
    return (
        x0 + u * ch - v * sh,
        y0 + u * sh + v * ch,
        h0 + math.atan2(dv, du),
        curvature,
    )


@numba.njit(cache=True, nogil=True, inline="always")
def reference_point(arrays: RoadArrays, road: int, s: float) -> tuple[float, float, float, float]:
    """``(x, y, heading, curvature)`` of road ``road``'s reference line at ``s`` (clamped)."""
    s = min(max(s, 0.0), arrays.road_length[road])
    g = last_at_or_below(
        arrays.geom_s, arrays.road_geom_start[road], arrays.road_geom_start[road + 1], s
    )
    ds = min(max(s - arrays.geom_s[g], 0.0), arrays.geom_length[g])
    # Past the last geometry's end (road length longer than the plan view): go straight on.
    extra = s - arrays.geom_s[g] - ds
    x, y, h, k = geometry_point(arrays, g, ds)
    if extra > 0.0:
        x += extra * math.cos(h)
        y += extra * math.sin(h)
    return x, y, h, k


@numba.njit(cache=True, nogil=True, inline="always")
def reference_curvature(arrays: RoadArrays, road: int, s: float) -> float:
    """Curvature [1/m] of road ``road``'s reference line at ``s`` (clamped): the fourth value
    of ``reference_point`` without its trigonometry for lines, arcs and spirals."""
    s = min(max(s, 0.0), arrays.road_length[road])
    g = last_at_or_below(
        arrays.geom_s, arrays.road_geom_start[road], arrays.road_geom_start[road + 1], s
    )
    ds = min(max(s - arrays.geom_s[g], 0.0), arrays.geom_length[g])
    kind = arrays.geom_kind[g]
    if kind == KIND_LINE:
        return 0.0
    p = arrays.geom_params
    if kind == KIND_ARC:
        return float(p[g, 0])
    if kind == KIND_SPIRAL:
        length = arrays.geom_length[g]
        rate = (p[g, 1] - p[g, 0]) / length if length > 0.0 else 0.0
        return float(p[g, 0] + rate * ds)
    _, _, _, k = geometry_point(arrays, g, ds)
    return k


@numba.njit(cache=True, nogil=True, inline="always")
def elevation_at(arrays: RoadArrays, road: int, s: float) -> tuple[float, float]:
    """``(z, dz/ds)`` of the road's elevation profile at ``s``."""
    return cubic_at(
        arrays.elevation, arrays.road_elev_start[road], arrays.road_elev_start[road + 1], s, 0.0
    )


@numba.njit(cache=True, nogil=True, inline="always")
def section_at(arrays: RoadArrays, road: int, s: float) -> int:
    """Global index of the lane section that holds ``s``."""
    return last_at_or_below(
        arrays.section_s,
        arrays.road_section_start[road],
        arrays.road_section_start[road + 1],
        s + 1e-9,
    )


@numba.njit(cache=True, nogil=True, inline="always")
def _width(arrays: RoadArrays, lane: int, ds: float) -> tuple[float, float]:
    return cubic_at(
        arrays.lane_width,
        arrays.lane_width_start[lane],
        arrays.lane_width_start[lane + 1],
        ds,
        0.0,
    )


@numba.njit(cache=True, nogil=True, inline="always")
def _lane_offset(arrays: RoadArrays, road: int, s: float) -> tuple[float, float]:
    """``(offset, d offset / ds)`` of the road's lane-offset line (its centre lane) at ``s``."""
    return cubic_at(
        arrays.lane_offset,
        arrays.road_offset_start[road],
        arrays.road_offset_start[road + 1],
        s,
        0.0,
    )


@numba.njit(cache=True, nogil=True, inline="always")
def lane_borders(
    arrays: RoadArrays, road: int, section: int, lane_id: int, s: float
) -> tuple[float, float, float, float]:
    """``(t_inner, t_outer, dt_inner/ds, dt_outer/ds)`` of a lane; ``nan`` if it is absent.

    Inner is the border nearer the centre lane; lane 0 gives the lane-offset line twice.
    """
    offset, d_offset = _lane_offset(arrays, road, s)
    first = arrays.section_lane_start[section]
    n_lanes = arrays.section_lane_start[section + 1] - first
    n_left = arrays.section_left_count[section]
    n_right = n_lanes - n_left - 1
    if lane_id > n_left or -lane_id > n_right:
        return math.nan, math.nan, math.nan, math.nan
    ds = s - arrays.section_s[section]
    inner = offset
    d_inner = d_offset
    side = 1.0 if lane_id > 0 else -1.0
    for k in range(1, abs(lane_id)):
        lane = first + n_left - int(side) * k
        w, dw = _width(arrays, lane, ds)
        inner += side * w
        d_inner += side * dw
    if lane_id == 0:
        return inner, inner, d_inner, d_inner
    w, dw = _width(arrays, first + n_left - lane_id, ds)
    return inner, inner + side * w, d_inner, d_inner + side * dw


@numba.njit(cache=True, nogil=True, inline="always")
def _fixed_lane_and_extent(arrays: RoadArrays, first: int, n_left: int, n_right: int,
                           lane_id: int) -> tuple[float, float, float, float]:
    """``lane_and_extent`` in a ``section_fixed`` section of a road without lane offset: the
    borders summed at compile time (the same sums, so the same bits)."""
    centre = first + n_left
    left = arrays.lane_border[first]
    right = arrays.lane_border[centre + n_right]
    if lane_id > n_left or -lane_id > n_right:
        return math.nan, math.nan, right, left
    lane = centre - lane_id
    inner = arrays.lane_border[lane + 1 if lane_id > 0 else lane - 1] if lane_id != 0 else 0.0
    return inner, arrays.lane_border[lane], right, left


@numba.njit(cache=True, nogil=True, inline="always")
def lane_and_extent(
    arrays: RoadArrays, road: int, lane_id: int, s: float
) -> tuple[float, float, float, float]:
    """``(t_inner, t_outer, t_right_edge, t_left_edge)``: ``lane_borders``' two borders of
    ``lane_id`` (``nan`` if absent) and ``road_extent`` at ``s``, in one pass.

    One section search and one lane-offset evaluation, and each lane's width once, instead of
    both functions' own (placing an entity needs both every step). The borders are summed
    outward in the same order as there, so the values are the same to the last bit.
    """
    section = section_at(arrays, road, s)
    first = arrays.section_lane_start[section]
    n_left = arrays.section_left_count[section]
    n_right = arrays.section_lane_start[section + 1] - first - n_left - 1
    if arrays.section_fixed[section] and s == s \
            and arrays.road_offset_start[road] == arrays.road_offset_start[road + 1]:
        return _fixed_lane_and_extent(arrays, first, n_left, n_right, lane_id)
    offset, _ = _lane_offset(arrays, road, s)
    ds = s - arrays.section_s[section]
    inner = outer = math.nan
    if lane_id == 0:
        inner = outer = offset
    left = offset
    for k in range(1, n_left + 1):
        if k == lane_id:
            inner = left
        w, _ = _width(arrays, first + n_left - k, ds)
        left += w
        if k == lane_id:
            outer = left
    right = offset
    for k in range(1, n_right + 1):
        if k == -lane_id:
            inner = right
        w, _ = _width(arrays, first + n_left + k, ds)
        right += -1.0 * w
        if k == -lane_id:
            outer = right
    return inner, outer, right, left


@numba.njit(cache=True, nogil=True, inline="always")
def locate_lane(arrays: RoadArrays, road: int, s: float, t: float) -> tuple[int, bool]:
    """``(lane_id, inside)``: the lane holding lateral offset ``t`` at ``s``.

    Outside the paved width the outermost lane on that side is returned with ``inside`` false.
    """
    section = section_at(arrays, road, s)
    center, _, _, _ = lane_borders(arrays, road, section, 0, s)
    n_left = arrays.section_left_count[section]
    n_lanes = arrays.section_lane_start[section + 1] - arrays.section_lane_start[section]
    n_right = n_lanes - n_left - 1
    side = 1 if t >= center else -1
    count = n_left if side > 0 else n_right
    if count == 0:
        return 0, abs(t - center) < 1e-9
    lane_id = 0
    for k in range(1, count + 1):
        lane_id = side * k
        _inner, outer, _, _ = lane_borders(arrays, road, section, lane_id, s)
        if (t - outer) * side <= 1e-9:
            return lane_id, True
    return lane_id, False


@numba.njit(cache=True, nogil=True, inline="always")
def road_extent(arrays: RoadArrays, road: int, s: float) -> tuple[float, float]:
    """``(t_right_edge, t_left_edge)``: lateral extent of all lanes at ``s``."""
    section = section_at(arrays, road, s)
    n_left = arrays.section_left_count[section]
    n_lanes = arrays.section_lane_start[section + 1] - arrays.section_lane_start[section]
    n_right = n_lanes - n_left - 1
    _, left, _, _ = lane_borders(arrays, road, section, n_left, s)
    _, right, _, _ = lane_borders(arrays, road, section, -n_right, s)
    return right, left
