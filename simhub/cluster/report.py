"""The evaluation report: one self-contained HTML page (plots as base64 PNG) and a CSV.

Bird's-eye clips of the worst episodes come from ``simhub.render`` once that package exists;
until then the report lists the worst episodes without clips.
"""

from __future__ import annotations

import base64
import csv
import html
import importlib.util
import io
import math
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from simhub.evaluation.criteria import METRIC_NAMES, EpisodeResult, summarise  # noqa: E402
from simhub.evaluation.model import Run  # noqa: E402

PLOTTED = ("min_ttc_s", "min_time_headway_s", "max_deceleration_m_s2", "max_jerk_m_s3", "score")
WORST = 10


def episodes_csv(results: Sequence[EpisodeResult]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["episode_id", "scenario", "parameters", "seed", "passed", "score",
                     *METRIC_NAMES, "collided_with", "failure"])  # fmt: skip
    for r in results:
        params = ";".join(f"{k}={v:g}" for k, v in r.parameters)
        writer.writerow([r.episode_id, r.scenario, params, r.seed, int(r.passed), r.score,
                         *(r.metrics.get(m, math.nan) for m in METRIC_NAMES),
                         r.collided_with, r.failure])  # fmt: skip
    return out.getvalue().encode()


def _png(figure: plt.Figure) -> str:
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


def report_html(run: Run, results: Sequence[EpisodeResult], pass_rate: float) -> bytes:
    """The report page of *run* (summary, plots, per-scenario failures, worst episodes)."""
    summary = summarise(results, pass_rate)
    e = html.escape
    rows = "".join(
        f"<tr><td>{e(s.scenario)}</td><td>{s.episodes}</td><td>{s.passed}</td>"
        f"<td>{100 * s.failure_rate:.1f} %</td><td>{s.collisions}</td><td>{s.off_road}</td>"
        f"<td>{s.errors}</td><td>{s.mean_score:.1f}</td></tr>"
        for s in summary.scenarios
    )
    worst = sorted(results, key=lambda r: (r.score, r.index))[:WORST]
    worst_rows = "".join(
        f"<tr><td>{e(r.episode_id)}</td><td>{r.score:.1f}</td><td>{e(r.failure or '-')}</td>"
        f"<td>{r.metrics.get('min_ttc_s', math.nan):.2f}</td></tr>"
        for r in worst
    )
    clips = (
        "" if importlib.util.find_spec("simhub.render") is None
        else "<p>Clips: render with <code>simhub scenario render</code>.</p>"
    )  # fmt: skip
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
<tr><th>charged</th><td>{run.cpu_seconds / 3600:.4f} CPU-h, {run.gpu_seconds / 3600:.4f} GPU-h</td></tr>
</table>
<h2>Per scenario</h2>
<table><tr><th>scenario</th><th>episodes</th><th>passed</th><th>failure rate</th>
<th>collisions</th><th>off-road</th><th>model errors</th><th>mean score</th></tr>{rows}</table>
<h2>Distributions</h2>{plots}
<h2>Worst episodes</h2>
<table><tr><th>episode</th><th>score</th><th>why</th><th>min TTC [s]</th></tr>{worst_rows}</table>
{clips}
</body></html>"""
    return page.encode()
