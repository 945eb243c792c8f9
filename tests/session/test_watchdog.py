"""The watchdog on a real loop: lost controls brake the ego to a stop and park the platform in
neutral, within the watchdog limit; controls coming back restore the driver."""

from __future__ import annotations

import itertools
import threading
import time

from simhub.motion import M_NEUTRAL, M_POSE
from simhub.session import CreateRequest, EgoBinding, SessionMode, SessionService
from simhub.session import watchdog as wd
from simhub.session.fanout import Subscription
from simhub.session.frame import EventKind, Frame, SessionEvent
from simhub.session.model import BindingKind
from simhub.session.world import F_SPEED
from tests.session.conftest import control, engineer


class Driver:
    """Sends throttle at ~100 Hz from its own thread until told to stop."""

    def __init__(self, service: SessionService, session_id: str) -> None:
        self._service = service
        self._session_id = session_id
        self.sequence = 0
        self.running = threading.Event()
        self._quit = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._quit.is_set():
            if self.running.is_set():
                self.sequence += 1
                self._service.submit_control(
                    self._session_id, control("ego", self.sequence, throttle=0.4)
                )
            time.sleep(0.01)

    def close(self) -> None:
        self._quit.set()
        self._thread.join()


def collect(
    sub: Subscription, until: object, sim_limit_s: float = 15.0, wall_limit_s: float = 180.0
) -> tuple[list[Frame], list[SessionEvent]]:
    """Drains ``sub`` until ``until(frames, events)`` holds.

    Fails when the session's own clock has run ``sim_limit_s`` of simulated time without the
    condition (what the assertion is about), or when nothing comes for ``wall_limit_s`` (a hung
    loop). Wall time alone is not the measure: on a loaded machine (CI compiling numba kernels
    on both cores) the loop drops its backlog and simulated time runs slower than the wall.
    """
    frames: list[Frame] = []
    events: list[SessionEvent] = []
    deadline = time.monotonic() + wall_limit_s
    while time.monotonic() < deadline:
        got, evs, _ = sub.drain()
        frames += got
        events += evs
        if callable(until) and until(frames, events):
            return frames, events
        if frames and frames[-1].sim_time_s - frames[0].sim_time_s > sim_limit_s:
            raise AssertionError(f"condition not reached within {sim_limit_s} s of simulated time")
        time.sleep(0.005)
    raise AssertionError(f"condition not reached within {wall_limit_s} s of wall time")


def test_lost_controls_brake_to_stop_neutral_platform_then_recover(
    service: SessionService,
) -> None:
    principal = engineer()
    session = service.create(
        principal,
        CreateRequest(
            mode=SessionMode.VIRTUAL,
            egos=(EgoBinding("ego", BindingKind.CLIENT, "passenger", start_speed_m_s=10.0),),
        ),
    )
    frames_sub = service.subscribe(principal, session.id, lambda: None, capacity=100_000)
    events_sub = service.subscribe(principal, session.id, lambda: None, events=True)
    service.start(principal, session.id)
    driver = Driver(service, session.id)
    try:
        driver.running.set()
        frames, _ = collect(frames_sub, lambda f, e: len(f) > 30 and f[-1].ego_status[0] == wd.OK)
        driver.running.clear()  # the driver lets go
        _more, events = collect(
            events_sub,
            lambda f, e: any(ev.kind is EventKind.CONTROLS_LOST for ev in e),
        )
        frames += collect(frames_sub, lambda f, e: len(f) > 0 and f[-1].world[0, F_SPEED] == 0.0)[0]
        # give the platform time to reach neutral
        frames += collect(
            frames_sub,
            lambda f, e: len(f) > 0 and max(abs(f[-1].motion[M_POSE : M_POSE + 6])) < 1e-3,
        )[0]
        lost = next(ev for ev in events if ev.kind is EventKind.CONTROLS_LOST)
        assert lost.ego == "ego"

        # Within the watchdog limit: the loss is declared no later than 100 ms (plus one frame
        # of reporting) of simulated time after the last frame that counted a new input.
        accepted = [f for f in frames if f.control_counts[0] > 0]
        last_input = max(
            (f for f in accepted if f.control_counts[0] == accepted[-1].control_counts[0]),
            key=lambda f: -f.sequence,
        )
        assert lost.sim_time_s - last_input.sim_time_s <= 0.1 + 0.02

        after = [f for f in frames if f.sim_time_s > lost.sim_time_s]
        speeds = [float(f.world[0, F_SPEED]) for f in after]
        assert all(b <= a + 1e-9 for a, b in itertools.pairwise(speeds))  # brakes
        assert speeds[-1] == 0.0  # to a stop, and does not roll back
        assert all(f.ego_status[0] == wd.LOST for f in after)
        assert all(f.motion[M_NEUTRAL] == 1.0 for f in after[1:])  # platform told neutral
        assert max(abs(v) for v in after[-1].motion[M_POSE : M_POSE + 6]) < 1e-3

        driver.running.set()  # the driver is back
        _, events = collect(
            events_sub, lambda f, e: any(ev.kind is EventKind.CONTROLS_RESTORED for ev in e)
        )
        recovered = collect(frames_sub, lambda f, e: len(f) > 20 and f[-1].world[0, F_SPEED] > 0.5)[
            0
        ]
        assert recovered[-1].ego_status[0] == wd.OK
        assert recovered[-1].motion[M_NEUTRAL] == 0.0
    finally:
        driver.close()
    stopped = service.stop(principal, session.id)
    assert stopped.stats.controls_accepted == driver.sequence


def test_pause_freezes_the_world_and_resume_continues(service: SessionService) -> None:
    principal = engineer()
    session = service.create(
        principal,
        CreateRequest(
            mode=SessionMode.VIRTUAL,
            egos=(EgoBinding("ego", BindingKind.CLIENT, "passenger", start_speed_m_s=0.0),),
            physics_hz=500,
            frame_hz=50,
        ),
    )
    sub = service.subscribe(principal, session.id, lambda: None, capacity=100_000)
    service.start(principal, session.id)
    collect(sub, lambda f, e: len(f) >= 5)
    service.pause(principal, session.id)
    paused = collect(sub, lambda f, e: sum(fr.state.value == "paused" for fr in f) >= 10)[0]
    times = {f.sim_time_s for f in paused if f.state.value == "paused"}
    assert len(times) == 1  # frames keep coming; simulated time stands still
    service.start(principal, session.id)
    resumed = collect(sub, lambda f, e: len(f) >= 10 and f[-1].state.value == "running")[0]
    assert resumed[-1].sim_time_s > max(times)
    service.stop(principal, session.id)
