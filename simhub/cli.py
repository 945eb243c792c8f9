"""The ``simhub`` command (typer + rich)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from simhub.cli_book import book_app
from simhub.cli_eval import eval_app
from simhub.cli_render import render
from simhub.cli_scenario import scenario_app
from simhub.cli_session import drive, session_app
from simhub.errors import SimhubError
from simhub.identity.model import Role
from simhub.settings import Settings

app = typer.Typer(help="simhub: the driving simulator's control plane.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
demo_app = typer.Typer(help="The demo facility.", no_args_is_help=True)
admin_app = typer.Typer(help="Organisations, users and API tokens.", no_args_is_help=True)
org_app = typer.Typer(help="Organisations.", no_args_is_help=True)
token_app = typer.Typer(help="API tokens.", no_args_is_help=True)
facility_app = typer.Typer(help="Cabins and the motion platform.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(demo_app, name="demo")
app.add_typer(admin_app, name="admin")
app.add_typer(facility_app, name="facility")
app.add_typer(book_app, name="book")
app.add_typer(eval_app, name="eval")
scenario_app.command("render")(render)
app.add_typer(scenario_app, name="scenario")
app.add_typer(session_app, name="session")
app.command("drive")(drive)
admin_app.add_typer(org_app, name="org")
admin_app.add_typer(token_app, name="token")

console = Console()
err_console = Console(stderr=True)


def _build(migrate: bool = True):  # type: ignore[no-untyped-def]
    from simhub.app import build_app

    try:
        return build_app(Settings(), migrate=migrate)
    except SimhubError as exc:
        _fail(exc)


def _fail(exc: SimhubError) -> None:
    err_console.print(f"[bold red]error:[/] {escape(str(exc))}", soft_wrap=True)
    raise typer.Exit(1)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="bind address (default: settings)")] = None,
    port: Annotated[int | None, typer.Option(help="gRPC port (default: settings)")] = None,
) -> None:
    """Apply migrations, then serve gRPC until Ctrl-C / SIGTERM."""
    from simhub import logs
    from simhub.app import build_app
    from simhub.rpc.server import serve as run_server

    overrides = {k: v for k, v in {"grpc_host": host, "grpc_port": port}.items() if v is not None}
    settings = Settings(**overrides)  # type: ignore[arg-type]
    logs.configure(settings.log_level, settings.log_format)
    try:
        application = build_app(settings)
    except SimhubError as exc:
        _fail(exc)
        return
    try:
        asyncio.run(run_server(application))
    finally:
        application.close()


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create the database or bring its schema to the newest migration."""
    application = _build()
    console.print(f"database ready: [bold]{application.settings.database_url}[/]")
    application.close()


@demo_app.command("load")
def demo_load() -> None:
    """Load the demo facility: organisations, users and tokens (printed once)."""
    from simhub.demo import DEMO_COMPANY, FACILITY_ORG, load_demo, load_library

    application = _build()
    tokens = load_demo(application.identity)
    cabins = ", ".join(c.id for c in application.facility.cabins)
    console.print(f"facility: {application.facility.name}; cabins: {cabins}")
    if tokens is None:
        console.print(
            f"demo organisation {DEMO_COMPANY!r} exists already; its tokens were printed when it "
            "was created. New one: "
            "[bold]simhub admin token create --org 'Demo Motors' --role engineer[/]"
        )
    else:
        console.print("[bold]API tokens[/] (shown once; keep them):")
        # Plain print: a rich table would fold or cut a long token.
        print(f"  engineer ({DEMO_COMPANY}): {tokens.engineer.secret}")
        print(f"  operator ({FACILITY_ORG}): {tokens.operator.secret}")
        print(f"  e.g.  export SIMHUB_TOKEN={tokens.engineer.secret}")
    if application.scenarios is not None:
        library = load_library(
            application.scenarios, application.identity, application.settings.scenarios_dir
        )
        if library.loaded:
            console.print(f"scenario library: uploaded {', '.join(library.loaded)}")
        for main_file, error in library.failed:
            err_console.print(f"[yellow]scenario {main_file} not loaded:[/] {escape(error)}")
    application.close()


