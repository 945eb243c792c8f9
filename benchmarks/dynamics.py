"""Vehicle-steps per second of the RK4 vehicle kernels, beside CommonRoad and numpy.

For KS and ST with RK4 at N = 1, 1e3, 1e5, 1e6 vehicles, measured in the same run:

- ours: ``simhub.dynamics`` kernels (serial below ``PARALLEL_FROM_VEHICLES``, else ``prange``);
- numpy: the same equations vectorised with plain numpy arrays (one temporary per term);
- commonroad: CommonRoad's pure-Python ``vehicle_dynamics_ks/st`` driven by the same RK4 loop
  (per vehicle-step cost does not depend on N, so it is measured on a sample of vehicles).

Also: one checked single-vehicle step through ``Stepper.step`` (what a 1 kHz loop pays), the
threads numba uses, the machine's memory bandwidth (numpy copy of a 512 MiB array) and the share
of it the N = 1e6 ST run moves. The last line is one JSON object.

Usage: ``python benchmarks/dynamics.py [--quick]``
"""

from __future__ import annotations

import json
import math
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numba
import numpy as np
from vehiclemodels.parameters_vehicle2 import parameters_vehicle2
from vehiclemodels.vehicle_dynamics_ks import vehicle_dynamics_ks
from vehiclemodels.vehicle_dynamics_st import vehicle_dynamics_st

from simhub.dynamics import Stepper, param_table, warm_up
from simhub.dynamics.integrate import KERNELS, PARALLEL_FROM_VEHICLES
from simhub.facility.loader import load_facility

REPO = Path(__file__).resolve().parents[1]
DT = 0.01
G = 9.81
# Bytes one ST vehicle-step must move at least: state in and out (2 x 7 x 8), inputs (2 x 8),
# parameter row index (8) and road friction (8).
ST_BYTES_PER_STEP = 2 * 7 * 8 + 2 * 8 + 8 + 8


