"""Small models and suites for the evaluation tests."""

from __future__ import annotations

import numpy as np
from onnx import TensorProto, helper

from simhub.evaluation.policy import INPUTS, PolicySpec, TensorSpec

SMALL_SUITE = """
name: small
duration_s: 6
chunk_episodes: 4
seeds: 2
scenarios:
  - name: ccrs
    file: ncap_ccrs.xosc
    parameters: {EgoSpeed: [20, 40]}
    jitter: {EgoSpeed: 0.5}
  - name: cut_in
    file: cut_in.yaml
    parameters: {EgoSpeed: [14, 20], CutInHeadway: [0.4]}
"""


def model_with(
    inputs: dict[str, tuple[object, ...]] | None = None,
    output_shape: tuple[object, ...] = ("batch", 2),
    dtype: int = TensorProto.FLOAT,
    action_value: float | None = 0.0,
) -> bytes:
    """A model that sums nothing and answers a constant action (NaN when ``action_value`` is
    None), with the inputs and output declared as given (contract-conforming by default)."""
    shapes = inputs or {name: ("batch", *shape) for name, shape in INPUTS.items()}
    value = np.float32(np.nan if action_value is None else action_value)
    first = next(iter(shapes))
    nodes = [
        helper.make_node("Shape", [first], ["shape"], start=0, end=1),
        helper.make_node("Concat", ["shape", "two"], ["out_shape"], axis=0),
        helper.make_node(
            "ConstantOfShape",
            ["out_shape"],
            ["raw"],
            value=helper.make_tensor("v", TensorProto.FLOAT, [1], [value]),
        ),
        helper.make_node("Cast", ["raw"], ["action"], to=dtype),
    ]
    graph = helper.make_graph(
        nodes,
        "test",
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, list(s)) for n, s in shapes.items()],
        [helper.make_tensor_value_info("action", dtype, list(output_shape))],
        initializer=[helper.make_tensor("two", TensorProto.INT64, [1], [2])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    model.ir_version = 8
    return model.SerializeToString()


def spec_ok() -> PolicySpec:
    return PolicySpec(
        inputs=tuple(TensorSpec(n, (None, *s), "float32") for n, s in INPUTS.items()),
        outputs=(TensorSpec("action", (None, 2), "float32"),),
        metadata={},
    )
