"""``simhub scenario``: validate, run and convert scenario files."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from simhub.cli_run import DEFAULT_DT_S, RunArgs, run_scenario
from simhub.errors import SimhubError

scenario_app = typer.Typer(help="Scenarios: validate, run, convert.", no_args_is_help=True)
console = Console()
err_console = Console(stderr=True)


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
    dt: Annotated[float, typer.Option(help="fixed step [s]")] = DEFAULT_DT_S,
    duration: Annotated[float | None, typer.Option(help="stop after this many s")] = None,
    csv: Annotated[Path | None, typer.Option("--csv", help="write entity states")] = None,
    events: Annotated[Path | None, typer.Option("--events", help="write transitions")] = None,
) -> None:
    """Run a scenario headless with a fixed step."""
    code = run_scenario(RunArgs(file, dt, duration, csv, events))
    if code:
        raise typer.Exit(code)


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
