"""The example policy on the NCAP suite behaves like a careful driver; a model that ignores the
road ahead is caught by the criteria. Also: suites expand deterministically."""

from __future__ import annotations

import pytest

from simhub.cluster.example_policy import example_policy_bytes
from simhub.cluster.onnx_policy import OnnxPolicy
from simhub.errors import InvalidArgument
from simhub.evaluation import suite as suites
from simhub.evaluation.criteria import EpisodeResult, summarise
from simhub.evaluation.rollout import run_chunk
from simhub.evaluation.service import parse_suite
from tests.evaluation.helpers import model_with


def run_suite(suite: suites.Suite, model: bytes) -> list[EpisodeResult]:
    policy = OnnxPolicy(model)
    return [e for chunk in suites.chunks(suite) for e in run_chunk(chunk, suite, policy).episodes]


@pytest.fixture(scope="module")
def ncap() -> list[EpisodeResult]:
    return run_suite(suites.builtin("ncap"), example_policy_bytes())


def test_example_policy_passes_ncap_without_collisions(ncap: list[EpisodeResult]) -> None:
    summary = summarise(ncap, 0.9)
    assert summary.episodes == suites.episode_count(suites.builtin("ncap")) == 81
    assert summary.suite_passed and summary.passed == summary.episodes
    for e in ncap:
        m = e.metrics
        assert m["collision"] == 0 and m["off_road"] == 0 and m["lane_departure"] == 0, e.episode_id
        assert m["min_ttc_s"] > 1.5, e.episode_id  # it brakes in time
        assert m["max_deceleration_m_s2"] < 9.0, e.episode_id  # within what the IDM asks
        assert m["speeding_s"] == 0, e.episode_id


def test_stationary_target_ends_in_a_stop_behind_it(ncap: list[EpisodeResult]) -> None:
    """CCRs: the ego stops short of the target: it travelled less than the initial gap."""
    for e in (e for e in ncap if e.scenario == "ccrs"):
        speed = dict(e.parameters)["ego_speed_kph"] / 3.6
        assert 0.9 <= e.metrics["route_completion"] <= 1.0
        assert e.metrics["distance_m"] < 4.0 * speed + 0.5  # the start gap (TTC 4 s)


def test_a_model_that_never_brakes_hits_the_stationary_car() -> None:
    suite = parse_suite("""
name: blind
duration_s: 8
seeds: 1
scenarios: [{name: ccrs, template: ccrs, parameters: {ego_speed_kph: [20, 40]}}]
""")
    results = run_suite(suite, model_with(action_value=0.0))
    for e in results:
        speed = dict(e.parameters)["ego_speed_kph"] / 3.6
        assert e.metrics["collision"] == 1 and e.collided_with == "target"
        assert e.metrics["collision_relative_speed_m_s"] == pytest.approx(speed, abs=0.05)
        assert e.metrics["collision_time_s"] == pytest.approx(4.0, abs=0.2)  # TTC 4 s at start
        assert not e.passed and e.score == 0 and "collision with target" in e.failure


def test_expansion_is_deterministic_with_stable_ids() -> None:
    suite = suites.builtin("ncap")
    first, again = suites.expand(suite), suites.expand(suites.builtin("ncap"))
    assert first == again
    assert len({e.id for e in first}) == len(first)
    assert first[0].id == "ccrs/ego_speed_kph=10/seed0"
    chunks = suites.chunks(suite)
    assert [e for c in chunks for e in c.episodes] == first
    assert all(len(c.episodes) <= suite.chunk_episodes for c in chunks)


def test_benchmark_suite_has_ten_thousand_episodes() -> None:
    assert suites.episode_count(suites.builtin("benchmark")) == 10_000


def test_suite_errors_name_the_field() -> None:
    with pytest.raises(InvalidArgument) as exc:
        parse_suite("name: x\nscenarios: [{template: ccrs, parameters: {speed: [1]}}]")
    assert exc.value.violations[0].field == "suite.scenarios[0].parameters.speed"
    with pytest.raises(InvalidArgument, match="unknown scenario template"):
        parse_suite("name: x\nscenarios: [{template: roundabout}]")
