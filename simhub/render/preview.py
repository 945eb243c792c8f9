"""Scenario previews: compile a scenario with the engine, step it to a time, draw it.

Glue between the engine (core) and the drawing (this adapter): used by the ScenarioService's
Render RPC, the web UI's scenario page and ``simhub scenario render``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from simhub.engine import BatchWorld, load_batch
from simhub.engine.world import KIND_MISC, KIND_PEDESTRIAN
from simhub.errors import FieldViolation, InvalidArgument
from simhub.render.canvas import Hud
from simhub.render.frames import EntityKind, WorldFrame
from simhub.render.output import encode_png, render_image
from simhub.render.video import render_video

PREVIEW_DT_S = 0.05  # coarser than a run: a preview needs positions, not event timing
MAX_PREVIEW_TIME_S = 600.0

_KINDS = {KIND_PEDESTRIAN: EntityKind.PEDESTRIAN, KIND_MISC: EntityKind.MISC}


def world_frame(batch: BatchWorld, episode: int = 0) -> WorldFrame:
    """The entities of one episode of *batch* now, as a ``WorldFrame`` (present ones only)."""
    w = batch.world
    present = np.flatnonzero(w.present[episode] & w.visible[episode])
    names = [w.entities[i].name for i in present]
    heading = w.heading[episode, present]
    # (x, y) is the entity's reference point; the box centre sits at (center_x, center_y) in
    # its own frame (OpenSCENARIO BoundingBox.Center).
    cx, cy = w.center_x[episode, present], w.center_y[episode, present]
    cos, sin = np.cos(heading), np.sin(heading)
    return WorldFrame.from_arrays(
        w.time,
        ids=names,
        kinds=[_KINDS.get(w.entities[i].kind, EntityKind.VEHICLE) for i in present],
        x=w.x[episode, present] + cx * cos - cy * sin,
        y=w.y[episode, present] + cx * sin + cy * cos,
        heading=heading,
        length=w.length[episode, present],
        width=w.width[episode, present],
        speed=w.speed[episode, present],
        names=names,
    )


def preview_png(scenario_file: Path, at_time_s: float = 0.0, max_side_px: int = 1000) -> bytes:
    """A PNG bird's-eye view of *scenario_file* at *at_time_s* (first variant of a
    distribution); the first entity (the ego by convention) is highlighted."""
    if not 0.0 <= at_time_s <= MAX_PREVIEW_TIME_S:
        raise InvalidArgument(
            f"preview time {at_time_s} s is out of range",
            [
                FieldViolation(
                    "at_time_s", f"found {at_time_s}; allowed 0 to {MAX_PREVIEW_TIME_S} s"
                )
            ],
        )
    batch = load_batch(scenario_file, PREVIEW_DT_S)
    batch.step()  # the Init actions place the entities
    if at_time_s > batch.world.time:
        batch.run(duration=at_time_s)
    if batch.network is None:
        raise InvalidArgument(f"{scenario_file.name}: the scenario has no road network to draw")
    frame = world_frame(batch)
    ego = frame.entities[0].id if frame.entities else ()
    hud = Hud(speed_of=ego or None, title=scenario_file.stem)
    image = render_image(
        batch.network, frame, region="entities", highlight=ego, hud=hud, max_side_px=max_side_px
    )
    return encode_png(image)


def scenario_video(
    scenario_file: Path,
    out: Path,
    *,
    duration_s: float | None = None,
    fps: float = 20.0,
    follow: str | None = None,
    size_px: tuple[int, int] = (1280, 720),
) -> int:
    """Run *scenario_file* headless and write a video of it (``.mp4``, ``.avi`` or ``.gif``),
    one frame every 1/*fps* s of simulation; returns the number of frames written. Without
    *duration_s* it runs until the storyboard ends (at most ``MAX_PREVIEW_TIME_S``)."""
    if not 1.0 <= fps <= 100.0:
        raise InvalidArgument(
            f"fps {fps} out of range", [FieldViolation("fps", f"found {fps}; allowed 1 to 100")]
        )
    dt = min(0.01, 1.0 / fps)
    batch = load_batch(scenario_file, dt)
    if batch.network is None:
        raise InvalidArgument(f"{scenario_file.name}: the scenario has no road network to draw")
    end = min(duration_s if duration_s is not None else MAX_PREVIEW_TIME_S, MAX_PREVIEW_TIME_S)
    frames: list[WorldFrame] = []
    next_frame = 0.0
    batch.step()
    while batch.world.time <= end + 1e-9:
        if batch.world.time + 1e-9 >= next_frame:
            frames.append(world_frame(batch))
            next_frame += 1.0 / fps
        if duration_s is None and bool(batch.done.all()):
            break
        batch.step()
    ego = follow or (frames[0].entities[0].id if frames and frames[0].entities else None)
    info = render_video(
        batch.network,
        frames,
        out,
        fps=fps,
        follow=follow,
        size_px=size_px,
        highlight=ego or (),
        hud=Hud(speed_of=ego, title=scenario_file.stem),
    )
    return info.frame_count
