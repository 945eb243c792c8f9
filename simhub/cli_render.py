"""``simhub scenario render``: a PNG or a video of a scenario from above (OpenCV, via
``simhub.render``). Registered on the scenario sub-command from ``simhub.cli``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from simhub.errors import SimhubError

console = Console(stderr=True)


def render(
    file: Annotated[Path, typer.Argument(help="scenario (.xosc, .yaml) or distribution file")],
    out: Annotated[Path, typer.Option("-o", "--out", help="out.png, out.mp4, out.avi or out.gif")],
    at: Annotated[float, typer.Option(help="PNG: simulation time of the picture [s]")] = 0.0,
    duration: Annotated[
        float | None, typer.Option(help="video: simulated seconds (default: until the end)")
    ] = None,
    fps: Annotated[float, typer.Option(help="video: frames per simulated second")] = 20.0,
    follow: Annotated[str | None, typer.Option(help="video: keep this entity centred")] = None,
) -> None:
    """Draw a scenario from above: a picture at a time, or a video of the run."""
    from simhub.render.preview import preview_png, scenario_video

    try:
        if out.suffix.lower() == ".png":
            out.write_bytes(preview_png(file, at))
            console.print(f"wrote {out}")
        else:
            frames = scenario_video(file, out, duration_s=duration, fps=fps, follow=follow)
            console.print(f"wrote {out} ({frames} frames)")
    except SimhubError as exc:
        console.print(f"[bold red]error:[/] {escape(str(exc))}", soft_wrap=True)
        raise typer.Exit(1) from None
    except OSError as exc:
        console.print(f"[bold red]error:[/] cannot write {out}: {exc.strerror}")
        raise typer.Exit(1) from None
