"""IDM and MOBIL: hand-checked answers and invariants of a following platoon."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simhub.dynamics import IdmParams, MobilParams, idm_accelerations, mobil_lane_changes
from simhub.dynamics.drivers import neighbours
from simhub.errors import InvalidArgument

LENGTH = 4.5  # [m]


def test_idm_free_road_and_standing_start() -> None:
    p = IdmParams()
    s = np.array([[0.0, 1000.0]])
    acc = idm_accelerations(s, [[0, 1]], [[0.0, 30.0]], np.full((1, 2), LENGTH), 30.0, 2, p)
    assert acc[0, 0] == pytest.approx(p.max_acceleration_m_s2)  # nobody ahead, standing
    assert acc[0, 1] == pytest.approx(0.0)  # at the desired speed


def test_idm_brakes_hard_behind_a_stopped_car() -> None:
    s = np.array([[0.0, 15.0]])  # 10.5 m gap, closing at 20 m/s
    acc = idm_accelerations(s, [[0, 0]], [[20.0, 0.0]], np.full((1, 2), LENGTH), 30.0, 1)
    assert acc[0, 0] < -IdmParams().comfortable_deceleration_m_s2
    assert acc[0, 1] > 0.0  # the stopped leader may drive off


def test_platoon_behind_an_emergency_stop_never_collides() -> None:
    rng = np.random.default_rng(11)
    episodes, vehicles, dt = 64, 8, 0.1
    gaps = rng.uniform(15.0, 60.0, (episodes, vehicles))
    s = np.cumsum(gaps + LENGTH, axis=1)  # the last slot leads
    speed = rng.uniform(15.0, 30.0, (episodes, vehicles))
    lane = np.zeros((episodes, vehicles), np.int64)
    length = np.full((episodes, vehicles), LENGTH)
    for _ in range(int(25 / dt)):
        acc = idm_accelerations(s, lane, speed, length, 30.0, 1)
        acc[:, -1] = -8.0  # the leader brakes at the limit of its tyres
        speed = np.maximum(speed + dt * acc, 0.0)
        s = s + dt * speed
        assert (np.diff(s, axis=1) - LENGTH > 0.0).all()
    assert (speed < 0.5).all()


def test_mobil_overtakes_a_slow_car_into_a_free_lane() -> None:
    s = np.array([[0.0, 30.0]])
    decision = mobil_lane_changes(
        s, [[0, 0]], [[30.0, 15.0]], np.full((1, 2), LENGTH), [[33.0, 15.0]], 2,
        params=MobilParams(politeness=0.0),
    )  # fmt: skip
    # The follower leaves; the slow car, without politeness, has no reason to.
    assert decision.tolist() == [[1, 0]]


def test_mobil_stays_when_the_target_lane_is_occupied_alongside() -> None:
    s = np.array([[0.0, 30.0, 1.0]])
    decision = mobil_lane_changes(
        s, [[0, 0, 1]], [[30.0, 15.0, 30.0]], np.full((1, 3), LENGTH), 33.0, 2
    )
    assert decision[0, 0] == 0


@settings(max_examples=50, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), lanes=st.integers(1, 4))
def test_mobil_never_leaves_the_road_and_neighbours_match_brute_force(
    seed: int, lanes: int
) -> None:
    rng = np.random.default_rng(seed)
    shape = (4, 20)
    s = rng.uniform(0, 500, shape)
    lane = rng.integers(-1, lanes, shape)
    speed = rng.uniform(0, 40, shape)
    decision = mobil_lane_changes(s, lane, speed, np.full(shape, LENGTH), 35.0, lanes)
    target = lane + decision
    assert ((target >= 0) & (target < lanes))[lane >= 0].all()
    assert (decision[lane < 0] == 0).all()
    for shift in (-1, 0, 1):
        leader, follower = neighbours(s, lane, lanes, shift)
        for e in range(shape[0]):
            for i in range(shape[1]):
                if lane[e, i] < 0:
                    continue
                others = [
                    j
                    for j in range(shape[1])
                    if j != i and lane[e, j] >= 0 and lane[e, j] == lane[e, i] + shift
                ]
                ahead = [j for j in others if (s[e, j], j) > (s[e, i], i)]
                behind = [j for j in others if (s[e, j], j) < (s[e, i], i)]
                assert leader[e, i] == (min(ahead, key=lambda j: (s[e, j], j)) if ahead else -1)
                assert follower[e, i] == (max(behind, key=lambda j: (s[e, j], j)) if behind else -1)


def test_bad_driver_inputs_are_rejected() -> None:
    with pytest.raises(InvalidArgument, match="speed of vehicle 1 in episode 0"):
        idm_accelerations([[0.0, 10.0]], [[0, 0]], [[1.0, np.nan]], [[4.0, 4.0]], 30.0, 1)
    with pytest.raises(InvalidArgument, match="lane indices"):
        mobil_lane_changes([[0.0, 10.0]], [[0, 3]], [[1.0, 1.0]], [[4.0, 4.0]], 30.0, 2)


def test_serial_and_parallel_kernels_agree_on_both_sides_of_the_threshold(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Small batches take the serial kernels, large ones the parallel: the same decisions and
    accelerations either way (forcing each path by moving the threshold)."""
    from simhub.dynamics import drivers

    rng = np.random.default_rng(11)
    for episodes in (1, 300):
        shape = (episodes, 6)
        s = rng.uniform(0.0, 200.0, shape)
        lane = rng.integers(-1, 3, shape)
        speed = rng.uniform(0.0, 35.0, shape)
        length = rng.uniform(4.0, 12.0, shape)
        results = []
        for threshold in (10**9, 1):  # serial, then parallel
            monkeypatch.setattr(drivers, "PARALLEL_FROM_VEHICLES", threshold)
            assert drivers._parallel(s) is (threshold == 1)
            results.append((idm_accelerations(s, lane, speed, length, 30.0, 3),
                            mobil_lane_changes(s, lane, speed, length, 30.0, 3),
                            *neighbours(s, lane, 3, 1)))
        for serial, parallel in zip(*results, strict=True):
            np.testing.assert_array_equal(serial, parallel)
        assert np.count_nonzero(results[0][1]) or episodes == 1
