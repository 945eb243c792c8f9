"""``RoadCanvas``: the road rasterised once, entities and the HUD drawn per frame.

Drawing a frame copies the road image (or a window of it) and draws only the entities, so a
video of thousands of frames costs one rasterisation of the road plus a few OpenCV calls per
frame.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from simhub.errors import FieldViolation, InvalidArgument
from simhub.render import style
from simhub.render.frames import EntityFrame, WorldFrame
from simhub.render.road_geometry import (
    DASH_GAP_M,
    DASH_LENGTH_M,
    LineStyle,
    RoadGeometry,
    dash_segments,
    road_bounds,
    sample_network,
)
from simhub.render.view import PixelTransform, Region, fit_px_per_m
from simhub.road import RoadNetwork

F64 = npt.NDArray[np.float64]
Image = npt.NDArray[np.uint8]

SHIFT = 4  # OpenCV fixed-point fraction bits: coordinates are drawn to 1/16 pixel
DEFAULT_MAX_SIDE_PX = 1600
DEFAULT_MARGIN_M = 10.0  # [m] around the network when it is framed whole
MIN_ENTITY_PX = 4.0  # [px] smallest drawn box side, so a pedestrian stays visible
FONT = cv2.FONT_HERSHEY_SIMPLEX


@dataclass(frozen=True)
class Hud:
    """What is written over the image: the time, one entity's speed, a scale bar, a title."""

    show_time: bool = True
    speed_of: str | None = None
    scale_bar: bool = True
    title: str = ""


@dataclass(frozen=True)
class Window:
    """A ``width_px`` x ``height_px`` view centred on world point ``(center_x, center_y)`` m."""

    center_x: float
    center_y: float
    width_px: int
    height_px: int


def _fixed_point(transform: PixelTransform, points: F64) -> npt.NDArray[np.int32]:
    """World points ``(n, 2)`` to OpenCV fixed-point pixel coordinates (pixel centres at .5)."""
    u, v = transform.to_pixel(points[:, 0], points[:, 1])
    # OpenCV puts integer coordinate c at the centre of pixel c; our u puts it at c + 0.5
    pixels = np.stack([u - 0.5, v - 0.5], axis=1) * (1 << SHIFT)
    return np.round(pixels).astype(np.int32)


def _filled(height: int, width: int, color: style.Color) -> Image:
    image = np.empty((height, width, 3), dtype=np.uint8)
    # several times faster than numpy's broadcast assignment on large images
    cv2.rectangle(image, (0, 0), (width, height), color, -1)
    return image


def _rasterise(geometry: RoadGeometry, transform: PixelTransform) -> Image:
    image = _filled(transform.height, transform.width, style.BACKGROUND)
    ordered = sorted(
        geometry.surfaces, key=lambda surface: surface.lane_type.lower() in style.DRIVABLE_TYPES
    )
    for surface in ordered:
        if np.all(np.isfinite(surface.polygon)):
            cv2.fillPoly(
                image,
                [_fixed_point(transform, surface.polygon)],
                style.lane_surface_color(surface.lane_type),
                cv2.LINE_8,
                SHIFT,
            )
    for edge in geometry.edges:
        _polyline(image, transform, edge, style.ROAD_EDGE, 1)
    step_m = max(0.05, 1.0 / transform.px_per_m)
    for mark in geometry.marks:
        thickness = max(1, round(mark.width_m * transform.px_per_m))
        color = style.mark_color(mark.color)
        if mark.style is LineStyle.SOLID:
            _polyline(image, transform, mark.points, color, thickness)
            continue
        dash, gap = (DASH_LENGTH_M, DASH_GAP_M) if mark.style is LineStyle.BROKEN else (0.3, 1.2)
        for piece in dash_segments(mark.points, dash, gap, step_m):
            _polyline(image, transform, piece, color, thickness)
    return image


def _polyline(
    image: Image, transform: PixelTransform, points: F64, color: style.Color, thickness: int
) -> None:
    finite = points[np.all(np.isfinite(points), axis=1)]
    if len(finite) >= 2:
        cv2.polylines(
            image, [_fixed_point(transform, finite)], False, color, thickness, cv2.LINE_AA, SHIFT
        )


