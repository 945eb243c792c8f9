"""The world port: what the real-time loop steps.

A ``World`` owns one state array ``state`` of shape ``(n_entities, N_FIELDS)`` (float64) that
``step`` updates in place; the loop copies rows of it into frames. The egos come first, in the
session's ego order. ``simhub.session.vehicle_world.VehicleWorld`` implements it today over
``simhub.dynamics``; the scenario engine will provide another implementation.

Columns of ``state`` (SI units, world frame: x east, y north, yaw counter-clockwise from +x;
accelerations in the vehicle frame, ISO 8855: x forward, y left):
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

F_X = 0  # m
F_Y = 1  # m
F_YAW = 2  # rad
F_SPEED = 3  # m/s, along the vehicle's x axis
F_ACCEL_LONG = 4  # m/s^2, vehicle frame x
F_ACCEL_LAT = 5  # m/s^2, vehicle frame y (positive: accelerating to the left)
F_YAW_RATE = 6  # rad/s
F_STEERING = 7  # rad, road-wheel angle
F_LENGTH = 8  # m
F_WIDTH = 9  # m
N_FIELDS = 10


class EntityKind(enum.StrEnum):
    EGO = "ego"  # driven by a cabin, a bay or a client
    TRAFFIC = "traffic"  # driven by the traffic model (later: the storyboard)


@dataclass(frozen=True)
class EntityInfo:
    name: str
    kind: EntityKind
    model: str  # vehicle model ("st", "kst", "idm", ...)


class World(Protocol):
    """Port: a world the real-time loop can step.

    ``step`` must not allocate: everything it needs is allocated by the constructor or
    ``warm_up`` (which also compiles what needs compiling).
    """

    @property
    def entities(self) -> tuple[EntityInfo, ...]: ...

    @property
    def state(self) -> FloatArray:
        """``(n_entities, N_FIELDS)``; egos first."""
        ...

    def warm_up(self) -> None: ...

    def step(self, controls: FloatArray, override_deceleration: FloatArray, dt: float) -> None:
        """Advance by ``dt`` [s]. ``controls`` ``(n_egos, N_CONTROLS)`` (``simhub.session.
        controls``); ``override_deceleration`` ``(n_egos,)`` [m/s^2]: where > 0 the ego
        ignores its pedals and brakes at that deceleration (the watchdog), holding steering."""
        ...
