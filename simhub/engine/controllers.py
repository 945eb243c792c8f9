"""Controllers: who drives an entity besides the storyboard's actions.

``kind`` is chosen by the controller's properties (``<Property name="simhub" value=...>``) or,
for esmini's catalogs, its ``esminiController`` property:

- ``external``: the caller supplies controls every step (a human in the cabin, an AI policy);
  the entity is stepped by a vehicle dynamics model (``simhub.dynamics``, kinematic
  single-track by default). esmini's ``ExternalController`` and ``InteractiveController``
  map here.
- ``idm``: Intelligent Driver Model car following in the entity's lane (properties
  ``desiredSpeed`` m/s, ``timeHeadway`` s, ``minimumGap`` m, ``maxAcceleration``,
  ``comfortableDeceleration``, ``maxDeceleration`` m/s^2); braking is capped by road
  friction.
- ``idm_mobil``: IDM plus MOBIL lane changes (``politeness``, ``threshold``).
- ``default``: the storyboard's actions drive (esmini's default controller).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from simhub.errors import InvalidArgument
from simhub.scenario.common import CatalogReference
from simhub.scenario.entities import Controller

if TYPE_CHECKING:
    from simhub.engine.context import Context

KINDS = ("default", "external", "idm", "idm_mobil")
_ESMINI = {"ExternalController": "external", "InteractiveController": "external",
           "ACCController": "idm", "ALKS_R157SM_Controller": "idm"}


@dataclass(frozen=True)
class ControllerSpec:
    """A controller's kind and its numeric properties."""

    name: str
    kind: str
    properties: dict[str, npt.NDArray[np.float64]] = field(default_factory=dict)

    def get(self, key: str, default: float) -> npt.NDArray[np.float64] | float:
        """Property ``key`` per episode ``(E,)`` (``default`` when absent)."""
        return self.properties.get(key, default)

    def scalar(self, key: str, default: float) -> float:
        """Property ``key`` of the first episode (for settings shared by a batch)."""
        value = self.properties.get(key)
        return default if value is None else float(value[0])


def merge_specs(specs: Sequence[ControllerSpec], source: str) -> ControllerSpec:
    """One spec for a batch from one spec per episode: numeric properties become arrays."""
    first = specs[0]
    if any(s.kind != first.kind for s in specs):
        raise InvalidArgument(f"{source}: controller kinds differ between variants")
    keys = set(first.properties)
    merged = {key: np.array([float(s.properties[key][0]) if key in s.properties else np.nan
                             for s in specs]) for key in keys}
    return ControllerSpec(first.name, first.kind, merged)


def controller_spec(item: Any, ctx: Context) -> ControllerSpec:
    """Read a ``Controller`` (or a catalog reference to one) into a ``ControllerSpec``."""
    controller = item.resolved if isinstance(item, CatalogReference) else item
    if not isinstance(controller, Controller):
        raise InvalidArgument(f"{ctx.source}: a controller reference must resolve to a "
                              "Controller")
    props: dict[str, str] = {}
    if controller.properties is not None:
        props = {p.name: p.value for p in controller.properties.properties}
    kind = props.get("simhub")
    if kind is None and "esminiController" in props:
        kind = _ESMINI.get(props["esminiController"])
        if kind is None:
            ctx.warnings.append(f"controller {controller.name!r} "
                                f"({props['esminiController']}) is not modelled: the default "
                                "controller drives")
            kind = "default"
    kind = kind or "default"
    if kind not in KINDS:
        raise InvalidArgument(f"{ctx.source}: controller {controller.name!r}: simhub kind "
                              f"{kind!r} is unknown; allowed: {', '.join(KINDS)}")
    numeric: dict[str, npt.NDArray[np.float64]] = {}
    for key, value in props.items():
        try:
            numeric[key] = np.array([float(value)])
        except ValueError:
            continue
    return ControllerSpec(controller.name, kind, numeric)
