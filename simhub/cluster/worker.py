"""What runs inside an executor's worker process: one chunk with an onnxruntime policy."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Mapping
from pathlib import Path

import numba

from simhub.cluster.onnx_policy import OnnxPolicy
from simhub.evaluation.rollout import ChunkResult, run_chunk
from simhub.evaluation.suite import Chunk, Suite
from simhub.scenario.library import Bundle

#: Fault injection for the tests (set on the worker's environment): seconds to wait before a
#: chunk, and a folder where each worker notes "chunk index -> its pid" when it starts one.
TEST_DELAY_ENV = "SIMHUB_EVAL_TEST_DELAY_S"
TEST_TRACE_ENV = "SIMHUB_EVAL_TEST_TRACE_DIR"

_policies: dict[tuple[int, bool], OnnxPolicy] = {}


def policy_for(model: bytes, use_gpu: bool) -> OnnxPolicy:
    """One session per model and process (a worker runs many chunks of the same run)."""
    key = (hash(model), use_gpu)
    if key not in _policies:
        _policies.clear()
        _policies[key] = OnnxPolicy(model, use_gpu=use_gpu)
    return _policies[key]


def evaluate_chunk(
    model: bytes,
    suite: Suite,
    chunk: Chunk,
    use_gpu: bool,
    bundles: Mapping[str, Bundle],
    threads: int = 1,
) -> ChunkResult:
    """Roll out *chunk* with at most *threads* numba threads (the cores the task asked for;
    more would oversubscribe the pool's other workers); the result carries the wall time
    charged and the worker's name."""
    started = time.perf_counter()
    numba.set_num_threads(max(1, min(threads, int(getattr(numba.config, "NUMBA_NUM_THREADS", 1)))))
    trace = os.environ.get(TEST_TRACE_ENV)
    if trace:
        (Path(trace) / f"chunk{chunk.index}-pid{os.getpid()}").touch()
    delay = float(os.environ.get(TEST_DELAY_ENV, "0") or 0)
    if delay:
        time.sleep(delay)
    result = run_chunk(chunk, suite, policy_for(model, use_gpu), bundles)
    return ChunkResult(
        chunk_index=result.chunk_index,
        episodes=result.episodes,
        wall_s=time.perf_counter() - started,
        worker=f"{socket.gethostname()}:{os.getpid()}",
    )
