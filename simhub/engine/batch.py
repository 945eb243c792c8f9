"""Compile scenarios into a ``BatchWorld`` and step it: the engine's entry point.

``compile_batch(scenarios, dt)`` takes concrete variants of one scenario (same structure,
numbers may differ: a parameter sweep) and returns a ``BatchWorld`` whose arrays have an
episode axis; ``BatchWorld.step(controls)`` advances every episode by ``dt`` with one pass of
array code, so thousands of episodes step without a Python loop per episode.
``compile_scenario(scenario)`` is the one-episode case.

Order within a step (as esmini): the storyboard runs at the current time (triggers, then
actions), drivers and external controls act, time advances by ``dt``, entities move, and
derived states (collisions, stand-still, end of road) are updated.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from simhub.engine import shares
from simhub.engine.actions import advance_followers
from simhub.engine.compile import build_storyboard, entity_table
from simhub.engine.context import Context, LogEntry
from simhub.engine.controllers import controller_spec, merge_specs
from simhub.engine.physics import (
    advance,
    advance_episodes,
    advance_road,
    contacts,
    derive_all,
    derive_states,
    ego_metrics,
    place_road,
)
from simhub.engine.storyboard import Storyboard
from simhub.engine.tracking import track_dynamics
from simhub.engine.traffic import Traffic
from simhub.engine.world import MODE_DYNAMICS, World
from simhub.errors import InvalidArgument
from simhub.road import RoadNetwork, load_opendrive
from simhub.scenario import Scenario

if TYPE_CHECKING:
    from simhub.dynamics import Stepper
    from simhub.engine.fused import Plan as FusedPlan
    from simhub.facility.model import VehicleParams

F64 = npt.NDArray[np.float64]
B = npt.NDArray[np.bool_]



@lru_cache(maxsize=16)
def _road(path: str, mtime: float) -> RoadNetwork:
    return load_opendrive(path)


def road_network(scenario: Scenario) -> RoadNetwork | None:
    """The scenario's OpenDRIVE network (cached per file), or None."""
    if scenario.road_file is None:
        return None
    if not scenario.road_file.is_file():
        raise InvalidArgument(f"{scenario.source}: road file {scenario.road_file} not found")
    return _road(str(scenario.road_file), scenario.road_file.stat().st_mtime)


@dataclass
class Metrics:
    """Safety metrics per episode, every array ``(E,)``.

    ``collided``: the ego touched another entity; ``collision_time`` [s] the first contact
    (NaN if none); ``min_ttc`` [s] the smallest time to collision with an entity ahead of the
    ego; ``min_distance`` [m] the smallest box-to-box distance to any other entity.
    """

    collided: B
    collision_time: F64
    min_ttc: F64
    min_distance: F64


