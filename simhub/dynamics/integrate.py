"""Batched kernels: right-hand sides, explicit Euler and classical RK4 over N vehicles.

Every kernel has the signature ``(states, inputs, params, param_rows, road_friction, [dt,] out)``:

- ``states``: ``(N, nx)`` float64 (one row per vehicle, fields in the model file);
- ``inputs``: ``(N, 2)`` float64 (steering rate [rad/s], acceleration [m/s^2]);
- ``params``: ``(n_sets, N_PARAMS)`` float64 parameter table (``simhub.dynamics.params``);
- ``param_rows``: ``(N,)`` int64, the table row of each vehicle;
- ``road_friction``: ``(N,)`` float64, 1.0 dry ... 0.1 ice;
- ``dt``: step [s];
- ``out``: ``(N, nx)`` float64, written; may be ``states`` itself (each vehicle's row is read
  completely before it is written).

Layout: one ``(N, nx)`` C-contiguous array (a vehicle's state in one 56-byte run) rather than
one array per field. Measured with the same RK4 ST kernel at N = 1e6 on 2 cores: 4.5 M
vehicle-steps/s for ``(N, nx)`` C order against 4.8 M for the field-major (Fortran) order, within
the noise of a shared machine; the kernels are compute-bound (~2-4 % of memory bandwidth), so
the layout that keeps a vehicle's row together (one row = one state vector, as CommonRoad's
``x``) wins on clarity. These raw kernels accept either order (numba compiles one
specialisation per layout); ``simhub.dynamics.api.Stepper`` works in C order.

A step is one compiled call for the whole batch. The ``*_parallel`` kernels spread the
vehicles over numba's threads with ``prange``; the ``*_serial`` twins skip the thread-pool
launch, which dominates below a few hundred vehicles (a live session steps one). RK4 keeps its
four stages in registers: no temporary arrays. These kernels trust their inputs; the checked
entry point is ``simhub.dynamics.api``.
"""

from __future__ import annotations

from collections.abc import Callable

from numba import njit, prange

from simhub.dynamics import ks, kst, st

# Below this many vehicles (or vehicle slots) the serial twins run: the thread pool's launch and
# join cost more than they save, and on a busy machine the join waits for a thread the
# scheduler has not run yet (~2.5 ms a call). The driver models (``drivers``) use it too.
PARALLEL_FROM_VEHICLES = 512


@njit(parallel=True, cache=True, fastmath=False)
def ks_rhs_parallel(states, inputs, params, param_rows, road_friction, out):  # type: ignore[no-untyped-def]
    for i in prange(states.shape[0]):
        ks.rhs_one(states, inputs, params, param_rows[i], road_friction[i], out, i)


@njit(cache=True, fastmath=False)
def ks_rhs_serial(states, inputs, params, param_rows, road_friction, out):  # type: ignore[no-untyped-def]
    for i in range(states.shape[0]):
        ks.rhs_one(states, inputs, params, param_rows[i], road_friction[i], out, i)


@njit(parallel=True, cache=True, fastmath=False)
def ks_euler_parallel(states, inputs, params, param_rows, road_friction, dt, out):  # type: ignore[no-untyped-def]
    for i in prange(states.shape[0]):
        ks.euler_one(states, inputs, params, param_rows[i], road_friction[i], dt, out, i)


@njit(cache=True, fastmath=False)
def ks_euler_serial(states, inputs, params, param_rows, road_friction, dt, out):  # type: ignore[no-untyped-def]
    for i in range(states.shape[0]):
        ks.euler_one(states, inputs, params, param_rows[i], road_friction[i], dt, out, i)


@njit(parallel=True, cache=True, fastmath=False)
def ks_rk4_parallel(states, inputs, params, param_rows, road_friction, dt, out):  # type: ignore[no-untyped-def]
    for i in prange(states.shape[0]):
        ks.rk4_one(states, inputs, params, param_rows[i], road_friction[i], dt, out, i)


@njit(cache=True, fastmath=False)
def ks_rk4_serial(states, inputs, params, param_rows, road_friction, dt, out):  # type: ignore[no-untyped-def]
    for i in range(states.shape[0]):
        ks.rk4_one(states, inputs, params, param_rows[i], road_friction[i], dt, out, i)


@njit(parallel=True, cache=True, fastmath=False)
def st_rhs_parallel(states, inputs, params, param_rows, road_friction, out):  # type: ignore[no-untyped-def]
    for i in prange(states.shape[0]):
        st.rhs_one(states, inputs, params, param_rows[i], road_friction[i], out, i)


