"""Control validation: NaN, out-of-range and stale inputs are rejected and counted."""

from __future__ import annotations

import math

import numpy as np
import pytest

from simhub.facility.model import Facility
from simhub.session.controls import (
    C_THROTTLE,
    N_CONTROLS,
    ControlLimits,
    ControlMailbox,
    Verdict,
)
from tests.session.conftest import control

NOW = 1_800_000_000_000_000_000


def mailbox(facility: Facility) -> ControlMailbox:
    cabin = facility.cabin("passenger")
    assert cabin is not None
    return ControlMailbox(
        ["ego"],
        [ControlLimits.of(cabin)],
        max_age_s=0.1,
        max_skew_s=0.5,
        unix_ns=lambda: NOW,
        monotonic_ns=lambda: 5,
    )


@pytest.mark.parametrize(
    ("values", "verdict"),
    [
        ({"throttle": math.nan}, Verdict.NAN),
        ({"brake": math.inf}, Verdict.NAN),
        ({"steering_wheel_rad": -math.nan}, Verdict.NAN),
        ({"throttle": 1.01}, Verdict.RANGE),
        ({"brake": -0.1}, Verdict.RANGE),
        ({"steering_wheel_rad": 10.0}, Verdict.RANGE),  # passenger wheel: +-4.084 rad
        ({"gear": 9}, Verdict.RANGE),  # 8 forward gears
        ({"sent_at_unix_ns": NOW - 150_000_000}, Verdict.STALE),  # 150 ms old
        ({"sent_at_unix_ns": NOW + 900_000_000}, Verdict.STALE),  # from the future
        ({"throttle": 0.3}, Verdict.ACCEPTED),
    ],
)
def test_each_bad_input_is_rejected_for_its_reason(
    facility: Facility, values: dict[str, float], verdict: Verdict
) -> None:
    box = mailbox(facility)
    values.setdefault("sent_at_unix_ns", NOW)
    assert box.submit(control("ego", 1, **values)) is verdict
    assert box.counts()[verdict] == 1
    controls, received = np.zeros((1, N_CONTROLS)), np.zeros(1, np.int64)
    box.read_into(controls, received)
    stepped = verdict is Verdict.ACCEPTED
    assert bool(received[0] == 5) is stepped  # rejected inputs never reach the loop
    assert controls[0, C_THROTTLE] == (values.get("throttle", 0.0) if stepped else 0.0)


def test_replayed_or_reordered_sequence_is_stale(facility: Facility) -> None:
    box = mailbox(facility)
    assert box.submit(control("ego", 7, throttle=0.5, sent_at_unix_ns=NOW)) is Verdict.ACCEPTED
    assert box.submit(control("ego", 7, throttle=0.9, sent_at_unix_ns=NOW)) is Verdict.STALE
    assert box.submit(control("ego", 6, throttle=0.9, sent_at_unix_ns=NOW)) is Verdict.STALE
    assert box.submit(control("nobody", 8, sent_at_unix_ns=NOW)) is Verdict.UNBOUND
    counts = box.counts()
    assert (counts[Verdict.ACCEPTED], counts[Verdict.STALE], counts[Verdict.UNBOUND]) == (1, 2, 1)
    controls, received = np.zeros((1, N_CONTROLS)), np.zeros(1, np.int64)
    box.read_into(controls, received)
    assert controls[0, C_THROTTLE] == 0.5
