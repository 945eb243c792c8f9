"""The example policy: IDM car following + pure-pursuit lane keeping, as an ONNX graph.

Built with ``onnx.helper`` so a newcomer can run an evaluation with nothing of their own
(``simhub eval example-policy -o policy.onnx``). It follows the policy contract v1
(``docs/policy-contract.md``):

- acceleration: IDM (Treiber 2000), ``a = a_max (1 - (v / v0)^4 - max_i (s*_i / s_i)^2)``
  over the actors in the ego's lane ahead (``|dy| < 1.75 m``, ``dx > 0``), with
  ``s_i = dx - (length_i + length_ego) / 2`` and ``s*_i = s0 + v T + v dv_i / (2 sqrt(a b))``;
  ``v0`` is the speed limit. Clipped to [-9, 2] m/s^2.
- steering angle: pure pursuit on the lane centre point 15 m ahead,
  ``delta = atan(2 L y / (x^2 + y^2))``, wheelbase ``L`` = 2.58 m, clipped to +-0.5 rad.
"""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from simhub.evaluation.policy import (
    ACTOR_FEATURES,
    CONTRACT_VERSION,
    EGO_FEATURES,
    LANE_POINTS,
    MAX_ACTORS,
    METADATA_ACTION,
    METADATA_CONTRACT,
    ActionKind,
)

A_MAX_M_S2 = 1.5
B_COMFORT_M_S2 = 2.0
HEADWAY_S = 1.5
MIN_GAP_M = 2.0
WHEELBASE_M = 2.579
LOOKAHEAD_POINT = 3  # 15 m ahead
LANE_HALF_WIDTH_M = 1.75


def _const(name: str, value: float | list[int] | np.ndarray) -> onnx.NodeProto:
    array = np.asarray(value, dtype=np.int64 if isinstance(value, list) else np.float32)
    return helper.make_node("Constant", [], [name], value=numpy_helper.from_array(array, name))


