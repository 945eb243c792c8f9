"""The evaluation report: one self-contained HTML page (plots as base64 PNG, bird's-eye GIF
clips of the worst episodes as base64, re-run with the engine and drawn by ``simhub.render``)
and a CSV of every episode's metrics.
"""

from __future__ import annotations

import base64
import csv
import html
import io
import math
import tempfile
from collections.abc import Sequence
from pathlib import Path

import matplotlib
import numba

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from simhub.cluster.onnx_policy import OnnxPolicy
from simhub.evaluation.adapter import PolicyController
from simhub.evaluation.criteria import METRIC_NAMES, EpisodeResult, summarise
from simhub.evaluation.model import Run
from simhub.evaluation.policy import check_spec
from simhub.evaluation.rollout import Rollout, compile_chunk
from simhub.evaluation.service import PreparedSuite
from simhub.evaluation.suite import Chunk
from simhub.render import Hud, WorldFrame, render_video
from simhub.render.preview import world_frame

PLOTTED = ("min_ttc_s", "min_time_headway_s", "max_deceleration_m_s2", "max_jerk_m_s3", "score")
WORST = 10
CLIPS = 3  # worst episodes with a clip
CLIP_SIZE_PX = (400, 224)
CLIP_FPS = 2.5  # [frames/s] of simulated time, played in real time: one frame every 0.4 s


def worst_episodes(results: Sequence[EpisodeResult]) -> list[EpisodeResult]:
    return sorted(results, key=lambda r: (r.score, r.index))[:WORST]


def episode_clip(policy: OnnxPolicy, ready: PreparedSuite, index: int) -> bytes:
    """A bird's-eye GIF of episode *index* re-run with *policy* (the engine is deterministic:
    the same episode as in the run), following the ego."""
    episode = next(e for e in ready.episodes if e.index == index)
    chunk = Chunk(0, (episode,))
    batch, entry = compile_chunk(chunk, ready.suite, ready.bundles)
    frames: list[WorldFrame] = []
    every = max(1, math.ceil(ready.suite.policy_hz / CLIP_FPS))
    calls = [0]

    def record(b: object) -> None:
        if calls[0] % every == 0:
            frames.append(world_frame(batch, 0))
        calls[0] += 1

    controller = PolicyController(batch, policy, check_spec(policy.spec), ready.suite.policy_hz)
    Rollout(batch, entry, ready.suite, chunk).run(controller, record)
    frames.append(world_frame(batch, 0))
    assert batch.network is not None
    ego = batch.world.entities[batch.ego].name
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "clip.gif"
        render_video(
            batch.network,
            frames,
            path,
            fps=CLIP_FPS,
            follow=ego,
            size_px=CLIP_SIZE_PX,
            highlight=ego,
            hud=Hud(speed_of=ego, title=episode.id),
        )
        return path.read_bytes()


def worst_clips(
    model: bytes, ready: PreparedSuite, results: Sequence[EpisodeResult], count: int = CLIPS
) -> dict[int, str]:
    """Base64 GIF clips of the *count* worst episodes, by episode index. One numba thread
    (this thread only): a batch of one episode loses more to thread start-up than it gains."""
    policy = OnnxPolicy(model)
    threads = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        return {
            r.index: base64.b64encode(episode_clip(policy, ready, r.index)).decode()
            for r in worst_episodes(results)[:count]
        }
    finally:
        numba.set_num_threads(threads)


def episodes_csv(results: Sequence[EpisodeResult]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "episode_id",
            "scenario",
            "parameters",
            "seed",
            "passed",
            "score",
            *METRIC_NAMES,
            "collided_with",
            "failure",
        ]
    )
    for r in results:
        params = ";".join(f"{k}={v:g}" for k, v in r.parameters)
        writer.writerow(
            [
                r.episode_id,
                r.scenario,
                params,
                r.seed,
                int(r.passed),
                r.score,
                *(r.metrics.get(m, math.nan) for m in METRIC_NAMES),
                r.collided_with,
                r.failure,
            ]
        )
    return out.getvalue().encode()


def _png(figure: Figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=80, bbox_inches="tight")
    plt.close(figure)
    return base64.b64encode(buffer.getvalue()).decode()


def _value(r: EpisodeResult, name: str) -> float:
    return r.score if name == "score" else r.metrics.get(name, math.nan)