class RoadCanvas:
    """A road network rasterised once at ``transform.px_per_m`` over ``transform.region``."""

    def __init__(self, road_image: Image, transform: PixelTransform) -> None:
        if road_image.shape != (transform.height, transform.width, 3):
            raise ValueError(f"image {road_image.shape} does not match {transform}")
        self._road = road_image
        self._road.flags.writeable = False
        self.transform = transform

    @classmethod
    def from_network(
        cls,
        network: RoadNetwork,
        region: Region | None = None,
        px_per_m: float | None = None,
        *,
        max_side_px: int = DEFAULT_MAX_SIDE_PX,
        margin_m: float = DEFAULT_MARGIN_M,
    ) -> RoadCanvas:
        """Rasterise ``network`` over ``region`` (default: the whole network plus ``margin_m``).

        ``px_per_m`` defaults to the scale that fits the longer side in ``max_side_px`` pixels
        (at most 10 px/m). Raises ``InvalidArgument`` for a network with no drawable lane, a
        bad scale, or an image over ``view.MAX_CANVAS_PIXELS``.
        """
        if region is None:
            region = road_bounds(network).expanded(margin_m)
        if px_per_m is None:
            px_per_m = fit_px_per_m(region, max_side_px)
        transform = PixelTransform.for_region(region, px_per_m)
        # about one vertex per 1.5 px; 0.5 m keeps arcs within millimetres of the true line
        step_m = min(2.0, max(0.5, 1.5 / transform.px_per_m))
        geometry = sample_network(network, step_m=step_m)
        return cls(_rasterise(geometry, transform), transform)

    @property
    def road_image(self) -> Image:
        """The rasterised road, shape ``(height, width, 3)`` BGR uint8 (read-only)."""
        return self._road

    def draw(
        self,
        frame: WorldFrame | None = None,
        *,
        highlight: str | Collection[str] = (),
        hud: Hud | None = Hud(),
        window: Window | None = None,
        labels: bool = False,
    ) -> Image:
        """A new BGR image ``(H, W, 3)`` uint8: the road, ``frame``'s entities and the HUD.

        ``window`` crops a fixed-size view around a world point (parts off the canvas are
        background); otherwise the whole canvas is drawn. ``highlight`` ids get a ring.
        """
        image, transform = self._base(window)
        highlighted = {highlight} if isinstance(highlight, str) else set(highlight)
        if frame is not None:
            for entity in frame.entities:
                _draw_entity(image, transform, entity, entity.id in highlighted, labels)
        if hud is not None:
            _draw_hud(image, transform, frame, hud)
        return image

    def _base(self, window: Window | None) -> tuple[Image, PixelTransform]:
        if window is None:
            return self._road.copy(), self.transform
        if window.width_px < 1 or window.height_px < 1:
            raise InvalidArgument(
                "empty view window",
                [FieldViolation("window", f"{window.width_px} x {window.height_px} px; need >= 1")],
            )
        u, v = self.transform.to_pixel(window.center_x, window.center_y)
        if not (math.isfinite(float(u)) and math.isfinite(float(v))):
            raise InvalidArgument(
                "view window centre must be finite",
                [FieldViolation("window.center", f"({window.center_x}, {window.center_y})")],
            )
        col0 = round(float(u) - window.width_px / 2)
        row0 = round(float(v) - window.height_px / 2)
        src_r0, src_c0 = max(0, row0), max(0, col0)
        src_r1 = min(self.transform.height, row0 + window.height_px)
        src_c1 = min(self.transform.width, col0 + window.width_px)
        inside = (src_r1 - src_r0, src_c1 - src_c0) == (window.height_px, window.width_px)
        if inside:  # the usual case: a plain copy, no background fill first
            shifted = self.transform.shifted(col0, row0, window.width_px, window.height_px)
            return self._road[src_r0:src_r1, src_c0:src_c1].copy(), shifted
        image = _filled(window.height_px, window.width_px, style.BACKGROUND)
        if src_r0 < src_r1 and src_c0 < src_c1:
            image[src_r0 - row0 : src_r1 - row0, src_c0 - col0 : src_c1 - col0] = self._road[
                src_r0:src_r1, src_c0:src_c1
            ]
        return image, self.transform.shifted(col0, row0, window.width_px, window.height_px)


def _box(entity: EntityFrame, length: float, width: float, forward: float = 0.0) -> F64:
    """Corners ``(4, 2)`` of a box of ``length`` x ``width`` m, shifted ``forward`` m."""
    cos, sin = math.cos(entity.heading), math.sin(entity.heading)
    half_l, half_w = 0.5 * length, 0.5 * width
    local = np.array([[half_l, half_w], [-half_l, half_w], [-half_l, -half_w], [half_l, -half_w]])
    local[:, 0] += forward
    x = entity.x + local[:, 0] * cos - local[:, 1] * sin
    y = entity.y + local[:, 0] * sin + local[:, 1] * cos
    return np.stack([x, y], axis=1)


