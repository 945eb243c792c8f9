"""``simhub scenario run``: its body, and a reader for its plain command lines that needs no typer.

The command is what people time: 20 s of cut-in.xosc step in about 0.2 s, so start-up is nearly
all of it. typer reads every parameter through a pydantic ``TypeAdapter`` (pydantic's import and
five adapters, about half a second), so ``simhub.cli_main`` hands a plain command line (one file,
each option at most once, numbers written as plain decimals) straight to ``run_scenario``.
Anything else, ``--help`` and every mistake included, goes to the typer command in
``simhub.cli_scenario``, which calls the same ``run_scenario``: one body, two doors.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape

from simhub.errors import SimhubError

if TYPE_CHECKING:
    from typing import TextIO

    from simhub.engine import BatchWorld

console = Console()
err_console = Console(stderr=True)

DEFAULT_DT_S = 0.01  # the fixed step when --dt is not given
DEFAULT_DURATION_S = 120.0  # a run without a storyboard end stops here
PROGRESS_EVERY = 50  # steps between progress-bar updates (a step takes microseconds)

_OPTIONS = {"--dt": "dt", "--duration": "duration", "--csv": "csv", "--events": "events"}
# Decimals that Python's float() and pydantic's float parsing both read, to the same value.
_PLAIN_NUMBER = re.compile(r"(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


@dataclass(frozen=True)
class RunArgs:
    """What ``simhub scenario run`` was asked: the scenario file, the fixed step ``dt`` [s], the
    simulated ``duration`` [s] (None: until the storyboard ends, at most 120 s) and where to
    write the entity states (``csv``) and the storyboard transitions (``events``)."""

    file: Path
    dt: float = DEFAULT_DT_S
    duration: float | None = None
    csv: Path | None = None
    events: Path | None = None


def plain_run_args(args: Sequence[str]) -> RunArgs | None:
    """The arguments after ``scenario run`` when they form a plain command line, else None.

    None (let typer read it) for help, an unknown, repeated or valueless option, a value that
    starts with "-", anything but one file, and a number that is not a plain finite decimal.
    """
    values: dict[str, str] = {}
    files: list[str] = []
    rest = list(args)
    while rest:
        arg = rest.pop(0)
        if not arg.startswith("-"):
            files.append(arg)
            continue
        option, has_value, value = arg.partition("=")
        name = _OPTIONS.get(option)
        if name is None or name in values:
            return None
        if not has_value:
            if not rest:
                return None
            value = rest.pop(0)
        if not value or value.startswith("-"):
            return None
        values[name] = value
    if len(files) != 1 or not files[0]:
        return None
    dt = _plain_number(values["dt"]) if "dt" in values else DEFAULT_DT_S
    duration = _plain_number(values["duration"]) if "duration" in values else None
    if dt is None or ("duration" in values and duration is None):
        return None
    csv, events = (Path(values[name]) if name in values else None for name in ("csv", "events"))
    return RunArgs(Path(files[0]), dt, duration, csv, events)


def _plain_number(text: str) -> float | None:
    if not _PLAIN_NUMBER.fullmatch(text):
        return None
    value = float(text)
    return value if math.isfinite(value) else None


def run_scenario(args: RunArgs) -> int:
    """Run a scenario headless with a fixed step; print the end state. Returns the exit code."""
    from simhub.cli_main import started
    from simhub.cli_numba import import_numba_as_without_extras

    import_numba_as_without_extras()
    from simhub.engine import compile_scenario
    from simhub.engine.record import CSV_HEADER, csv_rows, write_events
    from simhub.scenario import load

    try:
        batch = compile_scenario(load(args.file), args.dt)
        started()
        horizon = args.duration if args.duration is not None else DEFAULT_DURATION_S
        steps = round(horizon / args.dt)
        out = args.csv.open("w", encoding="utf-8", newline="") if args.csv else None
        quiet = args.csv is not None or args.events is not None or not console.is_terminal
        try:
            if out:
                out.write(CSV_HEADER)
                out.write(csv_rows(batch))
            if quiet:
                _advance(batch, steps, args.duration is None, out, lambda made: None, steps)
            else:
                _advance_with_progress(batch, steps, args, out)
        finally:
            if out:
                out.close()
        if args.events:
            with args.events.open("w", encoding="utf-8") as handle:
                write_events(batch.events, handle)
    except SimhubError as exc:
        err_console.print(f"[bold red]error:[/] {escape(str(exc))}", soft_wrap=True)
        return 1
    _summary(batch)
    return 0


def _advance(batch: BatchWorld, steps: int, until_end: bool, out: TextIO | None,
             stepped: Callable[[int], None], every: int) -> None:
    """Step ``batch`` ``steps`` times (fewer when ``until_end`` and the storyboard ends),
    calling ``stepped`` with the number of steps made so far every ``every`` steps.

    Without a CSV nothing is needed between steps, so the engine runs whole stretches at once
    (``BatchWorld.run``: one numba kernel for the whole stretch when the scenario allows it,
    with the same results and transitions as stepping).
    """
    from simhub.engine.record import csv_rows

    made = 0
    while made < steps and not (until_end and batch.done.all()):
        if out:
            batch.step()
            out.write(csv_rows(batch))
            made += 1
        else:
            frame = batch.world.frame
            batch.run(None if until_end else math.inf, max_steps=min(every, steps - made))
            if batch.world.frame == frame:
                break  # the storyboard had ended already
            made += batch.world.frame - frame
        if made % every == 0 or made == steps:
            stepped(made)


def _advance_with_progress(batch: BatchWorld, steps: int, args: RunArgs,
                           out: TextIO | None) -> None:
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(),
                  console=err_console) as progress:
        task = progress.add_task(f"running {args.file.name}", total=steps)
        _advance(batch, steps, args.duration is None, out,
                 lambda made: progress.update(task, completed=made), PROGRESS_EVERY)
        progress.update(task, completed=steps)


def _summary(batch: BatchWorld) -> None:
    from rich.table import Table

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
