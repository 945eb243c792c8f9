"""The Ray executor on a real local cluster: same results as the local executor, survives a
killed worker, cancels keeping finished chunks, refuses GPU requests the cluster cannot meet."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest

from simhub.app import App
from simhub.cluster.example_policy import example_policy_bytes
from simhub.cluster.ray_executor import RayExecutor
from simhub.evaluation.model import ExecutorKind, Resources, RunState
from simhub.evaluation.service import EvaluationService, Submission
from simhub.identity.model import Principal, Role
from tests.cluster.conftest import RayCluster

SUITE = """
name: ray
duration_s: 4
chunk_episodes: 3
seeds: 3
scenarios:
  - {name: ccrb, file: ncap_ccrb.xosc, parameters: {Gap: [12, 40]}, jitter: {Gap: 0.5}}
  - {name: cut_in, file: cut_in.yaml, parameters: {EgoSpeed: [20], CutInHeadway: [0.4, 1.0]},
     jitter: {EgoSpeed: 0.2}}
"""  # 12 episodes, 4 chunks

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def engineer(app: App, org: str = "Acme") -> Principal:
    identity = app.identity
    organisation = (
        identity.create_organisation(org)
        if not identity.has_organisation(org)
        else identity.find_organisation(org)
    )
    user = identity.create_user(organisation.id, f"eng-{org}", Role.ENGINEER)
    return Principal(user.id, organisation.id, Role.ENGINEER, "tok")


def service(app: App, timeout_s: float = 60.0) -> EvaluationService:
    assert app.evaluation is not None
    svc = app.evaluation
    executors = dict(svc.executors)
    executors[ExecutorKind.RAY] = lambda: RayExecutor(resource_timeout_s=timeout_s)
    svc.executors = executors
    return svc


def run_to_end(
    svc: EvaluationService,
    caller: Principal,
    executor: ExecutorKind,
    resources: Resources = Resources(),
) -> str:
    run = svc.submit(caller, Submission(example_policy_bytes(), SUITE, executor, resources))
    claimed = svc.next_run()
    assert claimed is not None and claimed.id == run.id
    svc.execute(claimed)
    return run.id


def episodes(svc: EvaluationService, caller: Principal, run_id: str) -> dict[str, dict[str, float]]:
    return {e.episode_id: dict(e.metrics) for e in svc.all_results(caller, run_id)}


def test_ray_gives_the_same_episodes_as_local(app: App, ray_cluster: RayCluster) -> None:
    svc, caller = service(app), engineer(app)
    local = run_to_end(svc, caller, ExecutorKind.LOCAL)
    on_ray = run_to_end(svc, caller, ExecutorKind.RAY)
    assert svc.get(caller, on_ray).state is RunState.SUCCEEDED, svc.get(caller, on_ray).error
    a, b = episodes(svc, caller, local), episodes(svc, caller, on_ray)
    assert len(a) == 12 and a.keys() == b.keys()
    for key in a:
        assert str(a[key]) == str(b[key]), key  # bit for bit, NaN and inf included


def test_a_killed_worker_loses_and_duplicates_nothing(app: App, ray_cluster: RayCluster) -> None:
    svc, caller = service(app), engineer(app)
    for stale in ray_cluster.trace_dir.iterdir():
        stale.unlink()
    run = svc.submit(caller, Submission(example_policy_bytes(), SUITE, ExecutorKind.RAY))
    claimed = svc.next_run()
    assert claimed is not None
    worker = threading.Thread(target=svc.execute, args=(claimed,))
    worker.start()
    killed = None
    deadline = time.monotonic() + 60
    while killed is None and time.monotonic() < deadline:  # a worker that has started a chunk
        started = sorted(ray_cluster.trace_dir.iterdir())
        if started:
            killed = int(started[0].name.split("pid")[1])
            os.kill(killed, signal.SIGKILL)
        time.sleep(0.02)
    worker.join(120)
    assert killed is not None
    final = svc.get(caller, run.id)
    assert final.state is RunState.SUCCEEDED, final.error
    results = svc.all_results(caller, run.id)
    assert sorted(e.index for e in results) == list(range(12))  # none lost, none twice
    assert final.episodes_done == 12 and final.chunks_done == 4


def test_cancel_stops_and_keeps_finished_chunks(app: App, ray_cluster: RayCluster) -> None:
    svc, caller = service(app), engineer(app)
    big = SUITE.replace("seeds: 3", "seeds: 12")  # 48 episodes, 16 chunks
    run = svc.submit(caller, Submission(example_policy_bytes(), big, ExecutorKind.RAY))
    claimed = svc.next_run()
    assert claimed is not None
    worker = threading.Thread(target=svc.execute, args=(claimed,))
    worker.start()
    deadline = time.monotonic() + 60
    while svc.get(caller, run.id).chunks_done < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    svc.cancel(caller, run.id)
    worker.join(60)
    final = svc.get(caller, run.id)
    assert final.state is RunState.CANCELLED
    assert 2 <= final.chunks_done < 16
    kept = svc.all_results(caller, run.id)
    assert len(kept) == final.episodes_done == 3 * final.chunks_done
    time.sleep(1.0)  # nothing more arrives after the cancel
    assert svc.get(caller, run.id).chunks_done == final.chunks_done


def test_gpu_request_without_gpus_fails_with_a_clear_error(
    app: App, ray_cluster: RayCluster
) -> None:
    svc, caller = service(app, timeout_s=3.0), engineer(app)
    started = time.monotonic()
    run_id = run_to_end(svc, caller, ExecutorKind.RAY, Resources(num_cpus=1, num_gpus=1))
    final = svc.get(caller, run_id)
    assert final.state is RunState.FAILED
    assert "offers num_cpus=1, num_gpus=1" in final.error and "GPU=0" in final.error
    assert "Submit with num_gpus=0" in final.error
    assert time.monotonic() - started < 30
    assert final.episodes_done == 0
