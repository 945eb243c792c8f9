"""Scenario engine benchmark: real-time factor of single runs and batched throughput.

- RTF (simulated s / wall s) of cut-in.xosc (esmini sample) and the highway merge (library),
  for stepping alone (after loading) and for the whole `simhub scenario run` command
  (start-up, reading the road, writing nothing; median of 5 runs, beside a bare
  ``python -c "import numba"`` run in turn with it, which says how fast the host was); stepping is
  ``BatchWorld.run``, the fused kernel (``simhub.engine.fused``) where the scenario allows
  it, beside the Python step;
- batched throughput (episode-steps per second) for 1, 100 and 10,000 CCRm variants stepped as
  one batch, beside a plain per-episode Python loop over the same engine in the same run;
- esmini on the same files when an ``esmini`` binary is on PATH (else null).

The 10,000 variants are the 100 concrete scenarios of ncap_ccrm_distribution.xosc, each
repeated 100 times (expanding the XML 10,000 times is not what is measured here).
Last line: one JSON object.
"""

from __future__ import annotations

import compileall
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from simhub.engine import BatchWorld

ROOT = Path(__file__).resolve().parents[1]
INTEROP = ROOT.parent / "shared" / "interop" / "esmini" / "xosc"
CUT_IN = INTEROP / "cut-in.xosc"
MERGE = ROOT / "scenarios" / "highway_merge.xosc"
CCRM = ROOT / "scenarios" / "ncap_ccrm_distribution.xosc"
DT = 0.01


def stepping_rtf(path: Path, duration: float, fused: bool = True) -> float:
    """RTF of ``BatchWorld.run``: the fused kernel where the scenario allows it, else (or
    with ``fused=False``) the Python step."""
    from simhub.engine import compile_scenario
    from simhub.scenario import load

    compile_scenario(load(path), DT).run(duration=0.5, fused=fused)  # compile (numba cache)
    batch = compile_scenario(load(path), DT, log_events=False)
    start = time.perf_counter()
    batch.run(duration=duration, fused=fused)
    return batch.world.time / (time.perf_counter() - start)


def process_rtf(path: Path, duration: float, runs: int = 5) -> tuple[float, float]:
    """RTF of the whole ``simhub scenario run`` command, and the wall time [s] of a bare
    ``python -c "import numba"`` run in turn with it: medians of ``runs`` runs each (a single
    process start moves by half a second on a busy machine; the bare import says how fast the
    host was meanwhile: most of the command's start-up is numba's)."""
    # simhub's bytecode as an installed package has it (`make` compiles it after the editable
    # install); writes only modules changed since, so a just-edited tree is timed fairly too
    compileall.compile_dir(ROOT / "simhub", quiet=1)
    command = [sys.executable, "-m", "simhub", "scenario", "run", str(path), "--dt", str(DT),
               "--duration", str(duration)]
    walls: list[float] = []
    imports: list[float] = []
    for _ in range(runs):
        for argv, out in ((command, walls), ([sys.executable, "-c", "import numba"], imports)):
            start = time.perf_counter()
            subprocess.run(argv, check=True, capture_output=True)
            out.append(time.perf_counter() - start)
    return duration / statistics.median(walls), statistics.median(imports)


def esmini_rtf(path: Path, duration: float) -> float | None:
    binary = shutil.which("esmini")
    if binary is None:
        return None
    start = time.perf_counter()
    subprocess.run([binary, "--headless", "--fixed_timestep", str(DT), "--osc", str(path)],
                   check=True, capture_output=True)
    return duration / (time.perf_counter() - start)


