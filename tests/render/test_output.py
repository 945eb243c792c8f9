"""Files: PNG previews of the esmini roads, MP4 / GIF videos, and the inputs they refuse."""

from __future__ import annotations

import math
from pathlib import Path

import cv2
import numpy as np
import pytest

from simhub.errors import FailedPrecondition, InvalidArgument
from simhub.render import (
    EntityFrame,
    EntityKind,
    Hud,
    Region,
    RoadCanvas,
    VideoRecorder,
    Window,
    WorldFrame,
    encode_png,
    render_png,
    render_video,
    video,
)
from simhub.render import style as colors
from simhub.road import RoadNetwork
from tests.render.conftest import SAMPLES, needs_samples, network

FPS = 10.0


def _drive(net: RoadNetwork, road_id: str, lane_id: int, frames: int) -> list[WorldFrame]:
    """A car along a lane at 10 m/s and a pedestrian standing beside the road."""
    s = 20.0 + np.arange(frames) * 10.0 / FPS
    car = net.lane_pose(road_id, lane_id, s)
    walker = net.lane_pose(road_id, lane_id, 20.0, 8.0)
    return [
        WorldFrame(
            i / FPS,
            (
                EntityFrame(
                    "ego",
                    "Ego",
                    EntityKind.VEHICLE,
                    float(car.x[i]),
                    float(car.y[i]),
                    float(car.heading[i]),
                    4.5,
                    1.9,
                    10.0,
                ),
                EntityFrame(
                    "ped",
                    "Walker",
                    EntityKind.PEDESTRIAN,
                    float(walker.x[0]),
                    float(walker.y[0]),
                    1.0,
                    0.6,
                    0.6,
                    0.0,
                ),
            ),
        )
        for i in range(frames)
    ]


def _video(path: Path) -> tuple[int, int, int, np.ndarray]:
    """Frame count, width, height (from decoding every frame) and the first frame."""
    capture = cv2.VideoCapture(str(path))
    assert capture.isOpened()
    frames = []
    while True:
        ok, image = capture.read()
        if not ok:
            break
        frames.append(image)
    capture.release()
    height, width = frames[0].shape[:2]
    return len(frames), width, height, frames[0]


@needs_samples
@pytest.mark.parametrize("path", SAMPLES, ids=[p.stem for p in SAMPLES])
def test_every_sample_road_renders_to_png(path: Path, artifacts: Path) -> None:
    net = network(path.stem)
    road_id = net.road_ids[0]
    lane_id = next(
        ln.id for ln in net.roads[road_id].lane_sections[0].lanes if ln.type == "driving"
    )
    frame = _drive(net, road_id, lane_id, 1)[0]
    out = render_png(
        net, frame, artifacts / f"{path.stem}.png", highlight="ego", hud=Hud(speed_of="ego")
    )
    closeup = render_png(net, frame, artifacts / f"{path.stem}_entities.png", region="entities")
    for written in (out, closeup):
        image = cv2.imread(str(written))
        assert image is not None and image.ndim == 3 and max(image.shape[:2]) <= 1601
        vehicle = np.all(image == colors.ENTITY_FILL[EntityKind.VEHICLE], axis=2)
        assert np.any(vehicle), written
    # framed on the entities, the car is larger than in the whole-network view
    assert np.count_nonzero(vehicle) > 20


@needs_samples
def test_mp4_has_every_frame_at_the_canvas_size(artifacts: Path) -> None:
    net = network("curve_r100")
    frames = _drive(net, net.road_ids[0], -1, 30)
    info = render_video(
        net, frames, artifacts / "curve_r100.mp4", fps=FPS, highlight="ego", size_px=(640, 359)
    )
    assert info.frame_count == 30 and info.codec in ("mp4v", "avc1")
    assert (info.width, info.height) == (640, 360)  # even, for the decoders that need it
    count, width, height, _ = _video(info.path)
    assert (count, width, height) == (30, info.width, info.height)
    assert width % 2 == 0 and height % 2 == 0
    reported = cv2.VideoCapture(str(info.path))
    assert reported.get(cv2.CAP_PROP_FRAME_COUNT) == 30
    reported.release()


