"""Stills: a PNG (or JPEG) preview of one instant, as a file or as bytes; framing rules."""

from __future__ import annotations

import os
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Literal

import cv2

from simhub.errors import FailedPrecondition, FieldViolation, InvalidArgument
from simhub.render.canvas import Hud, Image, RoadCanvas
from simhub.render.frames import WorldFrame
from simhub.render.road_geometry import road_bounds
from simhub.render.view import Region
from simhub.road import RoadNetwork

Framing = Region | Literal["network", "entities"]

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
ENTITY_MARGIN_M = 30.0  # [m] around the entities when framing them
MIN_ENTITY_VIEW_M = 80.0  # [m] smallest side of an entity-framed view
NETWORK_MARGIN_M = 10.0  # [m] around the whole network
MIN_ASPECT = 0.4  # short side / long side of a framed view, at least


def check_path(path: str | Path, allowed: tuple[str, ...]) -> Path:
    """``path`` if its suffix is in ``allowed`` and its directory is writable."""
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in allowed:
        raise InvalidArgument(
            f"cannot write {target}: unknown file type",
            [
                FieldViolation(
                    "path", f"suffix {suffix or '(none)'!r}; allowed: {', '.join(allowed)}"
                )
            ],
        )
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir() or not os.access(parent, os.W_OK) or target.is_dir():
        raise InvalidArgument(
            f"cannot write {target}",
            [FieldViolation("path", f"{parent} is not a writable directory")],
        )
    return target


def entity_region(frames: Sequence[WorldFrame], entity_id: str | None = None) -> Region | None:
    """The box around every entity (or ``entity_id``) of every frame; None when there is none."""
    xs = [e.x for f in frames for e in f.entities if entity_id is None or e.id == entity_id]
    ys = [e.y for f in frames for e in f.entities if entity_id is None or e.id == entity_id]
    if not xs:
        return None
    region = Region.around(xs, ys, ENTITY_MARGIN_M)
    grow = 0.5 * max(0.0, MIN_ENTITY_VIEW_M - min(region.width, region.height))
    return region.expanded(grow)


def frame_region(network: RoadNetwork, frames: Sequence[WorldFrame], framing: Framing) -> Region:
    """The world rectangle ``framing`` picks, in m.

    ``"network"`` is the whole network plus 10 m; ``"entities"`` the box around every entity
    of every frame plus 30 m (at least 80 m a side), or the whole network when there are no
    entities. Both are widened to at least ``MIN_ASPECT`` so that a long straight road still
    leaves room for the HUD. A ``Region`` is taken as it is.
    """
    if isinstance(framing, Region):
        return framing
    if framing not in ("network", "entities"):
        raise InvalidArgument(
            "unknown framing",
            [FieldViolation("region", f"{framing!r}; allowed: a Region, 'network', 'entities'")],
        )
    region = entity_region(frames) if framing == "entities" else None
    if region is None:
        region = road_bounds(network).expanded(NETWORK_MARGIN_M)
    return _widened(region, MIN_ASPECT)


def _widened(region: Region, min_aspect: float) -> Region:
    """``region`` grown about its centre until its short side is ``min_aspect`` x its long."""
    short = min_aspect * max(region.width, region.height)
    cx, cy = region.center
    half_w, half_h = 0.5 * max(region.width, short), 0.5 * max(region.height, short)
    return Region(cx - half_w, cy - half_h, cx + half_w, cy + half_h)


def render_image(
    network: RoadNetwork,
    frame: WorldFrame | None,
    *,
    region: Framing = "network",
    px_per_m: float | None = None,
    highlight: str | Collection[str] = (),
    hud: Hud | None = Hud(),
    labels: bool = True,
    max_side_px: int = 1600,
) -> Image:
    """One BGR image ``(H, W, 3)`` uint8 of ``network`` and ``frame``'s entities."""
    frames = [frame] if frame is not None else []
    canvas = RoadCanvas.from_network(
        network, frame_region(network, frames, region), px_per_m, max_side_px=max_side_px
    )
    return canvas.draw(frame, highlight=highlight, hud=hud, labels=labels)


def encode_png(image: Image) -> bytes:
    """PNG bytes of a BGR image (for the web UI and the Render RPC)."""
    ok, data = cv2.imencode(".png", image)
    if not ok:
        raise FailedPrecondition("OpenCV could not encode the image as PNG")
    return bytes(data.tobytes())


def render_png(
    network: RoadNetwork,
    frame: WorldFrame | None,
    path: str | Path,
    *,
    region: Framing = "network",
    px_per_m: float | None = None,
    highlight: str | Collection[str] = (),
    hud: Hud | None = Hud(),
    labels: bool = True,
    max_side_px: int = 1600,
) -> Path:
    """Write a still of ``network`` with ``frame``'s entities to ``path`` (.png, .jpg).

    Framing and scale as in ``render_image``. Raises ``InvalidArgument`` for an unknown suffix
    or an unwritable directory.
    """
    target = check_path(path, IMAGE_SUFFIXES)
    image = render_image(
        network,
        frame,
        region=region,
        px_per_m=px_per_m,
        highlight=highlight,
        hud=hud,
        labels=labels,
        max_side_px=max_side_px,
    )
    if not cv2.imwrite(str(target), image):
        raise InvalidArgument(f"cannot write {target}", [FieldViolation("path", "write failed")])
    return target


__all__ = [
    "IMAGE_SUFFIXES",
    "Framing",
    "check_path",
    "encode_png",
    "entity_region",
    "frame_region",
    "render_image",
    "render_png",
]
