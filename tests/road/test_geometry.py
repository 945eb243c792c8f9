"""Reference-line geometry: hand-computed arcs, clothoids, parametric cubics, continuity."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from simhub.road import RoadNetwork, load_opendrive, parse_network
from tests.road.helpers import ESMINI_XODR, document, geometry_xml, road_xml

SAMPLES = sorted(ESMINI_XODR.glob("*.xodr")) if ESMINI_XODR.is_dir() else []
needs_samples = pytest.mark.skipif(
    not SAMPLES, reason=f"esmini interop samples not found under {ESMINI_XODR}"
)


def _clothoid_reference(
    x0: float, y0: float, h0: float, k0: float, k1: float, length: float, n: int = 200_001
) -> tuple[float, float, float]:
    """End point of a clothoid by composite Simpson integration of (cos, sin) of the heading."""
    s = np.linspace(0.0, length, n)
    heading = h0 + k0 * s + 0.5 * (k1 - k0) / length * s * s
    weights = np.ones(n)
    weights[1:-1:2] = 4.0
    weights[2:-1:2] = 2.0
    step = length / (n - 1)
    x = x0 + step / 3.0 * float(np.sum(weights * np.cos(heading)))
    y = y0 + step / 3.0 * float(np.sum(weights * np.sin(heading)))
    return x, y, float(heading[-1])


def test_arc_of_radius_100_ends_where_geometry_says() -> None:
    quarter = 0.5 * math.pi * 100.0
    arc = geometry_xml(0.0, 0.0, 0.0, 0.0, quarter, '<arc curvature="0.01"/>')
    net = parse_network(document(road_xml("1", quarter, [arc])))
    s = np.linspace(0.0, quarter, 101)
    pose = net.reference_pose("1", s)
    # Circle centred at (0, 100): x = 100 sin(s/100), y = 100 (1 - cos(s/100)).
    np.testing.assert_allclose(pose.x, 100.0 * np.sin(s / 100.0), atol=1e-9)
    np.testing.assert_allclose(pose.y, 100.0 * (1.0 - np.cos(s / 100.0)), atol=1e-9)
    np.testing.assert_allclose(pose.heading, s / 100.0, atol=1e-12)
    # A point 5 m left of the reference line lies on the circle of radius 95.
    inner = net.reference_pose("1", s, 5.0)
    np.testing.assert_allclose(np.hypot(inner.x, inner.y - 100.0), 95.0, atol=1e-9)


@pytest.mark.parametrize(
    ("k0", "k1", "length"),
    [
        (0.0, 0.02, 80.0),
        (0.02, 0.0, 80.0),
        (-0.01, 0.03, 150.0),
        (0.05, -0.05, 60.0),
        (0.01, 0.01 + 1e-9, 300.0),  # nearly an arc: the quadrature branch
        (0.1, 0.1 + 2e-6, 40.0),  # small rate, large offset into the Fresnel argument
        (0.0, -0.2, 30.0),
    ],
)
def test_clothoid_matches_integration_and_curvature_is_linear(
    k0: float, k1: float, length: float
) -> None:
    spiral = geometry_xml(
        0.0, 10.0, -5.0, 0.3, length, f'<spiral curvStart="{k0!r}" curvEnd="{k1!r}"/>'
    )
    net = parse_network(document(road_xml("7", length, [spiral])))
    for fraction in (0.25, 0.5, 1.0):
        s_end = fraction * length
        x_ref, y_ref, h_ref = _clothoid_reference(10.0, -5.0, 0.3, k0, k1, length, 200_001)
        if fraction < 1.0:
            k_mid = k0 + (k1 - k0) * fraction
            x_ref, y_ref, h_ref = _clothoid_reference(10.0, -5.0, 0.3, k0, k_mid, s_end)
        pose = net.reference_pose("7", s_end)
        assert math.hypot(pose.x[0] - x_ref, pose.y[0] - y_ref) < 1e-7
        assert pose.heading[0] == pytest.approx(h_ref, abs=1e-12)
    # Curvature linear in s: the heading's second difference is constant (k1 - k0) / L.
    s = np.linspace(0.0, length, 41)
    heading = net.reference_pose("7", s).heading
    second = np.diff(heading, 2) / (s[1] - s[0]) ** 2
    np.testing.assert_allclose(second, (k1 - k0) / length, atol=1e-9)


def _spiral_chain() -> tuple[str, list[tuple[float, float, float, float]]]:
    """A line - spiral - arc - spiral - line road whose geometry starts come from quadrature."""
    pieces = [
        ("line", 0.0, 0.0, 40.0),
        ("spiral", 0.0, 0.025, 60.0),
        ("arc", 0.025, 0.025, 50.0),
        ("spiral", 0.025, -0.01, 70.0),
        ("line", 0.0, 0.0, 30.0),
    ]
    x, y, h, s = 2.0, 3.0, 0.7, 0.0
    geometries = []
    starts = []
    for kind, k0, k1, length in pieces:
        starts.append((s, x, y, h))
        if kind == "line":
            shape = "<line/>"
        elif kind == "arc":
            shape = f'<arc curvature="{k0!r}"/>'
        else:
            shape = f'<spiral curvStart="{k0!r}" curvEnd="{k1!r}"/>'
        geometries.append(geometry_xml(s, x, y, h, length, shape))
        x, y, h = _clothoid_reference(x, y, h, k0, k1 if kind == "spiral" else k0, length)
        s += length
    return document(road_xml("3", s, geometries)), starts


def test_constructed_spiral_chain_is_continuous_within_1mm() -> None:
    text, starts = _spiral_chain()
    net = parse_network(text)
    _assert_continuous(net)
    for s, x, y, h in starts[1:]:
        pose = net.reference_pose("3", s - 1e-9)
        assert math.hypot(pose.x[0] - x, pose.y[0] - y) < 1e-6
        assert pose.heading[0] == pytest.approx(h, abs=1e-9)


def test_param_poly3_normalized_equals_arc_length_form() -> None:
    length = 50.0
    # u = p, v = 0.002 p^2 over p in [0, L]; normalized p' = p / L rescales the coefficients.
    arc_length = (
        '<paramPoly3 pRange="arcLength" aU="0" bU="1" cU="0" dU="0" '
        'aV="0" bV="0" cV="0.002" dV="0"/>'
    )
    normalized = (
        f'<paramPoly3 pRange="normalized" aU="0" bU="{length!r}" cU="0" dU="0" aV="0" bV="0" '
        f'cV="{0.002 * length * length!r}" dV="0"/>'
    )
    net = parse_network(
        document(
            road_xml("1", length, [geometry_xml(0.0, 1.0, 2.0, 0.4, length, arc_length)]),
            road_xml("2", length, [geometry_xml(0.0, 1.0, 2.0, 0.4, length, normalized)]),
        )
    )
    s = np.linspace(0.0, length, 21)
    a = net.reference_pose("1", s)
    b = net.reference_pose("2", s)
    np.testing.assert_allclose(a.x, b.x, atol=1e-9)
    np.testing.assert_allclose(a.y, b.y, atol=1e-9)
    np.testing.assert_allclose(a.heading, b.heading, atol=1e-12)
    # Hand check at p = 10: local (10, 0.2), heading atan(0.004 * 10), rotated by 0.4.
    pose = net.reference_pose("1", 10.0)
    assert pose.x[0] == pytest.approx(1.0 + 10 * math.cos(0.4) - 0.2 * math.sin(0.4), abs=1e-12)
    assert pose.y[0] == pytest.approx(2.0 + 10 * math.sin(0.4) + 0.2 * math.cos(0.4), abs=1e-12)
    assert pose.heading[0] == pytest.approx(0.4 + math.atan(0.04), abs=1e-12)


def test_poly3_is_evaluated_by_arc_length() -> None:
    length = 40.0
    poly3 = geometry_xml(0.0, 0.0, 0.0, 0.0, length, '<poly3 a="0" b="0" c="0.01" d="0"/>')
    net = parse_network(document(road_xml("1", length, [poly3])))
    assert any("poly3" in w.message for w in net.warnings)
    # Arc length of v = 0.01 u^2 from 0 to u, by fine quadrature, must equal the query s.
    pose = net.reference_pose("1", 25.0)
    u = float(pose.x[0])
    w = np.linspace(0.0, u, 100_001)
    arc = np.trapezoid(np.sqrt(1.0 + (0.02 * w) ** 2), w)
    assert arc == pytest.approx(25.0, abs=1e-6)
    assert pose.y[0] == pytest.approx(0.01 * u * u, abs=1e-12)


def _assert_continuous(net: RoadNetwork) -> None:
    for road_id, road in net.roads.items():
        for before, after in zip(road.geometries, road.geometries[1:], strict=False):
            end = net.reference_pose(road_id, before.s + before.length - 1e-12)
            gap = math.hypot(end.x[0] - after.x, end.y[0] - after.y)
            assert gap < 1e-3, f"{net.source}:{after.line}: road {road_id} gap {gap:.4f} m"


@needs_samples
@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: Path(p).name)
def test_esmini_geometries_continue_within_1mm(path: Path) -> None:
    _assert_continuous(load_opendrive(path))


@needs_samples
@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: Path(p).name)
def test_reference_line_agrees_with_pyxodr(path: Path) -> None:
    pyxodr_road = pytest.importorskip("pyxodr.road_objects.network", reason="test-only oracle")
    spatial = pytest.importorskip("scipy.spatial", reason="scipy is a test-only dependency")
    net = load_opendrive(path)
    theirs = pyxodr_road.RoadNetwork(str(path), resolution=0.1)
    for their_road in theirs.get_roads(include_connecting_roads=True):
        road = net.roads[their_road.id]
        line = np.asarray(their_road.reference_line, dtype=np.float64)
        s = np.linspace(0.0, road.length, int(road.length / 0.02) + 2)
        ours = net.reference_pose(road.id, s)
        tree = spatial.cKDTree(np.column_stack([ours.x, ours.y]))
        distance, _ = tree.query(line)
        # Our dense samples are 2 cm apart: a point on the same curve is within 1 cm of one.
        assert float(np.max(distance)) < 0.011, f"road {road.id}"


def test_reference_curvature_is_reference_points_curvature() -> None:
    """The trig-free curvature lookup gives exactly ``reference_point``'s curvature on every
    geometry kind (line, arc, spiral, poly3, paramPoly3), including past the plan view's end."""
    from simhub.road.kernels import reference_curvature, reference_point

    shapes = [
        "<line/>",
        '<arc curvature="-0.02"/>',
        '<spiral curvStart="0.001" curvEnd="0.03"/>',
        '<poly3 a="0" b="0.1" c="0.002" d="-0.00001"/>',
        '<paramPoly3 aU="0" bU="40" cU="1" dU="-0.5" aV="0" bV="0" cV="3" dV="-1" '
        'pRange="normalized"/>',
    ]
    geometries = [
        geometry_xml(40.0 * i, 0.0, 0.0, 0.1, 40.0, shape) for i, shape in enumerate(shapes)
    ]
    net = parse_network(document(road_xml("1", 40.0 * len(shapes) + 5.0, geometries)))
    for s in np.linspace(-1.0, 40.0 * len(shapes) + 6.0, 517):
        _, _, _, k = reference_point(net.arrays, 0, float(s))
        assert reference_curvature(net.arrays, 0, float(s)) == k
