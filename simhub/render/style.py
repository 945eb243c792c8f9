"""Colours of the bird's-eye view, as OpenCV BGR triples (0-255)."""

from __future__ import annotations

from simhub.render.frames import EntityKind

Color = tuple[int, int, int]

BACKGROUND: Color = (52, 66, 54)
ROAD_EDGE: Color = (170, 170, 170)
HUD_TEXT: Color = (255, 255, 255)
HUD_SHADOW: Color = (0, 0, 0)
HIGHLIGHT: Color = (255, 0, 255)
HEADING_ARROW: Color = (255, 255, 255)

DRIVING_SURFACE: Color = (88, 88, 88)

LANE_SURFACE: dict[str, Color] = {
    "driving": DRIVING_SURFACE,
    "entry": DRIVING_SURFACE,
    "exit": DRIVING_SURFACE,
    "onramp": DRIVING_SURFACE,
    "offramp": DRIVING_SURFACE,
    "connectingramp": DRIVING_SURFACE,
    "bidirectional": DRIVING_SURFACE,
    "stop": (96, 96, 104),
    "shoulder": (112, 112, 112),
    "border": (120, 120, 120),
    "restricted": (92, 92, 128),
    "parking": (108, 96, 96),
    "biking": (84, 84, 150),
    "sidewalk": (150, 150, 150),
    "walking": (150, 150, 150),
    "curb": (175, 175, 175),
    "median": (70, 112, 76),
    "rail": (80, 96, 112),
    "tram": (80, 96, 112),
}
OTHER_SURFACE: Color = (100, 100, 100)
"""Lane types not listed above (``special1``, ``roadworks`` ...)."""

DRIVABLE_TYPES = frozenset(t for t, c in LANE_SURFACE.items() if c == DRIVING_SURFACE)

MARK_COLORS: dict[str, Color] = {
    "standard": (235, 235, 235),
    "white": (235, 235, 235),
    "yellow": (0, 200, 240),
    "red": (40, 40, 220),
    "blue": (220, 110, 40),
    "green": (60, 180, 60),
    "orange": (0, 140, 255),
    "violet": (200, 60, 160),
}

ENTITY_FILL: dict[EntityKind, Color] = {
    EntityKind.VEHICLE: (230, 160, 40),
    EntityKind.PEDESTRIAN: (40, 200, 250),
    EntityKind.MISC: (160, 90, 200),
}
ENTITY_OUTLINE: Color = (20, 20, 20)


def lane_surface_color(lane_type: str) -> Color:
    """Fill colour of a lane of OpenDRIVE type ``lane_type`` (case-insensitive)."""
    return LANE_SURFACE.get(lane_type.lower(), OTHER_SURFACE)


def mark_color(color: str) -> Color:
    """Paint colour of a road mark of OpenDRIVE colour ``color``; unknown colours are white."""
    return MARK_COLORS.get(color.lower(), MARK_COLORS["standard"])
