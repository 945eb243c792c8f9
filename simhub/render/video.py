"""Videos: MP4 (or AVI, GIF) of a run, with a fixed view or one that follows an entity."""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from simhub.errors import FailedPrecondition, FieldViolation, InvalidArgument
from simhub.render.canvas import Hud, Image, RoadCanvas, Window
from simhub.render.frames import WorldFrame
from simhub.render.output import Framing, check_path, entity_region, frame_region
from simhub.render.road_geometry import road_bounds
from simhub.render.view import Region
from simhub.road import RoadNetwork

VIDEO_SUFFIXES = (".mp4", ".avi", ".gif")
MP4_CODECS = ("mp4v", "avc1")  # tried in this order
FOLLOW_PX_PER_M = 8.0  # [px/m] default scale of a view that follows an entity
MAX_GIF_FRAMES = 2000  # a GIF holds every frame in memory before it is written


@dataclass(frozen=True)
class VideoInfo:
    """What ``render_video`` wrote: ``frame_count`` frames of ``width`` x ``height`` px."""

    path: Path
    frame_count: int
    width: int
    height: int
    fps: float
    codec: str


class VideoRecorder:
    """Images to a video file, one at a time: ``with VideoRecorder(path, fps, w, h) as video:
    video.write(canvas.draw(frame, window=...))``, for callers that stream frames (a long
    session export) instead of handing ``render_video`` a sequence.

    .mp4 tries the ``mp4v`` then ``avc1`` codec, .avi uses MJPG, .gif keeps the frames in
    memory (at most 2000) and writes them on ``close``. Every image must be ``(height, width,
    3)`` uint8 BGR. Raises ``InvalidArgument`` for a bad path or size, ``FailedPrecondition``
    when OpenCV has no encoder for the suffix.
    """

    def __init__(self, path: str | Path, fps: float, width: int, height: int) -> None:
        path = check_path(path, VIDEO_SUFFIXES)
        if not (math.isfinite(fps) and fps > 0.0):
            raise InvalidArgument("bad frame rate", [FieldViolation("fps", f"{fps}; must be > 0")])
        if width < 1 or height < 1:
            raise InvalidArgument(
                "empty video", [FieldViolation("size", f"{width} x {height} px; need >= 1")]
            )
        self.path = path
        self.width, self.height = width, height
        self.frame_count = 0
        self._gif: list[Image] | None = None
        self._fps = fps
        self._closed = False
        suffix = path.suffix.lower()
        if suffix == ".gif":
            self._gif, self.codec = [], "gif"
            return
        codecs = MP4_CODECS if suffix == ".mp4" else ("MJPG",)
        for codec in codecs:
            writer = cv2.VideoWriter(
                str(path), cv2.VideoWriter.fourcc(*codec), fps, (width, height)
            )
            if writer.isOpened():
                self._writer, self.codec = writer, codec
                return
            writer.release()
        raise FailedPrecondition(
            f"this OpenCV build has no {suffix} encoder (tried {', '.join(codecs)}); "
            f"write {' or '.join(s for s in VIDEO_SUFFIXES if s != suffix)} instead, or install "
            "the opencv-python-headless wheel from PyPI, which bundles FFmpeg"
        )

    def __enter__(self) -> VideoRecorder:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def write(self, image: Image) -> None:
        """Append one BGR image of the recorder's size."""
        if image.shape != (self.height, self.width, 3) or image.dtype != np.uint8:
            raise InvalidArgument(
                "image does not fit the video",
                [
                    FieldViolation(
                        "image",
                        f"{image.shape} {image.dtype}; need ({self.height}, {self.width}, 3) uint8",
                    )
                ],
            )
        self.frame_count += 1
        if self._gif is not None:
            if len(self._gif) >= MAX_GIF_FRAMES:
                raise InvalidArgument(
                    "too many frames for a GIF",
                    [FieldViolation("frames", f"at most {MAX_GIF_FRAMES} for .gif; use .mp4")],
                )
            self._gif.append(image)
        else:
            self._writer.write(image)

    def close(self) -> None:
        """Finish the file (idempotent)."""
        if self._closed:
            return
        self._closed = True
        if self._gif is None:
            self._writer.release()
            return
        animation = cv2.Animation()
        animation.frames = self._gif
        animation.durations = [round(1000.0 / self._fps)] * len(self._gif)
        animation.loop_count = 0
        if not cv2.imwriteanimation(str(self.path), animation):
            raise InvalidArgument(f"cannot write {self.path}", [FieldViolation("path", "failed")])


def _even(n: int) -> int:
    return n + (n % 2)  # most MP4 decoders want even frame sizes


