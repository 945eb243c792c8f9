"""The ``ray`` executor: each chunk a Ray task on the cluster at ``SIMHUB_RAY_ADDRESS``.

- resources: every task asks for ``num_cpus`` / ``num_gpus`` of the run;
- lost workers: Ray re-runs a task whose worker died (``max_retries``); results are stored
  per chunk and a chunk stored twice is ignored, so nothing is lost or duplicated;
- cancellation: pending and running tasks are cancelled (``ray.cancel(force=True)``);
- resources that never appear: when no chunk has completed after ``resource_timeout_s`` and no
  node of the cluster offers what one task asks for (a GPU on a CPU-only cluster), the run fails
  with a message that says what was asked for and what the cluster has.

Workers import ``simhub``: the cluster's nodes need it installed (a local ``ray start`` from
this virtual environment has it).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import ray
from ray.exceptions import GetTimeoutError, RayTaskError, TaskCancelledError, WorkerCrashedError

from simhub.cluster.onnx_policy import OnnxPolicy
from simhub.cluster.worker import evaluate_chunk
from simhub.errors import FailedPrecondition, PreconditionViolation, SimhubError
from simhub.evaluation.ports import Job
from simhub.evaluation.rollout import ChunkResult
from simhub.evaluation.suite import Chunk

ADDRESS_ENV = "SIMHUB_RAY_ADDRESS"
DEFAULT_RESOURCE_TIMEOUT_S = 60.0
MAX_RETRIES = 3
POLL_S = 0.25

_connect_lock = threading.Lock()


def connect(address: str | None = None) -> str:
    """Connect this process to the Ray cluster once (``SIMHUB_RAY_ADDRESS``, else ``auto``)."""
    target = address or os.environ.get(ADDRESS_ENV) or "auto"
    with _connect_lock:
        if not ray.is_initialized():
            try:
                ray.init(
                    address=target,
                    namespace="simhub",
                    log_to_driver=False,
                    logging_level=logging.WARNING,
                    configure_logging=False,
                )
            except (ConnectionError, RuntimeError, ValueError) as exc:
                raise FailedPrecondition(
                    f"cannot reach the Ray cluster at {target!r} ({exc}); start one with "
                    f"`ray start --head` or set {ADDRESS_ENV}",
                    [PreconditionViolation("RAY", target, "not reachable")],
                ) from exc
    return target


def _evaluate(
    model: bytes, suite: Any, chunk: Chunk, use_gpu: bool, bundles: Any, threads: int
) -> ChunkResult:
    return evaluate_chunk(model, suite, chunk, use_gpu, bundles, threads)


_remote = ray.remote(max_retries=MAX_RETRIES, retry_exceptions=False)(_evaluate)


def _fits(node_resources: dict[str, float], cpus: float, gpus: float) -> bool:
    return node_resources.get("CPU", 0.0) >= cpus and node_resources.get("GPU", 0.0) >= gpus


class RayExecutor:
    def __init__(
        self, address: str | None = None, resource_timeout_s: float = DEFAULT_RESOURCE_TIMEOUT_S
    ) -> None:
        self._address = address
        self._timeout_s = resource_timeout_s

    def run(
        self,
        job: Job,
        chunks: Sequence[Chunk],
        on_chunk: Callable[[ChunkResult], None],
        cancelled: Callable[[], bool],
    ) -> None:
        OnnxPolicy(job.model)  # the contract, checked before any task is sent
        if not chunks:
            return
        address = connect(self._address)
        cpus, gpus = job.resources.num_cpus, job.resources.num_gpus
        model_ref, bundles_ref = ray.put(job.model), ray.put(dict(job.bundles))
        task = _remote.options(num_cpus=cpus, num_gpus=gpus)
        threads = max(1, int(cpus))
        pending: dict[Any, int] = {
            task.remote(model_ref, job.suite, chunk, gpus > 0, bundles_ref, threads): chunk.index
            for chunk in chunks
        }
        started = time.monotonic()
        completed_any = False
        try:
            while pending:
                if cancelled():
                    return
                ready, _ = ray.wait(list(pending), num_returns=1, timeout=POLL_S)
                for ref in ready:
                    index = pending.pop(ref)
                    on_chunk(self._result(ref, index))
                    completed_any = True
                if not completed_any and time.monotonic() - started > self._timeout_s:
                    self._check_feasible(address, cpus, gpus)
        finally:
            for ref in pending:
                ray.cancel(ref, force=True)

    def _result(self, ref: Any, index: int) -> ChunkResult:
        try:
            result: ChunkResult = ray.get(ref)
            return result
        except RayTaskError as exc:
            cause = exc.cause if hasattr(exc, "cause") else None
            if isinstance(cause, SimhubError):
                raise cause from None
            raise FailedPrecondition(f"chunk {index} failed on the Ray cluster: {exc}") from exc
        except (WorkerCrashedError, TaskCancelledError, GetTimeoutError) as exc:
            raise FailedPrecondition(
                f"chunk {index}: its Ray worker died {MAX_RETRIES + 1} times "
                f"({type(exc).__name__}); "
                "the run keeps the chunks that finished and can be resubmitted",
                [PreconditionViolation("RAY", f"chunk:{index}", "worker lost")],
            ) from exc

    def _check_feasible(self, address: str, cpus: float, gpus: float) -> None:
        nodes = [n.get("Resources", {}) for n in ray.nodes() if n.get("Alive")]  # type: ignore[no-untyped-call]
        if any(_fits(n, cpus, gpus) for n in nodes):
            return  # it fits somewhere: the cluster is busy, keep waiting
        total = ray.cluster_resources()  # type: ignore[no-untyped-call]
        have = ", ".join(f"{k}={total.get(k, 0.0):g}" for k in ("CPU", "GPU"))
        raise FailedPrecondition(
            f"no node of the Ray cluster at {address} offers num_cpus={cpus:g}, num_gpus={gpus:g} "
            f"per chunk (the cluster has {have}); nothing ran for {self._timeout_s:g} s. "
            + ("Submit with num_gpus=0 or to a cluster with GPUs." if gpus else ""),
            [
                PreconditionViolation(
                    "RESOURCES",
                    "num_gpus" if gpus and not total.get("GPU") else "num_cpus",
                    f"asked num_cpus={cpus:g}, num_gpus={gpus:g}; cluster has {have}",
                )
            ],
        )

    def close(self) -> None:
        pass
