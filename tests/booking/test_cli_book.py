"""``simhub book ...`` against a real server: request, list, slots, schedule, export."""

from __future__ import annotations

from typer.testing import CliRunner

from simhub.cli import app as cli
from tests.conftest import RunningServer, Tokens

runner = CliRunner()


def test_book_commands(server: RunningServer, tokens: Tokens) -> None:
    address = ["--address", f"127.0.0.1:{server.port}", "--token", tokens.engineer]
    made = runner.invoke(cli, ["book", "request", "passenger", "2026-03-03T10:00", "60", *address])
    assert made.exit_code == 0, made.output
    assert "requested" in made.output
    listed = runner.invoke(cli, ["book", "list", *address])
    assert "passenger" in listed.output
    slots = runner.invoke(
        cli,
        [
            "book",
            "slots",
            "passenger",
            "60",
            "--start",
            "2026-03-03T06:00",
            "--days",
            "1",
            *address,
        ],
    )
    assert slots.exit_code == 0 and "added changeover" in slots.output
    day = runner.invoke(cli, ["book", "schedule", "2026-03-03", *address])
    assert day.exit_code == 0 and "motion requested" in day.output
    ics = runner.invoke(cli, ["book", "export", "--ics", *address])
    assert ics.output.startswith("BEGIN:VCALENDAR")
    taken = runner.invoke(cli, ["book", "request", "passenger", "2026-03-03T10:00", "60", *address])
    assert taken.exit_code == 2 and "ABORTED" in taken.output
