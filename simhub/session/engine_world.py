"""A live session's world from a scenario: multi-rate, cabin egos at 1 kHz, the storyboard and
its traffic through the scenario engine at a lower rate.

Design. The egos (entities whose controller is external) are stepped on the loop's thread at
the physics rate by ``simhub.dynamics`` with their cabins' vehicle parameters, exactly as in
``VehicleWorld``: what the driver feels and the motion platform renders never waits for the
engine. Everything else (storyboard, other entities, traffic drivers) is a
``simhub.engine.BatchWorld`` stepped at ``engine_hz`` (default 50 Hz) on a worker thread:

- every ``physics_hz / engine_hz`` ticks the loop hands the worker the egos' current state
  (x, y, yaw, speed, steering, longitudinal acceleration) and the simulation time, and returns;
- the worker writes the egos into the engine's world (its external entities: pose and speed,
  so the storyboard's conditions and the traffic drivers see the driven vehicles), steps the
  engine up to that time (at most ``MAX_CATCH_UP`` steps per request) with the egos'
  acceleration as their control, and publishes the other entities' states in a second buffer;
- the loop picks the newest result up at its next tick (a flag and one ``copyto``) and between
  results dead-reckons the other entities along their heading at their speed, so 100 Hz frames
  move smoothly although the engine runs at 50 Hz.

Limits. The other entities are one engine step plus the engine's compute time behind the egos
(about 20-40 ms at 50 Hz); a collision between an ego and an engine entity is found by the
engine on its own grid. When an engine step costs more than its period (today the engine costs
a few ms per step, more on a loaded machine) the storyboard runs slower than real time:
``engine_lag_s`` says by how much, and the loop is never delayed by it. The worker is a thread of
the loop's process, so its Python parts share the interpreter lock with the loop: the loop's
switch interval (``GcGuard``) bounds how long it waits for the lock, which shows as extra
lateness, not as a slower physics rate. Ego poses are the dynamics model's reference point,
written as the engine entity's position; the egos' road coordinates in the engine come from
the engine's own projection of that pose.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence

import numpy as np
from numba import njit

from simhub.engine import BatchWorld, compile_scenario
from simhub.errors import InvalidArgument
from simhub.facility.model import CabinSpec
from simhub.scenario import Scenario
from simhub.session.model import EgoBinding, TrafficConfig
from simhub.session.vehicle_world import VehicleWorld, place_ego
from simhub.session.world import (
    F_ACCEL_LONG,
    F_LENGTH,
    F_SPEED,
    F_STEERING,
    F_WIDTH,
    F_X,
    F_Y,
    F_YAW,
    N_FIELDS,
    EntityInfo,
    EntityKind,
    FloatArray,
)

DEFAULT_ENGINE_HZ = 50.0
MAX_CATCH_UP = 4  # engine steps per request when the engine has fallen behind


@njit(cache=True)
def dead_reckon(state: np.ndarray, first: int, dt: float) -> None:
    """Move rows ``first..`` of ``(n, N_FIELDS)`` *state* along their yaw at their speed."""
    for i in range(first, state.shape[0]):
        v = state[i, F_SPEED]
        state[i, F_X] += v * math.cos(state[i, F_YAW]) * dt
        state[i, F_Y] += v * math.sin(state[i, F_YAW]) * dt


def external_entities(batch: BatchWorld) -> list[str]:
    """Names of the entities a session's drivers take over (external controllers)."""
    return [batch.world.entities[k].name for k in batch.external]


