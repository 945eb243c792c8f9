"""Load the facility from TOML: ``facility.toml`` (platform, bays) and ``cabins/*.toml``.

Every problem is collected, not just the first: a malformed file raises one ``InvalidArgument``
whose violations name the file, the key (``cabins/passenger.toml: vehicle.mass_kg``) and what is
allowed.
"""

from __future__ import annotations

import dataclasses
import difflib
import enum
import tomllib
import types
import typing
from pathlib import Path
from typing import Any, TypeVar

from simhub.errors import FieldViolation, InvalidArgument
from simhub.facility.model import Bay, CabinSpec, Facility, Platform, VehicleModel

T = TypeVar("T")

# TOML key -> dataclass field, where the file's word reads better than the attribute's.
_RENAMES = {"class": "cabin_class", "home_bay": "home_bay_id"}


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidArgument(
            f"{path}: not valid TOML: {exc}",
            [FieldViolation(str(path), f"not valid TOML: {exc}")],
        ) from exc
    except OSError as exc:
        raise InvalidArgument(f"{path}: cannot read: {exc.strerror}") from exc


class _Reader:
    """Builds frozen dataclasses from TOML tables, collecting violations with their key paths."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.violations: list[FieldViolation] = []

    def fail(self, key: str, description: str) -> None:
        self.violations.append(FieldViolation(f"{self.path}: {key}", description))

    def build(self, cls: type[T], table: object, prefix: str) -> T | None:
        if not isinstance(table, dict):
            self.fail(prefix or "(top level)", f"expected a table, found {type(table).__name__}")
            return None
        hints = typing.get_type_hints(cls)
        fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
        values: dict[str, Any] = {}
        for raw_key, raw in table.items():
            name = _RENAMES.get(raw_key, raw_key)
            key = f"{prefix}{raw_key}"
            if name not in fields:
                allowed = [k for k in (_toml_name(n) for n in fields) if k not in table]
                hint = difflib.get_close_matches(raw_key, allowed, n=1)
                msg = f"unknown key; allowed: {', '.join(sorted(allowed)) or 'none left'}"
                self.fail(key, msg + (f" (did you mean '{hint[0]}'?)" if hint else ""))
                continue
            values[name] = self.convert(hints[name], raw, key)
        for name, f in fields.items():
            has_default = f.default is not dataclasses.MISSING
            if name not in values and not has_default:
                self.fail(
                    f"{prefix}{_toml_name(name)}", f"missing; expected {_describe(hints[name])}"
                )
        if any(v is _BAD for v in values.values()) or len(values) < sum(
            1 for f in fields.values() if f.default is dataclasses.MISSING
        ):
            return None
        return cls(**values)

    def convert(self, hint: Any, raw: object, key: str) -> Any:
        origin = typing.get_origin(hint)
        if origin in (typing.Union, types.UnionType):
            inner = [a for a in typing.get_args(hint) if a is not type(None)]
            return self.convert(inner[0], raw, key)
        if dataclasses.is_dataclass(hint):
            built = self.build(hint, raw, f"{key}.")  # type: ignore[arg-type]
            return _BAD if built is None else built
        if isinstance(hint, type) and issubclass(hint, enum.Enum):
            allowed = [m.value for m in hint]
            if raw not in allowed:
                self.fail(key, f"found {raw!r}; allowed: {', '.join(map(repr, allowed))}")
                return _BAD
            return hint(raw)
        if hint is float:
            if isinstance(raw, bool) or not isinstance(raw, int | float):
                self.fail(key, f"found {raw!r}; expected a number")
                return _BAD
            return float(raw)
        if hint in (int, bool, str) and (type(raw) is not hint):
            self.fail(key, f"found {raw!r}; expected {_describe(hint)}")
            return _BAD
        return raw


_BAD = object()


def _toml_name(field_name: str) -> str:
    return {v: k for k, v in _RENAMES.items()}.get(field_name, field_name)


def _describe(hint: Any) -> str:
    names = {float: "a number", int: "an integer", bool: "true or false", str: "a string"}
    if hint in names:
        return names[hint]
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return "one of " + ", ".join(repr(m.value) for m in hint)
    return "a table"


def _check_cabin(reader: _Reader, cabin: CabinSpec) -> None:
    v = cabin.vehicle
    positive = {
        "vehicle.length_m": v.length_m,
        "vehicle.width_m": v.width_m,
        "vehicle.mass_kg": v.mass_kg,
        "vehicle.yaw_inertia_kg_m2": v.yaw_inertia_kg_m2,
        "vehicle.cog_to_front_axle_m": v.cog_to_front_axle_m,
        "vehicle.cog_to_rear_axle_m": v.cog_to_rear_axle_m,
        "vehicle.speed_max_m_s": v.speed_max_m_s,
        "vehicle.acceleration_max_m_s2": v.acceleration_max_m_s2,
        "vehicle.friction_coefficient": v.friction_coefficient,
        "controls.steering_ratio": cabin.controls.steering_ratio,
        "controls.steering_wheel_range_rad": cabin.controls.steering_wheel_range_rad,
        "limits.max_speed_m_s": cabin.limits.max_speed_m_s,
        "limits.max_lateral_acceleration_m_s2": cabin.limits.max_lateral_acceleration_m_s2,
    }
    for key, value in positive.items():
        if not value > 0:
            reader.fail(key, f"found {value}; must be > 0")
    pairs = [
        ("vehicle.steering_angle", v.steering_angle_min_rad, v.steering_angle_max_rad),
        ("vehicle.steering_rate", v.steering_rate_min_rad_s, v.steering_rate_max_rad_s),
        ("vehicle.speed", v.speed_min_m_s, v.speed_max_m_s),
    ]
    for key, low, high in pairs:
        if not low < high:
            reader.fail(f"{key}_min", f"found min {low} >= max {high}; min must be below max")
    for key, minutes in (
        ("mount_minutes", cabin.mount_minutes),
        ("unmount_minutes", cabin.unmount_minutes),
    ):
        if not 0 <= minutes <= 24 * 60:
            reader.fail(key, f"found {minutes}; allowed: 0 to 1440 minutes")
    if (v.model is VehicleModel.KST) != (v.trailer is not None):
        reader.fail(
            "vehicle.trailer",
            "a [vehicle.trailer] table is required for model 'kst' and only for it",
        )
    if cabin.limits.max_speed_m_s > v.speed_max_m_s:
        reader.fail(
            "limits.max_speed_m_s",
            f"found {cabin.limits.max_speed_m_s}; "
            f"must not exceed vehicle.speed_max_m_s = {v.speed_max_m_s}",
        )
    if cabin.controls.gearbox not in ("automatic", "manual"):
        reader.fail(
            "controls.gearbox", f"found {cabin.controls.gearbox!r}; allowed: 'automatic', 'manual'"
        )


def load_cabin(path: Path) -> CabinSpec:
    """Read one cabin file. Raises ``InvalidArgument`` naming the file and every bad key."""
    reader = _Reader(path)
    cabin = reader.build(CabinSpec, _read_toml(path), "")
    if cabin is not None:
        _check_cabin(reader, cabin)
        if cabin.id != path.stem:
            reader.fail("id", f"found {cabin.id!r}; must equal the file name {path.stem!r}")
    if reader.violations or cabin is None:
        raise InvalidArgument(f"{path}: invalid cabin file", reader.violations)
    return cabin


@dataclasses.dataclass(frozen=True)
class _FacilityFile:
    name: str
    time_zone: str
    platform: Platform
    bays: list[Bay]
    mounted_cabin: str = ""


def load_facility(facility_file: Path, cabins_dir: Path) -> Facility:
    """Read the facility file and every ``*.toml`` in *cabins_dir*; check they fit together."""
    reader = _Reader(facility_file)
    raw = _read_toml(facility_file)
    bays_raw = raw.get("bays")
    raw_no_bays = {k: v for k, v in raw.items() if k != "bays"}
    if not isinstance(bays_raw, list) or not bays_raw:
        reader.fail("bays", "missing; expected one or more [[bays]] tables with id and name")
        bays: list[Bay] = []
    else:
        bays = [b for i, t in enumerate(bays_raw) if (b := reader.build(Bay, t, f"bays[{i}]."))]
    parsed = reader.build(_FacilityFile, {**raw_no_bays, "bays": []}, "")
    if reader.violations or parsed is None:
        raise InvalidArgument(f"{facility_file}: invalid facility file", reader.violations)
    _check_time_zone(reader, parsed.time_zone)

    cabin_files = sorted(cabins_dir.glob("*.toml"))
    if not cabin_files:
        raise InvalidArgument(f"{cabins_dir}: no cabin files (*.toml) found")
    cabins: list[CabinSpec] = []
    errors: list[FieldViolation] = list(reader.violations)
    for path in cabin_files:
        try:
            cabins.append(load_cabin(path))
        except InvalidArgument as exc:
            errors.extend(exc.violations or [FieldViolation(str(path), exc.message)])
    bay_ids = [b.id for b in bays]
    for cabin in cabins:
        if cabin.home_bay_id not in bay_ids:
            errors.append(
                FieldViolation(
                    f"{cabins_dir / cabin.id}.toml: home_bay",
                    f"found {cabin.home_bay_id!r}; allowed: {', '.join(map(repr, bay_ids))} "
                    f"(the bays of {facility_file.name})",
                )
            )
    homes = [c.home_bay_id for c in cabins]
    for bay_id in sorted({h for h in homes if homes.count(h) > 1}):
        errors.append(
            FieldViolation(
                f"{cabins_dir}: home_bay", f"bay {bay_id!r} is the home of more than one cabin"
            )
        )
    if parsed.mounted_cabin and parsed.mounted_cabin not in {c.id for c in cabins}:
        errors.append(
            FieldViolation(
                f"{facility_file}: mounted_cabin",
                f"found {parsed.mounted_cabin!r}; allowed: {', '.join(repr(c.id) for c in cabins)}",
            )
        )
    if errors:
        raise InvalidArgument("invalid facility description", errors)
    return Facility(
        name=parsed.name,
        time_zone=parsed.time_zone,
        platform=parsed.platform,
        bays=tuple(bays),
        cabins=tuple(cabins),
        initial_mounted_cabin_id=parsed.mounted_cabin or None,
    )


def _check_time_zone(reader: _Reader, name: str) -> None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        reader.fail(
            "time_zone", f"found {name!r}; expected an IANA time zone such as 'Europe/Berlin'"
        )
        raise InvalidArgument(f"{reader.path}: invalid facility file", reader.violations) from None