@njit(cache=True, fastmath=False)
def st_rhs_serial(states, inputs, params, param_rows, road_friction, out):  # type: ignore[no-untyped-def]
    for i in range(states.shape[0]):
        st.rhs_one(states, inputs, params, param_rows[i], road_friction[i], out, i)


@njit(parallel=True, cache=True, fastmath=False)
def st_euler_parallel(states, inputs, params, param_rows, road_friction, dt, out):  # type: ignore[no-untyped-def]
    for i in prange(states.shape[0]):
        st.euler_one(states, inputs, params, param_rows[i], road_friction[i], dt, out, i)


@njit(cache=True, fastmath=False)
def st_euler_serial(states, inputs, params, param_rows, road_friction, dt, out):  # type: ignore[no-untyped-def]
    for i in range(states.shape[0]):
        st.euler_one(states, inputs, params, param_rows[i], road_friction[i], dt, out, i)


@njit(parallel=True, cache=True, fastmath=False)
def st_rk4_parallel(states, inputs, params, param_rows, road_friction, dt, out):  # type: ignore[no-untyped-def]
    for i in prange(states.shape[0]):
        st.rk4_one(states, inputs, params, param_rows[i], road_friction[i], dt, out, i)


@njit(cache=True, fastmath=False)
def st_rk4_serial(states, inputs, params, param_rows, road_friction, dt, out):  # type: ignore[no-untyped-def]
    for i in range(states.shape[0]):
        st.rk4_one(states, inputs, params, param_rows[i], road_friction[i], dt, out, i)


@njit(parallel=True, cache=True, fastmath=False)
def kst_rhs_parallel(states, inputs, params, param_rows, road_friction, out):  # type: ignore[no-untyped-def]
    for i in prange(states.shape[0]):
        kst.rhs_one(states, inputs, params, param_rows[i], road_friction[i], out, i)


@njit(cache=True, fastmath=False)
def kst_rhs_serial(states, inputs, params, param_rows, road_friction, out):  # type: ignore[no-untyped-def]
    for i in range(states.shape[0]):
        kst.rhs_one(states, inputs, params, param_rows[i], road_friction[i], out, i)


@njit(parallel=True, cache=True, fastmath=False)
def kst_euler_parallel(states, inputs, params, param_rows, road_friction, dt, out):  # type: ignore[no-untyped-def]
    for i in prange(states.shape[0]):
        kst.euler_one(states, inputs, params, param_rows[i], road_friction[i], dt, out, i)


@njit(cache=True, fastmath=False)
def kst_euler_serial(states, inputs, params, param_rows, road_friction, dt, out):  # type: ignore[no-untyped-def]
    for i in range(states.shape[0]):
        kst.euler_one(states, inputs, params, param_rows[i], road_friction[i], dt, out, i)


@njit(parallel=True, cache=True, fastmath=False)
def kst_rk4_parallel(states, inputs, params, param_rows, road_friction, dt, out):  # type: ignore[no-untyped-def]
    for i in prange(states.shape[0]):
        kst.rk4_one(states, inputs, params, param_rows[i], road_friction[i], dt, out, i)


@njit(cache=True, fastmath=False)
def kst_rk4_serial(states, inputs, params, param_rows, road_friction, dt, out):  # type: ignore[no-untyped-def]
    for i in range(states.shape[0]):
        kst.rk4_one(states, inputs, params, param_rows[i], road_friction[i], dt, out, i)


N_STATES = {"ks": ks.N_STATES, "st": st.N_STATES, "kst": kst.N_STATES}

# (model, operation) -> (parallel kernel, serial kernel); operation: "rhs", "euler", "rk4".
Kernel = Callable[..., None]
KERNELS: dict[tuple[str, str], tuple[Kernel, Kernel]] = {
    ("ks", "rhs"): (ks_rhs_parallel, ks_rhs_serial),
    ("ks", "euler"): (ks_euler_parallel, ks_euler_serial),
    ("ks", "rk4"): (ks_rk4_parallel, ks_rk4_serial),
    ("st", "rhs"): (st_rhs_parallel, st_rhs_serial),
    ("st", "euler"): (st_euler_parallel, st_euler_serial),
    ("st", "rk4"): (st_rk4_parallel, st_rk4_serial),
    ("kst", "rhs"): (kst_rhs_parallel, kst_rhs_serial),
    ("kst", "euler"): (kst_euler_parallel, kst_euler_serial),
    ("kst", "rk4"): (kst_rk4_parallel, kst_rk4_serial),
}
