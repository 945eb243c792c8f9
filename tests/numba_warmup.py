"""Fill the numba on-disk cache (``cache=True`` kernels) once, before any test process starts.

On a fresh clone every kernel is compiled on first use, and compiled again by each process
that calls it before the cache file exists: both pytest-xdist workers, and each process of a
local executor's pool or a Ray worker, which start cold and all compile the same rollout
kernels at once. With ``--warm-numba`` (``make test``), ``tests/conftest.py`` starts the jobs
below in parallel processes at session start, in the background of the xdist controller: the
workers meanwhile collect and run the tests that need no rollout kernels (ordered first), and
the tests that run rollouts (``WAIT_FOR_WARMUP``) wait for the warm-up before their fixtures
start; afterwards every process loads the compiled kernels from ``__pycache__``. A job that
fails only costs the time it took: the tests then compile what they need, as before, and
report any real error themselves.

Run by hand: ``python -m tests.numba_warmup [job ...]``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

#: Set by the controller for the workers it starts: a file written when the warm-up is over,
#: and the time (Unix seconds) after which the tests stop waiting for it and compile themselves.
FLAG_ENV = "SIMHUB_NUMBA_WARMUP_FLAG"
DEADLINE_ENV = "SIMHUB_NUMBA_WARMUP_DEADLINE"
WAIT_AT_MOST_S = 600.0

#: Both NCAP families the evaluation tests use (xosc and YAML scenarios): one chunk each.
SUITE = """
name: warmup
duration_s: 1
chunk_episodes: 1
seeds: 1
scenarios:
  - {name: ccrb, file: ncap_ccrb.xosc, parameters: {Gap: [12]}}
  - {name: cut_in, file: cut_in.yaml, parameters: {EgoSpeed: [20], CutInHeadway: [0.4]}}
"""


def evaluation() -> None:
    """The rollout a local-executor or Ray worker runs (evaluate_chunk on the example policy)."""
    from simhub.cluster.example_policy import example_policy_bytes
    from simhub.cluster.worker import evaluate_chunk
    from simhub.evaluation.service import parse_suite, prepare_suite

    ready = prepare_suite(parse_suite(SUITE), "warmup")
    model = example_policy_bytes()
    for chunk in ready.chunks():
        evaluate_chunk(model, ready.suite, chunk, False, ready.bundles)


def dynamics() -> None:
    """The vehicle models' integrators (serial and parallel), drivers and collision kernels."""
    from simhub.dynamics import warm_up

    warm_up()


def scenario() -> None:
    """A scenario run to its end in one kernel (``BatchWorld.run``: previews, ``scenario run``)."""
    from simhub.render.preview import preview_png

    preview_png(REPO / "scenarios" / "ncap_ccrb.xosc", at_time_s=1.0)


JOBS: dict[str, Callable[[], None]] = {
    "evaluation": evaluation,
    "dynamics": dynamics,
    "scenario": scenario,
}


#: The job processes now running (``finish`` stops those still compiling when the tests are over).
_running: list[subprocess.Popen[str]] = []


def warm(jobs: list[str] | None = None, timeout_s: float = 1800.0) -> dict[str, str]:
    """Run each job in its own process, all at once; returns job -> outcome (for the log)."""
    names = jobs or list(JOBS)

    def one(name: str) -> str:
        started = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.numba_warmup", name],
            cwd=REPO,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        _running.append(process)
        try:
            _, stderr = process.communicate(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
            return f"stopped after {timeout_s:.0f} s"
        finally:
            _running.remove(process)
        took = f"{time.perf_counter() - started:.0f} s"
        if process.returncode != 0:
            last = (stderr.strip().splitlines() or ["?"])[-1]
            return f"ended ({process.returncode}) after {took}: {last}"
        return f"ok in {took}"

    with ThreadPoolExecutor(len(names)) as pool:
        return dict(zip(names, pool.map(one, names), strict=True))


def start_in_background() -> threading.Thread:
    """Run ``warm`` in a thread; publish (``FLAG_ENV``) the file that says it is over, to this
    process and to the processes it starts from now on (the xdist workers)."""
    flag = Path(tempfile.mkdtemp(prefix="simhub-warmup-")) / "done"
    os.environ[FLAG_ENV] = str(flag)
    os.environ[DEADLINE_ENV] = str(time.time() + WAIT_AT_MOST_S)

    def run() -> None:
        started = time.perf_counter()
        try:
            outcome = warm()
        except Exception as exc:  # the tests compile what they need themselves
            outcome = {"warm-up": f"crashed: {exc!r}"}
        summary = ", ".join(f"{job} {result}" for job, result in outcome.items())
        flag.write_text(f"numba cache warm-up ({time.perf_counter() - started:.0f} s): {summary}")

    thread = threading.Thread(target=run, name="numba-warmup", daemon=True)
    thread.start()
    return thread


def wait_until_warm() -> None:
    """Block until the warm-up started by the controller is over, or its deadline has passed
    (no-op without one)."""
    flag = os.environ.get(FLAG_ENV)
    if not flag:
        return
    deadline = float(os.environ.get(DEADLINE_ENV, "0"))
    while not Path(flag).exists() and time.time() < deadline:
        time.sleep(0.2)


def finish(thread: threading.Thread) -> str:
    """Stop the jobs still running (the tests are over), wait for the warm-up thread, remove
    its flag folder; returns its summary line."""
    for process in list(_running):
        process.kill()
    thread.join()
    flag = Path(os.environ.pop(FLAG_ENV))
    os.environ.pop(DEADLINE_ENV, None)
    summary = flag.read_text() if flag.exists() else "numba cache warm-up: no result"
    flag.unlink(missing_ok=True)
    flag.parent.rmdir()
    return summary


if __name__ == "__main__":
    for job in sys.argv[1:] or list(JOBS):
        JOBS[job]()
