"""``simhub book ...``: the booking calendar from the terminal, over the gRPC API.

Every command calls ``BookingService`` with the API token from ``--token`` or
``$SIMHUB_TOKEN``, so what it shows is exactly what that token's organisation may see.
Times are given and shown in the facility's time zone unless they carry an offset.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, TypeVar
from zoneinfo import ZoneInfo

import grpc
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from simhub._proto.simhub.v1 import booking_pb2 as pb
from simhub._proto.simhub.v1 import booking_pb2_grpc, common_pb2
from simhub.rpc.mappers import from_timestamp, timestamp

book_app = typer.Typer(
    help="Book cabin sessions (motion platform or fixed-base).", no_args_is_help=True
)
console = Console()
err_console = Console(stderr=True)
T = TypeVar("T")

Address = Annotated[str, typer.Option(help="server host:port")]
Token = Annotated[
    str | None, typer.Option(envvar="SIMHUB_TOKEN", help="API token (or $SIMHUB_TOKEN)")
]
_STATE = {v: k.removeprefix("BOOKING_STATE_").lower() for k, v in pb.BookingState.items()}
_MODE: dict[str, pb.BookingMode] = {
    "motion": pb.BOOKING_MODE_MOTION,
    "fixed_base": pb.BOOKING_MODE_FIXED_BASE,
}


@contextmanager
def _stub(address: str) -> Iterator[booking_pb2_grpc.BookingServiceStub]:
    with grpc.insecure_channel(address) as channel:
        yield booking_pb2_grpc.BookingServiceStub(channel)


def _call(method: Callable[..., T], message: Any, token: str | None) -> T:
    if not token:
        err_console.print("[bold red]error:[/] no API token; pass --token or set SIMHUB_TOKEN")
        raise typer.Exit(1)
    try:
        return method(message, metadata=[("authorization", f"Bearer {token}")], timeout=30)
    except grpc.RpcError as error:
        err_console.print(f"[bold red]{error.code().name}[/]: {escape(error.details() or '')}")
        raise typer.Exit(2) from None


def _tz(address: str, token: str | None) -> ZoneInfo:
    with _stub(address) as stub:
        return ZoneInfo(_call(stub.GetBookingPolicy, pb.GetBookingPolicyRequest(), token).time_zone)


def _when(text: str, tz: ZoneInfo) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        err_console.print(f"[bold red]error:[/] {text!r} is not a time; use e.g. 2026-03-03T09:00")
        raise typer.Exit(1) from None
    return (value if value.tzinfo else value.replace(tzinfo=tz)).astimezone(UTC)


def _span(start: datetime, end: datetime) -> common_pb2.TimeRange:
    return common_pb2.TimeRange(start=timestamp(start), end=timestamp(end))


def _local(ts: Any, tz: ZoneInfo) -> str:
    return from_timestamp(ts).astimezone(tz).strftime("%a %Y-%m-%d %H:%M")


def _table(bookings: Any, tz: ZoneInfo) -> Table:
    table = Table("id", "cabin", "mode", "start", "end", "state", "purpose")
    for b in bookings:
        mode = "motion" if b.mode == pb.BOOKING_MODE_MOTION else "fixed-base"
        table.add_row(
            b.id, b.cabin_id, mode, _local(b.time_range.start, tz),
            _local(b.time_range.end, tz)[-5:], _STATE[b.state], escape(b.purpose),
        )  # fmt: skip
    return table


@book_app.command("request")
def request(
    cabin: str,
    start: Annotated[str, typer.Argument(help="start, e.g. 2026-03-03T09:00 (facility time)")],
    minutes: Annotated[int, typer.Argument(help="duration in minutes")],
    mode: Annotated[str, typer.Option(help="motion or fixed_base")] = "motion",
    purpose: str = "",
    request_id: Annotated[str, typer.Option(help="idempotency key")] = "",
    waitlist: Annotated[bool, typer.Option(help="if the slot is taken, join the waitlist")] = False,
    address: Address = "127.0.0.1:50051",
    token: Token = None,
) -> None:
    """Request a session; it holds its slot and waits for an operator's approval."""
    tz = _tz(address, token)
    begin = _when(start, tz)
    with _stub(address) as stub:
        booked = _call(
            stub.RequestBooking,
            pb.RequestBookingRequest(
                cabin_id=cabin, mode=_MODE.get(mode, pb.BOOKING_MODE_UNSPECIFIED),
                time_range=_span(begin, begin + timedelta(minutes=minutes)),
                purpose=purpose, request_id=request_id, join_waitlist=waitlist,
            ),
            token,
        )  # fmt: skip
    console.print(_table([booked], tz))


@book_app.command("list")
def list_bookings(
    state: Annotated[list[str] | None, typer.Option(help="only these states")] = None,
    address: Address = "127.0.0.1:50051",
    token: Token = None,
) -> None:
    """Your organisation's bookings (operators: everyone's), by start time."""
    tz = _tz(address, token)
    states = [f"BOOKING_STATE_{s.upper()}" for s in state or []]
    rows: list[Any] = []
    page = ""
    with _stub(address) as stub:
        while True:
            reply = _call(
                stub.ListBookings, pb.ListBookingsRequest(states=states, page_token=page), token
            )
            rows += reply.bookings
            page = reply.next_page_token
            if not page:
                break
    console.print(_table(rows, tz))


