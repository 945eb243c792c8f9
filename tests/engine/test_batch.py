"""The batch API: a batch of variants steps exactly like each variant alone, and external
controllers (a policy in the loop) drive through the dynamics model."""

from __future__ import annotations

import os
import time

import numpy as np
import numpy.typing as npt
import pytest

from simhub.engine import Observation, compile_batch, compile_scenario, rollout
from simhub.errors import InvalidArgument
from simhub.scenario import load, load_distribution
from tests.engine.conftest import LIBRARY


def test_batch_equals_each_episode_alone() -> None:
    variants = [c.scenario for c in load_distribution(LIBRARY / "ncap_ccrm_distribution.xosc")]
    chosen = variants[::23]
    batch = compile_batch(chosen, 0.01)
    singles = [compile_scenario(v, 0.01, log_events=False) for v in chosen]
    for _ in range(600):
        batch.step()
        for single in singles:
            single.step()
    for e, single in enumerate(singles):
        for name in ("x", "y", "heading", "speed", "s", "t"):
            np.testing.assert_array_equal(getattr(batch.world, name)[e],
                                          getattr(single.world, name)[0], err_msg=name)
        assert batch.metrics.min_ttc[e] == single.metrics.min_ttc[0]


def test_large_batches_in_shares_equal_one_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    """Large batches run movement and IDM drivers in shares of the episodes, one thread each
    (``simhub.engine.shares``); the result is the one thread's, bit for bit. Three shares of
    an uneven count, whatever the machine's cores."""
    from concurrent.futures import ThreadPoolExecutor

    from simhub.engine import shares

    variants = [c.scenario for c in load_distribution(LIBRARY / "ncap_ccrm_distribution.xosc")]
    chosen = variants + variants[:37]
    serial, parallel = compile_batch(chosen, 0.01), compile_batch(chosen, 0.01)
    with ThreadPoolExecutor(2) as pool:
        monkeypatch.setattr(shares, "_pool", lambda: (pool, 3))
        for _ in range(400):
            monkeypatch.setattr(shares, "PARALLEL_EPISODES", 10**9)
            serial.step()
            monkeypatch.setattr(shares, "PARALLEL_EPISODES", 1)
            parallel.step()
    for name in ("x", "y", "heading", "speed", "acceleration", "s", "t", "odometer",
                 "standstill_since"):
        np.testing.assert_array_equal(getattr(parallel.world, name),
                                      getattr(serial.world, name), err_msg=name)
    for name in ("collided", "collision_time", "min_ttc", "min_distance"):
        np.testing.assert_array_equal(getattr(parallel.metrics, name),
                                      getattr(serial.metrics, name), err_msg=name)
    assert len(np.unique(parallel.world.speed[:, 0])) > 10  # the IDM egos differ


def _external_ccrs(tmp_path):  # type: ignore[no-untyped-def]
    text = (LIBRARY / "ncap_ccrs.xosc").read_text()
    text = text.replace('<Property name="simhub" value="idm"/>',
                        '<Property name="simhub" value="external"/>')
    path = tmp_path / "external_ccrs.xosc"
    (tmp_path / "roads").symlink_to(LIBRARY / "roads")
    path.write_text(text)
    return load(path)


def test_external_controller_takes_controls_from_a_policy(tmp_path) -> None:  # type: ignore[no-untyped-def]
    scenario = _external_ccrs(tmp_path)
    batch = compile_batch([scenario, scenario], 0.01)
    assert batch.external == [0]

    def brake_in_episode_0(observation: Observation) -> npt.ArrayLike:
        controls = np.zeros((2, 1, 2))
        # episode 0 brakes until it stands, episode 1 coasts
        controls[0, 0, 1] = -6.0 if observation.speed[0, 0] > 0.06 else 0.0
        return controls

    rollout(batch, brake_in_episode_0, 8.0)
    assert batch.world.speed[0, 0] == pytest.approx(0.0, abs=0.07)
    assert not batch.metrics.collided[0]
    assert batch.metrics.collided[1]


def test_controls_of_the_wrong_shape_are_refused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    batch = compile_scenario(_external_ccrs(tmp_path))
    with pytest.raises(InvalidArgument, match="controls have shape"):
        batch.step(np.zeros((1, 2, 2)))


def test_same_run_twice_is_bit_identical() -> None:
    runs = []
    for _ in range(2):
        batch = compile_scenario(load(LIBRARY / "highway_merge.xosc"))
        batch.run(duration=3.0)
        runs.append(np.concatenate([batch.world.x.ravel(), batch.world.y.ravel()]))
    assert runs[0].tobytes() == runs[1].tobytes()


def test_a_forked_child_gets_its_own_share_threads() -> None:
    """A child forked after the parent ran shares inherits the pool object but none of its
    threads; it must start its own instead of waiting for them forever."""
    from simhub.engine import shares

    seen: list[int] = []
    shares.in_shares(lambda a, b: seen.append(b - a), 10)
    assert sum(seen) == 10
    pid = os.fork()
    if pid == 0:  # the child: exit 0 only when a share ran on a new thread and returned
        try:
            done: list[int] = []
            shares.in_shares(lambda a, b: done.append(b - a), 10)
            os._exit(0 if sum(done) == 10 else 1)
        finally:
            os._exit(2)
    start = time.monotonic()
    while time.monotonic() - start < 30:
        finished, status = os.waitpid(pid, os.WNOHANG)
        if finished:
            assert os.waitstatus_to_exitcode(status) == 0
            return
        time.sleep(0.05)
    os.kill(pid, 9)
    os.waitpid(pid, 0)
    raise AssertionError("the forked child waited for share threads it does not have")
