"""Vehicle dynamics kernels (numba): KS, ST, KST models; Euler and RK4; IDM and MOBIL drivers;
oriented-box collisions. Pure core: imports only numpy, numba, ``simhub.errors`` and
``simhub.facility.model``.

Start here: ``Stepper`` (checked stepping of N vehicles), ``param_table`` (parameters from the
cabins' ``VehicleParams``), ``warm_up`` (compile everything once at start-up).
"""

from simhub.dynamics.api import Integrator, Stepper, state_size, warm_up
from simhub.dynamics.collision import collisions
from simhub.dynamics.drivers import IdmParams, MobilParams, idm_accelerations, mobil_lane_changes
from simhub.dynamics.params import ROAD_FRICTION, param_row, param_table, road_friction

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
