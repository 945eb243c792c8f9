"""OpenDRIVE roads: the reader, the compiled numba evaluator and the road queries.

``load_opendrive(path) -> RoadNetwork`` is the entry point; see ``RoadNetwork`` for the
queries ``reference_pose``, ``lane_pose``, ``project``, ``lane_successors``,
``lane_predecessors`` and ``distance_along``.
"""

from simhub.road.fresnel import fresnel, fresnel_array
from simhub.road.model import (
    Connection,
    CubicRecord,
    Geometry,
    GeometryKind,
    Header,
    Junction,
    JunctionLaneLink,
    Lane,
    LaneSection,
    LaneSpeed,
    Material,
    Road,
    RoadLink,
    RoadMark,
    RoadTypeRecord,
    RoadWarning,
)
from simhub.road.network import Poses, Projection, RoadNetwork, load_opendrive, parse_network
from simhub.road.topology import LaneRef

__all__ = [
    "Connection",
    "CubicRecord",
    "Geometry",
    "GeometryKind",
    "Header",
    "Junction",
    "JunctionLaneLink",
    "Lane",
    "LaneRef",
    "LaneSection",
    "LaneSpeed",
    "Material",
    "Poses",
    "Projection",
    "Road",
    "RoadLink",
    "RoadMark",
    "RoadNetwork",
    "RoadTypeRecord",
    "RoadWarning",
    "fresnel",
    "fresnel_array",
    "load_opendrive",
    "parse_network",
]