def _draw_entity(
    image: Image, transform: PixelTransform, entity: EntityFrame, highlighted: bool, label: bool
) -> None:
    min_m = MIN_ENTITY_PX / transform.px_per_m
    length, width = max(entity.length, min_m), max(entity.width, min_m)
    u, v = transform.to_pixel(entity.x, entity.y)
    reach_px = (length + width) * transform.px_per_m + 100.0  # the box, its ring and label
    if not (
        -reach_px < u < transform.width + reach_px and -reach_px < v < transform.height + reach_px
    ):
        return  # off the image: most entities of a followed view
    corners = _fixed_point(transform, _box(entity, length, width))
    if highlighted:
        ring = 6.0 / transform.px_per_m
        halo = _fixed_point(transform, _box(entity, length + ring, width + ring))
        cv2.polylines(image, [halo], True, style.HIGHLIGHT, 2, cv2.LINE_AA, SHIFT)
    cv2.fillConvexPoly(image, corners, style.ENTITY_FILL[entity.kind], cv2.LINE_AA, SHIFT)
    cv2.polylines(image, [corners], True, style.ENTITY_OUTLINE, 1, cv2.LINE_AA, SHIFT)
    # the arrow starts ahead of the centre so the centre pixel keeps the kind's colour
    cos, sin = math.cos(entity.heading), math.sin(entity.heading)
    start_m = max(0.15 * length, 2.0 / transform.px_per_m)
    end_m = max(0.45 * length, start_m + 4.0 / transform.px_per_m)
    ends = np.array(
        [
            [entity.x + start_m * cos, entity.y + start_m * sin],
            [entity.x + end_m * cos, entity.y + end_m * sin],
        ]
    )
    tail, tip = _fixed_point(transform, ends)
    thickness = max(1, round(0.12 * width * transform.px_per_m))
    cv2.arrowedLine(
        image,
        (int(tail[0]), int(tail[1])),
        (int(tip[0]), int(tip[1])),
        style.HEADING_ARROW,
        thickness,
        cv2.LINE_AA,
        SHIFT,
        0.4,
    )
    if label:
        offset = 0.5 * max(length, width) * transform.px_per_m + 4
        _text(image, entity.name, (int(u + offset), int(v - offset)), 0.4)


def _text(image: Image, text: str, origin: tuple[int, int], scale: float) -> None:
    cv2.putText(image, text, origin, FONT, scale, style.HUD_SHADOW, 3, cv2.LINE_AA)
    cv2.putText(image, text, origin, FONT, scale, style.HUD_TEXT, 1, cv2.LINE_AA)


def nice_length_m(max_m: float) -> float:
    """The largest 1, 2 or 5 x 10^k m not over ``max_m`` (the scale bar's length)."""
    exponent = math.floor(math.log10(max_m))
    for mantissa in (5.0, 2.0, 1.0):
        if mantissa * 10.0**exponent <= max_m:
            return mantissa * 10.0**exponent
    return 10.0**exponent


def _draw_hud(image: Image, transform: PixelTransform, frame: WorldFrame | None, hud: Hud) -> None:
    height, width = image.shape[:2]
    lines = [hud.title] if hud.title else []
    if hud.show_time and frame is not None:
        lines.append(f"t = {frame.time:7.2f} s")
    if hud.speed_of is not None and frame is not None:
        entity = frame.entity(hud.speed_of)
        if entity is not None:
            lines.append(f"{entity.name}: {entity.speed:5.1f} m/s  {entity.speed * 3.6:5.1f} km/h")
    for i, line in enumerate(lines):
        _text(image, line, (10, 22 + 20 * i), 0.55)
    if hud.scale_bar and width >= 60 and height >= 40:
        bar_m = nice_length_m(0.25 * width / transform.px_per_m)
        bar_px = round(bar_m * transform.px_per_m)
        x0, y0 = 12, height - 14
        for color, thickness in ((style.HUD_SHADOW, 4), (style.HUD_TEXT, 2)):
            cv2.line(image, (x0, y0), (x0 + bar_px, y0), color, thickness)
            cv2.line(image, (x0, y0 - 6), (x0, y0), color, thickness)
            cv2.line(image, (x0 + bar_px, y0 - 6), (x0 + bar_px, y0), color, thickness)
        label = f"{bar_m:g} m" if bar_m < 1000 else f"{bar_m / 1000:g} km"
        _text(image, label, (x0 + bar_px + 6, y0 + 4), 0.45)
