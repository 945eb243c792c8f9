"""Ports of the evaluation core: where runs are stored and how chunks are executed."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from simhub.evaluation.criteria import EpisodeResult
from simhub.evaluation.model import Quota, Resources, Run, RunState
from simhub.evaluation.policy import PolicySpec
from simhub.evaluation.rollout import ChunkResult
from simhub.evaluation.suite import Chunk, Suite
from simhub.scenario.library import Bundle


@dataclass(frozen=True)
class Job:
    """What an executor needs to run a run's chunks: ``bundles`` holds the files of each
    suite scenario by ``SuiteScenario.source_key``, so a worker needs no shared disk."""

    run_id: str
    model: bytes
    suite: Suite
    resources: Resources
    bundles: Mapping[str, Bundle] = field(default_factory=dict)


class Executor(Protocol):
    """Runs chunks somewhere (a local process pool, a Ray cluster).

    ``run`` blocks until every chunk has been handed to ``on_chunk`` (called in the caller's
    thread, once per chunk, as each completes) or ``cancelled()`` turns true (then it stops
    the remaining chunks and returns). It raises ``FailedPrecondition`` when the resources
    asked for never appear, and ``InvalidArgument`` when the model breaks the contract.
    """

    def run(
        self,
        job: Job,
        chunks: Sequence[Chunk],
        on_chunk: Callable[[ChunkResult], None],
        cancelled: Callable[[], bool],
    ) -> None: ...

    def close(self) -> None: ...


#: Reads an ONNX model's declared inputs, outputs and metadata (an adapter: onnxruntime).
InspectModel = Callable[[bytes], PolicySpec]


class EvaluationRepository(Protocol):
    def add_model(self, organisation_id: str, content: bytes, sha256: str, at: datetime) -> str: ...

    def model(self, model_id: str) -> bytes: ...

    def add_run(self, run: Run) -> None: ...

    def get(self, run_id: str) -> Run | None: ...

    def list_runs(self, organisation_id: str | None, limit: int, offset: int) -> list[Run]: ...

    def queued(self) -> list[Run]: ...

    def running_count_by_organisation(self) -> dict[str, int]: ...

    def start(self, run_id: str, at: datetime) -> bool:
        """queued -> running; False when someone else took it or it was cancelled."""
        ...

    def requeue_interrupted(self) -> list[str]:
        """Runs left ``running`` by a stopped server go back to the queue (to be resumed)."""
        ...

    def done_chunks(self, run_id: str) -> set[int]: ...

    def save_chunk(
        self, run_id: str, result: ChunkResult, cpu_s: float, gpu_s: float, at: datetime
    ) -> bool:
        """Store a chunk's episodes and charge its time, in one transaction; False (and
        nothing written) when that chunk was stored before."""
        ...

    def finish(self, run_id: str, state: RunState, error: str, at: datetime) -> None: ...

    def request_cancel(self, run_id: str) -> None: ...

    def set_priority(self, run_id: str, priority: int) -> None: ...

    def results(self, run_id: str, limit: int, offset: int) -> list[EpisodeResult]: ...

    def quota(self, organisation_id: str) -> Quota: ...

    def set_quota(
        self, organisation_id: str, cpu_hours: float, gpu_hours: float, weight: float
    ) -> Quota: ...
