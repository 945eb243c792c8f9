"""World state as a structure of arrays: one float64 (or int/bool) array per field.

Every per-entity array has shape ``(E, N)``: E episodes (concrete variants of one scenario,
stepped together) by N entities (in the scenario's order). Per-episode arrays are ``(E,)``.
Units: m, s, rad, m/s, m/s^2. Headings are counter-clockwise from +x in ``[0, 2 pi)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
B = npt.NDArray[np.bool_]

# How an entity moves (``World.mode``).
MODE_ROAD = 0  # follows its lane: s advances with speed (esmini's default controller)
MODE_WORLD = 1  # placed in world coordinates (trajectory following, free placement)
MODE_DYNAMICS = 2  # stepped by a vehicle dynamics model from supplied controls

KIND_VEHICLE = 0
KIND_PEDESTRIAN = 1
KIND_MISC = 2


@dataclass(frozen=True)
class EntityInfo:
    """What does not change about an entity: its name, kind and category."""

    name: str
    kind: int  # KIND_VEHICLE, KIND_PEDESTRIAN, KIND_MISC
    category: str


def _f(shape: tuple[int, ...], value: float = 0.0) -> F64:
    return np.full(shape, value, dtype=np.float64)


@dataclass
class World:
    """Mutable state of E episodes of N entities; ``time`` [s] is shared by all episodes."""

    entities: tuple[EntityInfo, ...]
    episodes: int
    time: float = 0.0
    frame: int = 0
    x: F64 = field(default_factory=lambda: _f((0, 0)))
    y: F64 = field(default_factory=lambda: _f((0, 0)))
    z: F64 = field(default_factory=lambda: _f((0, 0)))
    heading: F64 = field(default_factory=lambda: _f((0, 0)))
    pitch: F64 = field(default_factory=lambda: _f((0, 0)))
    roll: F64 = field(default_factory=lambda: _f((0, 0)))
    speed: F64 = field(default_factory=lambda: _f((0, 0)))
    acceleration: F64 = field(default_factory=lambda: _f((0, 0)))
    odometer: F64 = field(default_factory=lambda: _f((0, 0)))
    road: I64 = field(default_factory=lambda: np.zeros((0, 0), np.int64))
    s: F64 = field(default_factory=lambda: _f((0, 0)))
    t: F64 = field(default_factory=lambda: _f((0, 0)))
    lane: I64 = field(default_factory=lambda: np.zeros((0, 0), np.int64))
    lane_offset: F64 = field(default_factory=lambda: _f((0, 0)))
    direction: F64 = field(default_factory=lambda: _f((0, 0)))
    heading_offset: F64 = field(default_factory=lambda: _f((0, 0)))
    mode: I64 = field(default_factory=lambda: np.zeros((0, 0), np.int64))
    visible: B = field(default_factory=lambda: np.zeros((0, 0), np.bool_))
    present: B = field(default_factory=lambda: np.zeros((0, 0), np.bool_))
    on_road: B = field(default_factory=lambda: np.zeros((0, 0), np.bool_))
    end_of_road: B = field(default_factory=lambda: np.zeros((0, 0), np.bool_))
    end_of_road_since: F64 = field(default_factory=lambda: _f((0, 0)))
    off_road_since: F64 = field(default_factory=lambda: _f((0, 0)))
    standstill_since: F64 = field(default_factory=lambda: _f((0, 0)))
    length: F64 = field(default_factory=lambda: _f((0, 0)))
    width: F64 = field(default_factory=lambda: _f((0, 0)))
    height: F64 = field(default_factory=lambda: _f((0, 0)))
    center_x: F64 = field(default_factory=lambda: _f((0, 0)))
    center_y: F64 = field(default_factory=lambda: _f((0, 0)))
    max_speed: F64 = field(default_factory=lambda: _f((0, 0)))
    max_acceleration: F64 = field(default_factory=lambda: _f((0, 0)))
    max_deceleration: F64 = field(default_factory=lambda: _f((0, 0)))
    # which action instance drives each entity's speed / lateral position (-1: none)
    longitudinal_owner: I64 = field(default_factory=lambda: np.zeros((0, 0), np.int64))
    lateral_owner: I64 = field(default_factory=lambda: np.zeros((0, 0), np.int64))
    # per episode
    friction: F64 = field(default_factory=lambda: _f((0,)))
    time_of_day: F64 = field(default_factory=lambda: _f((0,)))  # s since the epoch, UTC
    time_of_day_animated: B = field(default_factory=lambda: np.zeros((0,), np.bool_))
    # pairwise contact this step, (E, N, N)
    colliding: B = field(default_factory=lambda: np.zeros((0, 0, 0), np.bool_))

    @classmethod
    def empty(cls, entities: tuple[EntityInfo, ...], episodes: int) -> World:
        """A world of ``episodes`` x ``len(entities)`` with every field at its rest value."""
        shape = (episodes, len(entities))
        world = cls(entities=entities, episodes=episodes)
        for name in ("x", "y", "z", "heading", "pitch", "roll", "speed", "acceleration",
                     "odometer", "s", "t", "lane_offset", "heading_offset", "length", "width",
                     "height", "center_x", "center_y"):
            setattr(world, name, _f(shape))
        world.direction = _f(shape, 1.0)
        for name in ("end_of_road_since", "off_road_since", "standstill_since"):
            setattr(world, name, _f(shape, np.nan))
        world.max_speed = _f(shape, 70.0)
        world.max_acceleration = _f(shape, 10.0)
        world.max_deceleration = _f(shape, 10.0)
        world.road = np.zeros(shape, np.int64)
        world.lane = np.zeros(shape, np.int64)
        world.mode = np.zeros(shape, np.int64)
        world.longitudinal_owner = np.full(shape, -1, np.int64)
        world.lateral_owner = np.full(shape, -1, np.int64)
        world.visible = np.ones(shape, np.bool_)
        world.present = np.ones(shape, np.bool_)
        world.on_road = np.ones(shape, np.bool_)
        world.end_of_road = np.zeros(shape, np.bool_)
        world.friction = _f((episodes,), 1.0)
        world.time_of_day = _f((episodes,), np.nan)
        world.time_of_day_animated = np.zeros(episodes, np.bool_)
        world.colliding = np.zeros((episodes, len(entities), len(entities)), np.bool_)
        return world

    def index(self, name: str) -> int:
        """Column of entity ``name``."""
        for i, entity in enumerate(self.entities):
            if entity.name == name:
                return i
        raise KeyError(name)
