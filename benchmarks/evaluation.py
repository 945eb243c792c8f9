"""Evaluation throughput: 10,000 episodes of 20 s (CCRm and cut-in variations; policy 10 Hz,
physics 100 Hz) with the example ONNX policy, on the local executor (process pool) and on a
local Ray cluster, beside a naive one-episode-at-a-time loop (policy called per episode,
batch 1) measured on a sample in the same run. Last line: one JSON object.

    .venv/bin/python benchmarks/evaluation.py [--sample 40]
"""

from __future__ import annotations

import argparse
import json
import os
import time

from simhub.cluster.example_policy import example_policy_bytes
from simhub.cluster.local import LocalExecutor
from simhub.cluster.onnx_policy import OnnxPolicy
from simhub.evaluation import suite as suites
from simhub.evaluation.model import Resources
from simhub.evaluation.ports import Job
from simhub.evaluation.rollout import ChunkResult, run_chunk


def timed(executor, job: Job, chunks: list[suites.Chunk]) -> tuple[float, int]:  # type: ignore[no-untyped-def]
    done: list[ChunkResult] = []
    start = time.perf_counter()
    executor.run(job, chunks, done.append, lambda: False)
    executor.close()
    return time.perf_counter() - start, sum(len(c.episodes) for c in done)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sample", type=int, default=40, help="episodes in the naive loop")
    args = parser.parse_args()
    suite = suites.builtin("benchmark")
    episodes = suites.expand(suite)
    chunks = suites.chunks(suite, episodes)
    model = example_policy_bytes()
    job = Job("bench", model, suite, Resources(num_cpus=1))

    policy = OnnxPolicy(model)
    run_chunk(suites.Chunk(0, tuple(episodes[:2])), suite, policy)  # compile the kernels once
    step = max(1, len(episodes) // args.sample)
    sample = episodes[::step][: args.sample]
    start = time.perf_counter()
    for e in sample:  # naive: one episode at a time, the policy asked per episode
        run_chunk(suites.Chunk(0, (e,)), suite, policy)
    naive_rate = len(sample) / (time.perf_counter() - start)

    local_s, local_n = timed(LocalExecutor(), job, chunks)

    import ray

    from simhub.cluster.ray_executor import RayExecutor

    if not os.environ.get("SIMHUB_RAY_ADDRESS"):
        os.environ.setdefault("RAY_AUTH_MODE", "disabled")  # a private cluster of this process
        ray.init(num_cpus=os.cpu_count(), include_dashboard=False, log_to_driver=False)
    ray_s, ray_n = timed(RayExecutor(), job, chunks)
    ray.shutdown()
    assert local_n == ray_n == len(episodes) == 10_000

    ours = len(episodes) / local_s
    rows = [
        ("naive loop (sample)", len(sample), len(sample) / naive_rate, naive_rate),
        ("local executor", local_n, local_s, local_n / local_s),
        ("ray executor (local cluster)", ray_n, ray_s, ray_n / ray_s),
    ]
    print(f"{'executor':32} {'episodes':>9} {'seconds':>9} {'episodes/s':>11}")
    for name, n, seconds, rate in rows:
        print(f"{name:32} {n:9d} {seconds:9.2f} {rate:11.1f}")
    print(f"cores: {os.cpu_count()}; episode: {suite.duration_s:g} s, physics {suite.physics_hz} Hz, "
          f"policy {suite.policy_hz} Hz; chunks of {suite.chunk_episodes}")
    print(json.dumps({
        "benchmark": "evaluation", "episodes": len(episodes), "local_s": round(local_s, 2),
        "ray_s": round(ray_s, 2), "naive_episodes_per_s": round(naive_rate, 2),
        "ours_episodes_per_s": round(ours, 1), "speedup": round(ours / naive_rate, 1),
    }))  # fmt: skip


if __name__ == "__main__":
    main()
