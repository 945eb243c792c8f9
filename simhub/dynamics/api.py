"""The checked entry point to the vehicle kernels: validate once, then step fast.

Nothing non-finite reaches a kernel: states, inputs, parameters, road friction and the step are
checked here, and a bad value raises ``simhub.errors.InvalidArgument`` naming the array, the
vehicle index and what is allowed. ``Stepper`` checks what does not change (model, parameter
table, rows, friction, ``dt``) when it is built and, per step, only the states and inputs, with
one compiled scan; a live session's 1 kHz loop pays about a microsecond for it.

Shapes: ``states`` ``(N, nx)`` with ``nx`` 5 (ks), 7 (st), 6 (kst); ``inputs`` ``(N, 2)``
(steering rate [rad/s], acceleration [m/s^2]); ``params`` ``(n_sets, N_PARAMS)`` from
``simhub.dynamics.params.param_table``; ``param_rows`` ``(N,)``; ``road_friction`` ``(N,)``.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt
from numba import njit

from simhub.dynamics import integrate
from simhub.dynamics.integrate import PARALLEL_FROM_VEHICLES
from simhub.dynamics.params import N_PARAMS, P_TRAILER_WB
from simhub.errors import FieldViolation, InvalidArgument
from simhub.facility.model import VehicleModel

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

MAX_ROAD_FRICTION = 2.0  # generous: racing slicks on a dry track stay below ~1.7


class Integrator(enum.StrEnum):
    EULER = "euler"
    RK4 = "rk4"


def state_size(model: VehicleModel | str) -> int:
    """Number of state fields of ``model`` (5 ks, 7 st, 6 kst)."""
    return integrate.N_STATES[_model(model).value]


@njit(cache=True)
def _first_non_finite(values: np.ndarray) -> int:
    """Flat index of the first NaN or infinity in a 2-D array, or -1."""
    rows, cols = values.shape
    for i in range(rows):
        for k in range(cols):
            if not math.isfinite(values[i, k]):
                return int(i * cols + k)
    return -1


@njit(cache=True)
def _all_finite(states: np.ndarray, inputs: np.ndarray) -> bool:
    """True when neither array holds a NaN or an infinity."""
    return _first_non_finite(states) < 0 and _first_non_finite(inputs) < 0


def _fail(what: str, field: str, description: str) -> InvalidArgument:
    return InvalidArgument(what, [FieldViolation(field, description)])


def _model(model: VehicleModel | str) -> VehicleModel:
    try:
        return VehicleModel(model)
    except ValueError:
        allowed = ", ".join(m.value for m in VehicleModel)
        raise _fail(f"unknown vehicle model {model!r}", "model", f"use one of: {allowed}") from None


def _float_2d(name: str, values: Any, rows: int | None, cols: int) -> FloatArray:
    array = np.ascontiguousarray(values, dtype=np.float64)
    if array.ndim != 2 or array.shape[1] != cols or (rows is not None and array.shape[0] != rows):
        want = f"({'N' if rows is None else rows}, {cols})"
        raise _fail(
            f"{name} has shape {array.shape}", name, f"must be a float array of shape {want}"
        )
    bad = int(_first_non_finite(array))
    if bad >= 0:
        vehicle, field = divmod(bad, cols)
        raise _fail(
            f"{name} of vehicle {vehicle} is not finite: {name}[{vehicle}, {field}] = "
            f"{array[vehicle, field]}",
            f"{name}[{vehicle}, {field}]",
            "must be a finite number (no NaN, no infinity)",
        )
    return array


def _float_1d(name: str, values: Any, size: int, low: float, high: float) -> FloatArray:
    array = np.ascontiguousarray(np.broadcast_to(np.asarray(values, dtype=np.float64), (size,)))
    ok = np.isfinite(array) & (array > low) & (array <= high)
    if not ok.all():
        vehicle = int(np.argmin(ok))
        raise _fail(
            f"{name} of vehicle {vehicle} is {array[vehicle]}",
            f"{name}[{vehicle}]",
            f"must be a finite number in ({low}, {high}]",
        )
    return array


class Stepper:
    """Steps N vehicles of one model with a fixed ``dt`` [s]; one compiled call per step.

    ``params``: ``(n_sets, N_PARAMS)`` table; ``param_rows``: ``(N,)`` row per vehicle (default
    all 0); ``road_friction``: scalar or ``(N,)``, 1.0 dry, 0.7 wet, 0.3 snow, 0.1 ice.
    """

    def __init__(
        self,
        model: VehicleModel | str,
        params: Any,
        vehicles: int,
        dt: float,
        *,
        param_rows: Any = None,
        road_friction: Any = 1.0,
        integrator: Integrator | str = Integrator.RK4,
    ) -> None:
        self.model = _model(model)
        self.state_size = state_size(self.model)
        if vehicles < 0:
            raise _fail(f"vehicles = {vehicles}", "vehicles", "must be >= 0")
        self.vehicles = vehicles
        if not (math.isfinite(dt) and dt > 0.0):
            raise _fail(f"dt = {dt}", "dt", "must be a finite step > 0 s")
        self.dt = float(dt)
        try:
            self.integrator = Integrator(integrator)
        except ValueError:
            raise _fail(
                f"unknown integrator {integrator!r}", "integrator", "use 'euler' or 'rk4'"
            ) from None
        self.params = _float_2d("params", params, None, N_PARAMS)
        if self.model is VehicleModel.KST and not (self.params[:, P_TRAILER_WB] > 0).all():
            raise _fail(
                "the kst model needs a trailer", "params", "trailer wheelbase must be > 0 m"
            )
        rows = np.zeros(vehicles, np.int64) if param_rows is None else param_rows
        self.param_rows: IntArray = np.ascontiguousarray(rows, dtype=np.int64)
        if self.param_rows.shape != (vehicles,) or (
            vehicles
            and (self.param_rows.min() < 0 or self.param_rows.max() >= self.params.shape[0])
        ):
            raise _fail(
                "param_rows do not match the vehicles and the parameter table",
                "param_rows",
                f"must have shape ({vehicles},) with values in [0, {self.params.shape[0]})",
            )
        self.road_friction = _float_1d(
            "road_friction", road_friction, vehicles, 0.0, MAX_ROAD_FRICTION
        )
        kernels = integrate.KERNELS[(self.model.value, self.integrator.value)]
        self._kernel: Callable[..., None] = (
            kernels[0] if vehicles >= PARALLEL_FROM_VEHICLES else kernels[1]
        )
        rhs = integrate.KERNELS[(self.model.value, "rhs")]
        self._rhs: Callable[..., None] = rhs[0] if vehicles >= PARALLEL_FROM_VEHICLES else rhs[1]

    def _checked(self, states: Any, inputs: Any) -> tuple[FloatArray, FloatArray]:
        # Fast path for the real-time loop: the right arrays already, one compiled scan.
        if (
            isinstance(states, np.ndarray)
            and isinstance(inputs, np.ndarray)
            and states.dtype == np.float64
            and inputs.dtype == np.float64
            and states.shape == (self.vehicles, self.state_size)
            and inputs.shape == (self.vehicles, 2)
            and states.flags.c_contiguous
            and inputs.flags.c_contiguous
            and _all_finite(states, inputs)
        ):
            return states, inputs
        x = _float_2d("states", states, self.vehicles, self.state_size)
        u = _float_2d("inputs", inputs, self.vehicles, 2)
        return x, u

    def step(self, states: Any, inputs: Any, out: FloatArray | None = None) -> FloatArray:
        """States after one step, ``(N, nx)``; written into ``out`` (may be ``states``)."""
        x, u = self._checked(states, inputs)
        if out is None:
            target = np.empty_like(x)
        elif (
            isinstance(out, np.ndarray)
            and out.dtype == np.float64
            and out.shape == x.shape
            and out.flags.writeable
        ):
            target = out
        else:
            raise _fail(
                "out does not fit the states",
                "out",
                f"must be a writable float64 array of shape {x.shape}",
            )
        self._kernel(x, u, self.params, self.param_rows, self.road_friction, self.dt, target)
        return target

    def derivatives(self, states: Any, inputs: Any) -> FloatArray:
        """Right-hand side f(x, u, p), ``(N, nx)``, for the current friction and parameters."""
        x, u = self._checked(states, inputs)
        out = np.empty_like(x)
        self._rhs(x, u, self.params, self.param_rows, self.road_friction, out)
        return out


def warm_up() -> None:
    """Compile (or load from numba's disk cache) every kernel once, at start-up."""
    from simhub.dynamics import collision, drivers

    params = np.zeros((1, N_PARAMS))
    params[0, :] = 1.0
    for (model_name, operation), kernels in integrate.KERNELS.items():
        nx = integrate.N_STATES[model_name]
        x = np.zeros((2, nx))
        u = np.zeros((2, 2))
        rows = np.zeros(2, np.int64)
        mu = np.ones(2)
        for kernel in kernels:
            if operation == "rhs":
                kernel(x, u, params, rows, mu, x.copy())
            else:
                kernel(x, u, params, rows, mu, 0.01, x.copy())
    _first_non_finite(np.zeros((1, 1)))
    _all_finite(np.zeros((1, 1)), np.zeros((1, 1)))
    drivers.warm_up()
    collision.warm_up()