def render_video(
    network: RoadNetwork,
    frames: Sequence[WorldFrame],
    path: str | Path,
    *,
    fps: float = 10.0,
    follow: str | None = None,
    region: Framing = "entities",
    px_per_m: float | None = None,
    size_px: tuple[int, int] = (1280, 720),
    highlight: str | Collection[str] = (),
    hud: Hud | None = Hud(),
    labels: bool = True,
    canvas: RoadCanvas | None = None,
) -> VideoInfo:
    """Write ``frames`` (in order, one video frame each) as a video at ``fps`` frames per s.

    The video is ``size_px`` (width, height; rounded up to even) pixels. ``follow`` an entity
    id: the view is centred on that entity, at ``px_per_m`` (default 8). Otherwise the view is
    fixed on ``region`` (see ``frame_region``; default: around all entities over time),
    scaled to fit, or at ``px_per_m`` when given. A prebuilt ``canvas`` (same network) skips
    rasterising the road, e.g. for many clips of one road; the video then has its size. The
    HUD shows the followed entity's speed unless ``hud.speed_of`` names another.

    Raises ``InvalidArgument`` for no frames, a bad fps, an unknown ``follow`` id, an unknown
    suffix (allowed: .mp4, .avi, .gif) or an unwritable directory; ``FailedPrecondition`` when
    OpenCV has no encoder for the suffix.
    """
    target = check_path(path, VIDEO_SUFFIXES)
    if not frames:
        raise InvalidArgument("no frames to render", [FieldViolation("frames", "empty")])
    if not (math.isfinite(fps) and fps > 0.0):
        raise InvalidArgument("bad frame rate", [FieldViolation("fps", f"{fps}; must be > 0")])
    if hud is not None and follow is not None and hud.speed_of is None:
        hud = Hud(hud.show_time, follow, hud.scale_bar, hud.title)
    if follow is not None:
        images = _follow_images(network, frames, follow, px_per_m, size_px, canvas)
    else:
        if canvas is None:
            canvas, window = _fixed_view(network, frames, region, px_per_m, size_px)
        else:
            width, height = _even(canvas.transform.width), _even(canvas.transform.height)
            cx, cy = canvas.transform.to_world(width / 2, height / 2)
            window = Window(float(cx), float(cy), width, height)
        images = [(canvas, window, frame) for frame in frames]
    first_window = next(iter(images))[1]
    with VideoRecorder(target, fps, first_window.width_px, first_window.height_px) as sink:
        for frame_canvas, window, frame in images:
            sink.write(
                frame_canvas.draw(frame, highlight=highlight, hud=hud, window=window, labels=labels)
            )
    return VideoInfo(
        target, len(images), first_window.width_px, first_window.height_px, fps, sink.codec
    )


def _follow_images(
    network: RoadNetwork,
    frames: Sequence[WorldFrame],
    follow: str,
    px_per_m: float | None,
    size_px: tuple[int, int],
    canvas: RoadCanvas | None,
) -> list[tuple[RoadCanvas, Window, WorldFrame]]:
    trajectory = entity_region(frames, follow)
    if trajectory is None:
        known = sorted({e.id for f in frames for e in f.entities})
        raise InvalidArgument(
            f"cannot follow {follow!r}: no frame has it",
            [FieldViolation("follow", f"{follow!r}; entities: {', '.join(known) or '(none)'}")],
        )
    width, height = _even(max(2, size_px[0])), _even(max(2, size_px[1]))
    if canvas is None:
        scale = FOLLOW_PX_PER_M if px_per_m is None else px_per_m
        # the road the window can see: the trajectory plus half a window on every side
        reach = trajectory.expanded(0.5 * max(width, height) / scale)
        canvas = RoadCanvas.from_network(network, _clip_to_network(network, reach), scale)
    result = []
    center = None
    for frame in frames:
        entity = frame.entity(follow)
        if entity is not None:
            center = (entity.x, entity.y)
        if center is None:  # before the entity appears: where it first shows up
            first = next(e for f in frames for e in f.entities if e.id == follow)
            center = (first.x, first.y)
        result.append((canvas, Window(center[0], center[1], width, height), frame))
    return result


def _fixed_view(
    network: RoadNetwork,
    frames: Sequence[WorldFrame],
    framing: Framing,
    px_per_m: float | None,
    size_px: tuple[int, int],
) -> tuple[RoadCanvas, Window]:
    """A ``size_px`` (made even) view centred on the framed region, which fits inside it
    unless ``px_per_m`` is given, and a canvas covering it."""
    target = frame_region(network, frames, framing)
    width, height = _even(max(2, size_px[0])), _even(max(2, size_px[1]))
    scale = px_per_m or min(width / target.width, height / target.height)
    cx, cy = target.center
    half_w, half_h = 0.5 * width / scale, 0.5 * height / scale
    view = Region(cx - half_w, cy - half_h, cx + half_w, cy + half_h)
    return RoadCanvas.from_network(network, view, scale), Window(cx, cy, width, height)


def _clip_to_network(network: RoadNetwork, region: Region) -> Region:
    """``region`` cut to the network's box (what lies outside is background anyway)."""
    bounds = road_bounds(network).expanded(5.0)
    x_min, y_min = max(region.x_min, bounds.x_min), max(region.y_min, bounds.y_min)
    x_max, y_max = min(region.x_max, bounds.x_max), min(region.y_max, bounds.y_max)
    if x_min >= x_max or y_min >= y_max:
        return region
    return Region(x_min, y_min, x_max, y_max)


__all__ = ["VIDEO_SUFFIXES", "VideoInfo", "VideoRecorder", "render_video"]
