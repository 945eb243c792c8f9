"""Shared fixtures: the shipped cabins' vehicles and CommonRoad's reference parameters."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from vehiclemodels.parameters_vehicle2 import parameters_vehicle2
from vehiclemodels.parameters_vehicle4 import parameters_vehicle4

from simhub.dynamics.params import GRAVITY_M_S2
from simhub.facility.loader import load_facility
from simhub.facility.model import Facility, VehicleParams

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def facility() -> Facility:
    return load_facility(REPO / "facility.toml", REPO / "cabins")


@pytest.fixture(scope="session")
def passenger(facility: Facility) -> VehicleParams:
    cabin = facility.cabin("passenger")
    assert cabin is not None
    return cabin.vehicle


@pytest.fixture(scope="session")
def truck(facility: Facility) -> VehicleParams:
    cabin = facility.cabin("commercial")
    assert cabin is not None
    return cabin.vehicle


def commonroad_params(vehicle_id: int, road_friction: float) -> Any:
    """CommonRoad's parameter set with our road friction applied the way our kernels apply it.

    CommonRoad has no road friction. Ours scales the tyre friction ``p_dy1`` (keeping the
    cornering stiffness ``C_S = -p_ky1 / p_dy1``) and caps the acceleration envelope at
    ``mu_road p_dy1 g``; both are expressible as a modified CommonRoad parameter set.
    """
    source = {2: parameters_vehicle2, 4: parameters_vehicle4}[vehicle_id]()
    p = copy.deepcopy(source)
    p_dy1 = 1.0489 if p.tire.p_dy1 is None else p.tire.p_dy1  # set 4 has no tyre data
    p.longitudinal.a_max = min(p.longitudinal.a_max, road_friction * p_dy1 * GRAVITY_M_S2)
    if p.tire.p_dy1 is not None:
        p.tire.p_dy1 = p.tire.p_dy1 * road_friction
        p.tire.p_ky1 = p.tire.p_ky1 * road_friction
    return p
