"""``simhub.v1.EvaluationService``: maps requests to the ``EvaluationService`` and back."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import grpc

from simhub._proto.simhub.v1 import evaluation_pb2 as pb
from simhub._proto.simhub.v1 import evaluation_pb2_grpc
from simhub.cluster.report import episodes_csv, report_html, worst_clips
from simhub.errors import FieldViolation, InvalidArgument
from simhub.evaluation.model import ExecutorKind, Resources, Run
from simhub.evaluation.service import MAX_MODEL_BYTES, EvaluationService, Submission, parse_suite
from simhub.rpc import evaluation_mappers as m
from simhub.rpc import paging
from simhub.rpc.auth import current_principal
from simhub.rpc.blocking import Blocking

WATCH_POLL_S = 0.5


def _executor(name: str) -> ExecutorKind:
    try:
        return ExecutorKind(name or "local")
    except ValueError:
        raise InvalidArgument(
            f"unknown executor {name!r}",
            [FieldViolation("header.executor", "allowed: local, ray")],
        ) from None


class EvaluationServicer(evaluation_pb2_grpc.EvaluationServiceServicer):
    def __init__(self, service: EvaluationService, blocking: Blocking) -> None:
        self._service = service
        self._blocking = blocking

    async def SubmitRun(
        self,
        request_iterator: AsyncIterator[pb.SubmitRunRequest],
        context: grpc.aio.ServicerContext,
    ) -> pb.Run:
        header: pb.SubmitRunHeader | None = None
        pieces: list[bytes] = []
        size = 0
        async for message in request_iterator:
            if header is None:
                if not message.HasField("header"):
                    raise InvalidArgument(
                        "the first SubmitRun message must carry the header",
                        [FieldViolation("header", "missing in the first message")],
                    )
                header = message.header
            size += len(message.model_chunk)
            if size > MAX_MODEL_BYTES:
                raise InvalidArgument(
                    "the model is too large",
                    [FieldViolation("model_chunk", f"more than {MAX_MODEL_BYTES} bytes in all")],
                )
            pieces.append(message.model_chunk)
        if header is None:
            raise InvalidArgument("empty SubmitRun stream", [FieldViolation("header", "missing")])
        submission = Submission(
            model=b"".join(pieces),
            suite=header.suite,
            executor=_executor(header.executor),
            resources=Resources(header.num_cpus or 1.0, header.num_gpus),
        )
        run = await self._blocking.run(self._service.submit, current_principal(), submission)
        return m.run(run)

    async def GetRun(self, request: pb.GetRunRequest, context: grpc.aio.ServicerContext) -> pb.Run:
        return m.run(
            await self._blocking.run(self._service.get, current_principal(), request.run_id)
        )

    async def ListRuns(
        self, request: pb.ListRunsRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListRunsResponse:
        size = paging.page_size(request.page_size)
        offset = paging.decode(request.page_token, "runs")
        runs = await self._blocking.run(self._service.list_runs, current_principal(), size, offset)
        return pb.ListRunsResponse(
            runs=[m.run(r) for r in runs],
            next_page_token=paging.next_token(offset, size, len(runs), "runs"),
        )

    async def CancelRun(
        self, request: pb.CancelRunRequest, context: grpc.aio.ServicerContext
    ) -> pb.Run:
        run = await self._blocking.run(self._service.cancel, current_principal(), request.run_id)
        return m.run(run)

    async def WatchRun(
        self, request: pb.WatchRunRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[pb.RunProgress]:
        caller = current_principal()
        last: tuple[object, ...] | None = None
        first_seen: tuple[float, int] | None = None
        while True:
            run: Run = await self._blocking.run(self._service.get, caller, request.run_id)
            now = time.monotonic()
            if first_seen is None or run.episodes_done < first_seen[1]:
                first_seen = (now, run.episodes_done)
            key = (run.state, run.episodes_done, run.episodes_failed, run.error)
            if key != last:
                last = key
                yield m.progress(run, _eta(run, first_seen, now))
            if run.state.finished:
                return
            await asyncio.sleep(WATCH_POLL_S)

    async def GetResults(
        self, request: pb.GetResultsRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetResultsResponse:
        size = paging.page_size(request.page_size)
        offset = paging.decode(request.page_token, "results")
        rows = await self._blocking.run(
            self._service.results, current_principal(), request.run_id, size, offset
        )
        return pb.GetResultsResponse(
            results=[m.episode(e) for e in rows],
            next_page_token=paging.next_token(offset, size, len(rows), "results"),
        )

    async def GetReport(
        self, request: pb.GetReportRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetReportResponse:
        caller = current_principal()

        def build() -> pb.GetReportResponse:
            run = self._service.get(caller, request.run_id)
            results = self._service.all_results(caller, request.run_id)
            pass_rate = parse_suite(run.suite_yaml).pass_rate
            model, ready = self._service.replay_inputs(caller, request.run_id)
            clips = worst_clips(model, ready, results)
            return pb.GetReportResponse(
                html=report_html(run, results, pass_rate, clips), csv=episodes_csv(results)
            )

        return await self._blocking.run(build)

    async def SetEvaluationQuota(
        self, request: pb.SetEvaluationQuotaRequest, context: grpc.aio.ServicerContext
    ) -> pb.EvaluationQuota:
        quota = await self._blocking.run(
            self._service.set_quota,
            current_principal(),
            request.organisation_id,
            request.cpu_hours,
            request.gpu_hours,
            request.weight or 1.0,
        )
        return m.quota(quota)

    async def SetRunPriority(
        self, request: pb.SetRunPriorityRequest, context: grpc.aio.ServicerContext
    ) -> pb.Run:
        run = await self._blocking.run(
            self._service.set_priority, current_principal(), request.run_id, request.priority
        )
        return m.run(run)


def _eta(run: Run, first_seen: tuple[float, int], now: float) -> float:
    if run.state.finished:
        return 0.0
    seen_at, seen_done = first_seen
    rate = (run.episodes_done - seen_done) / (now - seen_at) if now > seen_at else 0.0
    return (run.episodes_total - run.episodes_done) / rate if rate > 0 else 0.0