@org_app.command("create")
def org_create(name: str) -> None:
    """Create an organisation (an automotive company, or the facility itself)."""
    application = _build()
    try:
        org = application.identity.create_organisation(name)
    except SimhubError as exc:
        _fail(exc)
        return
    console.print(f"organisation [bold]{org.name}[/] id={org.id}")
    application.close()


@org_app.command("list")
def org_list() -> None:
    """List the organisations."""
    application = _build()
    table = Table("id", "name", "created (UTC)")
    for org in application.identity.organisations():
        table.add_row(org.id, org.name, org.created_at.isoformat(timespec="seconds"))
    console.print(table)
    application.close()


@token_app.command("create")
def token_create(
    org: Annotated[str, typer.Option(help="organisation name or id")],
    role: Annotated[Role, typer.Option(help="the token user's role")],
    user: Annotated[str, typer.Option(help="name of the new user the token belongs to")] = "",
    expires_in_days: Annotated[
        float | None, typer.Option(help="lifetime in days (default: no expiry)")
    ] = None,
) -> None:
    """Create a user with ROLE in ORG and print an API token for it (shown once)."""
    application = _build()
    try:
        organisation = application.identity.find_organisation(org)
        account = application.identity.create_user(organisation.id, user or f"{role.value}", role)
        lifetime = None if expires_in_days is None else timedelta(days=expires_in_days)
        issued = application.identity.issue_token(account.id, lifetime)
    except SimhubError as exc:
        _fail(exc)
        return
    expiry = issued.token.expires_at.isoformat() if issued.token.expires_at else "never"
    err_console.print(
        f"token {issued.token.id} for user {account.id} ({role.value}) in {organisation.name}; "
        f"expires: {expiry}. Shown once:"
    )
    print(issued.secret)
    application.close()


@token_app.command("revoke")
def token_revoke(token_id: str) -> None:
    """Revoke a token by its id (``tok_...``); it stops working at once."""
    application = _build()
    try:
        application.identity.revoke_token(token_id)
    except SimhubError as exc:
        _fail(exc)
        return
    console.print(f"token {token_id} revoked")
    application.close()


@facility_app.command("cabins")
def facility_cabins() -> None:
    """List the cabins the facility files describe."""
    application = _build()
    table = Table("id", "name", "class", "model", "mount+unmount min", "fixed-base")
    for c in application.facility_service.cabins():
        table.add_row(
            c.id,
            c.name,
            c.cabin_class.value,
            c.vehicle.model.value,
            f"{c.mount_minutes}+{c.unmount_minutes}",
            "yes" if c.fixed_base_allowed else "no",
        )
    console.print(table)
    application.close()


@app.command("call")
def call_rpc(
    method: Annotated[str, typer.Argument(help="package.Service/Method")] = "",
    request: Annotated[str, typer.Argument(help="request as JSON")] = "{}",
    address: Annotated[str, typer.Option(help="server host:port")] = "127.0.0.1:50051",
    token: Annotated[
        str | None, typer.Option(envvar="SIMHUB_TOKEN", help="API token (or $SIMHUB_TOKEN)")
    ] = None,
    list_services: Annotated[bool, typer.Option("--list", help="list the services")] = False,
) -> None:
    """Call any RPC with a JSON request, learning the API by server reflection (like grpcurl)."""
    import grpc

    from simhub.rpc import reflect_call

    with grpc.insecure_channel(address) as channel:
        try:
            if list_services or not method:
                for name in reflect_call.list_services(channel):
                    print(name)
                return
            print(reflect_call.call(channel, method, request, token))
        except SimhubError as exc:
            _fail(exc)
        except grpc.RpcError as exc:
            err_console.print(f"[bold red]{exc.code().name}[/]: {escape(exc.details() or '')}")
            raise typer.Exit(2) from None
