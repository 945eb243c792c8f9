"""A real local Ray cluster (``ray start --head``) for the session, in a temporary folder."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from simhub.cluster.worker import TEST_DELAY_ENV, TEST_TRACE_ENV
from tests.net import free_port


class RayCluster:
    def __init__(self, address: str, trace_dir: Path) -> None:
        self.address = address
        self.trace_dir = trace_dir


@pytest.fixture(scope="session")
def ray_cluster() -> Iterator[RayCluster]:
    try:
        import ray
    except ImportError:
        pytest.skip("ray is not importable; install the test extras (CI does)")
    ray_bin = Path(sys.executable).parent / "ray"
    temp = Path(tempfile.mkdtemp(prefix="simhub-ray-"))
    trace = temp / "trace"
    trace.mkdir()
    port = free_port()
    os.environ["RAY_AUTH_MODE"] = "disabled"  # a private throw-away cluster on loopback
    env = {
        **os.environ,
        TEST_TRACE_ENV: str(trace),
        TEST_DELAY_ENV: "0.4",
        "RAY_USAGE_STATS_ENABLED": "0",
    }
    subprocess.run(
        [
            str(ray_bin),
            "start",
            "--head",
            f"--port={port}",
            "--num-cpus=2",
            "--num-gpus=0",
            f"--temp-dir={temp}",
            "--include-dashboard=false",
            "--disable-usage-stats",
        ],
        check=True,
        env=env,
        capture_output=True,
        timeout=120,
    )
    address = f"127.0.0.1:{port}"
    os.environ["SIMHUB_RAY_ADDRESS"] = address
    try:
        yield RayCluster(address, trace)
    finally:
        import ray

        ray.shutdown()
        subprocess.run([str(ray_bin), "stop", "--force"], env=env, capture_output=True, timeout=60)
        shutil.rmtree(temp, ignore_errors=True)
