"""Evaluation throughput: 10,000 distinct episodes of 20 s (CCRm and cut-in variations; policy
10 Hz, physics 100 Hz) with the example ONNX policy, on the local executor (process pool) and on
a local Ray cluster, beside a naive one-episode-at-a-time loop (one engine batch of one episode,
the policy called per episode) measured on a sample in the same run. Last line: one JSON object.

    .venv/bin/python benchmarks/evaluation.py [--sample 8] [--episodes 10000] [--no-ray]

``--episodes`` runs the first N episodes only (a quicker look; the JSON says how many ran); its
chunks are then cut smaller so that every worker has one. Where the stages go, per chunk of the
local run, is printed as a profile (cProfile of one chunk in this process) and a split line:
engine stepping, scenario building + engine compile, the policy call, and the rest (the
evaluation's own observation, measurement and bookkeeping), so the bottleneck is named in the
same run.
"""

from __future__ import annotations

import argparse
import cProfile
import dataclasses
import io
import json
import math
import os
import pstats
import time
from collections.abc import Sequence

import numba

from simhub.cluster.example_policy import example_policy_bytes
from simhub.cluster.local import LocalExecutor
from simhub.cluster.onnx_policy import OnnxPolicy
from simhub.evaluation.model import Resources
from simhub.evaluation.ports import Executor, Job
from simhub.evaluation.rollout import ChunkResult, run_chunk
from simhub.evaluation.service import parse_suite, prepare_suite
from simhub.evaluation.suite import Chunk, chunks


def timed(executor: Executor, job: Job, work: Sequence[Chunk]) -> tuple[float, int]:
    done: list[ChunkResult] = []
    start = time.perf_counter()
    executor.run(job, work, done.append, lambda: False)
    executor.close()
    return time.perf_counter() - start, sum(len(c.episodes) for c in done)


#: (label, file suffix, function name) of the stages in the split line
STAGES = (
    ("engine step", "simhub/engine/batch.py", "step"),
    ("scenarios + compile", "simhub/evaluation/rollout.py", "compile_chunk"),
    ("policy (onnxruntime)", "simhub/cluster/onnx_policy.py", "act"),
)


def profile_chunk(chunk: Chunk, job: Job, policy: OnnxPolicy) -> str:
    profiler = cProfile.Profile()
    profiler.runcall(run_chunk, chunk, job.suite, policy, job.bundles)
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(12)
    table = stats.stats  # type: ignore[attr-defined]
    total = max(ct for (_, _, name), (_, _, _, ct, _) in table.items() if name == "run_chunk")
    parts = []
    rest = total
    for label, suffix, function in STAGES:
        spent = sum(
            ct
            for (file, _, name), (_, _, _, ct, _) in table.items()
            if name == function and file.endswith(suffix)
        )
        rest -= spent
        parts.append(f"{label} {spent:.2f} s ({spent / total:.0%})")
    parts.append(f"evaluation loop (observe, measure, controls) {rest:.2f} s ({rest / total:.0%})")
    return (
        out.getvalue()
        + f"split of {len(chunk.episodes)} episodes, {total:.2f} s: "
        + ("; ".join(parts))
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sample", type=int, default=8, help="episodes in the naive loop")
    parser.add_argument("--episodes", type=int, default=10_000)
    parser.add_argument("--no-ray", action="store_true")
    args = parser.parse_args()
    numba.set_num_threads(1)  # as each executor worker: one core per chunk
    started = time.perf_counter()
    ready = prepare_suite(parse_suite("benchmark"), "benchmark")
    episodes = ready.episodes[: args.episodes]
    workers = LocalExecutor().workers
    size = min(ready.suite.chunk_episodes, math.ceil(len(episodes) / workers))
    suite = dataclasses.replace(ready.suite, chunk_episodes=size)
    work = chunks(suite, episodes)
    prepare_s = time.perf_counter() - started
    model = example_policy_bytes()
    job = Job("bench", model, suite, Resources(num_cpus=1), ready.bundles)

    policy = OnnxPolicy(model)
    run_chunk(Chunk(0, tuple(episodes[:2])), ready.suite, policy, ready.bundles)  # JIT warm-up
    step = max(1, len(episodes) // args.sample)
    sample = episodes[::step][: args.sample]
    start = time.perf_counter()
    for e in sample:  # naive: one episode at a time, the policy asked per episode
        run_chunk(Chunk(0, (e,)), ready.suite, policy, ready.bundles)
    naive_rate = len(sample) / (time.perf_counter() - start)
    profile = profile_chunk(Chunk(0, tuple(episodes[:200])), job, policy)

    local_s, local_n = timed(LocalExecutor(), job, work)
    ray_s, ray_n = float("nan"), 0
    if not args.no_ray:
        import ray

        from simhub.cluster.ray_executor import RayExecutor

        if not os.environ.get("SIMHUB_RAY_ADDRESS"):
            os.environ.setdefault("RAY_AUTH_MODE", "disabled")  # a private cluster of this process
            ray.init(num_cpus=os.cpu_count(), include_dashboard=False, log_to_driver=False)
        ray_s, ray_n = timed(RayExecutor(), job, work)
        ray.shutdown()
        assert ray_n == len(episodes)
    assert local_n == len(episodes)

    ours = len(episodes) / local_s
    rows = [
        ("naive loop (sample)", len(sample), len(sample) / naive_rate, naive_rate),
        ("local executor", local_n, local_s, local_n / local_s),
        ("ray executor (local cluster)", ray_n, ray_s, ray_n / ray_s if ray_n else float("nan")),
    ]
    print(profile)
    print(f"suite prepared (bundles, expansion) in {prepare_s:.1f} s")
    print(f"{'executor':32} {'episodes':>9} {'seconds':>9} {'episodes/s':>11}")
    for name, n, seconds, rate in rows:
        print(f"{name:32} {n:9d} {seconds:9.2f} {rate:11.2f}")
    print(
        f"cores: {os.cpu_count()}; load average: {os.getloadavg()[0]:.1f}; episode: "
        f"{ready.suite.duration_s:g} s, physics {ready.suite.physics_hz} Hz, policy "
        f"{ready.suite.policy_hz} Hz; {len(work)} chunks of up to {suite.chunk_episodes}"
    )
    print(
        json.dumps(
            {
                "benchmark": "evaluation",
                "episodes": len(episodes),
                "local_s": round(local_s, 2),
                "ray_s": round(ray_s, 2),
                "naive_episodes_per_s": round(naive_rate, 3),
                "ours_episodes_per_s": round(ours, 2),
                "speedup": round(ours / naive_rate, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
