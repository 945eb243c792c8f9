"""The OpenSCENARIO 1.0-1.3 enumerations the model uses (values as the XSD spells them)."""

from __future__ import annotations

RULE = ("greaterThan", "lessThan", "equalTo", "greaterOrEqual", "lessOrEqual", "notEqualTo")
CONDITION_EDGE = ("rising", "falling", "risingOrFalling", "none")
PRIORITY = ("overwrite", "override", "skip", "parallel")
DYNAMICS_SHAPE = ("linear", "cubic", "sinusoidal", "step")
DYNAMICS_DIMENSION = ("rate", "time", "distance")
SPEED_TARGET_VALUE_TYPE = ("delta", "factor")
TRIGGERING_ENTITIES_RULE = ("any", "all")
STORYBOARD_ELEMENT_TYPE = ("story", "act", "maneuver", "event", "action", "maneuverGroup")
STORYBOARD_ELEMENT_STATE = (
    "startTransition",
    "endTransition",
    "stopTransition",
    "skipTransition",
    "completeState",
    "runningState",
    "standbyState",
)
VEHICLE_CATEGORY = (
    "car", "van", "truck", "trailer", "semitrailer", "bus", "motorbike", "bicycle", "train",
    "tram",
)
PEDESTRIAN_CATEGORY = ("pedestrian", "wheelchair", "animal")
MISC_OBJECT_CATEGORY = (
    "none", "obstacle", "pole", "tree", "vegetation", "barrier", "building", "parkingSpace",
    "patch", "railing", "trafficIsland", "crosswalk", "streetLamp", "gantry", "soundBarrier",
    "wind", "roadMark",
)
ROLE = (
    "none", "ambulance", "civil", "fire", "military", "police", "publicTransport",
    "roadAssistance",
)
CONTROLLER_TYPE = ("lateral", "longitudinal", "lighting", "animation", "movement",
                   "appearance", "all")
REFERENCE_CONTEXT = ("relative", "absolute")
RELATIVE_DISTANCE_TYPE = ("longitudinal", "lateral", "cartesianDistance", "euclidianDistance")
COORDINATE_SYSTEM = ("entity", "lane", "road", "trajectory", "world")
ROUTING_ALGORITHM = ("assignedRoute", "fastest", "leastIntersections", "shortest",
                     "undefined")
ROUTE_STRATEGY = ("fastest", "shortest", "leastIntersections", "random")
FOLLOWING_MODE = ("position", "follow")
LATERAL_PROFILE = ("none", "vehicleDynamics")  # unused by esmini; kept for 1.x files
LONGITUDINAL_DISPLACEMENT = ("any", "trailingReferencedEntity", "leadingReferencedEntity")
LATERAL_DISPLACEMENT = ("any", "leftToReferencedEntity", "rightToReferencedEntity")
PARAMETER_TYPE = ("integer", "int", "double", "string", "unsignedInt", "unsignedShort",
                  "boolean", "dateTime")
PRECIPITATION_TYPE = ("dry", "rain", "snow")
CLOUD_STATE = ("skyOff", "free", "cloudy", "overcast", "rainy")
FRACTIONAL_CLOUD_COVER = tuple(
    f"{word}Oktas" for word in ("zero", "one", "two", "three", "four", "five", "six", "seven",
                                "eight", "nine")
)
WETNESS = ("dry", "moist", "wetWithPuddles", "lowFlooded", "highFlooded")
DIRECTIONAL_DIMENSION = ("longitudinal", "lateral", "vertical")
OBJECT_TYPE = ("pedestrian", "vehicle", "miscellaneous", "external")
