"""Text logs of a run: CSV rows of entity states and JSON lines of storyboard transitions.

CSV columns ``time,id,name,x,y,z,heading,pitch,roll,speed`` (s, m, rad, m/s), one row per
entity per step, numbers with fixed decimals so that two runs compare byte for byte.
"""

from __future__ import annotations

import json
from typing import TextIO

from simhub.engine.batch import BatchWorld
from simhub.engine.context import LogEntry

CSV_HEADER = "time,id,name,x,y,z,heading,pitch,roll,speed\n"


def csv_rows(batch: BatchWorld, episode: int = 0) -> str:
    """Rows of every present entity of ``episode`` at the current time."""
    w = batch.world
    e = episode
    lines = []
    for k, entity in enumerate(w.entities):
        if not w.present[e, k]:
            continue
        lines.append(
            f"{w.time:.3f},{k},{entity.name},{w.x[e, k]:.4f},{w.y[e, k]:.4f},{w.z[e, k]:.4f},"
            f"{w.heading[e, k]:.5f},{w.pitch[e, k]:.5f},{w.roll[e, k]:.5f},{w.speed[e, k]:.4f}\n")
    return "".join(lines)


def event_line(entry: LogEntry) -> str:
    """One JSON line ``{"time", "element", "kind", "state"}`` (time rounded to 1 us)."""
    return json.dumps({"time": round(entry.time, 6), "element": entry.element,
                       "kind": entry.kind, "state": entry.state}) + "\n"


def write_events(entries: list[LogEntry], out: TextIO) -> None:
    for entry in entries:
        out.write(event_line(entry))
