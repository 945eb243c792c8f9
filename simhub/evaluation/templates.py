"""Scenario templates of the evaluation suites: Euro NCAP car-to-car rear tests and a cut-in.

Each template turns named parameters and a seed into the initial state of one episode on a
straight two-lane road (lane width ``LANE_WIDTH_M``; lane 0 centred on y = 0, lane 1 to its
left at y = +3.5 m; x along the road). The ego starts at x = 0 in lane 0 at its test speed,
which is also the speed limit; actors follow the scripts below. A seed adds small, deterministic
jitter (start gap +-0.5 m, actor speed +-0.2 m/s) so that seeds are distinct variations.

- ``ccrs``: car-to-car rear stationary. Target standing in lane 0, time to collision 4 s.
- ``ccrm``: car-to-car rear moving. Target at ``target_speed_kph`` (20), TTC 4 s.
- ``ccrb``: car-to-car rear braking. Target ahead at the ego's speed, ``gap_m`` ahead, brakes at
  ``target_decel_mps2`` from t = 2 s to a stop.
- ``cut_in``: an overtaker in lane 1, ``start_gap_m`` behind, ``speed_delta_kph`` faster, cuts
  into lane 0 in ``cut_in_duration_s`` once its rear is ``cut_in_headway_s`` x ego speed ahead
  of the ego's front, then brakes at ``brake_mps2`` (0: keeps its speed).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from simhub.errors import FieldViolation, InvalidArgument

LANE_WIDTH_M = 3.5
ROAD_LEFT_EDGE_M = 1.5 * LANE_WIDTH_M  # two lanes: y in [-1.75, 5.25]
ROAD_RIGHT_EDGE_M = -0.5 * LANE_WIDTH_M
CAR_LENGTH_M = 4.508  # CommonRoad parameter set 2, as the ego
CAR_WIDTH_M = 1.61
MAX_SCRIPTED_ACTORS = 2
KPH = 1.0 / 3.6

# Per-actor script fields, one column each in ``EpisodeSetup.actors`` (shape (A, N_ACTOR)).
A_ACTIVE, A_X, A_Y, A_SPEED, A_LENGTH, A_WIDTH = 0, 1, 2, 3, 4, 5
A_BRAKE_AT_S, A_BRAKE_MPS2 = 6, 7  # braking starts at a time (inf: never) ...
A_CUT_HEADWAY_S, A_CUT_DURATION_S, A_CUT_TO_Y, A_BRAKE_AFTER_CUT_S = 8, 9, 10, 11
N_ACTOR = 12

DEFAULTS: Mapping[str, Mapping[str, float]] = {
    "ccrs": {"ego_speed_kph": 30.0, "ttc_s": 4.0},
    "ccrm": {"ego_speed_kph": 50.0, "target_speed_kph": 20.0, "ttc_s": 4.0},
    "ccrb": {"ego_speed_kph": 50.0, "gap_m": 40.0, "target_decel_mps2": 2.0},
    "cut_in": {
        "ego_speed_kph": 72.0,
        "speed_delta_kph": 18.0,
        "start_gap_m": 20.0,
        "cut_in_headway_s": 0.6,
        "cut_in_duration_s": 3.0,
        "brake_mps2": 0.0,
    },
}


@dataclass(frozen=True)
class EpisodeSetup:
    """Initial state of one episode: ego speed and limit m/s, actors ``(A, N_ACTOR)``, and the
    goal: x m the ego should reach (route completion and time to goal)."""

    ego_speed_m_s: float
    speed_limit_m_s: float
    goal_x_m: float
    actors: np.ndarray


def episode_rng(episode_id: str) -> np.random.Generator:
    """A generator seeded from the episode's stable id: the same on every machine and chunk."""
    digest = hashlib.sha256(episode_id.encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "little"))


def check_parameters(template: str, parameters: Mapping[str, object], where: str) -> None:
    if template not in DEFAULTS:
        raise InvalidArgument(
            f"unknown scenario template {template!r}",
            [FieldViolation(f"{where}.template", f"allowed: {', '.join(DEFAULTS)}")],
        )
    unknown = sorted(set(parameters) - set(DEFAULTS[template]))
    if unknown:
        raise InvalidArgument(
            f"template {template!r} has no parameter {unknown[0]!r}",
            [
                FieldViolation(
                    f"{where}.parameters.{name}",
                    f"allowed: {', '.join(DEFAULTS[template])}",
                )
                for name in unknown
            ],
        )


def _actor(x: float, y: float, speed: float) -> np.ndarray:
    row = np.zeros(N_ACTOR)
    row[[A_ACTIVE, A_X, A_Y, A_SPEED, A_LENGTH, A_WIDTH]] = (1, x, y, speed, CAR_LENGTH_M, CAR_WIDTH_M)
    row[[A_BRAKE_AT_S, A_CUT_HEADWAY_S, A_BRAKE_AFTER_CUT_S]] = np.inf
    return row


def build(template: str, parameters: Mapping[str, float], episode_id: str, duration_s: float) -> EpisodeSetup:
    """The initial state of one episode (see the module doc for the templates)."""
    p = {**DEFAULTS[template], **parameters}
    rng = episode_rng(episode_id)
    gap_jitter, speed_jitter = rng.uniform(-0.5, 0.5), rng.uniform(-0.2, 0.2)
    ego = p["ego_speed_kph"] * KPH
    actors = np.zeros((MAX_SCRIPTED_ACTORS, N_ACTOR))
    bumpers = CAR_LENGTH_M  # centre to centre of two cars nose to tail
    if template == "ccrs":
        gap = p["ttc_s"] * ego + gap_jitter
        actors[0] = _actor(gap + bumpers, 0.0, 0.0)
        goal = gap - 2.0  # stop behind it
    elif template == "ccrm":
        target = p["target_speed_kph"] * KPH + speed_jitter
        gap = p["ttc_s"] * max(ego - target, 0.1) + gap_jitter
        actors[0] = _actor(gap + bumpers, 0.0, target)
        goal = gap + target * duration_s - 2.0 * ego  # keep following at a safe distance
    elif template == "ccrb":
        gap = p["gap_m"] + gap_jitter
        actors[0] = _actor(gap + bumpers, 0.0, ego + speed_jitter)
        actors[0, A_BRAKE_AT_S] = 2.0
        actors[0, A_BRAKE_MPS2] = p["target_decel_mps2"]
        stop = 2.0 * ego + ego**2 / (2.0 * p["target_decel_mps2"])
        goal = gap + min(stop, ego * duration_s) - 2.0
    elif template == "cut_in":
        speed = ego + p["speed_delta_kph"] * KPH + speed_jitter
        actors[0] = _actor(-p["start_gap_m"] - gap_jitter, LANE_WIDTH_M, speed)
        actors[0, A_CUT_HEADWAY_S] = p["cut_in_headway_s"]
        actors[0, A_CUT_DURATION_S] = p["cut_in_duration_s"]
        actors[0, A_CUT_TO_Y] = 0.0
        actors[0, A_BRAKE_MPS2] = p["brake_mps2"]
        if p["brake_mps2"] > 0:
            actors[0, A_BRAKE_AFTER_CUT_S] = 2.0
        goal = 0.8 * ego * duration_s
    else:  # pragma: no cover - check_parameters guards it
        raise AssertionError(template)
    return EpisodeSetup(ego, ego, max(goal, 1.0), actors)