def build_model() -> onnx.ModelProto:
    """The example policy as an ONNX model (opset 18, dynamic batch)."""
    n = helper.make_node
    nodes = [
        _const("c0", 0.0),
        _const("c1", 1.0),
        _const("c_half", 0.5),
        _const("c_eps", 1.0e-3),
        _const("c_lane", LANE_HALF_WIDTH_M),
        _const("c_amax", A_MAX_M_S2),
        _const("c_s0", MIN_GAP_M),
        _const("c_T", HEADWAY_S),
        _const("c_sqrtab2", 2.0 * float(np.sqrt(A_MAX_M_S2 * B_COMFORT_M_S2))),
        _const("c_amin", -9.0),
        _const("c_2L", 2.0 * WHEELBASE_M),
        _const("c_smax", 0.5),
        _const("c_smin", -0.5),
        _const("c_v0min", 1.0),
        _const("i_speed", [0]),
        _const("i_limit", [5]),
        _const("i_len", [6]),
        _const("i_dx", [0]),
        _const("i_dy", [1]),
        _const("i_dvx", [2]),
        _const("i_alen", [4]),
        _const("i_valid", [6]),
        _const("i_look", [LOOKAHEAD_POINT]),
        _const("i_x", [0]),
        _const("i_y", [1]),
        # ego features, (B, 1) each
        n("Gather", ["ego", "i_speed"], ["v"], axis=1),
        n("Gather", ["ego", "i_limit"], ["v0_raw"], axis=1),
        n("Max", ["v0_raw", "c_v0min"], ["v0"]),
        n("Gather", ["ego", "i_len"], ["ego_len"], axis=1),
        # actors, (B, K) each
        n("Gather", ["actors", "i_dx"], ["dx3"], axis=2),
        n("Squeeze", ["dx3", "i_dx2"], ["dx"]),
        n("Gather", ["actors", "i_dy"], ["dy3"], axis=2),
        n("Squeeze", ["dy3", "i_dx2"], ["dy"]),
        n("Gather", ["actors", "i_dvx"], ["dvx3"], axis=2),
        n("Squeeze", ["dvx3", "i_dx2"], ["dvx"]),
        n("Gather", ["actors", "i_alen"], ["al3"], axis=2),
        n("Squeeze", ["al3", "i_dx2"], ["al"]),
        n("Gather", ["actors", "i_valid"], ["va3"], axis=2),
        n("Squeeze", ["va3", "i_dx2"], ["valid"]),
        # in the ego's lane and ahead
        n("Abs", ["dy"], ["abs_dy"]),
        n("Less", ["abs_dy", "c_lane"], ["in_lane"]),
        n("Greater", ["dx", "c0"], ["ahead"]),
        n("Greater", ["valid", "c_half"], ["is_valid"]),
        n("And", ["in_lane", "ahead"], ["m1"]),
        n("And", ["m1", "is_valid"], ["lead_mask"]),
        # gap s_i and desired gap s*_i
        n("Add", ["al", "ego_len"], ["lens"]),
        n("Mul", ["lens", "c_half"], ["half_lens"]),
        n("Sub", ["dx", "half_lens"], ["gap_raw"]),
        n("Max", ["gap_raw", "c_eps"], ["gap"]),
        n("Neg", ["dvx"], ["closing"]),
        n("Mul", ["v", "closing"], ["v_dv"]),
        n("Div", ["v_dv", "c_sqrtab2"], ["dyn"]),
        n("Mul", ["v", "c_T"], ["vT"]),
        n("Add", ["vT", "dyn"], ["s_var"]),
        n("Max", ["s_var", "c0"], ["s_var_pos"]),
        n("Add", ["s_var_pos", "c_s0"], ["s_star"]),
        n("Div", ["s_star", "gap"], ["ratio"]),
        n("Mul", ["ratio", "ratio"], ["term"]),
        n("Where", ["lead_mask", "term", "c0"], ["term_masked"]),
        n("ReduceMax", ["term_masked", "i_axis1"], ["interaction"], keepdims=1),
        # free-road term and IDM acceleration
        n("Div", ["v", "v0"], ["vr"]),
        n("Mul", ["vr", "vr"], ["vr2"]),
        n("Mul", ["vr2", "vr2"], ["vr4"]),
        n("Sub", ["c1", "vr4"], ["free"]),
        n("Sub", ["free", "interaction"], ["idm_u"]),
        n("Mul", ["idm_u", "c_amax"], ["acc_raw"]),
        n("Clip", ["acc_raw", "c_amin", "c_amax"], ["accel"]),
        # pure pursuit on the lane point LOOKAHEAD_POINT
        n("Gather", ["lane", "i_look"], ["pt3"], axis=1),
        n("Squeeze", ["pt3", "i_axis1"], ["pt"]),
        n("Gather", ["pt", "i_x"], ["px"], axis=1),
        n("Gather", ["pt", "i_y"], ["py"], axis=1),
        n("Mul", ["px", "px"], ["px2"]),
        n("Mul", ["py", "py"], ["py2"]),
        n("Add", ["px2", "py2"], ["ld2_raw"]),
        n("Max", ["ld2_raw", "c1"], ["ld2"]),
        n("Mul", ["py", "c_2L"], ["num"]),
        n("Div", ["num", "ld2"], ["tan_d"]),
        n("Atan", ["tan_d"], ["steer_raw"]),
        n("Clip", ["steer_raw", "c_smin", "c_smax"], ["steer"]),
        n("Concat", ["accel", "steer"], ["action"], axis=1),
    ]
    nodes.insert(0, _const("i_dx2", [2]))
    nodes.insert(0, _const("i_axis1", [1]))
    graph = helper.make_graph(
        nodes,
        "simhub_example_idm_lane_keeping",
        inputs=[
            helper.make_tensor_value_info("ego", TensorProto.FLOAT, ["batch", EGO_FEATURES]),
            helper.make_tensor_value_info("lane", TensorProto.FLOAT, ["batch", LANE_POINTS, 2]),
            helper.make_tensor_value_info(
                "actors", TensorProto.FLOAT, ["batch", MAX_ACTORS, ACTOR_FEATURES]
            ),
            helper.make_tensor_value_info("prev_action", TensorProto.FLOAT, ["batch", 2]),
        ],
        outputs=[helper.make_tensor_value_info("action", TensorProto.FLOAT, ["batch", 2])],
    )
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", 18)], producer_name="simhub"
    )
    model.ir_version = 8
    helper.set_model_props(
        model,
        {
            METADATA_CONTRACT: CONTRACT_VERSION,
            METADATA_ACTION: ActionKind.ACCELERATION_STEERING.value,
            "description": "IDM car following + pure-pursuit lane keeping (simhub example)",
        },
    )
    onnx.checker.check_model(model)
    return model


def example_policy_bytes() -> bytes:
    return build_model().SerializeToString()
