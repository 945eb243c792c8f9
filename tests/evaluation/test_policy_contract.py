"""The policy contract: bad names, shapes, dtypes refused before any episode; NaN rows fail
only their episodes."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from onnx import TensorProto

from simhub.cluster.example_policy import example_policy_bytes
from simhub.cluster.onnx_policy import OnnxPolicy
from simhub.errors import InvalidArgument
from simhub.evaluation.policy import ActionKind, TensorSpec, check_actions, check_spec
from simhub.evaluation.rollout import run_chunk
from simhub.evaluation.service import parse_suite, prepare_suite
from tests.evaluation.helpers import SMALL_SUITE, model_with, spec_ok


def fields(exc: pytest.ExceptionInfo[InvalidArgument]) -> set[str]:
    return {v.field for v in exc.value.violations}


def test_example_policy_follows_the_contract() -> None:
    policy = OnnxPolicy(example_policy_bytes())
    assert policy.action_kind is ActionKind.ACCELERATION_STEERING
    assert policy.spec.metadata["simhub.contract"] == "1"


def test_every_violation_is_listed_at_once() -> None:
    spec = spec_ok()
    bad = replace(
        spec,
        inputs=(
            TensorSpec("ego", (None, 7), "float32"),  # wrong width
            TensorSpec("lane", (None, 16, 2), "float64"),  # wrong dtype
            TensorSpec("actors", (4, 8, 7), "float32"),  # fixed batch
            TensorSpec("camera", (None, 3), "float32"),  # not in the contract
        ),  # prev_action missing
        outputs=(TensorSpec("steer", (None, 2), "float32"),),
        metadata={"simhub.action": "torque"},
    )
    with pytest.raises(InvalidArgument) as exc:
        check_spec(bad)
    assert fields(exc) == {
        "model.inputs.ego.shape",
        "model.inputs.lane.dtype",
        "model.inputs.actors.shape",
        "model.inputs.camera",
        "model.inputs.prev_action",
        "model.outputs.action",
        "model.metadata.simhub.action",
    }


def test_onnx_model_with_wrong_input_shape_is_refused_on_load() -> None:
    model = model_with(
        inputs={
            "ego": ("batch", 6),
            "lane": ("batch", 16, 2),
            "actors": ("batch", 8, 7),
            "prev_action": ("batch", 2),
        }
    )
    with pytest.raises(InvalidArgument) as exc:
        OnnxPolicy(model)
    assert fields(exc) == {"model.inputs.ego.shape"}
    assert "expected float32 (batch, 8)" in exc.value.violations[0].description


def test_onnx_model_with_double_output_is_refused() -> None:
    with pytest.raises(InvalidArgument) as exc:
        OnnxPolicy(model_with(dtype=TensorProto.DOUBLE))
    assert fields(exc) == {"model.outputs.action.dtype"}


def test_garbage_is_not_a_model() -> None:
    with pytest.raises(InvalidArgument, match="not a valid ONNX file"):
        OnnxPolicy(b"definitely not onnx")


def test_answers_of_the_wrong_shape_or_dtype_fail_the_call() -> None:
    with pytest.raises(InvalidArgument, match="wrong shape"):
        check_actions(np.zeros((3, 3), np.float32), 3)
    with pytest.raises(InvalidArgument, match="wrong dtype"):
        check_actions(np.zeros((3, 2), np.float64), 3)
    mask = check_actions(np.array([[0, 0], [np.nan, 0], [0, np.inf]], np.float32), 3)
    assert mask.tolist() == [False, True, True]


class NanForSome:
    """Wraps the example policy and answers NaN for episodes 1 and 2 of each call."""

    def __init__(self) -> None:
        self.inner = OnnxPolicy(example_policy_bytes())
        self.spec = self.inner.spec

    def act(self, observations):  # type: ignore[no-untyped-def]
        actions = self.inner.act(observations).copy()
        actions[1:3] = np.nan
        return actions


def test_nan_actions_fail_only_their_episodes() -> None:
    ready = prepare_suite(parse_suite(SMALL_SUITE), "org")
    result = run_chunk(ready.chunks()[0], ready.suite, NanForSome(), ready.bundles)
    errors = [bool(e.error) for e in result.episodes]
    assert errors == [False, True, True, False]
    assert all("NaN" in e.failure and not e.passed and e.score == 0 for e in result.episodes[1:3])
    assert result.episodes[0].passed and result.episodes[3].passed


def test_nan_model_fails_every_episode_with_a_reason() -> None:
    ready = prepare_suite(parse_suite(SMALL_SUITE), "org")
    chunk = ready.chunks()[0]
    result = run_chunk(chunk, ready.suite, OnnxPolicy(model_with(action_value=None)), ready.bundles)
    assert all(e.error.startswith("the model answered NaN") for e in result.episodes)
