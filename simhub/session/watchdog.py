"""The control watchdog: no valid input for longer than the limit and the ego brakes to a stop.

Per ego: ``AWAITING`` until its first valid input (it is held braked), ``OK`` while inputs
arrive, ``LOST`` when the newest valid input is older than ``limit_s``. While not ``OK`` the
ego ignores its pedals and decelerates at ``deceleration_m_s2``, reached with at most
``jerk_m_s3`` (a smooth brake, not a jolt), and the motion platform goes to neutral. When valid
inputs return it is ``OK`` again at once. ``update`` allocates nothing.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

AWAITING = 0
OK = 1
LOST = 2

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


class Watchdog:
    def __init__(
        self, egos: int, limit_s: float, deceleration_m_s2: float, jerk_m_s3: float
    ) -> None:
        self.limit_ns = round(limit_s * 1e9)
        self.deceleration = deceleration_m_s2
        self.jerk = jerk_m_s3
        self.status: IntArray = np.full(egos, AWAITING, np.int64)
        self.override: FloatArray = np.zeros(egos)  # m/s^2 the ego brakes at (0: its pedals)
        self.previous: IntArray = np.full(egos, AWAITING, np.int64)

    def update(self, received_ns: IntArray, now_ns: int, dt: float) -> bool:
        """Refresh every ego's status; True when any status changed (see ``previous``)."""
        changed = False
        for i in range(self.status.shape[0]):
            old = int(self.status[i])
            self.previous[i] = old
            got = int(received_ns[i])
            if got >= 0 and now_ns - got <= self.limit_ns:
                new = OK
                self.override[i] = 0.0
            else:
                new = AWAITING if old == AWAITING else LOST
                ramped = float(self.override[i]) + self.jerk * dt
                self.override[i] = ramped if ramped < self.deceleration else self.deceleration
            if new != old:
                self.status[i] = new
                changed = True
        return changed
