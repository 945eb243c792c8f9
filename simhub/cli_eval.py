"""``simhub eval``: submit ONNX driving models for evaluation, follow, cancel, report."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

eval_app = typer.Typer(
    help="Evaluate AI driving models (ONNX) on scenario suites.", no_args_is_help=True
)
console = Console()
err_console = Console(stderr=True)

Address = Annotated[str, typer.Option(help="server host:port")]
Token = Annotated[
    str | None, typer.Option(envvar="SIMHUB_TOKEN", help="API token (or $SIMHUB_TOKEN)")
]


def _client(address: str, token: str | None):  # type: ignore[no-untyped-def]
    import grpc

    from simhub.rpc.evaluation_client import EvaluationClient

    if not token:
        err_console.print("[bold red]error:[/] give --token or set SIMHUB_TOKEN")
        raise typer.Exit(2)
    return EvaluationClient(grpc.insecure_channel(address), token)


def _rpc_error(exc: Exception) -> None:
    import grpc

    if isinstance(exc, grpc.RpcError):
        err_console.print(f"[bold red]{exc.code().name}:[/] {escape(exc.details() or '')}")
        raise typer.Exit(1)
    raise exc


def _show(run) -> None:  # type: ignore[no-untyped-def]
    console.print(
        f"run [bold]{run.id}[/]: {run.state}, {run.episodes_done}/{run.episodes_total} episodes "
        f"({run.episodes_failed} failed)"
        + (
            f", charged {run.cpu_hours:.4f} CPU-h {run.gpu_hours:.4f} GPU-h"
            if run.suite_name
            else ""
        )
        + (f"\n[red]{escape(run.error)}[/]" if run.error else "")
    )


def _follow(client, run_id: str) -> None:  # type: ignore[no-untyped-def]
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[failed]} failed"),
        TimeRemainingColumn(),
    )
    last = None
    with Progress(*columns, console=console) as progress:
        task = progress.add_task(run_id, total=None, failed=0)
        for update in client.watch(run_id):
            last = update
            progress.update(
                task,
                total=update.episodes_total,
                completed=update.episodes_done,
                failed=update.episodes_failed,
                description=f"{run_id} {update.state}",
            )
    if last is not None:
        _show(last)
        if last.state != "succeeded":
            raise typer.Exit(1)


@eval_app.command("submit")
def submit(
    model: Annotated[Path, typer.Argument(help="the ONNX model", exists=True, dir_okay=False)],
    suite: Annotated[
        str, typer.Option(help="built-in suite (ncap, benchmark) or a YAML file")
    ] = "ncap",
    executor: Annotated[str, typer.Option(help="local or ray")] = "local",
    num_cpus: Annotated[float, typer.Option(help="CPU cores per chunk task")] = 1.0,
    num_gpus: Annotated[float, typer.Option(help="GPUs per chunk task")] = 0.0,
    wait: Annotated[bool, typer.Option(help="follow the run with a progress bar")] = True,
    address: Address = "127.0.0.1:50051",
    token: Token = None,
) -> None:
    """Upload MODEL and queue an evaluation run; follow it until it ends."""
    suite_text = Path(suite).read_text() if Path(suite).is_file() else suite
    client = _client(address, token)
    try:
        run = client.submit(
            model.read_bytes(), suite_text, executor, num_cpus, num_gpus, model.name
        )
        console.print(f"queued run [bold]{run.id}[/] ({run.episodes_total} episodes)")
        if wait:
            _follow(client, run.id)
    except Exception as exc:
        _rpc_error(exc)


@eval_app.command("status")
def status(
    run_id: str,
    follow: Annotated[bool, typer.Option(help="follow until it ends")] = False,
    address: Address = "127.0.0.1:50051",
    token: Token = None,
) -> None:
    """A run's state and progress."""
    client = _client(address, token)
    try:
        _follow(client, run_id) if follow else _show(client.get(run_id))
    except Exception as exc:
        _rpc_error(exc)


@eval_app.command("cancel")
def cancel(run_id: str, address: Address = "127.0.0.1:50051", token: Token = None) -> None:
    """Cancel a run; chunks that finished are kept."""
    client = _client(address, token)
    try:
        _show(client.cancel(run_id))
    except Exception as exc:
        _rpc_error(exc)


@eval_app.command("report")
def report(
    run_id: str,
    output: Annotated[Path, typer.Option("-o", "--output", help="HTML file")] = Path("report.html"),
    csv: Annotated[
        Path | None, typer.Option(help="CSV of episode metrics (default: beside)")
    ] = None,
    address: Address = "127.0.0.1:50051",
    token: Token = None,
) -> None:
    """Write the self-contained HTML report and the CSV of every episode's metrics."""
    client = _client(address, token)
    try:
        page, table = client.report(run_id)
    except Exception as exc:
        _rpc_error(exc)
        return
    output.write_bytes(page)
    csv_path = csv or output.with_suffix(".csv")
    csv_path.write_bytes(table)
    console.print(f"wrote {output} and {csv_path}")


@eval_app.command("example-policy")
def example_policy(
    output: Annotated[Path, typer.Option("-o", "--output", help="ONNX file")] = Path("policy.onnx"),
) -> None:
    """Write the example policy (IDM + lane keeping) as an ONNX model."""
    from simhub.cluster.example_policy import example_policy_bytes

    output.write_bytes(example_policy_bytes())
    console.print(f"wrote {output} (IDM + pure-pursuit lane keeping; policy contract v1)")
