"""What compiled conditions and actions read and write while a batch steps."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from simhub.engine.controllers import ControllerSpec
from simhub.engine.world import World
from simhub.errors import InvalidArgument
from simhub.road import RoadNetwork
from simhub.road.kernels import RoadArrays

F64 = npt.NDArray[np.float64]
B = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class LogEntry:
    """One storyboard transition (or condition firing): ``time`` [s] and ``episode``."""

    time: float
    episode: int
    element: str
    kind: str
    state: str


@dataclass
class Context:
    """The world, the road, parameters and variables (per episode) and the event log."""

    world: World
    network: RoadNetwork | None
    dt: float
    source: str
    parameters: dict[str, npt.NDArray[Any]] = field(default_factory=dict)
    variables: dict[str, npt.NDArray[Any]] = field(default_factory=dict)
    signals: dict[str, npt.NDArray[Any]] = field(default_factory=dict)
    log: list[LogEntry] | None = None
    next_id: int = 0
    followers: dict[int, Any] = field(default_factory=dict)
    routes: dict[int, Any] = field(default_factory=dict)
    signal_controllers: tuple[Any, ...] = ()
    warnings: list[str] = field(default_factory=list)
    # controllers: entity column -> spec, and where they are active (E, N)
    controllers: dict[int, ControllerSpec] = field(default_factory=dict)
    controller_assignments: int = 0  # counts assign_controller calls (cached views refresh)
    longitudinal_control: B = field(default_factory=lambda: np.zeros((0, 0), np.bool_))
    lateral_control: B = field(default_factory=lambda: np.zeros((0, 0), np.bool_))
    traffic_visible: B = field(default_factory=lambda: np.zeros((0, 0), np.bool_))
    _columns: dict[str, int] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        shape = (self.world.episodes, len(self.world.entities))
        self.longitudinal_control = np.zeros(shape, np.bool_)
        self.lateral_control = np.zeros(shape, np.bool_)
        self.traffic_visible = np.ones(shape, np.bool_)

    def assign_controller(self, k: int, spec: ControllerSpec, mask: B, lateral: bool,
                          longitudinal: bool) -> None:
        """Give entity ``k`` the controller ``spec``, active on the named domains."""
        self.controllers[k] = spec
        self.controller_assignments += 1
        self.activate_controller(k, mask, lateral, longitudinal)

    def activate_controller(self, k: int, mask: B, lateral: bool | None,
                            longitudinal: bool | None) -> None:
        """Switch entity ``k``'s controller on or off (None: leave the domain as it is)."""
        if k not in self.controllers:
            self.warnings.append(f"ActivateControllerAction for {self.world.entities[k].name}"
                                 " with no controller assigned: the default controller drives")
            return
        if lateral is not None:
            self.lateral_control[mask, k] = lateral
        if longitudinal is not None:
            self.longitudinal_control[mask, k] = longitudinal
        if self.controllers[k].kind == "external":
            from simhub.engine.world import MODE_DYNAMICS, MODE_ROAD

            on = mask & self.longitudinal_control[:, k] & self.lateral_control[:, k]
            self.world.mode[on, k] = MODE_DYNAMICS
            off = mask & ~on & (self.world.mode[:, k] == MODE_DYNAMICS)
            self.world.mode[off, k] = MODE_ROAD

    @property
    def arrays(self) -> RoadArrays:
        if self.network is None:
            raise InvalidArgument(f"{self.source}: this scenario needs a road network "
                                  "(RoadNetwork/LogicFile) for lane and road positions")
        return self.network.arrays

    def entity(self, name: str, where: str = "") -> int:
        """Column of entity ``name``; an ``InvalidArgument`` naming ``where`` if unknown."""
        column = self._columns.get(name)
        if column is not None:
            return column
        try:
            column = self._columns[name] = self.world.index(name)
            return column
        except KeyError:
            names = ", ".join(e.name for e in self.world.entities)
            raise InvalidArgument(f"{self.source}: {where}: unknown entity {name!r}; "
                                  f"entities: {names}") from None

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id

    def record(self, mask: B, element: str, kind: str, state: str, time: float | None = None
               ) -> None:
        """Log a transition of ``element`` in the masked episodes."""
        if self.log is None or not mask.any():
            return
        when = self.world.time if time is None else time
        for episode in np.flatnonzero(mask):
            self.log.append(LogEntry(when, int(episode), element, kind, state))
