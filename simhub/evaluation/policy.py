"""The ``Policy`` port and its observation / action contract (version 1).

A driving model sees, for each of ``B`` episodes of a chunk at once (float32, SI units, ego
frame: x forward, y to the left, origin at the ego's centre):

==============  ===============  ==========================================================
input           shape            meaning
==============  ===============  ==========================================================
``ego``         ``(B, 8)``       speed m/s, longitudinal acceleration m/s^2, lateral offset
                                 from the lane centre m (left +), heading relative to the lane
                                 rad, steering angle rad, speed limit m/s, length m, width m
``lane``        ``(B, 16, 2)``   centre line of the ego's lane ahead: x, y m at 0, 5, ... 75 m
``actors``      ``(B, 8, 7)``    the 8 nearest actors: dx, dy m (centre to centre), relative
                                 velocity dvx, dvy m/s, length m, width m, valid (1 or 0);
                                 unused rows are all zero
``prev_action`` ``(B, 2)``       the action applied before this one
==============  ===============  ==========================================================

and answers ``action`` ``(B, 2)``: longitudinal acceleration m/s^2 and either the steering angle
rad (``acceleration_steering``, the default) or the steering rate rad/s
(``acceleration_steering_rate``), as the model's metadata key ``simhub.action`` says. The batch
dimension must be dynamic (a name or -1). ``docs/policy-contract.md`` is the long form.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

from simhub.errors import FieldViolation, InvalidArgument

CONTRACT_VERSION = "1"
LANE_POINTS = 16
LANE_SPACING_M = 5.0
MAX_ACTORS = 8
EGO_FEATURES = 8
ACTOR_FEATURES = 7
ACTION_SIZE = 2

#: name -> shape without the batch dimension
INPUTS: Mapping[str, tuple[int, ...]] = {
    "ego": (EGO_FEATURES,),
    "lane": (LANE_POINTS, 2),
    "actors": (MAX_ACTORS, ACTOR_FEATURES),
    "prev_action": (ACTION_SIZE,),
}
OUTPUT = "action"
METADATA_ACTION = "simhub.action"
METADATA_CONTRACT = "simhub.contract"

Observations = Mapping[str, npt.NDArray[np.float32]]


class ActionKind(enum.StrEnum):
    ACCELERATION_STEERING = "acceleration_steering"
    ACCELERATION_STEERING_RATE = "acceleration_steering_rate"


@dataclass(frozen=True)
class TensorSpec:
    """One model input or output: ``shape`` uses ``None`` for a dynamic dimension."""

    name: str
    shape: tuple[int | None, ...]
    dtype: str  # numpy dtype name: "float32"


@dataclass(frozen=True)
class PolicySpec:
    """What a model declares: its inputs, outputs and metadata."""

    inputs: tuple[TensorSpec, ...]
    outputs: tuple[TensorSpec, ...]
    metadata: Mapping[str, str]


class Policy(Protocol):
    """A driving model evaluated batched over the episodes of a chunk."""

    @property
    def spec(self) -> PolicySpec: ...

    def act(self, observations: Observations) -> npt.NDArray[np.float32]:
        """Actions ``(B, 2)`` for observations of ``B`` episodes (see the module doc)."""
        ...


def action_kind(spec: PolicySpec) -> ActionKind:
    value = spec.metadata.get(METADATA_ACTION, ActionKind.ACCELERATION_STEERING.value)
    try:
        return ActionKind(value)
    except ValueError:
        raise InvalidArgument(
            "the model's metadata names an unknown action kind",
            [
                FieldViolation(
                    f"model.metadata.{METADATA_ACTION}",
                    f"found {value!r}; allowed: {', '.join(k.value for k in ActionKind)}",
                )
            ],
        ) from None


def check_spec(spec: PolicySpec) -> ActionKind:
    """Every way *spec* breaks the contract, at once, before any episode runs."""
    bad: list[FieldViolation] = []
    given = {t.name: t for t in spec.inputs}
    for name, shape in INPUTS.items():
        tensor = given.get(name)
        if tensor is None:
            bad.append(FieldViolation(f"model.inputs.{name}", f"missing; expected {_show(shape)}"))
            continue
        bad.extend(_check_tensor(f"model.inputs.{name}", tensor, shape))
    for name in given.keys() - INPUTS.keys():
        bad.append(
            FieldViolation(
                f"model.inputs.{name}",
                f"not part of the contract; allowed inputs: {', '.join(INPUTS)}",
            )
        )
    outputs = {t.name: t for t in spec.outputs}
    if OUTPUT not in outputs:
        bad.append(
            FieldViolation(
                f"model.outputs.{OUTPUT}",
                f"missing (found {', '.join(outputs) or 'none'}); expected {_show((ACTION_SIZE,))}",
            )
        )
    else:
        bad.extend(_check_tensor(f"model.outputs.{OUTPUT}", outputs[OUTPUT], (ACTION_SIZE,)))
    try:
        kind = action_kind(spec)
    except InvalidArgument as exc:
        bad.extend(exc.violations)
        kind = ActionKind.ACCELERATION_STEERING
    if bad:
        raise InvalidArgument(
            "the model does not follow the simhub policy contract v1 (docs/policy-contract.md)",
            bad,
        )
    return kind


def _show(shape: tuple[int, ...]) -> str:
    return "float32 (batch, " + ", ".join(str(d) for d in shape) + ")"


def _check_tensor(field: str, tensor: TensorSpec, shape: tuple[int, ...]) -> list[FieldViolation]:
    bad = []
    if tensor.dtype != "float32":
        bad.append(FieldViolation(f"{field}.dtype", f"found {tensor.dtype}; expected float32"))
    expected = (None, *shape)
    if len(tensor.shape) != len(expected) or any(
        want is not None and got != want for got, want in zip(tensor.shape, expected, strict=False)
    ):
        found = "(" + ", ".join("batch" if d is None else str(d) for d in tensor.shape) + ")"
        bad.append(FieldViolation(f"{field}.shape", f"found {found}; expected {_show(shape)}"))
    elif tensor.shape[0] is not None:
        bad.append(
            FieldViolation(
                f"{field}.shape",
                f"the batch dimension is fixed to {tensor.shape[0]}; make it dynamic",
            )
        )
    return bad


def check_actions(actions: object, batch: int) -> npt.NDArray[np.bool_]:
    """Validate what a model answered for ``batch`` episodes: a wrong shape or dtype fails the
    whole call (``InvalidArgument``); rows with NaN or infinite values are returned as a mask
    ``(batch,)`` of episodes to mark failed."""
    if not isinstance(actions, np.ndarray):
        raise InvalidArgument(
            "the model answered something that is not an array",
            [FieldViolation(f"model.outputs.{OUTPUT}", f"found {type(actions).__name__}")],
        )
    if actions.shape != (batch, ACTION_SIZE):
        raise InvalidArgument(
            "the model answered actions of the wrong shape",
            [
                FieldViolation(
                    f"model.outputs.{OUTPUT}.shape",
                    f"found {actions.shape} for {batch} episodes; "
                    f"expected ({batch}, {ACTION_SIZE})",
                )
            ],
        )
    if actions.dtype != np.float32:
        raise InvalidArgument(
            "the model answered actions of the wrong dtype",
            [
                FieldViolation(
                    f"model.outputs.{OUTPUT}.dtype", f"found {actions.dtype}; expected float32"
                )
            ],
        )
    return np.asarray(~np.all(np.isfinite(actions), axis=1))
