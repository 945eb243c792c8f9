"""Routes on the road network: where a route starts and which way it runs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from simhub.errors import InvalidArgument
from simhub.scenario import routes as r
from simhub.scenario.common import CatalogReference

if TYPE_CHECKING:
    from simhub.engine.context import Context


def route_of(item: Any) -> r.Route:
    route = item.resolved if isinstance(item, CatalogReference) else item
    if not isinstance(route, r.Route):
        raise InvalidArgument("a route reference must resolve to a Route")
    return route


def resolve_route(item: Any, ctx: Context, source: str) -> tuple[int, float, float]:
    """``(road index, s, direction)`` of a route's first waypoint; the direction points to the
    second waypoint when both lie on the same road."""
    from simhub.engine.positions import compile_position

    route = route_of(item)
    placed = [compile_position([w.position] * ctx.world.episodes, source)(ctx)
              for w in route.waypoints[:2]]
    road = int(placed[0].road[0])
    s0 = float(placed[0].s[0])
    direction = float(placed[0].direction[0])
    if len(placed) > 1 and int(placed[1].road[0]) == road:
        direction = 1.0 if float(placed[1].s[0]) >= s0 else -1.0
    return road, s0, float(np.sign(direction) or 1.0)
