"""``simhub scenario``: validate, run and convert scenario files."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from simhub.errors import SimhubError

scenario_app = typer.Typer(help="Scenarios: validate, run, convert.", no_args_is_help=True)
console = Console()
err_console = Console(stderr=True)

DEFAULT_DURATION_S = 120.0  # a run without a storyboard end stops here
PROGRESS_EVERY = 50  # steps between progress-bar updates (a step takes microseconds)


def _fail(exc: SimhubError) -> None:
    err_console.print(f"[bold red]error:[/] {escape(str(exc))}", soft_wrap=True)
    raise typer.Exit(1)


@scenario_app.command()
def validate(
    files: Annotated[list[Path], typer.Argument(help="scenario or distribution files")],
    as_json: Annotated[bool, typer.Option("--json", help="findings as JSON")] = False,
) -> None:
    """Check scenario files; exit code 1 when any has an error."""
    from simhub.scenario import validate as check

    results = [check(path) for path in files]
    if as_json:
        payload = [{"file": r.path, "ok": r.ok, "concrete_scenarios": r.concrete_scenarios,
                    "errors": [vars(f) for f in r.errors],
                    "warnings": [vars(f) for f in r.warnings]} for r in results]
        sys.stdout.write(json.dumps(payload, indent=2) + "\n")
    else:
        for result in results:
            for finding in (*result.errors, *result.warnings):
                colour = "red" if finding.severity == "error" else "yellow"
                console.print(f"[{colour}]{escape(str(finding))}[/]", soft_wrap=True)
            mark = "[green]ok[/]" if result.ok else "[red]failed[/]"
            console.print(f"{escape(result.path)}: {mark}")
    if not all(r.ok for r in results):
        raise typer.Exit(1)


@scenario_app.command()
def run(
    file: Annotated[Path, typer.Argument(help="scenario file (.xosc, .yaml)")],
    dt: Annotated[float, typer.Option(help="fixed step [s]")] = 0.01,
    duration: Annotated[float | None, typer.Option(help="stop after this many s")] = None,
    csv: Annotated[Path | None, typer.Option("--csv", help="write entity states")] = None,
    events: Annotated[Path | None, typer.Option("--events", help="write transitions")] = None,
) -> None:
    """Run a scenario headless with a fixed step."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from simhub.engine import compile_scenario
    from simhub.engine.record import CSV_HEADER, csv_rows, write_events
    from simhub.scenario import load

    try:
        batch = compile_scenario(load(file), dt)
        horizon = duration if duration is not None else DEFAULT_DURATION_S
        steps = round(horizon / dt)
        out = csv.open("w", encoding="utf-8", newline="") if csv else None
        quiet = csv is not None or events is not None or not console.is_terminal
        try:
            if out:
                out.write(CSV_HEADER)
                out.write(csv_rows(batch))
            with Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(),
                          console=err_console, disable=quiet) as progress:
                task = progress.add_task(f"running {file.name}", total=steps)
                for index in range(steps):
                    if duration is None and batch.done.all():
                        break
                    batch.step()
                    if out:
                        out.write(csv_rows(batch))
                    if index % PROGRESS_EVERY == 0:
                        progress.update(task, completed=index + 1)
                progress.update(task, completed=steps)
        finally:
            if out:
                out.close()
        if events:
            with events.open("w", encoding="utf-8") as handle:
                write_events(batch.events, handle)
    except SimhubError as exc:
        _fail(exc)
        return
    _summary(batch)


def _summary(batch: object) -> None:
    from rich.table import Table

    from simhub.engine import BatchWorld

    assert isinstance(batch, BatchWorld)
    w = batch.world
    table = Table(title=f"t = {w.time:.2f} s, storyboard "
                  f"{'ended' if batch.done.all() else 'running'}")
    for column in ("entity", "x [m]", "y [m]", "heading [rad]", "speed [m/s]", "odometer [m]"):
        table.add_column(column, justify="right" if column != "entity" else "left")
    for k, entity in enumerate(w.entities):
        table.add_row(entity.name, f"{w.x[0, k]:.2f}", f"{w.y[0, k]:.2f}",
                      f"{w.heading[0, k]:.3f}", f"{w.speed[0, k]:.2f}",
                      f"{w.odometer[0, k]:.1f}")
    console.print(table)
    m = batch.metrics
    collided = f"at {m.collision_time[0]:.2f} s" if m.collided[0] else "no"
    console.print(f"ego: {escape(w.entities[batch.ego].name)}; collision: {collided}; "
                  f"min TTC: {m.min_ttc[0]:.2f} s; {len(batch.events)} transitions")
    for warning in batch.warnings:
        console.print(f"[yellow]warning:[/] {escape(warning)}")


@scenario_app.command()
def convert(
    source: Annotated[Path, typer.Argument(help="input (.xosc or .yaml)")],
    target: Annotated[Path, typer.Argument(help="output (.yaml or .xosc)")],
) -> None:
    """Turn a scenario from one form into the other (xosc <-> YAML)."""
    from simhub.scenario import load, to_xosc, to_yaml

    try:
        scenario = load(source)
    except SimhubError as exc:
        _fail(exc)
        return
    suffix = target.suffix.lower()
    if suffix in (".yaml", ".yml"):
        text = to_yaml(scenario)
    elif suffix == ".xosc":
        text = to_xosc(scenario)
    else:
        err_console.print(f"[bold red]error:[/] {escape(str(target))}: unknown output type "
                          f"{suffix!r}; allowed: .xosc, .yaml, .yml")
        raise typer.Exit(1)
    target.write_text(text, encoding="utf-8")
    console.print(f"wrote {escape(str(target))}")
