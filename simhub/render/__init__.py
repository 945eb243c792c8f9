"""Bird's-eye rendering with OpenCV: PNG previews and MP4 videos of a road and its entities.

The only importer of ``cv2`` in simhub. Inputs are a ``simhub.road.RoadNetwork`` and
``WorldFrame`` values (entities at one instant). ``RoadCanvas`` rasterises the road once and
draws entities per frame; ``render_png`` / ``render_video`` write files.
"""

from simhub.render.canvas import Hud, RoadCanvas, Window, nice_length_m
from simhub.render.frames import EntityFrame, EntityKind, WorldFrame
from simhub.render.output import (
    IMAGE_SUFFIXES,
    Framing,
    encode_png,
    frame_region,
    render_image,
    render_png,
)
from simhub.render.video import VIDEO_SUFFIXES, VideoInfo, VideoRecorder, render_video
from simhub.render.view import MAX_CANVAS_PIXELS, PixelTransform, Region, fit_px_per_m

__all__ = [
    "IMAGE_SUFFIXES",
    "MAX_CANVAS_PIXELS",
    "VIDEO_SUFFIXES",
    "EntityFrame",
    "EntityKind",
    "Framing",
    "Hud",
    "PixelTransform",
    "Region",
    "RoadCanvas",
    "VideoInfo",
    "VideoRecorder",
    "Window",
    "WorldFrame",
    "encode_png",
    "fit_px_per_m",
    "frame_region",
    "nice_length_m",
    "render_image",
    "render_png",
    "render_video",
]