class BatchWorld:
    """E episodes of one scenario, stepped together with a fixed ``dt`` [s].

    ``world`` holds the state arrays (``(E, N)``), ``external`` the entity columns whose
    controller is external: ``step(controls)`` takes ``controls`` of shape
    ``(E, len(external), 2)``: steering rate [rad/s] and longitudinal acceleration [m/s^2],
    the inputs of the vehicle dynamics model (``simhub.dynamics``).
    """

    def __init__(self, scenarios: Sequence[Scenario], dt: float, log_events: bool,
                 vehicle_params: VehicleParams | None, ego: str | None) -> None:
        if not scenarios:
            raise InvalidArgument("compile_batch needs at least one scenario")
        if not (math.isfinite(dt) and dt > 0):
            raise InvalidArgument(f"dt = {dt}: the step must be a finite number of s > 0")
        self.dt = float(dt)
        self.scenarios = tuple(scenarios)
        source = str(scenarios[0].source or "<scenario>")
        network = road_network(scenarios[0])
        for other in scenarios[1:]:
            if other.road_file != scenarios[0].road_file:
                raise InvalidArgument(f"{source}: variants of a batch must share the road file")
        entities, fill = entity_table(scenarios, source)
        world = World.empty(entities, len(scenarios))
        fill(world)
        self.world = world
        self.network = network
        document = scenarios[0].document
        self.ctx = Context(world, network, self.dt, source, log=[] if log_events else None,
                           signal_controllers=document.road_network.traffic_signal_controllers)
        self._parameters(scenarios)
        self._object_controllers(scenarios)
        self.storyboard: Storyboard = build_storyboard(scenarios, self.ctx)
        self.traffic = Traffic(self.ctx)
        self.external = sorted(k for k, s in self.ctx.controllers.items() if s.kind == "external")
        self._assigned_external(scenarios)
        self.vehicle_params = vehicle_params
        self._stepper: Stepper | None = None
        self._dyn_state = np.zeros((world.episodes * len(self.external), 5))
        self._dyn_ready = np.zeros((world.episodes, len(self.external)), np.bool_)
        self._lost: B | None = None  # where the incremental road projection failed, (E, J)
        self._fused: FusedPlan | str | None = None  # run's kernel plan, or why there is none
        self._road_tables: tuple[Any, ...] | None = None  # tuple(network.arrays), for advance
        self.ego = self._ego_column(ego)
        n = world.episodes
        self.metrics = Metrics(np.zeros(n, np.bool_), np.full(n, np.nan), np.full(n, np.inf),
                               np.full(n, np.inf))
        self.storyboard.start(self.ctx)
        self._place()
        self._previous_speed = np.zeros_like(world.speed)
        self._derive()

    # -- set-up ---------------------------------------------------------------------------

    def _parameters(self, scenarios: Sequence[Scenario]) -> None:
        def column(values: list[str]) -> npt.NDArray[Any]:
            try:
                return np.array([float(v) for v in values], dtype=np.float64)
            except ValueError:
                return np.array(values, dtype=object)

        names = [d.name for d in scenarios[0].document.parameter_declarations]
        for name in names:
            values = []
            for scenario in scenarios:
                declared = {d.name: d.value for d in scenario.document.parameter_declarations}
                values.append(scenario.parameters.get(name, declared.get(name, "")))
            self.ctx.parameters[name] = column(values)
        for declaration in scenarios[0].document.variable_declarations:
            values = [next(v.value for v in s.document.variable_declarations
                           if v.name == declaration.name) for s in scenarios]
            self.ctx.variables[declaration.name] = column(values)

    def _object_controllers(self, scenarios: Sequence[Scenario]) -> None:
        everyone = np.ones(self.world.episodes, np.bool_)
        objects = [s.document.entities.scenario_objects for s in scenarios]
        for k, obj in enumerate(objects[0]):
            for i, _ in enumerate(obj.object_controllers):
                spec = merge_specs([controller_spec(o[k].object_controllers[i].controller,
                                                    self.ctx) for o in objects], self.ctx.source)
                self.ctx.assign_controller(k, spec, everyone, True, True)

    def _assigned_external(self, scenarios: Sequence[Scenario]) -> None:
        from simhub.scenario import actions as a

        def walk(node: Any) -> None:
            if isinstance(node, a.AssignControllerAction):
                spec = controller_spec(node.controller, self.ctx)
                if spec.kind == "external":
                    found.add(spec.name)
            elif isinstance(node, tuple):
                for item in node:
                    walk(item)
            elif hasattr(node, "__dataclass_fields__"):
                for name in node.__dataclass_fields__:
                    walk(getattr(node, name))

        found: set[str] = set()
        walk(scenarios[0].document.storyboard)
        if found:
            for stories in scenarios[0].document.storyboard.init.actions.privates:
                for action in stories.actions:
                    if isinstance(action, a.AssignControllerAction):
                        k = self.ctx.entity(stories.entity_ref, "Private")
                        if k not in self.external:
                            self.external.append(k)
            self.external.sort()

    def _ego_column(self, ego: str | None) -> int:
        names = [e.name for e in self.world.entities]
        if ego is not None:
            return self.ctx.entity(ego, "ego")
        for i, name in enumerate(names):
            if name.lower() in ("ego", "hero"):
                return i
        return self.external[0] if self.external else 0

    # -- stepping -------------------------------------------------------------------------

    @property
    def done(self) -> B:
        """Episodes whose storyboard has ended, ``(E,)``."""
        return ~self.storyboard.running

    @property
    def time(self) -> float:
        return self.world.time

    @property
    def events(self) -> list[LogEntry]:
        """Storyboard transitions so far (only when compiled with ``log_events``)."""
        return [] if self.ctx.log is None else self.ctx.log

    @property
    def warnings(self) -> list[str]:
        return self.ctx.warnings

    def step(self, controls: npt.ArrayLike | None = None) -> None:
        """Advance every episode by ``dt``; ``controls`` as in the class docstring.

        Episodes whose storyboard has ended keep moving as they were (their entities do not
        freeze), so a batch can be stepped for a fixed horizon.
        """
        ctx = self.ctx
        w = self.world
        self.storyboard.step(ctx)
        previous_speed = self._previous_speed
        previous_speed[...] = w.speed
        self.traffic.step(ctx)
        if self.external:
            self._external(controls)
        w.time = (w.frame + 1) * self.dt
        w.frame += 1
        if np.count_nonzero(w.time_of_day_animated):
            w.time_of_day[w.time_of_day_animated] += self.dt
        m = self.metrics
        if self.network is not None and not ctx.followers and not self.external:
            if self._road_tables is None:
                self._road_tables = tuple(self.network.arrays)
            args = (self._road_tables, w.mode, w.present, w.road, w.lane, w.s, w.lane_offset,
                    w.direction, w.heading_offset, w.speed, previous_speed, self.dt, w.time,
                    self.ego, w.odometer, w.end_of_road, w.x, w.y, w.z, w.heading, w.pitch, w.t,
                    w.on_road, w.acceleration, w.standstill_since, w.end_of_road_since,
                    w.off_road_since, w.length, w.width, w.center_x, w.center_y,
                    ctx.traffic_visible, w.colliding, m.collided, m.collision_time, m.min_ttc,
                    m.min_distance)
            shares.run(advance, advance_episodes, w.episodes, *args)
            return
        self._move()
        derive_all(w.time, self.ego, w.speed, previous_speed, self.dt, w.acceleration,
                   w.end_of_road, w.on_road, w.standstill_since, w.end_of_road_since,
                   w.off_road_since, w.x, w.y, w.heading, w.length, w.width, w.center_x,
                   w.center_y, w.present, ctx.traffic_visible, w.colliding, m.collided,
                   m.collision_time, m.min_ttc, m.min_distance)

    def run(self, duration: float | None = None, max_steps: int = 10_000_000, *,
            fused: bool = True) -> None:
        """Step until every storyboard has ended or ``duration`` [s] has passed.

        With ``fused`` (the default) a batch the fused kernel supports (``fused_reason`` is
        None) runs all its steps inside one numba kernel (``simhub.engine.fused``), with the
        same results as stepping; ``fused=False`` always steps in Python.
        """
        if fused and self.fused_reason is None:
            from simhub.engine.fused import run

            assert self._fused is not None and not isinstance(self._fused, str)
            run(self._fused, duration, max_steps)
            return
        steps = 0
        while steps < max_steps:
            if duration is not None and self.world.time >= duration - 1e-9:
                return
            if duration is None and not self.storyboard.root.any_running:
                return  # every storyboard has ended
            self.step()
            steps += 1

    @property
    def fused_reason(self) -> str | None:
        """Why ``run`` steps in Python rather than in the fused kernel, or None."""
        if self._fused is None:
            from simhub.engine.fused import plan

            self._fused = plan(self)
        if isinstance(self._fused, str):
            return self._fused
        return self._fused.usable()

    def _external(self, controls: npt.ArrayLike | None) -> None:
        w = self.world
        n_ext = len(self.external)
        inputs = np.zeros((w.episodes, n_ext, 2)) if controls is None else np.asarray(
            controls, dtype=np.float64)
        if inputs.shape != (w.episodes, n_ext, 2):
            raise InvalidArgument(f"controls have shape {inputs.shape}; expected "
                                  f"({w.episodes}, {n_ext}, 2): steering rate [rad/s] and "
                                  "acceleration [m/s^2] per episode and external entity")
        if self._stepper is None:
            from simhub.dynamics import Stepper  # the KS model, for external drivers only
            from simhub.facility.model import VehicleModel

            self._stepper = Stepper(VehicleModel.KS, self._param_rows(), w.episodes * n_ext,
                                    self.dt, param_rows=np.tile(np.arange(n_ext), w.episodes),
                                    road_friction=1.0)
        cols = np.array(self.external)
        active = w.mode[:, cols] == MODE_DYNAMICS
        state = self._dyn_state.reshape(w.episodes, n_ext, 5)
        fresh = active & ~self._dyn_ready
        if fresh.any():
            rows_e, rows_j = np.nonzero(fresh)
            picked = cols[rows_j]
            state[rows_e, rows_j, 0] = w.x[rows_e, picked]
            state[rows_e, rows_j, 1] = w.y[rows_e, picked]
            state[rows_e, rows_j, 2] = 0.0
            state[rows_e, rows_j, 3] = w.speed[rows_e, picked]
            state[rows_e, rows_j, 4] = w.heading[rows_e, picked]
            self._dyn_ready |= fresh
        self._stepper.road_friction = np.ascontiguousarray(np.repeat(w.friction, n_ext))
        self._stepper.step(self._dyn_state, inputs.reshape(-1, 2), out=self._dyn_state)
        state = self._dyn_state.reshape(w.episodes, n_ext, 5)
        for j, column in enumerate(cols):
            rows = active[:, j]
            w.speed[rows, column] = state[rows, j, 3]

    def _param_rows(self) -> F64:
        from simhub.dynamics import param_row

        rows = []
        for k in self.external:
            params = self.vehicle_params or _params_from_entity(self.world, k)
            rows.append(param_row(params))
        return np.array(rows)

    def _move(self) -> None:
        ctx, w = self.ctx, self.world
        if self.network is not None:
            advance_road(self.network.arrays, w.mode, w.present, w.road, w.s, w.t, w.direction,
                         w.speed, w.heading_offset, self.dt, w.odometer, w.end_of_road)
        if ctx.followers:
            advance_followers(ctx)
        if self.external:
            self._move_dynamics()
        self._place()

    def _move_dynamics(self) -> None:
        w = self.world
        cols = np.array(self.external, dtype=np.int64)
        state = self._dyn_state.reshape(w.episodes, len(cols), 5)
        lost = self._lost
        if lost is None or lost.shape != (w.episodes, len(cols)):
            lost = self._lost = np.zeros((w.episodes, len(cols)), np.bool_)
        if self.network is None:
            for j, k in enumerate(cols):
                rows = w.mode[:, k] == MODE_DYNAMICS
                w.odometer[rows, k] += np.hypot(state[rows, j, 0] - w.x[rows, k],
                                                state[rows, j, 1] - w.y[rows, k])
                w.x[rows, k] = state[rows, j, 0]
                w.y[rows, k] = state[rows, j, 1]
                w.heading[rows, k] = np.mod(state[rows, j, 4], 2 * math.pi)
            return
        track_dynamics(self.network.arrays, cols, state, w.mode, w.x, w.y, w.heading,
                       w.odometer, w.road, w.s, w.t, w.lane, w.lane_offset, w.direction,
                       w.heading_offset, w.on_road, w.z, w.pitch, lost)
        if not lost.any():
            return
        from simhub.engine.positions import at_world

        for j, k in enumerate(cols):
            rows = lost[:, j]
            if not rows.any():
                continue
            placed = at_world(self.ctx, w.x[rows, k], w.y[rows, k], None, w.heading[rows, k])
            for name, src in (("road", "road"), ("s", "s"), ("t", "t"), ("lane", "lane"),
                              ("lane_offset", "offset"), ("direction", "direction"),
                              ("heading_offset", "heading_offset"), ("on_road", "on_road"),
                              ("z", "z"), ("pitch", "pitch")):
                getattr(w, name)[rows, k] = getattr(placed, src)

    def _place(self) -> None:
        w = self.world
        if self.network is None:
            return
        place_road(self.network.arrays, w.mode, w.present, w.road, w.lane, w.s, w.lane_offset,
                   w.direction, w.heading_offset, w.x, w.y, w.z, w.heading, w.pitch, w.t,
                   w.on_road)

    def _derive(self) -> None:
        w, m = self.world, self.metrics
        derive_states(w.time, w.speed, w.end_of_road, w.on_road, w.standstill_since,
                      w.end_of_road_since, w.off_road_since)
        contacts(w.x, w.y, w.heading, w.length, w.width, w.center_x, w.center_y, w.present,
                 self.ctx.traffic_visible, w.colliding)
        ego_metrics(w.time, self.ego, w.x, w.y, w.heading, w.speed, w.length, w.width,
                    w.center_x, w.center_y, w.present, w.colliding, m.collided,
                    m.collision_time, m.min_ttc, m.min_distance)