def fleet(model: str, n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    nx = 5 if model == "ks" else 7
    states = np.zeros((n, nx))
    states[:, 2] = rng.uniform(-0.2, 0.2, n)
    states[:, 3] = rng.uniform(1.0, 40.0, n)
    states[:, 4] = rng.uniform(-math.pi, math.pi, n)
    inputs = np.column_stack([rng.uniform(-0.2, 0.2, n), rng.uniform(-2.0, 2.0, n)])
    return states, inputs


def timed(run: Callable[[], object], min_seconds: float) -> float:
    """Seconds per call: repeat until min_seconds have passed (at least twice)."""
    run()
    calls, start = 0, time.perf_counter()
    while True:
        run()
        calls += 1
        elapsed = time.perf_counter() - start
        if calls >= 2 and elapsed >= min_seconds:
            return elapsed / calls


def ours(model: str, n: int, params: np.ndarray, min_seconds: float) -> float:
    states, inputs = fleet(model, n)
    rows, friction = np.zeros(n, np.int64), np.ones(n)
    parallel, serial = KERNELS[(model, "rk4")]
    kernel = parallel if n >= PARALLEL_FROM_VEHICLES else serial
    return n / timed(
        lambda: kernel(states, inputs, params, rows, friction, DT, states), min_seconds
    )


def numpy_rhs(model: str, x: np.ndarray, u: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Vectorised f(x, u, p) of KS or ST, with CommonRoad's constraints (x, u: (nx, N))."""
    a, b, m, inertia, h = p[0], p[1], p[2], p[3], p[4]
    steer, speed = x[2], x[3]
    at_limit = ((steer <= p[5]) & (u[0] <= 0)) | ((steer >= p[6]) & (u[0] >= 0))
    steer_rate = np.where(at_limit, 0.0, np.clip(u[0], p[7], p[8]))
    a_env = min(p[12], p[13] * G)
    pos_limit = np.where(speed > p[11], a_env * p[11] / np.maximum(speed, 1e-9), a_env)
    stuck = ((speed <= p[9]) & (u[1] <= 0)) | ((speed >= p[10]) & (u[1] >= 0))
    accel = np.where(stuck, 0.0, np.minimum(np.maximum(u[1], -a_env), pos_limit))
    lwb = a + b
    if model == "ks":
        return np.stack(
            [speed * np.cos(x[4]), speed * np.sin(x[4]), steer_rate, accel,
             speed / lwb * np.tan(steer)]
        )  # fmt: skip
    mu, c_sf, c_sr = p[13], p[14], p[15]
    yaw_rate, slip = x[5], x[6]
    load_f, load_r = G * b - accel * h, G * a + accel * h
    with np.errstate(divide="ignore", invalid="ignore"):
        d_yaw = (
            -mu * m / (speed * inertia * lwb)
            * (a**2 * c_sf * load_f + b**2 * c_sr * load_r) * yaw_rate
            + mu * m / (inertia * lwb) * (b * c_sr * load_r - a * c_sf * load_f) * slip
            + mu * m / (inertia * lwb) * a * c_sf * load_f * steer
        )  # fmt: skip
        d_slip = (
            (mu / (speed**2 * lwb) * (c_sr * load_r * b - c_sf * load_f * a) - 1) * yaw_rate
            - mu / (speed * lwb) * (c_sr * load_r + c_sf * load_f) * slip
            + mu / (speed * lwb) * c_sf * load_f * steer
        )
    slow = np.abs(speed) < 0.1
    if slow.any():  # kinematic branch, as the reference
        tan_s = np.tan(steer)
        beta_k = np.arctan(tan_s * b / lwb)
        d_beta_k = b * steer_rate / (lwb * np.cos(steer) ** 2 * (1 + (tan_s**2 * b / lwb) ** 2))
        dd_psi_k = (
            accel * np.cos(slip) * tan_s - speed * np.sin(slip) * d_beta_k * tan_s
            + speed * np.cos(slip) * steer_rate / np.cos(steer) ** 2
        ) / lwb  # fmt: skip
        heading = np.where(slow, beta_k, slip) + x[4]
        d_psi = np.where(slow, speed * np.cos(beta_k) * tan_s / lwb, yaw_rate)
        d_yaw, d_slip = np.where(slow, dd_psi_k, d_yaw), np.where(slow, d_beta_k, d_slip)
    else:
        heading, d_psi = slip + x[4], yaw_rate
    return np.stack(
        [speed * np.cos(heading), speed * np.sin(heading), steer_rate, accel, d_psi, d_yaw, d_slip]
    )


def numpy_speed(model: str, n: int, p: np.ndarray, min_seconds: float) -> float:
    states, inputs = fleet(model, n)
    x, u = np.ascontiguousarray(states.T), np.ascontiguousarray(inputs.T)

    def step() -> None:
        nonlocal x
        k1 = numpy_rhs(model, x, u, p)
        k2 = numpy_rhs(model, x + 0.5 * DT * k1, u, p)
        k3 = numpy_rhs(model, x + 0.5 * DT * k2, u, p)
        k4 = numpy_rhs(model, x + DT * k3, u, p)
        x = x + DT / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4)

    return n / timed(step, min_seconds)


def commonroad_speed(model: str, sample: int, min_seconds: float) -> float:
    rhs: Callable[..., Any] = vehicle_dynamics_ks if model == "ks" else vehicle_dynamics_st
    p = parameters_vehicle2()
    p.longitudinal.a_max = min(p.longitudinal.a_max, p.tire.p_dy1 * G)  # as ours on dry road
    states, inputs = fleet(model, sample)
    xs, us = [list(s) for s in states], [list(u) for u in inputs]

    def step() -> None:
        for i in range(sample):
            x, u = xs[i], us[i]
            k1 = rhs(x, u, p)
            k2 = rhs([a + 0.5 * DT * b for a, b in zip(x, k1, strict=True)], u, p)
            k3 = rhs([a + 0.5 * DT * b for a, b in zip(x, k2, strict=True)], u, p)
            k4 = rhs([a + DT * b for a, b in zip(x, k3, strict=True)], u, p)
            xs[i] = [
                a + DT / 6 * (b + 2 * c + 2 * d + e)
                for a, b, c, d, e in zip(x, k1, k2, k3, k4, strict=True)
            ]

    return sample / timed(step, min_seconds)


def bandwidth_bytes_per_s() -> float:
    """Copy bandwidth (bytes read + written per second) of a 512 MiB float64 array."""
    source = np.ones(64 * 1024 * 1024)
    target = np.empty_like(source)
    seconds = min(timed(lambda: np.copyto(target, source), 0.5) for _ in range(3))
    return 2 * source.nbytes / seconds


def main() -> None:
    quick = "--quick" in sys.argv
    min_seconds = 0.2 if quick else 1.0
    sizes = [1, 1_000, 100_000] if quick else [1, 1_000, 100_000, 1_000_000]
    warm_up()
    facility = load_facility(REPO / "facility.toml", REPO / "cabins")
    cabin = facility.cabin("passenger")
    assert cabin is not None
    params = param_table([cabin.vehicle])

    results: dict[tuple[str, int], tuple[float, float, float]] = {}
    commonroad = {m: commonroad_speed(m, 200, min_seconds) for m in ("ks", "st")}
    print(f"{'model':<5} {'N':>9} {'ours vsps':>12} {'numpy vsps':>12} {'CR vsps':>10} "
          f"{'x numpy':>8} {'x CR':>8}")  # fmt: skip
    for model in ("ks", "st"):
        for n in sizes:
            mine = ours(model, n, params, min_seconds)
            vectorised = numpy_speed(model, n, params[0], min_seconds)
            results[(model, n)] = (mine, vectorised, commonroad[model])
            print(
                f"{model:<5} {n:>9} {mine:>12.4g} {vectorised:>12.4g} {commonroad[model]:>10.4g} "
                f"{mine / vectorised:>8.1f} {mine / commonroad[model]:>8.1f}"
            )

    stepper = Stepper("st", params, 1, 0.001)
    state, control = np.array([[0.0, 0.0, 0.0, 20.0, 0.0, 0.0, 0.0]]), np.array([[0.0, 0.5]])
    checked_s = timed(lambda: stepper.step(state, control, out=state), min_seconds)
    serial = KERNELS[("st", "rk4")][1]
    rows, friction = np.zeros(1, np.int64), np.ones(1)
    kernel_s = timed(lambda: serial(state, control, params, rows, friction, 0.001, state), 0.2)
    bandwidth = bandwidth_bytes_per_s()
    n_big = sizes[-1]
    mine, vectorised, reference = results[("st", n_big)]
    share = mine * ST_BYTES_PER_STEP / bandwidth
    print(
        f"single ST vehicle, one RK4 step: {checked_s * 1e6:.2f} us checked (Stepper.step), "
        f"{kernel_s * 1e6:.2f} us kernel only"
    )
    print(
        f"threads: {numba.get_num_threads()} ({numba.config.THREADING_LAYER}); memory bandwidth "
        f"{bandwidth / 1e9:.1f} GB/s (numpy copy); ST at N={n_big} moves "
        f"{mine * ST_BYTES_PER_STEP / 1e9:.2f} GB/s = {share:.1%} of it"
    )
    print(
        json.dumps(
            {
                "benchmark": "dynamics",
                "model": "st",
                "n": n_big,
                "ours_vsps": round(mine),
                "numpy_vsps": round(vectorised),
                "commonroad_vsps": round(reference),
                "ratio_vs_commonroad": round(mine / reference, 1),
                "ratio_vs_numpy": round(mine / vectorised, 1),
                "single_step_us": round(checked_s * 1e6, 3),
                "single_step_kernel_us": round(kernel_s * 1e6, 3),
                "threads": numba.get_num_threads(),
                "memory_bandwidth_gb_s": round(bandwidth / 1e9, 2),
                "bandwidth_share": round(share, 4),
            }
        )
    )


if __name__ == "__main__":
    main()
