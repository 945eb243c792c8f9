"""A format-neutral element tree with source positions, and the error every reader raises.

Both readers turn their input into ``Node`` trees (XML through lxml, YAML through PyYAML's
composer), so one reader (``reader.py``) checks and builds the model for both, and every
error carries the file, line and column it came from.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from simhub.errors import FieldViolation, InvalidArgument


class ScenarioError(InvalidArgument):
    """A scenario file is malformed; ``file``, ``line`` and ``column`` say where (1-based)."""

    def __init__(
        self,
        file: str,
        line: int,
        column: int,
        found: str,
        allowed: str = "",
        name: str = "",
        choices: Iterable[str] = (),
        path: str = "",
    ) -> None:
        suggestion = did_you_mean(name, choices) if name else ""
        text = found
        if allowed:
            text += f"; allowed: {allowed}"
        if suggestion:
            text += f"; did you mean {suggestion!r}?"
        where = f"{file}:{line}:{column}"
        super().__init__(
            f"{where}: {text}",
            [FieldViolation(field=f"{where}{':' + path if path else ''}", description=text)],
        )
        self.file = file
        self.line = line
        self.column = column
        self.suggestion = suggestion


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    """The closest of ``choices`` to a misspelt ``name`` ('' when none is close)."""
    options = list(choices)
    close = difflib.get_close_matches(name, options, n=1, cutoff=0.6)
    if not close:
        lowered = {option.lower(): option for option in options}
        close = difflib.get_close_matches(name.lower(), list(lowered), n=1, cutoff=0.6)
        return lowered[close[0]] if close else ""
    return close[0]


def allowed_list(names: Iterable[str]) -> str:
    ordered = sorted(set(names))
    return ", ".join(ordered) if ordered else "nothing"


@dataclass
class Node:
    """One element: its tag, attributes (as text), child elements and where it was read."""

    tag: str
    file: str
    line: int
    column: int = 1
    attrib: dict[str, str] = field(default_factory=dict)
    children: list[Node] = field(default_factory=list)
    # where each attribute's value starts (line, column); missing entries: the element's
    attr_positions: dict[str, tuple[int, int]] = field(default_factory=dict)
    text: str = ""
    # for YAML: the key under which this node's content sat, to name it in messages
    label: str = ""
    # for YAML: attribute name -> the YAML key users wrote, so messages use their words
    names: dict[str, str] = field(default_factory=dict)

    def where(self, attribute: str = "") -> tuple[int, int]:
        return self.attr_positions.get(attribute, (self.line, self.column))

    def error(self, found: str, allowed: str = "", name: str = "",
              choices: Iterable[str] = (), attribute: str = "") -> ScenarioError:
        line, column = self.where(attribute)
        path = self.label or self.tag
        for xml_name, key in self.names.items():
            found = found.replace(f"'{xml_name}'", f"'{key}'")
        if attribute:
            path += f".{self.names[attribute]}" if attribute in self.names else f"@{attribute}"
        return ScenarioError(self.file, line, column, found, allowed, name, choices, path)


_XML_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, huge_tree=False, remove_comments=True,
    remove_pis=True, load_dtd=False,
)


def parse_xml(data: bytes, file: str) -> Node:
    """Parse XML bytes into a Node tree; raise ScenarioError on malformed XML."""
    try:
        root = etree.fromstring(data, _XML_PARSER)
    except etree.XMLSyntaxError as error:
        line, column = error.position if error.position else (error.lineno or 1, 1)
        raise ScenarioError(file, max(line, 1), max(column, 1),
                            f"malformed XML: {error.msg}") from None
    lines = data.decode("utf-8", errors="replace").splitlines()
    return _convert(root, file, lines)


def _column(lines: list[str], line: int, needle: str) -> tuple[int, int]:
    """Find ``needle`` at or after ``line`` (1-based) to give a column; fall back to 1."""
    for index in range(max(line - 1, 0), min(line + 20, len(lines))):
        found = lines[index].find(needle)
        if found >= 0:
            return index + 1, found + 1
    return line, 1


def _convert(element: etree._Element, file: str, lines: list[str]) -> Node:
    line = element.sourceline or 1
    tag = str(element.tag)
    if tag.startswith("{"):
        tag = tag.split("}", 1)[1]
    _, column = _column(lines, line, f"<{tag}")
    node = Node(tag=tag, file=file, line=line, column=column)
    node.attr_positions[""] = (line, column)
    for key, value in element.attrib.items():
        name = str(key)
        if name.startswith("{"):
            continue  # xsi:noNamespaceSchemaLocation and other namespaced attributes
        node.attrib[name] = str(value)
        node.attr_positions[name] = _attr_position(lines, line, name)
    if element.text and element.text.strip():
        node.text = element.text.strip()
    for child in element:
        if not isinstance(child.tag, str):
            continue
        node.children.append(_convert(child, file, lines))
        if child.tail and child.tail.strip():
            node.text = child.tail.strip()
    return node


def _attr_position(lines: list[str], line: int, name: str) -> tuple[int, int]:
    if 0 < line <= len(lines):
        text = lines[line - 1]
        found = text.find(f" {name}=")
        if found >= 0:
            return line, found + 2
    for index in range(max(line - 1, 0), min(line + 20, len(lines))):
        match = re.search(rf"(?<![\w:.-]){re.escape(name)}\s*=", lines[index])
        if match:
            return index + 1, match.start() + 1
    return line, 1


def display_path(path: Path) -> str:
    """A path as messages show it: relative to the working folder when under it."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)
