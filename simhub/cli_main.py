"""The ``simhub`` entry point: imports only what the chosen sub-command needs.

``simhub scenario run`` should start in well under two seconds, so it must not pay for the
gRPC, evaluation and session imports of the rest of the command line, nor for typer's
pydantic-backed parameter parsing: a plain ``scenario run`` command line goes straight to
``simhub.cli_run`` (see there). The full command tree lives in ``simhub.cli``; this module
builds the scenario sub-command on its own when that is what was asked for.
"""

from __future__ import annotations

import gc
import os
import sys
from typing import NoReturn


def started() -> None:
    """Start-up is over: turn the cyclic garbage collector back on (see ``main``).

    What start-up made (modules, numba's registries, the loaded scenario) lives as long as the
    process, so it is moved out of the collector's generations for good (``gc.freeze``)
    instead of being traversed again by every full collection.
    """
    if not gc.isenabled():
        gc.freeze()
        gc.enable()


def exit_now(code: int) -> NoReturn:
    """End the process with ``code`` once stdout and stderr are flushed, skipping the
    interpreter's teardown.

    Tearing down what a scenario run loaded (numba's compiler, its LLVM objects, numpy and the
    scenario model) takes the interpreter about 60-90 ms after the command's work is done and
    its output written. The caller has closed every file it wrote; atexit handlers do not run
    (a scenario run registers none of consequence: logging flushes each record as it writes).
    """
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (``| head``): nothing more can be written
            code = code or 1
    os._exit(code)


def main() -> None:
    # Importing numba, numpy and simhub makes about 180,000 tracked objects that all live on;
    # the collector, run every 700 allocations, finds no garbage among them and cost a
    # ``scenario run`` about 0.2 s of its ~1.4 s. Reference counting still frees everything
    # acyclic meanwhile; ``started`` turns the collector back on.
    gc.disable()
    if sys.argv[1:3] == ["scenario", "run"]:
        from simhub.cli_run import plain_run_args, run_scenario

        plain = plain_run_args(sys.argv[3:])
        if plain is not None:
            exit_now(run_scenario(plain))
    if len(sys.argv) > 1 and sys.argv[1] == "scenario":
        from simhub.cli_render import render
        from simhub.cli_scenario import scenario_app

        scenario_app.command("render")(render)
        started()
        scenario_app(args=sys.argv[2:], prog_name="simhub scenario")
        return
    from simhub.cli import app

    started()
    app(prog_name="simhub")


if __name__ == "__main__":
    main()