@book_app.command("cancel")
def cancel(
    booking_id: str, reason: str = "", address: Address = "127.0.0.1:50051", token: Token = None
) -> None:
    """Cancel an open booking."""
    with _stub(address) as stub:
        booked = _call(
            stub.CancelBooking, pb.CancelBookingRequest(booking_id=booking_id, reason=reason), token
        )
    console.print(f"{booked.id}: {_STATE[booked.state]}")


@book_app.command("approve")
def approve(
    booking_id: str,
    reject: Annotated[str | None, typer.Option(help="reject instead, with this reason")] = None,
    address: Address = "127.0.0.1:50051",
    token: Token = None,
) -> None:
    """Approve (or --reject REASON) a requested booking (operators)."""
    with _stub(address) as stub:
        if reject is not None:
            booked = _call(
                stub.RejectBooking,
                pb.RejectBookingRequest(booking_id=booking_id, reason=reject),
                token,
            )
        else:
            booked = _call(
                stub.ApproveBooking, pb.ApproveBookingRequest(booking_id=booking_id), token
            )
    console.print(f"{booked.id}: {_STATE[booked.state]}")


@book_app.command("slots")
def slots(
    cabin: str,
    minutes: Annotated[int, typer.Argument(help="session length in minutes")],
    start: Annotated[str, typer.Option(help="search from (default: now)")] = "",
    days: Annotated[int, typer.Option(help="search this many days")] = 7,
    mode: Annotated[str, typer.Option(help="motion or fixed_base")] = "motion",
    earliest: Annotated[bool, typer.Option(help="earliest first, not fewest swaps")] = False,
    count: int = 10,
    address: Address = "127.0.0.1:50051",
    token: Token = None,
) -> None:
    """Free slots, fewest cabin swaps first (or --earliest)."""
    tz = _tz(address, token)
    begin = _when(start, tz) if start else datetime.now(UTC)
    order = pb.SLOT_ORDER_EARLIEST if earliest else pb.SLOT_ORDER_FEWEST_SWAPS
    with _stub(address) as stub:
        reply = _call(
            stub.FindSlots,
            pb.FindSlotsRequest(
                cabin_id=cabin, duration_minutes=minutes,
                mode=_MODE.get(mode, pb.BOOKING_MODE_UNSPECIFIED),
                window=_span(begin, begin + timedelta(days=days)), max_results=count, order=order,
            ),
            token,
        )  # fmt: skip
    table = Table("start", "end", "added changeover min", "swap before min")
    for s in reply.slots:
        table.add_row(
            _local(s.time_range.start, tz), _local(s.time_range.end, tz)[-5:],
            str(s.added_changeover_minutes), str(s.changeover_before_minutes),
        )  # fmt: skip
    console.print(table)


@book_app.command("schedule")
def schedule(
    day: Annotated[str, typer.Argument(help="YYYY-MM-DD (default: today)")] = "",
    week: Annotated[bool, typer.Option(help="seven days from DAY")] = False,
    address: Address = "127.0.0.1:50051",
    token: Token = None,
) -> None:
    """The day's (or week's) bookings, busy periods and changeover plan."""
    span = pb.SCHEDULE_SPAN_WEEK if week else pb.SCHEDULE_SPAN_DAY
    with _stub(address) as stub:
        reply = _call(stub.GetSchedule, pb.GetScheduleRequest(date=day, span=span), token)
    tz = ZoneInfo(reply.time_zone)
    table = Table("from", "to", "what", "cabin", "booking")
    rows: list[tuple[str, str, str, str, str]] = []
    for e in reply.entries:
        mode = "motion" if e.mode == pb.BOOKING_MODE_MOTION else "fixed-base"
        what = f"{mode} {_STATE[e.booking.state]}" if e.HasField("booking") else f"{mode} busy"
        rows.append(
            (
                _local(e.time_range.start, tz),
                _local(e.time_range.end, tz)[-5:],
                what,
                e.cabin_id,
                e.booking.id,
            )
        )
    for c in reply.changeovers:
        kind = "mount" if c.kind == pb.CHANGEOVER_STEP_KIND_MOUNT else "unmount"
        rows.append(
            (
                _local(c.time_range.start, tz),
                _local(c.time_range.end, tz)[-5:],
                kind,
                c.cabin_id,
                c.booking_id,
            )
        )
    for b in reply.blackouts:
        rows.append(
            (
                _local(b.time_range.start, tz),
                _local(b.time_range.end, tz)[-5:],
                f"blackout {b.reason}",
                b.cabin_id,
                "",
            )
        )
    for row in sorted(rows):
        table.add_row(*(escape(cell) for cell in row))
    console.print(table)


@book_app.command("export")
def export(
    ics: Annotated[bool, typer.Option("--ics", help="write an RFC 5545 iCalendar file")] = True,
    output: Annotated[str, typer.Option("-o", help="file (default: stdout)")] = "-",
    address: Address = "127.0.0.1:50051",
    token: Token = None,
) -> None:
    """Your organisation's bookings as an iCalendar (.ics) file."""
    with _stub(address) as stub:
        reply = _call(stub.ExportCalendar, pb.ExportCalendarRequest(), token)
    if output == "-":
        print(reply.ics, end="")
    else:
        with open(output, "w", newline="") as handle:
            handle.write(reply.ics)
        err_console.print(f"wrote {output}")
