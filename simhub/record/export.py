"""Render a session recording as a video (``simhub session export FILE.mcap -o drive.mp4``).

The road is the network attached to the recording (``road.xodr``, a scenario session) or, for
the built-in world, a straight road along +x with the recorded lane layout (lane ``k`` centred
at ``y = k * lane_width_m``), long enough for every recorded position. Entities are drawn with
the sizes recorded in each frame; the view follows the first ego unless told otherwise.
"""

from __future__ import annotations

from pathlib import Path

from mcap.exceptions import McapError
from mcap.records import Attachment, Chunk, Metadata
from mcap.stream_reader import StreamReader, breakup_chunk

from simhub._proto.simhub.v1 import session_pb2 as pb
from simhub.errors import InvalidArgument
from simhub.record.reader import frames
from simhub.record.recorder import ROAD_ATTACHMENT
from simhub.render import EntityKind, Hud, VideoInfo, WorldFrame, render_video
from simhub.road import RoadNetwork
from simhub.road.network import parse_network

ROAD_MARGIN_M = 100.0


def recording_info(path: Path) -> tuple[dict[str, str], bytes | None]:
    """The ``session`` metadata and the attached road network (None: none) of *path*."""
    metadata: dict[str, str] = {}
    road: bytes | None = None
    with path.open("rb") as stream:
        try:
            for record in StreamReader(stream, record_size_limit=None).records:
                items = breakup_chunk(record) if isinstance(record, Chunk) else [record]
                for item in items:
                    if isinstance(item, Metadata) and item.name == "session":
                        metadata = dict(item.metadata)
                    elif isinstance(item, Attachment) and item.name == ROAD_ATTACHMENT:
                        road = bytes(item.data)
        except (McapError, EOFError, ValueError, OSError):
            pass  # a file cut short: what came before is enough
    return metadata, road


def straight_road(lanes: int, lane_width_m: float, x_min_m: float, x_max_m: float) -> RoadNetwork:
    """The built-in session road as OpenDRIVE: ``lanes`` left lanes along +x from *x_min_m*."""
    length = max(x_max_m - x_min_m, 1.0)
    left = "".join(
        f'<lane id="{k}" type="driving" level="false"><link/>'
        f'<width sOffset="0" a="{lane_width_m}" b="0" c="0" d="0"/>'
        '<roadMark sOffset="0" type="solid" weight="standard" color="standard" width="0.12"/>'
        "</lane>"
        for k in range(lanes, 0, -1)
    )
    xodr = (
        '<?xml version="1.0" encoding="UTF-8"?><OpenDRIVE><header revMajor="1" revMinor="6"/>'
        f'<road name="session" length="{length}" id="1" junction="-1"><link/>'
        f'<planView><geometry s="0" x="{x_min_m}" y="{-lane_width_m / 2}" hdg="0" '
        f'length="{length}"><line/></geometry></planView>'
        '<lanes><laneSection s="0">'
        f"<left>{left}</left>"
        '<center><lane id="0" type="none" level="false"><link/>'
        '<roadMark sOffset="0" type="solid" weight="standard" color="standard" width="0.12"/>'
        "</lane></center></laneSection></lanes></road></OpenDRIVE>"
    )
    return parse_network(xodr, "<session road>")


def world_frames(recorded: list[pb.TelemetryFrame], every: int) -> list[WorldFrame]:
    """Every *every*-th recorded frame as a ``WorldFrame`` (zero-size entities left out)."""
    out = []
    for frame in recorded[::every]:
        shown = [e for e in frame.entities if e.length > 0 and e.width > 0]
        out.append(
            WorldFrame.from_arrays(
                frame.sim_time,
                ids=[e.name for e in shown],
                kinds=[EntityKind.VEHICLE] * len(shown),
                x=[e.x for e in shown],
                y=[e.y for e in shown],
                heading=[e.yaw for e in shown],
                length=[e.length for e in shown],
                width=[e.width for e in shown],
                speed=[e.speed for e in shown],
            )
        )
    return out


def export_video(
    recording: Path,
    out: Path,
    *,
    fps: float = 25.0,
    follow: str | None = None,
    size_px: tuple[int, int] = (1280, 720),
) -> VideoInfo:
    """Write a bird's-eye video of *recording* to *out* (``.mp4``, ``.avi``, ``.gif``)."""
    recorded = frames(recording)
    if not recorded:
        raise InvalidArgument(f"{recording}: the recording has no frames to render")
    metadata, road = recording_info(recording)
    if road is not None:
        network = parse_network(road, metadata.get("road_file") or ROAD_ATTACHMENT)
    else:
        xs = [e.x for f in recorded for e in f.entities]
        network = straight_road(
            int(metadata.get("lanes", "3")),
            float(metadata.get("lane_width_m", "3.5")),
            min(xs) - ROAD_MARGIN_M,
            max(xs) + ROAD_MARGIN_M,
        )
    span = recorded[-1].sim_time - recorded[0].sim_time
    rate = (len(recorded) - 1) / span if span > 0 else fps
    every = max(1, round(rate / fps))
    egos = [e.name for e in recorded[0].entities if e.ego]
    target = follow if follow is not None else (egos[0] if egos else None)
    return render_video(
        network,
        world_frames(recorded, every),
        out,
        fps=rate / every,
        follow=target,
        size_px=size_px,
        highlight=tuple(egos),
        hud=Hud(speed_of=target, title=metadata.get("scenario_ref") or recording.stem),
    )
