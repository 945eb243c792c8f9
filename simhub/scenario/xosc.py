"""OpenSCENARIO 1.0-1.3 ``.xosc``: read a file into a ``Scenario``, write a model back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lxml import etree

from simhub.scenario.document import OpenScenario, Scenario
from simhub.scenario.expressions import format_value
from simhub.scenario.nodes import Node, ScenarioError, display_path, parse_xml
from simhub.scenario.reader import Reader
from simhub.scenario.references import check_references
from simhub.scenario.schema import paths_of, specs

SUPPORTED_VERSIONS = ((1, 0), (1, 1), (1, 2), (1, 3))


def read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise ScenarioError(display_path(path), 1, 1,
                            f"cannot read file: {error.strerror or error}") from None


def read_xosc(path: Path, parameters: dict[str, str] | None = None) -> Scenario:
    """Read an OpenSCENARIO scenario file; ``parameters`` override its declared values."""
    root = parse_xml(read_bytes(path), display_path(path))
    return build_scenario(root, path, parameters)


def parse_xosc_text(text: str | bytes, base_dir: Path, name: str = "<string>",
                    parameters: dict[str, str] | None = None) -> Scenario:
    """Read OpenSCENARIO text; relative paths in it are taken from ``base_dir``."""
    data = text.encode("utf-8") if isinstance(text, str) else text
    root = parse_xml(data, name)
    return build_scenario(root, base_dir / name, parameters, source_known=False)


def check_root(root: Node) -> None:
    if root.tag != "OpenSCENARIO":
        raise root.error(f"unexpected root element <{root.tag}>", "OpenSCENARIO",
                         name=root.tag, choices=["OpenSCENARIO"])
    header = next((item for item in root.children if item.tag == "FileHeader"), None)
    if header is None:
        raise root.error("<OpenSCENARIO> is missing its <FileHeader> element")
    try:
        version = (int(header.attrib.get("revMajor", "")), int(header.attrib.get("revMinor", "")))
    except ValueError:
        version = (-1, -1)
    if version not in SUPPORTED_VERSIONS:
        found = f"{header.attrib.get('revMajor')}.{header.attrib.get('revMinor')}"
        raise header.error(f"OpenSCENARIO version {found} is not supported",
                           "1.0, 1.1, 1.2, 1.3", attribute="revMinor")


def build_scenario(root: Node, path: Path, parameters: dict[str, str] | None,
                   source_known: bool = True, reader: Reader | None = None) -> Scenario:
    """Check and build a scenario from a Node tree read from ``path`` (XML or YAML).

    ``reader``: the ``Reader`` to use (one made for ``path.parent`` and ``parameters``, e.g.
    a memoising subclass); a plain one by default."""
    check_root(root)
    for item in root.children:
        if item.tag in ("ParameterValueDistribution", "Catalog"):
            raise item.error(f"this file holds a <{item.tag}>, not a scenario",
                             "a scenario definition (use load_distribution for "
                             "ParameterValueDistribution files)")
    if reader is None:
        reader = Reader(path.parent, parameters)
    document = reader.read(root, OpenScenario)
    assert isinstance(document, OpenScenario)
    check_references(document, root)
    road_file = None
    logic = document.road_network.logic_file
    if logic is not None:
        road_file = (path.parent / logic.filepath)
        if not road_file.is_file():
            where = _find(root, "RoadNetwork", "LogicFile")
            raise where.error(f"road file {logic.filepath!r} not found "
                              f"(looked for {display_path(road_file)})", "an existing "
                              "OpenDRIVE file, relative to the scenario file",
                              attribute="filepath")
    return Scenario(
        document=document,
        source=path if source_known else None,
        road_file=road_file,
        parameters=dict(reader.top_level_parameters),
        warnings=tuple(dict.fromkeys(reader.warnings)),
    )


def _find(root: Node, *tags: str) -> Node:
    node = root
    for tag in tags:
        node = next((item for item in node.children if item.tag == tag), node)
    return node


def _format(value: Any) -> str:
    if isinstance(value, bool | int | float):
        return format_value(value) if not isinstance(value, float) else repr(value)
    return str(value)


def to_element(obj: Any, tag: str) -> etree._Element:
    """A model object as an XML element named ``tag``."""
    element = etree.Element(tag)
    for name, spec in specs(type(obj)):
        value = getattr(obj, name)
        if spec.kind == "attr":
            if value is not None:
                element.set(spec.xml, _format(value))
        elif spec.kind == "child":
            if value is not None:
                element.append(to_element(value, spec.xml))
        elif spec.kind == "children":
            if value:
                parent = etree.SubElement(element, spec.wrapper) if spec.wrapper else element
                for item in value:
                    parent.append(to_element(item, spec.xml))
        elif value is not None and value != ():
            parent = etree.SubElement(element, spec.wrapper) if spec.wrapper else element
            for item in value if spec.kind == "choices" else (value,):
                parent.append(_choice_element(item))
    return element


def _choice_element(obj: Any) -> etree._Element:
    path = paths_of(type(obj))[0]
    inner = to_element(obj, path[-1])
    for tag in reversed(path[:-1]):
        wrapper = etree.Element(tag)
        wrapper.append(inner)
        inner = wrapper
    return inner


def to_xosc(scenario: Scenario | OpenScenario) -> str:
    """The scenario as OpenSCENARIO XML text (parameters written with their values)."""
    document = scenario.document if isinstance(scenario, Scenario) else scenario
    root = to_element(document, "OpenSCENARIO")
    etree.indent(root, space="  ")
    text: str = etree.tostring(root, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + text + "\n"
