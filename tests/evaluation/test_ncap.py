"""The example policy on the NCAP suite (the engine's Euro NCAP scenario files, the ego handed
to the policy) behaves like a careful driver; a model that ignores the road ahead is caught by
the criteria. Also: suites expand deterministically, chunks are one scenario each."""

from __future__ import annotations

import pytest

from simhub.cluster.example_policy import example_policy_bytes
from simhub.cluster.onnx_policy import OnnxPolicy
from simhub.errors import InvalidArgument
from simhub.evaluation import suite as suites
from simhub.evaluation.criteria import EpisodeResult, summarise
from simhub.evaluation.rollout import run_chunk
from simhub.evaluation.service import PreparedSuite, parse_suite, prepare_suite
from tests.evaluation.helpers import model_with

GAP_CCRS_M = 95.4  # ncap_ccrs.xosc: Ego front to target rear at the start
KPH = 1 / 3.6


def run_suite(ready: PreparedSuite, model: bytes) -> list[EpisodeResult]:
    policy = OnnxPolicy(model)
    return [
        e for c in ready.chunks() for e in run_chunk(c, ready.suite, policy, ready.bundles).episodes
    ]


@pytest.fixture(scope="module")
def ncap() -> list[EpisodeResult]:
    return run_suite(prepare_suite(parse_suite("ncap"), "org"), example_policy_bytes())


def test_example_policy_passes_ncap_without_collisions(ncap: list[EpisodeResult]) -> None:
    summary = summarise(ncap, 0.9)
    assert summary.episodes == 32
    assert summary.suite_passed and summary.passed == summary.episodes
    for e in ncap:
        m = e.metrics
        assert m["collision"] == 0 and m["off_road"] == 0 and m["lane_departure"] == 0, e.episode_id
        assert m["min_ttc_s"] > 1.5, e.episode_id  # it brakes in time
        assert m["max_deceleration_m_s2"] <= 9.0 + 1e-6, e.episode_id  # the IDM's clip
        assert m["speeding_s"] == 0, e.episode_id


def test_stationary_target_ends_in_a_stop_behind_it(ncap: list[EpisodeResult]) -> None:
    """CCRs: the ego never covers the start gap; when it has the time, it gets near it."""
    for e in (e for e in ncap if e.scenario == "ccrs"):
        speed = dict(e.parameters)["EgoSpeed"] * KPH
        assert e.metrics["distance_m"] < GAP_CCRS_M, e.episode_id
        if speed * 20 > GAP_CCRS_M:
            assert e.metrics["distance_m"] > GAP_CCRS_M - 6.0, e.episode_id
            assert e.metrics["route_completion"] == 1.0


def test_a_model_that_never_brakes_hits_the_stationary_car() -> None:
    suite = parse_suite("""
name: blind
duration_s: 20
seeds: 1
scenarios: [{name: ccrs, file: ncap_ccrs.xosc, parameters: {EgoSpeed: [20, 40]}}]
""")
    results = run_suite(prepare_suite(suite, "org"), model_with(action_value=0.0))
    for e in results:
        speed = dict(e.parameters)["EgoSpeed"] * KPH
        assert e.metrics["collision"] == 1 and e.collided_with == "Target"
        assert e.metrics["collision_relative_speed_m_s"] == pytest.approx(speed, abs=0.05)
        assert e.metrics["collision_time_s"] == pytest.approx(GAP_CCRS_M / speed, abs=0.05)
        assert not e.passed and e.score == 0 and "collision with Target" in e.failure


def test_expansion_is_deterministic_with_stable_ids() -> None:
    first = prepare_suite(parse_suite("ncap"), "org")
    again = prepare_suite(parse_suite("ncap"), "org")
    assert first.episodes == again.episodes
    assert len({e.id for e in first.episodes}) == len(first.episodes)
    assert first.episodes[0].id == "ccrs/EgoSpeed=10,Overlap=100/seed0"
    chunks = first.chunks()
    assert [e for c in chunks for e in c.episodes] == list(first.episodes)
    assert all(len(c.episodes) <= first.suite.chunk_episodes for c in chunks)
    assert all(len({e.scenario for e in c.episodes}) == 1 for c in chunks)


def test_distribution_files_expand_to_their_rows_and_jitter_is_per_seed() -> None:
    ready = prepare_suite(
        parse_suite("""
name: d
seeds: 2
scenarios:
  - {name: grid, file: ncap_ccrm_distribution.xosc}
  - {name: j, file: ncap_ccrs.xosc, parameters: {EgoSpeed: [30]}, jitter: {EgoSpeed: 1.0}}
"""),
        "org",
    )
    grid = [e for e in ready.episodes if e.scenario == "grid"]
    assert len(grid) == 200 and grid[0].id == "grid/EgoSpeed=30,Overlap=-50/seed0"
    jittered = [dict(e.assignments)["EgoSpeed"] for e in ready.episodes if e.scenario == "j"]
    assert len(set(jittered)) == 2 and all(abs(float(v) - 30) <= 1.0 for v in jittered)


def test_benchmark_suite_has_ten_thousand_episodes() -> None:
    assert len(prepare_suite(parse_suite("benchmark"), "org").episodes) == 10_000


def test_suite_errors_name_the_field() -> None:
    with pytest.raises(InvalidArgument) as exc:
        parse_suite("name: x\nscenarios: [{file: ncap_ccrs.xosc, speed: [1]}]")
    assert exc.value.violations[0].field == "suite.scenarios[0].speed"
    with pytest.raises(InvalidArgument, match="not found"):
        parse_suite("name: x\nscenarios: [{file: roundabout.xosc}]")
    with pytest.raises(InvalidArgument, match="exactly one of file"):
        parse_suite("name: x\nscenarios: [{name: y}]")
    with pytest.raises(InvalidArgument, match="no entity 'Bob'"):
        prepare_suite(parse_suite("name: x\nscenarios: [{file: ncap_ccrs.xosc, ego: Bob}]"), "o")
    assert suites.BUILTIN == ("ncap", "benchmark")
