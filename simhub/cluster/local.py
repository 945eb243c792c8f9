"""The ``local`` executor: a process pool over this machine's cores (the default)."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait

from simhub.cluster.onnx_policy import OnnxPolicy, providers
from simhub.cluster.worker import evaluate_chunk
from simhub.errors import FailedPrecondition, PreconditionViolation
from simhub.evaluation.ports import Job
from simhub.evaluation.rollout import ChunkResult
from simhub.evaluation.suite import Chunk

POLL_S = 0.2


def gpu_unavailable(where: str, asked: float) -> FailedPrecondition:
    return FailedPrecondition(
        f"the run asks for {asked:g} GPU per chunk but {where} has no GPU; "
        "submit with num_gpus=0 or to a cluster with GPUs",
        [PreconditionViolation("RESOURCES", "num_gpus", f"{where}: no GPU available")],
    )


class LocalExecutor:
    """Chunks as tasks of a process pool of ``workers`` processes (default: one per core).

    The pool uses the ``spawn`` start method: the server's threads (gRPC, database) are never
    forked. Cancelling stops chunks not yet started and terminates those running.
    """

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers or os.cpu_count() or 1
        self._pool: ProcessPoolExecutor | None = None

    def run(
        self,
        job: Job,
        chunks: Sequence[Chunk],
        on_chunk: Callable[[ChunkResult], None],
        cancelled: Callable[[], bool],
    ) -> None:
        use_gpu = job.resources.num_gpus > 0
        if use_gpu and "CUDAExecutionProvider" not in providers(True):
            raise gpu_unavailable(
                "this machine (onnxruntime has no CUDA provider)", job.resources.num_gpus
            )
        OnnxPolicy(job.model)  # the contract, checked once here before any chunk is sent out
        if not chunks:
            return
        per_task = max(1, int(job.resources.num_cpus))
        self._pool = ProcessPoolExecutor(
            max_workers=max(1, min(len(chunks), self.workers // per_task)),
            mp_context=multiprocessing.get_context("spawn"),
        )
        pending: set[Future[ChunkResult]] = {
            self._pool.submit(
                evaluate_chunk, job.model, job.suite, chunk, use_gpu, job.bundles, per_task
            )
            for chunk in chunks
        }
        while pending:
            if cancelled():
                self._stop()
                return
            done, pending = wait(pending, timeout=POLL_S, return_when=FIRST_COMPLETED)
            for future in done:
                on_chunk(future.result())

    def _stop(self) -> None:
        pool = self._pool
        if pool is None:
            return
        processes = list(getattr(pool, "_processes", {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            process.terminate()
        self._pool = None

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
