"""What the renderer draws besides the road: entities at one instant, as frozen records.

The engine, a session recording or an evaluation rollout turns its state arrays into
``WorldFrame`` values (``WorldFrame.from_arrays`` takes the arrays directly); the renderer
depends on nothing above ``simhub.road``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from simhub.errors import FieldViolation, InvalidArgument


class EntityKind(StrEnum):
    """What an entity is, which picks its colour."""

    VEHICLE = "vehicle"
    PEDESTRIAN = "pedestrian"
    MISC = "misc"


@dataclass(frozen=True)
class EntityFrame:
    """One entity at one instant: a box of ``length`` x ``width`` m centred at ``(x, y)`` m.

    ``heading`` in rad counter-clockwise from +x; ``speed`` in m/s (shown in the HUD).
    Raises ``InvalidArgument`` for non-finite numbers or a non-positive size.
    """

    id: str
    name: str
    kind: EntityKind
    x: float
    y: float
    heading: float
    length: float
    width: float
    speed: float = 0.0

    def __post_init__(self) -> None:
        violations = [
            FieldViolation(f"entity[{self.id}].{field}", "NaN or infinite value")
            for field in ("x", "y", "heading", "length", "width", "speed")
            if not math.isfinite(getattr(self, field))
        ]
        violations += [
            FieldViolation(f"entity[{self.id}].{field}", "must be > 0 m")
            for field in ("length", "width")
            if math.isfinite(getattr(self, field)) and getattr(self, field) <= 0.0
        ]
        if not isinstance(self.kind, EntityKind):
            allowed = ", ".join(k.value for k in EntityKind)
            violations.append(
                FieldViolation(f"entity[{self.id}].kind", f"{self.kind!r}; allowed: {allowed}")
            )
        if violations:
            raise InvalidArgument(f"entity {self.id!r} cannot be drawn", violations)


@dataclass(frozen=True)
class WorldFrame:
    """Every entity at simulation time ``time`` (s)."""

    time: float
    entities: tuple[EntityFrame, ...]

    def __post_init__(self) -> None:
        if not math.isfinite(self.time):
            raise InvalidArgument(
                "frame time must be finite", [FieldViolation("frame.time", "NaN or infinite")]
            )

    def entity(self, entity_id: str) -> EntityFrame | None:
        """The entity with this id, or None."""
        for entity in self.entities:
            if entity.id == entity_id:
                return entity
        return None

    @staticmethod
    def from_arrays(
        time: float,
        ids: Sequence[str],
        kinds: Sequence[EntityKind | str],
        x: npt.ArrayLike,
        y: npt.ArrayLike,
        heading: npt.ArrayLike,
        length: npt.ArrayLike,
        width: npt.ArrayLike,
        speed: npt.ArrayLike = 0.0,
        names: Sequence[str] | None = None,
    ) -> WorldFrame:
        """A frame from structure-of-arrays state; every array has shape ``(n,)`` (or broadcasts).

        ``kinds`` are ``EntityKind`` values or their strings; ``names`` default to ``ids``.
        """
        n = len(ids)
        columns = [
            np.broadcast_to(np.asarray(values, dtype=np.float64), (n,))
            for values in (x, y, heading, length, width, speed)
        ]
        names = ids if names is None else names
        entities = []
        for i in range(n):
            kind = kinds[i]
            try:
                entity_kind = EntityKind(kind)
            except ValueError:
                allowed = ", ".join(k.value for k in EntityKind)
                raise InvalidArgument(
                    f"entity {ids[i]!r} has an unknown kind",
                    [FieldViolation(f"entity[{ids[i]}].kind", f"{kind!r}; allowed: {allowed}")],
                ) from None
            entities.append(
                EntityFrame(
                    ids[i],
                    names[i],
                    entity_kind,
                    *(float(column[i]) for column in columns),
                )
            )
        return WorldFrame(float(time), tuple(entities))