def _params_from_entity(world: World, k: int) -> VehicleParams:
    """Kinematic single-track parameters from an entity's box (wheelbase 60 % of length)."""
    from simhub.facility.model import VehicleModel, VehicleParams

    length = float(world.length[0, k]) or 4.5
    width = float(world.width[0, k]) or 1.8
    wheelbase = 0.6 * length
    return VehicleParams(
        model=VehicleModel.KS, parameter_source="scenario bounding box", length_m=length,
        width_m=width, mass_kg=1500.0, yaw_inertia_kg_m2=2500.0,
        cog_to_front_axle_m=wheelbase / 2, cog_to_rear_axle_m=wheelbase / 2, cog_height_m=0.55,
        steering_angle_min_rad=-0.9, steering_angle_max_rad=0.9, steering_rate_min_rad_s=-0.8,
        steering_rate_max_rad_s=0.8, speed_min_m_s=-10.0,
        speed_max_m_s=float(world.max_speed[0, k]), switching_speed_m_s=7.3,
        acceleration_max_m_s2=float(world.max_acceleration[0, k]), friction_coefficient=1.05,
        cornering_stiffness_front_per_rad=20.9, cornering_stiffness_rear_per_rad=20.9)


def compile_batch(scenarios: Sequence[Scenario], dt: float = 0.01, *, log_events: bool = False,
                  vehicle_params: VehicleParams | None = None,
                  ego: str | None = None) -> BatchWorld:
    """Compile concrete variants of one scenario into a ``BatchWorld`` (episode axis = the
    order of ``scenarios``); ``vehicle_params`` sets the dynamics of external entities."""
    return BatchWorld(scenarios, dt, log_events, vehicle_params, ego)


def compile_scenario(scenario: Scenario, dt: float = 0.01, *, log_events: bool = True,
                     vehicle_params: VehicleParams | None = None,
                     ego: str | None = None) -> BatchWorld:
    """One scenario as a batch of one episode, with its event log on by default."""
    return BatchWorld([scenario], dt, log_events, vehicle_params, ego)


def load_batch(path: str | Path, dt: float = 0.01, **options: Any) -> BatchWorld:
    """Read a scenario or a ParameterValueDistribution file and compile all its variants."""
    from simhub.scenario import load, load_distribution

    path = Path(path)
    head = path.read_bytes()[:4096] if path.suffix.lower() == ".xosc" else b""
    if b"<ParameterValueDistribution" in head:
        scenarios = [c.scenario for c in load_distribution(path)]
    else:
        scenarios = [load(path)]
    return compile_batch(scenarios, dt, **options)
