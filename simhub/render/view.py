"""World rectangles and the world <-> pixel mapping of a north-up bird's-eye image.

World: x east, y north, in m. Image: column ``u`` to the right, row ``v`` down, in pixels;
pixel ``(row, col)`` covers ``u`` in ``[col, col + 1)`` and ``v`` in ``[row, row + 1)``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from simhub.errors import FieldViolation, InvalidArgument

F64 = npt.NDArray[np.float64]

MAX_CANVAS_PIXELS = 64_000_000
"""Largest road canvas (width x height) the renderer allocates: 192 MB of BGR."""


@dataclass(frozen=True)
class Region:
    """An axis-aligned world rectangle in m; ``x_min < x_max`` and ``y_min < y_max``."""

    x_min: float
    y_min: float
    x_max: float
    y_max: float

    def __post_init__(self) -> None:
        values = (self.x_min, self.y_min, self.x_max, self.y_max)
        if not all(math.isfinite(v) for v in values):
            raise InvalidArgument(
                "region must be finite", [FieldViolation("region", f"{values} has NaN or inf")]
            )
        if not (self.x_min < self.x_max and self.y_min < self.y_max):
            raise InvalidArgument(
                "region is empty",
                [FieldViolation("region", f"{values}: need x_min < x_max and y_min < y_max")],
            )

    @property
    def width(self) -> float:
        """East-west extent in m."""
        return self.x_max - self.x_min

    @property
    def height(self) -> float:
        """North-south extent in m."""
        return self.y_max - self.y_min

    @property
    def center(self) -> tuple[float, float]:
        """Centre ``(x, y)`` in m."""
        return 0.5 * (self.x_min + self.x_max), 0.5 * (self.y_min + self.y_max)

    def expanded(self, margin_m: float) -> Region:
        """This region grown by ``margin_m`` on every side."""
        return Region(
            self.x_min - margin_m,
            self.y_min - margin_m,
            self.x_max + margin_m,
            self.y_max + margin_m,
        )

    def union(self, other: Region) -> Region:
        """The smallest region holding both."""
        return Region(
            min(self.x_min, other.x_min),
            min(self.y_min, other.y_min),
            max(self.x_max, other.x_max),
            max(self.y_max, other.y_max),
        )

    @staticmethod
    def around(xs: Iterable[float], ys: Iterable[float], margin_m: float) -> Region:
        """The bounding box of points, grown by ``margin_m`` (>= 1 m so a point has an area)."""
        x = np.fromiter(xs, dtype=np.float64)
        y = np.fromiter(ys, dtype=np.float64)
        if x.size == 0 or x.size != y.size:
            raise InvalidArgument(
                "cannot frame nothing", [FieldViolation("points", "need at least one (x, y)")]
            )
        margin = max(margin_m, 1.0)
        return Region(
            float(x.min()) - margin,
            float(y.min()) - margin,
            float(x.max()) + margin,
            float(y.max()) + margin,
        )


@dataclass(frozen=True)
class PixelTransform:
    """Maps world m to image pixels: ``u = (x - x_min) * px_per_m``, ``v = (y_max - y) * px_per_m``.

    ``width`` x ``height`` is the image size in pixels.
    """

    x_min: float
    y_max: float
    px_per_m: float
    width: int
    height: int

    @staticmethod
    def for_region(region: Region, px_per_m: float) -> PixelTransform:
        """The transform of an image covering ``region`` (rounded up to whole pixels)."""
        if not (math.isfinite(px_per_m) and px_per_m > 0.0):
            raise InvalidArgument(
                "bad image scale", [FieldViolation("px_per_m", f"{px_per_m}; must be > 0")]
            )
        width = max(1, math.ceil(region.width * px_per_m))
        height = max(1, math.ceil(region.height * px_per_m))
        if width * height > MAX_CANVAS_PIXELS:
            largest = math.sqrt(MAX_CANVAS_PIXELS / (region.width * region.height))
            raise InvalidArgument(
                "image too large",
                [
                    FieldViolation(
                        "px_per_m",
                        f"{px_per_m} px/m over {region.width:.0f} x {region.height:.0f} m gives "
                        f"{width} x {height} px; at most {MAX_CANVAS_PIXELS} px allowed, "
                        f"so px_per_m <= {largest:.3f} or a smaller region",
                    )
                ],
            )
        return PixelTransform(region.x_min, region.y_max, float(px_per_m), width, height)

    @property
    def region(self) -> Region:
        """The world rectangle the image covers, in m."""
        return Region(
            self.x_min,
            self.y_max - self.height / self.px_per_m,
            self.x_min + self.width / self.px_per_m,
            self.y_max,
        )

    def to_pixel(self, x: npt.ArrayLike, y: npt.ArrayLike) -> tuple[F64, F64]:
        """Continuous pixel coordinates ``(u, v)`` of world points; shapes follow ``x``, ``y``."""
        u = (np.asarray(x, dtype=np.float64) - self.x_min) * self.px_per_m
        v = (self.y_max - np.asarray(y, dtype=np.float64)) * self.px_per_m
        return u, v

    def to_world(self, u: npt.ArrayLike, v: npt.ArrayLike) -> tuple[F64, F64]:
        """World points ``(x, y)`` in m of continuous pixel coordinates; inverse of ``to_pixel``."""
        x = np.asarray(u, dtype=np.float64) / self.px_per_m + self.x_min
        y = self.y_max - np.asarray(v, dtype=np.float64) / self.px_per_m
        return x, y

    def pixel_index(self, x: float, y: float) -> tuple[int, int]:
        """``(row, col)`` of the pixel holding world point ``(x, y)``; may lie outside the image."""
        u, v = self.to_pixel(x, y)
        return math.floor(float(v)), math.floor(float(u))

    def contains(self, row: int, col: int) -> bool:
        """Whether ``(row, col)`` is inside the image."""
        return 0 <= row < self.height and 0 <= col < self.width

    def shifted(self, col0: int, row0: int, width: int, height: int) -> PixelTransform:
        """The transform of the ``width`` x ``height`` sub-image with top-left ``(row0, col0)``."""
        return PixelTransform(
            self.x_min + col0 / self.px_per_m,
            self.y_max - row0 / self.px_per_m,
            self.px_per_m,
            width,
            height,
        )


def fit_px_per_m(region: Region, max_side_px: int, max_px_per_m: float = 10.0) -> float:
    """The scale (px/m) at which ``region``'s longer side spans ``max_side_px``, capped."""
    return min(max_px_per_m, max_side_px / max(region.width, region.height))
