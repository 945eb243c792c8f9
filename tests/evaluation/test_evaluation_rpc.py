"""EvaluationService over a real gRPC server: submit (chunked upload) -> local executor ->
results, report; tenancy; quota; contract errors before queuing."""

from __future__ import annotations

import time

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from simhub._proto.simhub.v1 import evaluation_pb2 as pb
from simhub._proto.simhub.v1 import evaluation_pb2_grpc
from simhub.app import App
from simhub.cluster.example_policy import example_policy_bytes
from tests.conftest import RunningServer, Tokens, bearer
from tests.evaluation.helpers import SMALL_SUITE, model_with


def submit(stub, token: str, model: bytes, suite: str = SMALL_SUITE, **header) -> pb.Run:  # type: ignore[no-untyped-def]
    def requests():  # type: ignore[no-untyped-def]
        yield pb.SubmitRunRequest(
            header=pb.SubmitRunHeader(suite=suite, **header), model_chunk=model[:1000]
        )
        for start in range(1000, len(model), 1000):  # many small pieces
            yield pb.SubmitRunRequest(model_chunk=model[start : start + 1000])

    return stub.SubmitRun(requests(), metadata=bearer(token))


@pytest.fixture
def stub(server: RunningServer) -> evaluation_pb2_grpc.EvaluationServiceStub:
    return evaluation_pb2_grpc.EvaluationServiceStub(server.channel)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_run_completes_with_results_report_and_privacy(stub, tokens: Tokens) -> None:  # type: ignore[no-untyped-def]
    run = submit(stub, tokens.engineer, example_policy_bytes())
    assert run.state == pb.RUN_STATE_QUEUED and run.episodes_total == 8 and run.chunks_total == 2
    updates = list(
        stub.WatchRun(
            pb.WatchRunRequest(run_id=run.id), metadata=bearer(tokens.engineer), timeout=120
        )
    )
    assert updates[-1].state == pb.RUN_STATE_SUCCEEDED, updates[-1].error
    assert [u.episodes_done for u in updates] == sorted(u.episodes_done for u in updates)
    done = stub.GetRun(pb.GetRunRequest(run_id=run.id), metadata=bearer(tokens.engineer))
    assert done.episodes_done == 8 and done.chunks_done == 2 and done.cpu_hours > 0
    page = stub.GetResults(
        pb.GetResultsRequest(run_id=run.id, page_size=5), metadata=bearer(tokens.engineer)
    )
    rest = stub.GetResults(
        pb.GetResultsRequest(run_id=run.id, page_token=page.next_page_token),
        metadata=bearer(tokens.engineer),
    )
    ids = [r.episode_id for r in [*page.results, *rest.results]]
    assert len(ids) == len(set(ids)) == 8 and not rest.next_page_token
    assert all(r.passed and r.metrics["collision"] == 0 for r in [*page.results, *rest.results])
    report = stub.GetReport(pb.GetReportRequest(run_id=run.id), metadata=bearer(tokens.engineer))
    assert b"data:image/png;base64," in report.html and b"PASSED" in report.html
    assert report.html.count(b"data:image/gif;base64,") == 3  # clips of the worst episodes
    assert len(report.csv.decode().strip().splitlines()) == 9
    # another organisation sees nothing of it
    for call, request in (
        (stub.GetRun, pb.GetRunRequest(run_id=run.id)),
        (stub.GetResults, pb.GetResultsRequest(run_id=run.id)),
        (stub.GetReport, pb.GetReportRequest(run_id=run.id)),
        (stub.CancelRun, pb.CancelRunRequest(run_id=run.id)),
    ):
        with pytest.raises(grpc.RpcError) as exc:
            call(request, metadata=bearer(tokens.other_engineer))
        assert exc.value.code() == grpc.StatusCode.NOT_FOUND
    theirs = stub.ListRuns(pb.ListRunsRequest(), metadata=bearer(tokens.other_engineer))
    assert run.id not in [r.id for r in theirs.runs]
    ours = stub.ListRuns(pb.ListRunsRequest(), metadata=bearer(tokens.engineer))
    assert run.id in [r.id for r in ours.runs]
    assert run.id in [
        r.id for r in stub.ListRuns(pb.ListRunsRequest(), metadata=bearer(tokens.operator)).runs
    ]


def test_quota_exhaustion_refuses_submit_with_details(stub, tokens: Tokens, app: App) -> None:  # type: ignore[no-untyped-def]
    acme = app.identity.find_organisation("Acme").id
    with pytest.raises(grpc.RpcError) as exc:  # only the operator sets quotas
        stub.SetEvaluationQuota(
            pb.SetEvaluationQuotaRequest(organisation_id=acme, cpu_hours=0),
            metadata=bearer(tokens.engineer),
        )
    assert exc.value.code() == grpc.StatusCode.PERMISSION_DENIED
    quota = stub.SetEvaluationQuota(
        pb.SetEvaluationQuotaRequest(organisation_id=acme, cpu_hours=0.0, gpu_hours=0.0),
        metadata=bearer(tokens.operator),
    )
    assert quota.cpu_hours_limit == 0
    with pytest.raises(grpc.RpcError) as exc:
        submit(stub, tokens.engineer, example_policy_bytes())
    assert exc.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    status = rpc_status.from_call(exc.value)
    assert status is not None
    failure = error_details_pb2.QuotaFailure()
    assert status.details[0].Unpack(failure)
    assert failure.violations[0].subject == f"organisation:{acme}:cpu_hours"
    assert "CPU-hours" in failure.violations[0].description
    # the other organisation is unaffected
    assert submit(
        stub,
        tokens.other_engineer,
        example_policy_bytes(),
        suite="name: q\nduration_s: 1\nscenarios: [{file: ncap_ccrs.xosc}]",
    ).id


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_contract_and_role_errors_before_anything_is_queued(stub, tokens: Tokens) -> None:  # type: ignore[no-untyped-def]
    bad = model_with(inputs={"ego": ("batch", 8)})
    with pytest.raises(grpc.RpcError) as exc:
        submit(stub, tokens.engineer, bad)
    assert exc.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "policy contract" in exc.value.details()
    with pytest.raises(grpc.RpcError) as exc:
        submit(stub, tokens.viewer, example_policy_bytes())
    assert exc.value.code() == grpc.StatusCode.PERMISSION_DENIED
    with pytest.raises(grpc.RpcError) as exc:
        submit(stub, tokens.engineer, example_policy_bytes(), executor="slurm")
    assert exc.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert not stub.ListRuns(pb.ListRunsRequest(), metadata=bearer(tokens.engineer)).runs


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_queued_run_cancels_at_once(stub, tokens: Tokens, app: App) -> None:  # type: ignore[no-untyped-def]
    big = "name: big\nduration_s: 20\nscenarios: [{file: ncap_ccrm_distribution.xosc}]"
    first = submit(stub, tokens.engineer, example_policy_bytes(), suite=big)
    second = submit(stub, tokens.engineer, example_policy_bytes(), suite=big)
    for run in (second, first):
        cancelled = stub.CancelRun(
            pb.CancelRunRequest(run_id=run.id), metadata=bearer(tokens.engineer)
        )
        assert cancelled.state in (pb.RUN_STATE_CANCELLED, pb.RUN_STATE_RUNNING)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        states = {
            stub.GetRun(pb.GetRunRequest(run_id=r.id), metadata=bearer(tokens.engineer)).state
            for r in (first, second)
        }
        if states == {pb.RUN_STATE_CANCELLED}:
            break
        time.sleep(0.2)
    assert states == {pb.RUN_STATE_CANCELLED}