@needs_samples
def test_a_following_video_keeps_the_entity_in_the_middle(artifacts: Path) -> None:
    net = network("fabriksgatan")
    road_id = max(net.road_ids, key=lambda r: net.roads[r].length)
    frames = _drive(net, road_id, -1, 20)
    info = render_video(
        net, frames, artifacts / "fabriksgatan_follow.mp4", follow="ego", size_px=(320, 240)
    )
    count, width, height, first = _video(info.path)
    assert (count, width, height) == (20, 320, 240)
    centre = first[120, 160].astype(int)
    # lossy compression: near, not equal to, the vehicle colour
    assert np.abs(centre - np.array(colors.ENTITY_FILL[EntityKind.VEHICLE])).max() < 40


@needs_samples
def test_gif_and_a_shared_canvas(artifacts: Path) -> None:
    net = network("two_plus_one")
    frames = _drive(net, net.road_ids[0], -1, 12)
    canvas = RoadCanvas.from_network(net, Region(0.0, -40.0, 80.0, 40.0), 4.0)
    info = render_video(net, frames, artifacts / "two_plus_one.gif", fps=FPS, canvas=canvas)
    assert (info.frame_count, info.width, info.height, info.codec) == (12, 320, 320, "gif")
    ok, animation = cv2.imreadanimation(str(info.path))
    assert ok and len(animation.frames) == 12
    assert animation.frames[0].shape[:2] == (320, 320)


def test_png_bytes_decode_back() -> None:
    image = np.zeros((20, 30, 3), dtype=np.uint8)
    image[5, 7] = (1, 2, 3)
    decoded = cv2.imdecode(np.frombuffer(encode_png(image), np.uint8), cv2.IMREAD_COLOR)
    assert np.array_equal(decoded, image)


@needs_samples
def test_bad_outputs_are_invalid_arguments(tmp_path: Path) -> None:
    net = network("straight_500m")
    frames = _drive(net, net.road_ids[0], -1, 3)
    with pytest.raises(InvalidArgument, match=r"allowed: \.png, \.jpg, \.jpeg") as caught:
        render_png(net, frames[0], tmp_path / "preview.bmp")
    assert caught.value.violations[0].field == "path"
    with pytest.raises(InvalidArgument, match="not a writable directory"):
        render_png(net, frames[0], tmp_path / "missing" / "preview.png")
    with pytest.raises(InvalidArgument, match=r"allowed: \.mp4, \.avi, \.gif"):
        render_video(net, frames, tmp_path / "run.mkv")
    with pytest.raises(InvalidArgument, match="no frames"):
        render_video(net, [], tmp_path / "run.mp4")
    with pytest.raises(InvalidArgument, match="fps"):
        render_video(net, frames, tmp_path / "run.mp4", fps=math.nan)
    with pytest.raises(InvalidArgument, match="entities: ego, ped"):
        render_video(net, frames, tmp_path / "run.mp4", follow="nobody")
    with pytest.raises(InvalidArgument, match="framing"):
        render_png(net, frames[0], tmp_path / "p.png", region="everything")  # type: ignore[arg-type]
    assert not any(tmp_path.iterdir())


@needs_samples
def test_without_an_mp4_encoder_the_error_says_what_to_use(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    net = network("straight_500m")
    frames = _drive(net, net.road_ids[0], -1, 3)
    monkeypatch.setattr(video, "MP4_CODECS", ("ZZZZ",))  # a FourCC no build knows
    with pytest.raises(FailedPrecondition, match=r"no \.mp4 encoder \(tried ZZZZ\); write \.avi"):
        render_video(net, frames, tmp_path / "run.mp4", size_px=(64, 48))
    info = render_video(net, frames, tmp_path / "run.avi", size_px=(64, 48))
    assert info.codec == "MJPG"
    assert _video(info.path)[:3] == (3, 64, 48)


@needs_samples
def test_a_recorder_streams_drawn_frames_and_refuses_other_sizes(tmp_path: Path) -> None:
    net = network("straight_500m")
    canvas = RoadCanvas.from_network(net, px_per_m=2.0)
    frames = _drive(net, net.road_ids[0], -1, 7)
    with VideoRecorder(tmp_path / "stream.mp4", FPS, 160, 120) as recorder:
        for frame in frames:
            ego = frame.entities[0]
            recorder.write(canvas.draw(frame, window=Window(ego.x, ego.y, 160, 120)))
        with pytest.raises(InvalidArgument, match=r"need \(120, 160, 3\) uint8"):
            recorder.write(np.zeros((120, 161, 3), dtype=np.uint8))
    assert recorder.frame_count == 7
    assert _video(recorder.path)[:3] == (7, 160, 120)
