"""Background-traffic drivers: IDM car following and MOBIL lane changes, batched over episodes.

Arrays are ``(E, V)``: E episodes of V vehicle slots. ``s`` [m] is each vehicle's centre along
its lane, ``lane`` its lane index ``0 .. lane_count - 1`` (``-1``: an empty slot), ``speed``
[m/s], ``length`` [m]. A vehicle's leader is the nearest vehicle ahead in the same lane; the
bumper-to-bumper gap is ``s_lead - s - (length_lead + length) / 2``.

IDM (Treiber, Hennecke, Helbing 2000), acceleration [m/s^2]::

    s*  = s0 + max(0, v T + v (v - v_lead) / (2 sqrt(a b)))
    acc = a (1 - (v / v0)^delta - (s* / gap)^2)          (no leader: the last term is 0)

with desired speed ``v0`` [m/s] per vehicle, time headway ``T`` [s], minimum gap ``s0`` [m],
maximum acceleration ``a`` and comfortable deceleration ``b`` [m/s^2], exponent ``delta``.

MOBIL (Kesting, Treiber, Helbing 2007): change to the adjacent lane that maximises
``acc'_self - acc_self + p (acc'_new_follower - acc_new_follower + acc'_old_follower -
acc_old_follower)`` when that exceeds the threshold ``a_th`` and the new follower's
acceleration after the change stays above ``-b_safe`` and no gap becomes negative.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from numba import njit, prange

from simhub.dynamics.integrate import PARALLEL_FROM_VEHICLES
from simhub.errors import FieldViolation, InvalidArgument

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def _parallel(s: np.ndarray) -> bool:
    """Whether a batch of ``s.size`` vehicle slots (E x V) takes the parallel kernels (the
    serial ones made the engine's MOBIL decisions of a highway merge ~8x cheaper)."""
    return bool(s.size >= PARALLEL_FROM_VEHICLES)


@dataclass(frozen=True)
class IdmParams:
    """IDM parameters shared by a batch (typical passenger-car values as defaults)."""

    time_headway_s: float = 1.5
    minimum_gap_m: float = 2.0
    max_acceleration_m_s2: float = 1.0
    comfortable_deceleration_m_s2: float = 1.5
    acceleration_exponent: float = 4.0


@dataclass(frozen=True)
class MobilParams:
    """MOBIL parameters shared by a batch."""

    politeness: float = 0.25
    threshold_m_s2: float = 0.2
    max_safe_deceleration_m_s2: float = 4.0


@njit(cache=True)
def idm(
    speed: float,
    gap: float,
    leader_speed: float,
    desired_speed: float,
    headway: float,
    min_gap: float,
    a_max: float,
    b_comf: float,
    exponent: float,
) -> float:
    """IDM acceleration [m/s^2] for one vehicle; ``gap = inf`` means no leader."""
    free: float = 1.0 - (max(speed, 0.0) / desired_speed) ** exponent
    if math.isinf(gap):
        return a_max * free
    wanted = min_gap + max(
        0.0, speed * headway + speed * (speed - leader_speed) / (2.0 * math.sqrt(a_max * b_comf))
    )
    safe_gap = max(gap, 1e-3)  # an overlapping leader asks for the hardest braking, not a NaN
    return a_max * (free - (wanted / safe_gap) ** 2)


@njit(cache=True)
def _neighbours_one(
    s: np.ndarray, lane: np.ndarray, lane_count: int, shift: int, leader: np.ndarray,
    follower: np.ndarray, e: int,
) -> None:  # fmt: skip
    order = np.argsort(s[e], kind="mergesort")
    last = np.full(lane_count, -1, np.int64)
    for j in order:  # ascending s: the last vehicle seen in a lane is the one just behind
        if lane[e, j] < 0:
            continue
        target = lane[e, j] + shift
        follower[e, j] = last[target] if 0 <= target < lane_count else -1
        last[lane[e, j]] = j
    last[:] = -1
    for j in order[::-1]:
        if lane[e, j] < 0:
            continue
        target = lane[e, j] + shift
        leader[e, j] = last[target] if 0 <= target < lane_count else -1
        last[lane[e, j]] = j


@njit(parallel=True, cache=True)
def _neighbours_parallel(
    s: np.ndarray, lane: np.ndarray, lane_count: int, shift: int
) -> tuple[np.ndarray, np.ndarray]:
    leader = np.full(s.shape, -1, np.int64)
    follower = np.full(s.shape, -1, np.int64)
    for e in prange(s.shape[0]):
        _neighbours_one(s, lane, lane_count, shift, leader, follower, e)
    return leader, follower


@njit(cache=True)
def _neighbours_serial(
    s: np.ndarray, lane: np.ndarray, lane_count: int, shift: int
) -> tuple[np.ndarray, np.ndarray]:
    leader = np.full(s.shape, -1, np.int64)
    follower = np.full(s.shape, -1, np.int64)
    for e in range(s.shape[0]):
        _neighbours_one(s, lane, lane_count, shift, leader, follower, e)
    return leader, follower


def neighbours(
    s: np.ndarray, lane: np.ndarray, lane_count: int, shift: int
) -> tuple[np.ndarray, np.ndarray]:
    """Leader and follower index ``(E, V)`` in lane ``lane + shift`` (-1: none)."""
    kernel = _neighbours_parallel if _parallel(s) else _neighbours_serial
    leader: np.ndarray
    follower: np.ndarray
    leader, follower = kernel(s, lane, lane_count, shift)
    return leader, follower


@njit(cache=True)
def _accel_behind(
    i: int, j: int, e: int, s: np.ndarray, speed: np.ndarray, length: np.ndarray,
    desired: np.ndarray, idm_p: np.ndarray,
) -> float:  # fmt: skip
    """IDM acceleration of vehicle i when j (or nobody, j < 0) leads it."""
    if j < 0:
        gap = math.inf
        lead_speed = 0.0
    else:
        gap = s[e, j] - s[e, i] - 0.5 * (length[e, j] + length[e, i])
        lead_speed = speed[e, j]
    return idm(
        speed[e, i], gap, lead_speed, desired[e, i], idm_p[0], idm_p[1], idm_p[2], idm_p[3],
        idm_p[4],
    )  # fmt: skip


@njit(cache=True)
def _idm_one(e, s, lane, speed, length, desired, idm_p, leader, acc):  # type: ignore[no-untyped-def]
    for i in range(s.shape[1]):
        if lane[e, i] >= 0:
            acc[e, i] = _accel_behind(i, leader[e, i], e, s, speed, length, desired, idm_p)


@njit(parallel=True, cache=True)
def _idm_parallel(s, lane, speed, length, desired, idm_p, leader):  # type: ignore[no-untyped-def]
    acc = np.zeros(s.shape)
    for e in prange(s.shape[0]):
        _idm_one(e, s, lane, speed, length, desired, idm_p, leader, acc)
    return acc


@njit(cache=True)
def _idm_serial(s, lane, speed, length, desired, idm_p, leader):  # type: ignore[no-untyped-def]
    acc = np.zeros(s.shape)
    for e in range(s.shape[0]):
        _idm_one(e, s, lane, speed, length, desired, idm_p, leader, acc)
    return acc


@njit(cache=True)
def _gap(e: int, behind: int, ahead: int, s: np.ndarray, length: np.ndarray) -> float:
    if behind < 0 or ahead < 0:
        return math.inf
    return s[e, ahead] - s[e, behind] - 0.5 * (length[e, ahead] + length[e, behind])  # type: ignore[no-any-return]


@njit(cache=True)
def _mobil_one(  # type: ignore[no-untyped-def]
    e, decision, s, lane, lane_count, speed, length, desired, idm_p, mobil_p, lead, follow,
    lead_l, follow_l, lead_r, follow_r,
):
    for i in range(s.shape[1]):
        if lane[e, i] < 0:
            continue
        acc_self = _accel_behind(i, lead[e, i], e, s, speed, length, desired, idm_p)
        old_f = follow[e, i]
        old_gain = 0.0
        if old_f >= 0:
            old_gain = _accel_behind(
                old_f, lead[e, i], e, s, speed, length, desired, idm_p
            ) - _accel_behind(old_f, i, e, s, speed, length, desired, idm_p)
        best = mobil_p[1]
        for side in range(2):
            new_l = lead_l[e, i] if side == 0 else lead_r[e, i]
            new_f = follow_l[e, i] if side == 0 else follow_r[e, i]
            target = lane[e, i] + (-1 if side == 0 else 1)
            if target < 0 or target >= lane_count:
                continue
            if _gap(e, i, new_l, s, length) <= 0.0 or _gap(e, new_f, i, s, length) <= 0.0:
                continue
            new_gain = 0.0
            if new_f >= 0:
                after = _accel_behind(new_f, i, e, s, speed, length, desired, idm_p)
                if after < -mobil_p[2]:
                    continue
                new_gain = after - _accel_behind(
                    new_f, new_l, e, s, speed, length, desired, idm_p
                )
            own = _accel_behind(i, new_l, e, s, speed, length, desired, idm_p) - acc_self
            incentive = own + mobil_p[0] * (new_gain + old_gain)
            if incentive > best:
                best = incentive
                decision[e, i] = -1 if side == 0 else 1


@njit(parallel=True, cache=True)
def _mobil_parallel(  # type: ignore[no-untyped-def]
    s, lane, lane_count, speed, length, desired, idm_p, mobil_p, lead, follow, lead_l,
    follow_l, lead_r, follow_r,
):
    decision = np.zeros(s.shape, np.int64)
    for e in prange(s.shape[0]):
        _mobil_one(e, decision, s, lane, lane_count, speed, length, desired, idm_p, mobil_p,
                   lead, follow, lead_l, follow_l, lead_r, follow_r)
    return decision


@njit(cache=True)
def _mobil_serial(  # type: ignore[no-untyped-def]
    s, lane, lane_count, speed, length, desired, idm_p, mobil_p, lead, follow, lead_l,
    follow_l, lead_r, follow_r,
):
    decision = np.zeros(s.shape, np.int64)
    for e in range(s.shape[0]):
        _mobil_one(e, decision, s, lane, lane_count, speed, length, desired, idm_p, mobil_p,
                   lead, follow, lead_l, follow_l, lead_r, follow_r)
    return decision


def _idm_array(p: IdmParams) -> FloatArray:
    values = np.array(
        [
            p.time_headway_s,
            p.minimum_gap_m,
            p.max_acceleration_m_s2,
            p.comfortable_deceleration_m_s2,
            p.acceleration_exponent,
        ]
    )
    if not (np.isfinite(values).all() and (values > 0).all()):
        raise InvalidArgument(
            "IDM parameters must be finite and > 0", [FieldViolation("idm", str(p))]
        )
    return values


def _validate(
    s: FloatArray, lane: IntArray, speed: FloatArray, length: FloatArray, desired: FloatArray,
    lane_count: int,
) -> None:  # fmt: skip
    shape = s.shape
    for name, array in (("lane", lane), ("speed", speed), ("length", length)):
        if array.shape != shape:
            raise InvalidArgument(
                f"{name} has shape {array.shape}, s has {shape}",
                [FieldViolation(name, f"must have the shape of s, {shape}")],
            )
    if desired.shape != shape:
        raise InvalidArgument(
            "desired_speed does not match s",
            [FieldViolation("desired_speed", f"must broadcast to {shape}")],
        )
    active = lane >= 0
    for name, array, low in (
        ("s", s, -math.inf), ("speed", speed, -math.inf), ("length", length, 0.0),
        ("desired_speed", desired, 0.0),
    ):  # fmt: skip
        bad = active & ~(np.isfinite(array) & (array > low))
        if bad.any():
            e, v = (int(k) for k in np.argwhere(bad)[0])
            raise InvalidArgument(
                f"{name} of vehicle {v} in episode {e} is {array[e, v]}",
                [FieldViolation(f"{name}[{e}, {v}]", f"must be finite and > {low}")],
            )
    if lane_count < 1 or (lane >= lane_count).any():
        raise InvalidArgument(
            f"lane indices must lie in [0, {lane_count}) (or -1 for an empty slot)",
            [FieldViolation("lane", f"max {int(lane.max(initial=-1))}, lane_count {lane_count}")],
        )


def _arrays(
    s: object, lane: object, speed: object, length: object, desired_speed: object
) -> tuple[FloatArray, IntArray, FloatArray, FloatArray, FloatArray]:
    s_a = np.ascontiguousarray(s, dtype=np.float64)
    if s_a.ndim != 2:
        raise InvalidArgument(
            f"s has {s_a.ndim} dimensions", [FieldViolation("s", "must be (episodes, vehicles)")]
        )
    lane_a = np.ascontiguousarray(lane, dtype=np.int64)
    speed_a = np.ascontiguousarray(speed, dtype=np.float64)
    length_a = np.ascontiguousarray(length, dtype=np.float64)
    desired_a = np.ascontiguousarray(
        np.broadcast_to(np.asarray(desired_speed, dtype=np.float64), s_a.shape)
    )
    return s_a, lane_a, speed_a, length_a, desired_a


def idm_accelerations(
    s: object, lane: object, speed: object, length: object, desired_speed: object,
    lane_count: int, params: IdmParams = IdmParams(),
) -> FloatArray:  # fmt: skip
    """IDM acceleration [m/s^2] of every vehicle behind its leader, ``(E, V)``; empty slots 0."""
    s_a, lane_a, speed_a, length_a, desired_a = _arrays(s, lane, speed, length, desired_speed)
    _validate(s_a, lane_a, speed_a, length_a, desired_a, lane_count)
    leader, _ = neighbours(s_a, lane_a, lane_count, 0)
    kernel = _idm_parallel if _parallel(s_a) else _idm_serial
    result: FloatArray = kernel(
        s_a, lane_a, speed_a, length_a, desired_a, _idm_array(params), leader
    )
    return result


def mobil_lane_changes(
    s: object, lane: object, speed: object, length: object, desired_speed: object,
    lane_count: int, idm_params: IdmParams = IdmParams(), params: MobilParams = MobilParams(),
) -> IntArray:  # fmt: skip
    """MOBIL decision per vehicle, ``(E, V)``: -1 to lane - 1, +1 to lane + 1, 0 stay."""
    s_a, lane_a, speed_a, length_a, desired_a = _arrays(s, lane, speed, length, desired_speed)
    _validate(s_a, lane_a, speed_a, length_a, desired_a, lane_count)
    mobil_p = np.array(
        [params.politeness, params.threshold_m_s2, params.max_safe_deceleration_m_s2]
    )
    if not (np.isfinite(mobil_p).all() and (mobil_p >= 0).all()):
        raise InvalidArgument(
            "MOBIL parameters must be finite and >= 0", [FieldViolation("mobil", str(params))]
        )
    lead, follow = neighbours(s_a, lane_a, lane_count, 0)
    lead_l, follow_l = neighbours(s_a, lane_a, lane_count, -1)
    lead_r, follow_r = neighbours(s_a, lane_a, lane_count, 1)
    kernel = _mobil_parallel if _parallel(s_a) else _mobil_serial
    result: IntArray = kernel(
        s_a, lane_a, lane_count, speed_a, length_a, desired_a, _idm_array(idm_params), mobil_p,
        lead, follow, lead_l, follow_l, lead_r, follow_r,
    )  # fmt: skip
    return result


def warm_up() -> None:
    """Compile the driver kernels (or load them from numba's cache)."""
    s = np.array([[0.0, 20.0]])
    lane = np.array([[0, 0]], np.int64)
    mobil_lane_changes(s, lane, np.ones((1, 2)), np.full((1, 2), 4.0), 10.0, 2)
    idm_accelerations(s, lane, np.ones((1, 2)), np.full((1, 2), 4.0), 10.0, 2)
