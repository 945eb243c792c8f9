"""The engine's output as JSON for the browser's replay canvas: the road sampled into lane
polygons, and per-step entity boxes, decimated to a frame rate the canvas animates.

Read-only glue, like ``simhub.render.preview``: compile with the engine, step, sample.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from simhub.engine import load_batch
from simhub.errors import FieldViolation, InvalidArgument
from simhub.render.preview import world_frame
from simhub.render.road_geometry import sample_network
from simhub.scenario.library import Bundle, materialize

REPLAY_DT_S = 0.05  # [s] engine step of a replay: positions, not event timing
MAX_REPLAY_S = 120.0  # [s] the longest replay a browser is sent
ROAD_STEP_M = 2.0  # [m] sampling of lane borders (the canvas needs no finer)


def _points(array: Any) -> list[list[float]]:
    finite = array[np.all(np.isfinite(array), axis=1)]
    return [[round(float(x), 2), round(float(y), 2)] for x, y in finite]


def replay(scenario_file: Path, duration_s: float = 30.0, fps: float = 10.0) -> dict[str, Any]:
    """Run *scenario_file* (its first variant) for at most *duration_s* s or until its
    storyboard ends; return ``{"road": {...}, "entities": [...], "frames": [...]}``.

    Each frame is ``{"t": s, "x": [m], "y": [m], "h": [rad], "v": [m/s]}`` with one value per
    entity (``null`` while an entity is absent); boxes are centred at (x, y).
    """
    if not (0.0 < duration_s <= MAX_REPLAY_S and 0.5 <= fps <= 50.0):
        raise InvalidArgument(
            "replay length or rate out of range",
            [
                FieldViolation("duration_s", f"found {duration_s}; allowed (0, {MAX_REPLAY_S}]"),
                FieldViolation("fps", f"found {fps}; allowed 0.5 to 50"),
            ],
        )
    batch = load_batch(scenario_file, REPLAY_DT_S)
    every = max(1, round(1.0 / (fps * REPLAY_DT_S)))
    entities = batch.world.entities
    index = {e.name: i for i, e in enumerate(entities)}
    info: dict[str, dict[str, Any]] = {}
    frames: list[dict[str, Any]] = []
    step = 0
    batch.step()  # the Init actions place the entities
    while True:
        if step % every == 0:
            frame = world_frame(batch)
            xs: list[float | None] = [None] * len(entities)
            ys, hs, vs = list(xs), list(xs), list(xs)
            for entity in frame.entities:
                i = index[entity.id]
                xs[i], ys[i] = round(entity.x, 2), round(entity.y, 2)
                hs[i], vs[i] = round(entity.heading, 3), round(entity.speed, 2)
                info.setdefault(
                    entity.id,
                    {"length": entity.length, "width": entity.width, "kind": entity.kind.value},
                )
            frames.append({"t": round(batch.time, 3), "x": xs, "y": ys, "h": hs, "v": vs})
        if batch.time >= duration_s - 1e-9 or bool(batch.done.all()):
            break
        batch.step()
        step += 1
    road: dict[str, Any] = {"lanes": [], "marks": [], "bounds": None}
    if batch.network is not None:
        geometry = sample_network(batch.network, ROAD_STEP_M)
        road["lanes"] = [
            {"type": s.lane_type, "points": _points(s.polygon)} for s in geometry.surfaces
        ]
        road["marks"] = [
            {"style": m.style.value, "points": _points(m.points)} for m in geometry.marks
        ]
        b = geometry.bounds
        road["bounds"] = [b.x_min, b.y_min, b.x_max, b.y_max]
    return {
        "dt_s": REPLAY_DT_S * every,
        "entities": [
            {"name": e.name, **info.get(e.name, {"length": 4.5, "width": 1.8, "kind": "vehicle"})}
            for e in entities
        ],
        "frames": frames,
        "road": road,
    }


def bundle_replay(bundle: Bundle, duration_s: float, fps: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="simhub-replay-") as tmp:
        return replay(materialize(bundle, Path(tmp)), duration_s, fps)
