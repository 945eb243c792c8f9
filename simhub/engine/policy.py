"""Closed loop with an external controller: a ``Policy`` maps observations to controls.

The cabin's driver and an AI model are the same thing to the engine: a controller of kind
``external`` (see ``simhub.engine.controllers``) whose controls the caller supplies each step.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from simhub.engine.batch import BatchWorld

F64 = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Observation:
    """What a policy sees, per episode: arrays ``(E, N)`` of every entity's pose and speed
    (m, rad, m/s), ``controlled`` the external entity columns, and ``time`` [s]."""

    time: float
    x: F64
    y: F64
    heading: F64
    speed: F64
    lane: npt.NDArray[np.int64]
    s: F64
    t: F64
    controlled: tuple[int, ...]


class Policy(Protocol):
    """Returns controls ``(E, len(observation.controlled), 2)``: steering rate [rad/s] and
    acceleration [m/s^2]."""

    def __call__(self, observation: Observation) -> npt.ArrayLike: ...


def observe(batch: BatchWorld) -> Observation:
    """A read-only snapshot of the batch for a policy."""
    w = batch.world
    return Observation(w.time, w.x.copy(), w.y.copy(), w.heading.copy(), w.speed.copy(),
                       w.lane.copy(), w.s.copy(), w.t.copy(), tuple(batch.external))


def rollout(batch: BatchWorld, policy: Policy, duration: float) -> None:
    """Step ``batch`` for ``duration`` [s], asking ``policy`` for controls every step."""
    steps = round(duration / batch.dt)
    for _ in range(steps):
        batch.step(policy(observe(batch)) if batch.external else None)
