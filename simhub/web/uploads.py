"""Turning a browser's file upload into a scenario ``Bundle``.

A browser sends base names only (``straight_500m.xodr``), while the scenario refers to its road
by a relative path (``roads/straight_500m.xodr``). Each companion file is placed where the
scenario's text names it; one the scenario does not name stays beside it. Deciding whether the
bundle is valid is the scenario library's job, not this module's.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Sequence

from simhub.errors import FieldViolation, InvalidArgument
from simhub.scenario import SCENARIO_SUFFIXES
from simhub.scenario.library import Bundle, BundleFile

MAX_UPLOAD_BYTES = 32 * 1024 * 1024


def main_file_of(names: Sequence[str], wanted: str = "") -> str:
    """The scenario file among *names*: *wanted*, or the only one with a scenario suffix."""
    if wanted:
        return wanted
    scenarios = [n for n in names if n.lower().endswith(SCENARIO_SUFFIXES)]
    if len(scenarios) != 1:
        found = ", ".join(scenarios) or "none"
        raise InvalidArgument(
            "upload exactly one scenario file (.xosc, .yaml or .yml) with its roads and catalogs",
            [FieldViolation("files", f"scenario files found: {found}")],
        )
    return scenarios[0]


def bundle_from_upload(files: Sequence[tuple[str, bytes]], main_file: str = "") -> Bundle:
    """*files* as (base name, content) pairs; the scenario file's references decide where its
    companions go (a ``../`` in them moves the scenario into as many folders)."""
    if not files:
        raise InvalidArgument("no files uploaded", [FieldViolation("files", "choose the files")])
    names = [posixpath.basename(name.replace("\\", "/")) for name, _ in files]
    main = main_file_of(names, main_file)
    content = dict(zip(names, (c for _, c in files), strict=True))
    text = content.get(main, b"").decode("utf-8", "replace")
    referenced: dict[str, str] = {}
    depth = 0
    for name in names:
        if name == main:
            continue
        match = re.search(r"""["'\s{:]((?:[\w.-]+/)*)""" + re.escape(name) + r"""\b""", text)
        prefix = match.group(1) if match else ""
        depth = max(depth, prefix.split("/").count(".."))
        referenced[name] = prefix
    folder = "/".join(["scenario"] * depth)
    main_path = posixpath.join(folder, main) if folder else main
    placed = [BundleFile(main_path, content[main])]
    for name, prefix in referenced.items():
        path = posixpath.normpath(posixpath.join(folder, prefix, name))
        placed.append(BundleFile(path, content[name]))
    return Bundle(main_path, tuple(placed))