class EngineWorld:
    """The multi-rate scenario world of a live session (see the module docstring)."""

    def __init__(
        self,
        scenario: Scenario,
        egos: Sequence[EgoBinding],
        cabins: Sequence[CabinSpec],
        physics_dt_s: float,
        *,
        engine_hz: float = DEFAULT_ENGINE_HZ,
        max_brake_deceleration_m_s2: float = 9.0,
    ) -> None:
        if not egos:
            raise InvalidArgument("a scenario session needs at least one ego")
        self._scenario = scenario
        self._engine_dt = 1.0 / engine_hz
        self._vehicle = cabins[0].vehicle
        self._batch = compile_scenario(
            scenario, self._engine_dt, vehicle_params=self._vehicle, ego=egos[0].name
        )
        w = self._batch.world
        names = [e.name for e in w.entities]
        external = external_entities(self._batch)
        unknown = [e.name for e in egos if e.name not in external]
        if unknown:
            raise InvalidArgument(
                f"{scenario.source}: egos {unknown} are not entities with an external controller "
                f"in the scenario; those are {external}"
            )
        self._ego_columns = np.array([names.index(e.name) for e in egos], np.int64)
        self._others = np.array(
            [k for k in range(len(names)) if k not in set(self._ego_columns.tolist())], np.int64
        )
        self._egos = VehicleWorld(
            egos,
            cabins,
            TrafficConfig(vehicles=0),
            physics_dt_s,
            max_brake_deceleration_m_s2=max_brake_deceleration_m_s2,
        )
        self._n_egos = len(egos)
        infos = list(self._egos.entities)
        infos += [EntityInfo(names[k], EntityKind.TRAFFIC, "engine") for k in self._others]
        self._entities = tuple(infos)
        self._state: FloatArray = np.zeros((len(infos), N_FIELDS))
        self._state[: self._n_egos] = self._egos.state
        self._ticks_per_engine = max(1, round(engine_hz and (1.0 / physics_dt_s) / engine_hz))
        self._tick = 0
        self._sim_time = 0.0
        # loop -> worker: ego rows and the time to step to; worker -> loop: other rows + time
        self._request: FloatArray = np.zeros((self._n_egos, N_FIELDS))
        self._request_time = 0.0
        self._result: FloatArray = np.zeros((len(self._others), N_FIELDS))
        self._result_time = 0.0
        self._controls: FloatArray = np.zeros((1, len(self._batch.external), 2))
        self._wake = threading.Event()
        self._busy = False  # a request is with the worker (written by the loop only)
        self._done = False  # the worker has a result (set by the worker, cleared by the loop)
        self._stop = False
        self._thread: threading.Thread | None = None
        self.engine_steps = 0
        self.engine_failure = ""

    # ---- the World port ----------------------------------------------------------------

    @property
    def entities(self) -> tuple[EntityInfo, ...]:
        return self._entities

    @property
    def state(self) -> FloatArray:
        return self._state

    @property
    def engine_lag_s(self) -> float:
        """How far the storyboard is behind the egos' simulation time [s]."""
        return max(0.0, self._sim_time - self._result_time)

    @property
    def storyboard_events(self) -> list[str]:
        """Storyboard transitions so far, as ``"t=1.23 s CutInEvent: startTransition"``."""
        return [f"t={e.time:.2f} s {e.element}: {e.state}" for e in self._batch.events]

    def warm_up(self) -> None:
        """Compile the engine (a throwaway copy is stepped) and the ego kernels, apply the
        scenario's init actions, place the egos where the scenario puts them, start the
        worker."""
        self._egos.warm_up()
        dead_reckon(np.zeros((1, N_FIELDS)), 0, 0.0)
        spare = compile_scenario(
            self._scenario, self._engine_dt, vehicle_params=self._vehicle, log_events=False
        )
        for _ in range(2):
            spare.step(np.zeros((1, len(spare.external), 2)))
        self._batch.step(self._controls)  # the init actions (teleports, initial speeds)
        w = self._batch.world
        for i, k in enumerate(self._ego_columns):
            place_ego(
                self._egos,
                i,
                float(w.x[0, k]),
                float(w.y[0, k]),
                float(w.heading[0, k]),
                float(w.speed[0, k]),
            )
        self._state[: self._n_egos] = self._egos.state
        self._collect(self._state[self._n_egos :])
        self._result_time = self._sim_time = w.time
        self._thread = threading.Thread(target=self._work, name="simhub-engine", daemon=True)
        self._thread.start()

    def step(self, controls: FloatArray, override_deceleration: FloatArray, dt: float) -> None:
        self._egos.step(controls, override_deceleration, dt)
        state = self._state
        state[: self._n_egos] = self._egos.state
        self._sim_time += dt
        self._tick += 1
        if self._done:
            results = state[self._n_egos :]
            np.copyto(results, self._result)
            dead_reckon(state, self._n_egos, self._sim_time - self._result_time)
            self._done = False
            self._busy = False
        else:
            dead_reckon(state, self._n_egos, dt)
        if not self._busy and self._tick >= self._ticks_per_engine:
            self._tick = 0
            np.copyto(self._request, state[: self._n_egos])
            self._request_time = self._sim_time
            self._busy = True
            self._wake.set()

    def close(self) -> None:
        self._stop = True
        self._wake.set()
        if self._thread is not None:
            self._thread.join(5.0)

    # ---- the worker thread -------------------------------------------------------------

    def _work(self) -> None:
        batch = self._batch
        w = batch.world
        external = list(batch.external)
        while True:
            self._wake.wait()
            self._wake.clear()
            if self._stop:
                return
            try:
                steps = 0
                while w.time < self._request_time - 1e-9 and steps < MAX_CATCH_UP:
                    self._feed_egos(external)
                    batch.step(self._controls)
                    steps += 1
                self.engine_steps += steps
                self._collect(self._result)
                self._result_time = w.time
            except Exception as exc:  # the engine failed: traffic freezes, egos drive on
                self.engine_failure = f"{type(exc).__name__}: {exc}"
                return
            self._done = True

    def _feed_egos(self, external: list[int]) -> None:
        """The egos' current state into the engine's external entities."""
        w = self._batch.world
        dyn = getattr(self._batch, "_dyn_state", None)  # the engine's own ego model state
        for i, k in enumerate(self._ego_columns):
            row = self._request[i]
            w.x[0, k], w.y[0, k] = row[F_X], row[F_Y]
            w.heading[0, k] = row[F_YAW] % (2 * math.pi)
            w.speed[0, k] = row[F_SPEED]
            j = external.index(int(k))
            self._controls[0, j, 1] = row[F_ACCEL_LONG]
            if dyn is not None and dyn.shape == (len(external), 5):
                dyn[j] = (row[F_X], row[F_Y], row[F_STEERING], row[F_SPEED], row[F_YAW])

    def _collect(self, out: FloatArray) -> None:
        """The engine's other entities as world-state rows (box centres)."""
        w = self._batch.world
        for r, k in enumerate(self._others):
            heading = w.heading[0, k]
            c, s = math.cos(heading), math.sin(heading)
            cx, cy = w.center_x[0, k], w.center_y[0, k]
            row = out[r]
            row[F_X] = w.x[0, k] + cx * c - cy * s
            row[F_Y] = w.y[0, k] + cx * s + cy * c
            row[F_YAW] = heading
            row[F_SPEED] = w.speed[0, k]
            row[F_ACCEL_LONG] = w.acceleration[0, k] if math.isfinite(w.acceleration[0, k]) else 0.0
            present = bool(w.present[0, k])
            row[F_LENGTH] = w.length[0, k] if present else 0.0
            row[F_WIDTH] = w.width[0, k] if present else 0.0