def throughput(episodes: int, steps: int, rounds: int = 7) -> tuple[float, float, float]:
    """(batched, batched on one thread, per-episode loop) episode-steps per second for
    ``episodes`` CCRm variants: medians of ``rounds`` rounds, each stepping the three
    ``steps`` times in turn (so a busy moment of the machine falls on all of them alike).
    A batch of ``PARALLEL_EPISODES`` or more runs its per-episode kernels on every core
    (``simhub.engine.shares``); the one-thread figure is the same batch with that off."""
    from simhub.engine import compile_batch, shares
    from simhub.scenario import load_distribution

    base = [c.scenario for c in load_distribution(CCRM)]
    variants = (base * (episodes // len(base) + 1))[:episodes]
    batch, one_thread = compile_batch(variants, DT), compile_batch(variants, DT)
    loop_episodes = min(episodes, 20)  # the loop's rate per episode-step does not depend on E
    singles = [compile_batch([v], DT) for v in variants[:loop_episodes]]
    threshold = shares.PARALLEL_EPISODES

    def batch_rate(world: BatchWorld, parallel_from: int) -> float:
        shares.PARALLEL_EPISODES = parallel_from
        try:
            start = time.perf_counter()
            for _ in range(steps):
                world.step()
            return episodes * steps / (time.perf_counter() - start)
        finally:
            shares.PARALLEL_EPISODES = threshold

    def loop_rate() -> float:
        """Episode after episode, each stepped on its own: the loop's best case (one small
        world in the cache at a time; stepping 100 worlds in turn was 2x slower). As many
        steps as the batches make, so that all three cover the same stretch of the scenario
        (a step costs more once the cars close in)."""
        start = time.perf_counter()
        for single in singles:
            for _ in range(steps):
                single.step()
        return loop_episodes * steps / (time.perf_counter() - start)

    batch_rate(batch, threshold), batch_rate(one_thread, sys.maxsize), loop_rate()  # warm
    rates: list[tuple[float, float, float]] = [
        (batch_rate(batch, threshold), batch_rate(one_thread, sys.maxsize), loop_rate())
        for _ in range(rounds)]
    batched, alone, looped = (statistics.median(column) for column in zip(*rates, strict=True))
    return batched, alone, looped


def main() -> None:
    rows = []
    rtf_cut_in = stepping_rtf(CUT_IN, 20.0)
    rtf_cut_in_python = stepping_rtf(CUT_IN, 20.0, fused=False)
    rtf_cut_in_process, numba_import_s = process_rtf(CUT_IN, 20.0)
    rtf_merge = stepping_rtf(MERGE, 20.0)
    rtf_merge_process, _ = process_rtf(MERGE, 20.0)
    esmini = esmini_rtf(CUT_IN, 21.74)
    rows.append(("cut-in.xosc RTF, stepping", f"{rtf_cut_in:,.0f}"))
    rows.append(("cut-in.xosc RTF, Python step (no fused run)", f"{rtf_cut_in_python:,.0f}"))
    rows.append(("cut-in.xosc fused / Python step", f"{rtf_cut_in / rtf_cut_in_python:,.1f}x"))
    rows.append(("cut-in.xosc RTF, whole command (median of 5)", f"{rtf_cut_in_process:,.1f}"))
    rows.append(("cut-in.xosc whole command, wall s", f"{20.0 / rtf_cut_in_process:,.2f}"))
    rows.append(("python -c 'import numba' in turn with it, wall s", f"{numba_import_s:,.2f}"))
    rows.append(("cut-in.xosc whole command / bare numba import",
                 f"{20.0 / rtf_cut_in_process / numba_import_s:,.1f}x"))
    rows.append(("highway_merge.xosc RTF, stepping", f"{rtf_merge:,.0f}"))
    rows.append(("highway_merge.xosc RTF, whole command (median of 5)",
                 f"{rtf_merge_process:,.1f}"))
    rows.append(("esmini cut-in RTF, whole command", "n/a" if esmini is None else f"{esmini:,.0f}"))
    from simhub.engine.shares import PARALLEL_EPISODES

    results = {}
    for episodes, steps in ((1, 200), (100, 50), (10_000, 20)):
        batched, one_thread, looped = throughput(episodes, steps)
        results[episodes] = (batched, one_thread, looped)
        rows.append((f"CCRm x {episodes:,}: batch episode-steps/s", f"{batched:,.0f}"))
        if episodes >= PARALLEL_EPISODES:
            rows.append((f"CCRm x {episodes:,}: batch on one thread", f"{one_thread:,.0f}"))
        rows.append((f"CCRm x {episodes:,}: per-episode loop episode-steps/s", f"{looped:,.0f}"))
        rows.append((f"CCRm x {episodes:,}: batch / loop", f"{batched / looped:,.1f}x"))
        if episodes >= PARALLEL_EPISODES:
            rows.append((f"CCRm x {episodes:,}: batch on one thread / loop",
                         f"{one_thread / looped:,.1f}x"))
    width = max(len(r[0]) for r in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value:>14}")
    batched, one_thread, looped = results[10_000]
    print(json.dumps({"benchmark": "scenarios", "rtf_cut_in": round(rtf_cut_in, 1),
                      "rtf_cut_in_python_step": round(rtf_cut_in_python, 1),
                      "rtf_cut_in_process": round(rtf_cut_in_process, 2),
                      "cut_in_process_s": round(20.0 / rtf_cut_in_process, 2),
                      "numba_import_s": round(numba_import_s, 2),
                      "rtf_highway_merge": round(rtf_merge, 1),
                      "rtf_highway_merge_process": round(rtf_merge_process, 2),
                      "batch_episode_steps_per_s": round(batched),
                      "loop_episode_steps_per_s": round(looped),
                      "batch_speedup": round(batched / looped, 1),
                      "batch_one_thread_episode_steps_per_s": round(one_thread),
                      "batch_speedup_one_thread": round(one_thread / looped, 1),
                      "cores": len(os.sched_getaffinity(0)),
                      "esmini_rtf_cut_in": None if esmini is None else round(esmini, 1)}))


if __name__ == "__main__":
    main()