def _plots(results: Sequence[EpisodeResult]) -> list[tuple[str, str]]:
    plots = []
    for name in PLOTTED:
        values = [v for v in (_value(r, name) for r in results) if math.isfinite(v)]
        figure, axes = plt.subplots(figsize=(4.5, 3))
        if values:
            axes.hist(values, bins=30, color="#3366aa")
        axes.set_title(name)
        axes.set_ylabel("episodes")
        plots.append((name, _png(figure)))
    summary = summarise(results, 0.0)
    figure, axes = plt.subplots(figsize=(6, 3))
    names = [s.scenario for s in summary.scenarios]
    axes.bar(names, [100 * s.failure_rate for s in summary.scenarios], color="#aa3333")
    axes.set_ylabel("failure rate [%]")
    axes.set_title("failures per scenario")
    plots.append(("failure rate per scenario", _png(figure)))
    # failure rate per parameter value, one panel per parameter name
    by_param: dict[tuple[str, str], dict[float, list[bool]]] = {}
    for r in results:
        for k, v in r.parameters:
            by_param.setdefault((r.scenario, k), {}).setdefault(v, []).append(r.passed)
    for (scenario, name), groups in sorted(by_param.items()):
        keys = sorted(groups)
        figure, axes = plt.subplots(figsize=(4.5, 3))
        axes.plot(keys, [100 * (1 - sum(groups[k]) / len(groups[k])) for k in keys], "o-")
        axes.set_xlabel(name)
        axes.set_ylabel("failure rate [%]")
        axes.set_title(scenario)
        plots.append((f"{scenario}: failure rate by {name}", _png(figure)))
    return plots


def report_html(
    run: Run,
    results: Sequence[EpisodeResult],
    pass_rate: float,
    clips: dict[int, str] | None = None,
) -> bytes:
    """The report page of *run* (summary, plots, per-scenario failures, worst episodes with
    their base64 GIF ``clips`` by episode index)."""
    summary = summarise(results, pass_rate)
    e = html.escape
    rows = "".join(
        f"<tr><td>{e(s.scenario)}</td><td>{s.episodes}</td><td>{s.passed}</td>"
        f"<td>{100 * s.failure_rate:.1f} %</td><td>{s.collisions}</td><td>{s.off_road}</td>"
        f"<td>{s.errors}</td><td>{s.mean_score:.1f}</td></tr>"
        for s in summary.scenarios
    )
    worst = worst_episodes(results)
    worst_rows = "".join(
        f"<tr><td>{e(r.episode_id)}</td><td>{r.score:.1f}</td><td>{e(r.failure or '-')}</td>"
        f"<td>{r.metrics.get('min_ttc_s', math.nan):.2f}</td></tr>"
        for r in worst
    )
    clip_figures = "".join(
        f'<figure><img alt="clip of {e(r.episode_id)}" '
        f'src="data:image/gif;base64,{(clips or {})[r.index]}">'
        f"<figcaption>{e(r.episode_id)}: {e(r.failure or 'passed')}</figcaption></figure>"
        for r in worst
        if r.index in (clips or {})
    )
    plots = "".join(
        f'<figure><img alt="{e(t)}" src="data:image/png;base64,{p}"><figcaption>{e(t)}'
        "</figcaption></figure>"
        for t, p in _plots(results)
    )
    verdict = "PASSED" if summary.suite_passed else "FAILED"
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>simhub evaluation {e(run.id)}</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:4px 8px}}figure{{display:inline-block;margin:8px}}</style>
</head><body>
<h1>Evaluation {e(run.id)}: {verdict}</h1>
<table>
<tr><th>suite</th><td>{e(run.suite_name)}</td></tr>
<tr><th>model sha256</th><td><code>{e(run.model_sha256)}</code></td></tr>
<tr><th>state</th><td>{e(run.state.value)}</td></tr>
<tr><th>executor</th><td>{e(run.executor.value)} (num_cpus={run.resources.num_cpus:g},
 num_gpus={run.resources.num_gpus:g})</td></tr>
<tr><th>episodes</th><td>{summary.episodes} of {run.episodes_total}</td></tr>
<tr><th>passed</th><td>{summary.passed} ({100 * summary.pass_rate:.1f} %; needed
 {100 * pass_rate:.0f} %)</td></tr>
<tr><th>mean score</th><td>{summary.mean_score:.1f}</td></tr>
<tr><th>charged</th><td>{run.cpu_seconds / 3600:.4f} CPU-h,
 {run.gpu_seconds / 3600:.4f} GPU-h</td></tr>
</table>
<h2>Per scenario</h2>
<table><tr><th>scenario</th><th>episodes</th><th>passed</th><th>failure rate</th>
<th>collisions</th><th>off-road</th><th>model errors</th><th>mean score</th></tr>{rows}</table>
<h2>Distributions</h2>{plots}
<h2>Worst episodes</h2>
<table><tr><th>episode</th><th>score</th><th>why</th><th>min TTC [s]</th></tr>{worst_rows}</table>
<h2>Clips of the worst episodes</h2>{clip_figures or "<p>none</p>"}
</body></html>"""
    return page.encode()
