"""``Policy`` over onnxruntime: CPU provider, or CUDA when asked for and present."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import onnxruntime as ort  # type: ignore[import-untyped]

from simhub.errors import FieldViolation, InvalidArgument
from simhub.evaluation.policy import OUTPUT, Observations, PolicySpec, TensorSpec, check_spec

_DTYPES = {
    "tensor(float)": "float32",
    "tensor(double)": "float64",
    "tensor(float16)": "float16",
    "tensor(int64)": "int64",
    "tensor(int32)": "int32",
}


def providers(use_gpu: bool) -> list[str]:
    """CUDA first when a GPU is wanted and onnxruntime has the provider, CPU always."""
    available = ort.get_available_providers()
    chosen = ["CUDAExecutionProvider"] if use_gpu and "CUDAExecutionProvider" in available else []
    return [*chosen, "CPUExecutionProvider"]


def _shape(dims: Sequence[object]) -> tuple[int | None, ...]:
    return tuple(d if isinstance(d, int) and d >= 0 else None for d in dims)


class OnnxPolicy:
    """One ONNX model, run batched; construction checks the contract (``InvalidArgument``)."""

    def __init__(self, model: bytes, *, use_gpu: bool = False, threads: int = 1) -> None:
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        try:
            self._session = ort.InferenceSession(
                model, sess_options=options, providers=providers(use_gpu)
            )
        except Exception as exc:  # onnxruntime raises its own untyped errors
            raise InvalidArgument(
                "the model is not a valid ONNX file onnxruntime can load",
                [FieldViolation("model", str(exc).splitlines()[0][:300])],
            ) from exc
        meta = self._session.get_modelmeta()
        self.spec = PolicySpec(
            inputs=tuple(
                TensorSpec(i.name, _shape(i.shape), _DTYPES.get(i.type, i.type))
                for i in self._session.get_inputs()
            ),
            outputs=tuple(
                TensorSpec(o.name, _shape(o.shape), _DTYPES.get(o.type, o.type))
                for o in self._session.get_outputs()
            ),
            metadata=dict(meta.custom_metadata_map),
        )
        self.action_kind = check_spec(self.spec)
        self.provider = self._session.get_providers()[0]
        self.sha256 = hashlib.sha256(model).hexdigest()

    def act(self, observations: Observations) -> npt.NDArray[np.float32]:
        try:
            (actions,) = self._session.run([OUTPUT], dict(observations))
        except Exception as exc:
            raise InvalidArgument(
                "the model failed while running on contract-conforming observations",
                [FieldViolation("model", str(exc).splitlines()[0][:300])],
            ) from exc
        return actions  # type: ignore[no-any-return]
