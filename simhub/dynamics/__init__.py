"""Vehicle dynamics kernels (numba): KS, ST, KST models; Euler and RK4; IDM and MOBIL drivers;
oriented-box collisions. Pure core: imports only numpy, numba, ``simhub.errors`` and
``simhub.facility.model``.

Start here: ``Stepper`` (checked stepping of N vehicles), ``param_table`` (parameters from the
cabins' ``VehicleParams``), ``warm_up`` (compile everything once at start-up).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from simhub.dynamics.api import Integrator, Stepper, state_size, warm_up
    from simhub.dynamics.collision import collisions
    from simhub.dynamics.drivers import (
        IdmParams,
        MobilParams,
        idm_accelerations,
        mobil_lane_changes,
    )
    from simhub.dynamics.params import ROAD_FRICTION, param_row, param_table, road_friction

# Each name is imported from its module on first use: a scenario run that has no vehicle
# dynamics and no traffic models (most of them) then loads only the collision kernels, and
# ``simhub scenario run`` is timed from start-up.
_MODULES = {
    "Integrator": "api",
    "Stepper": "api",
    "state_size": "api",
    "warm_up": "api",
    "collisions": "collision",
    "IdmParams": "drivers",
    "MobilParams": "drivers",
    "idm_accelerations": "drivers",
    "mobil_lane_changes": "drivers",
    "ROAD_FRICTION": "params",
    "param_row": "params",
    "param_table": "params",
    "road_friction": "params",
}


def __getattr__(name: str) -> object:
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"simhub.dynamics.{module}"), name)
    globals()[name] = value  # found directly from now on
    return value


__all__ = [
    "ROAD_FRICTION",
    "IdmParams",
    "Integrator",
    "MobilParams",
    "Stepper",
    "collisions",
    "idm_accelerations",
    "mobil_lane_changes",
    "param_row",
    "param_table",
    "road_friction",
    "state_size",
    "warm_up",
]
