"""Facility and cabin files: the shipped ones load; malformed ones name the file and the key."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from simhub.errors import InvalidArgument
from simhub.facility.loader import load_cabin, load_facility
from simhub.facility.model import CabinClass, VehicleModel

REPO = Path(__file__).resolve().parents[2]


def test_shipped_facility_has_the_three_cabins() -> None:
    facility = load_facility(REPO / "facility.toml", REPO / "cabins")
    by_id = {c.id: c for c in facility.cabins}
    assert set(by_id) >= {"passenger", "commercial", "special"}
    assert by_id["passenger"].cabin_class is CabinClass.PASSENGER
    assert by_id["commercial"].vehicle.model is VehicleModel.KST
    assert by_id["commercial"].vehicle.trailer is not None
    assert by_id["special"].limits.max_speed_m_s < by_id["passenger"].limits.max_speed_m_s
    assert len(facility.bays) >= 3


def test_passenger_and_truck_are_commonroad_parameter_sets_2_and_4() -> None:
    """Reference check against the CommonRoad package itself, not numbers we typed."""
    from vehiclemodels.parameters_vehicle2 import parameters_vehicle2
    from vehiclemodels.parameters_vehicle4 import parameters_vehicle4

    car = load_cabin(REPO / "cabins" / "passenger.toml").vehicle
    p2 = parameters_vehicle2()
    assert (car.length_m, car.width_m, car.mass_kg, car.yaw_inertia_kg_m2) == (
        p2.l,
        p2.w,
        p2.m,
        p2.I_z,
    )
    assert (car.cog_to_front_axle_m, car.cog_to_rear_axle_m, car.cog_height_m) == (
        p2.a,
        p2.b,
        p2.h_s,
    )
    assert (car.steering_angle_max_rad, car.steering_rate_max_rad_s) == (
        p2.steering.max,
        p2.steering.v_max,
    )
    assert (car.speed_max_m_s, car.switching_speed_m_s, car.acceleration_max_m_s2) == (
        p2.longitudinal.v_max,
        p2.longitudinal.v_switch,
        p2.longitudinal.a_max,
    )
    assert car.friction_coefficient == p2.tire.p_dy1
    assert car.cornering_stiffness_front_per_rad == pytest.approx(
        -p2.tire.p_ky1 / p2.tire.p_dy1, rel=1e-15
    )

    truck = load_cabin(REPO / "cabins" / "commercial.toml").vehicle
    p4 = parameters_vehicle4()
    assert (truck.length_m, truck.width_m, truck.cog_to_front_axle_m, truck.cog_to_rear_axle_m) == (
        p4.l,
        p4.w,
        p4.a,
        p4.b,
    )
    assert (truck.steering_angle_max_rad, truck.steering_rate_max_rad_s) == (
        p4.steering.max,
        p4.steering.v_max,
    )
    assert (truck.speed_min_m_s, truck.speed_max_m_s) == (
        p4.longitudinal.v_min,
        p4.longitudinal.v_max,
    )
    assert truck.trailer is not None
    assert (truck.trailer.length_m, truck.trailer.hitch_length_m, truck.trailer.wheelbase_m) == (
        p4.trailer.l,
        p4.trailer.l_hitch,
        p4.trailer.l_wb,
    )


@pytest.fixture
def cabins(tmp_path: Path) -> Path:
    target = tmp_path / "cabins"
    shutil.copytree(REPO / "cabins", target)
    shutil.copy(REPO / "facility.toml", tmp_path / "facility.toml")
    return target


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def _error(path: Path) -> InvalidArgument:
    with pytest.raises(InvalidArgument) as info:
        load_cabin(path)
    return info.value


def test_wrong_type_names_file_key_and_allowed(cabins: Path) -> None:
    path = cabins / "passenger.toml"
    _edit(path, "mass_kg = 1093.2952334674046", 'mass_kg = "heavy"')
    error = _error(path)
    assert [v.field for v in error.violations] == [f"{path}: vehicle.mass_kg"]
    assert "expected a number" in error.violations[0].description
    assert str(path) in str(error) and "vehicle.mass_kg" in str(error)


def test_misspelt_key_suggests_the_right_one(cabins: Path) -> None:
    path = cabins / "passenger.toml"
    _edit(path, "mount_minutes = 25", "mount_minutse = 25")
    fields = {v.field: v.description for v in _error(path).violations}
    assert "did you mean 'mount_minutes'?" in fields[f"{path}: mount_minutse"]
    assert fields[f"{path}: mount_minutes"].startswith("missing")


def test_bad_enum_lists_allowed_values(cabins: Path) -> None:
    path = cabins / "special.toml"
    _edit(path, 'class = "special"', 'class = "tank"')
    (violation,) = _error(path).violations
    assert violation.field == f"{path}: class"
    assert "'passenger', 'commercial', 'special'" in violation.description


def test_toml_syntax_error_gives_line(cabins: Path) -> None:
    path = cabins / "commercial.toml"
    _edit(path, "mount_minutes = 40", "mount_minutes = = 40")
    error = _error(path)
    assert str(path) in error.message and "line 10" in error.message


def test_range_checks_and_trailer_rule(cabins: Path) -> None:
    path = cabins / "commercial.toml"
    _edit(path, "mass_kg = 30000.0", "mass_kg = -5.0")
    _edit(path, 'model = "kst"', 'model = "st"')
    fields = {v.field for v in _error(path).violations}
    assert fields == {f"{path}: vehicle.mass_kg", f"{path}: vehicle.trailer"}


def test_facility_names_every_broken_cabin_and_unknown_bay(cabins: Path) -> None:
    _edit(cabins / "special.toml", 'home_bay = "bay-c"', 'home_bay = "bay-z"')
    _edit(cabins / "passenger.toml", "unmount_minutes = 20", "unmount_minutes = 20.5")
    with pytest.raises(InvalidArgument) as info:
        load_facility(cabins.parent / "facility.toml", cabins)
    fields = {v.field for v in info.value.violations}
    assert f"{cabins / 'special'}.toml: home_bay" in fields
    assert f"{cabins / 'passenger.toml'}: unmount_minutes" in fields


def test_facility_file_errors(cabins: Path) -> None:
    facility = cabins.parent / "facility.toml"
    _edit(facility, 'time_zone = "Europe/Berlin"', 'time_zone = "Mars/Olympus"')
    with pytest.raises(InvalidArgument) as info:
        load_facility(facility, cabins)
    assert info.value.violations[0].field == f"{facility}: time_zone"
