"""A small client of ``EvaluationService`` for the ``simhub eval`` commands (plain values out,
so the CLI never touches generated code)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import grpc

from simhub._proto.simhub.v1 import evaluation_pb2 as pb
from simhub._proto.simhub.v1 import evaluation_pb2_grpc
from simhub.rpc.evaluation_mappers import STATE_NAMES

UPLOAD_CHUNK_BYTES = 1024 * 1024


@dataclass(frozen=True)
class RunView:
    id: str
    state: str
    suite_name: str
    executor: str
    episodes_done: int
    episodes_failed: int
    episodes_total: int
    cpu_hours: float
    gpu_hours: float
    error: str
    eta_s: float = 0.0


def _view(run: pb.Run) -> RunView:
    return RunView(
        run.id,
        STATE_NAMES[run.state].value,
        run.suite_name,
        run.executor,
        run.episodes_done,
        run.episodes_failed,
        run.episodes_total,
        run.cpu_hours,
        run.gpu_hours,
        run.error,
    )


class EvaluationClient:
    def __init__(self, channel: grpc.Channel, token: str) -> None:
        self._stub = evaluation_pb2_grpc.EvaluationServiceStub(channel)
        self._auth = [("authorization", f"Bearer {token}")]

    def submit(
        self,
        model: bytes,
        suite: str,
        executor: str,
        num_cpus: float,
        num_gpus: float,
        model_name: str = "",
    ) -> RunView:
        def requests() -> Iterator[pb.SubmitRunRequest]:
            header = pb.SubmitRunHeader(
                suite=suite,
                executor=executor,
                num_cpus=num_cpus,
                num_gpus=num_gpus,
                model_name=model_name,
            )
            yield pb.SubmitRunRequest(header=header, model_chunk=model[:UPLOAD_CHUNK_BYTES])
            for start in range(UPLOAD_CHUNK_BYTES, len(model), UPLOAD_CHUNK_BYTES):
                yield pb.SubmitRunRequest(model_chunk=model[start : start + UPLOAD_CHUNK_BYTES])

        return _view(self._stub.SubmitRun(requests(), metadata=self._auth))

    def get(self, run_id: str) -> RunView:
        return _view(self._stub.GetRun(pb.GetRunRequest(run_id=run_id), metadata=self._auth))

    def cancel(self, run_id: str) -> RunView:
        return _view(self._stub.CancelRun(pb.CancelRunRequest(run_id=run_id), metadata=self._auth))

    def watch(self, run_id: str) -> Iterator[RunView]:
        for p in self._stub.WatchRun(pb.WatchRunRequest(run_id=run_id), metadata=self._auth):
            yield RunView(
                p.run_id,
                STATE_NAMES[p.state].value,
                "",
                "",
                p.episodes_done,
                p.episodes_failed,
                p.episodes_total,
                0.0,
                0.0,
                p.error,
                p.eta_s,
            )

    def report(self, run_id: str) -> tuple[bytes, bytes]:
        answer = self._stub.GetReport(pb.GetReportRequest(run_id=run_id), metadata=self._auth)
        return answer.html, answer.csv
