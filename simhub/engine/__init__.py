"""The scenario engine: compiles scenarios into world arrays and steps them with a fixed dt.

Public API::

    compile_scenario(scenario, dt=0.01) -> BatchWorld          # one episode
    compile_batch(scenarios, dt=0.01) -> BatchWorld             # a parameter sweep, (E, N)
    load_batch(path, dt=0.01) -> BatchWorld                     # scenario or distribution
    BatchWorld.step(controls=None)   # controls (E, n_external, 2): steering rate, accel
    BatchWorld.run(duration=None)    # until every storyboard ends (or duration s); one
                                     # fused numba kernel where supported (fused_reason)
    BatchWorld.world                 # World: state arrays (E, N)
    BatchWorld.metrics               # Metrics: collided, collision_time, min_ttc, ...
    BatchWorld.events                # storyboard transitions (LogEntry)
    rollout(batch, policy, duration) # closed loop with a Policy (see ``simhub.engine.policy``)

Deterministic: no randomness, no wall clock; the same scenario, dt and seed give the same
arrays bit for bit.
"""

from simhub.engine.batch import (
    BatchWorld,
    Metrics,
    compile_batch,
    compile_scenario,
    load_batch,
)
from simhub.engine.context import LogEntry
from simhub.engine.policy import Observation, Policy, observe, rollout
from simhub.engine.world import MODE_DYNAMICS, MODE_ROAD, MODE_WORLD, EntityInfo, World

__all__ = [
    "MODE_DYNAMICS",
    "MODE_ROAD",
    "MODE_WORLD",
    "BatchWorld",
    "EntityInfo",
    "LogEntry",
    "Metrics",
    "Observation",
    "Policy",
    "World",
    "compile_batch",
    "compile_scenario",
    "load_batch",
    "observe",
    "rollout",
]
