"""Parameter scopes: declarations, overrides, ``$name`` references, ``${...}`` expressions,
typed values, and cycle detection.

A scope holds the declarations of one element (the scenario, a catalog entry, a story, a
maneuver) and falls back to its parent. Values are resolved lazily; a parameter whose value
refers, directly or through others, back to itself is an error naming the whole cycle.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from simhub.scenario.expressions import ExpressionError, Value, evaluate, format_value
from simhub.scenario.nodes import Node, ScenarioError

_DOUBLE = re.compile(r"^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$")
_INTEGER = re.compile(r"^\s*[+-]?\d+\s*$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}")
INT_RANGES = {
    "int": (-(2**31), 2**31 - 1),
    "uint": (0, 2**32 - 1),
    "ushort": (0, 2**16 - 1),
}
# parameterType (XSD) -> our value type
PARAMETER_VALUE_TYPES = {
    "integer": "int",
    "int": "int",
    "double": "double",
    "string": "string",
    "unsignedInt": "uint",
    "unsignedShort": "ushort",
    "boolean": "bool",
    "dateTime": "datetime",
}
_TYPE_WORDS = {
    "double": "a number",
    "int": "an integer",
    "uint": "an unsigned integer",
    "ushort": "an unsigned short integer (0..65535)",
    "bool": "true or false",
    "string": "text",
    "datetime": "a date-time (YYYY-MM-DDThh:mm:ss)",
}


class ConversionError(Exception):
    def __init__(self, found: str, allowed: str) -> None:
        super().__init__(found)
        self.found = found
        self.allowed = allowed


def parse_literal(text: str, value_type: str) -> float | int | bool | str:
    """Convert the literal text of an attribute to ``value_type``; raise ConversionError."""
    if value_type == "double":
        if not _DOUBLE.match(text):
            raise ConversionError(f"{text!r} is not a number", _TYPE_WORDS[value_type])
        number = float(text)
        if not math.isfinite(number):
            raise ConversionError(f"{text!r} is out of range", "a finite number")
        return number
    if value_type in INT_RANGES:
        if not _INTEGER.match(text):
            raise ConversionError(f"{text!r} is not an integer", _TYPE_WORDS[value_type])
        return _in_range(int(text), value_type)
    if value_type == "bool":
        if text.strip() in ("true", "1"):
            return True
        if text.strip() in ("false", "0"):
            return False
        raise ConversionError(f"{text!r} is not a boolean", "true, false")
    if value_type == "datetime" and not _DATETIME.match(text):
        raise ConversionError(f"{text!r} is not a date-time", _TYPE_WORDS[value_type])
    return text


def _in_range(number: int, value_type: str) -> int:
    low, high = INT_RANGES[value_type]
    if not low <= number <= high:
        raise ConversionError(f"{number} is out of range", f"{low}..{high}")
    return number


def coerce(value: Value, value_type: str) -> float | int | bool | str:
    """Convert a parameter or expression value to ``value_type``; raise ConversionError."""
    if value_type == "string" or value_type == "datetime":
        return parse_literal(format_value(value), value_type)
    if isinstance(value, str):
        return parse_literal(value, value_type)
    if value_type == "double":
        if isinstance(value, bool):
            raise ConversionError(f"{format_value(value)} is not a number", "a number")
        return float(value)
    if value_type in INT_RANGES:
        if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
            raise ConversionError(f"{format_value(value)} is not an integer",
                                  _TYPE_WORDS[value_type])
        return _in_range(int(value), value_type)
    if value_type == "bool":
        if isinstance(value, bool):
            return value
        raise ConversionError(f"{format_value(value)} is not a boolean", "true, false")
    return value  # pragma: no cover


@dataclass
class Declaration:
    name: str
    value_type: str
    text: str  # as written, or the override
    node: Node  # where it was declared (or overridden)
    attribute: str = "value"


class Scope:
    """Parameters visible to one element; falls back to ``parent``."""

    def __init__(self, parent: Scope | None = None) -> None:
        self.parent = parent
        self.declarations: dict[str, Declaration] = {}
        self.values: dict[str, Value] = {}
        self._resolving: list[str] = []

    def names(self) -> list[str]:
        names = list(self.declarations)
        if self.parent is not None:
            names += self.parent.names()
        return names

    def lookup(self, name: str, node: Node, attribute: str) -> Value:
        """The typed value of ``$name``; raise ScenarioError when undeclared or cyclic."""
        scope: Scope | None = self
        while scope is not None:
            if name in scope.declarations:
                return scope._value(name)
            scope = scope.parent
        raise node.error(f"parameter ${name} is not declared", name=name,
                         choices=self.names(), attribute=attribute)

    def _value(self, name: str) -> Value:
        if name in self.values:
            return self.values[name]
        declaration = self.declarations[name]
        if name in self._resolving:
            chain = [*self._resolving[self._resolving.index(name):], name]
            raise declaration.node.error(
                "cycle in parameter references: " + " -> ".join(f"${n}" for n in chain),
                attribute=declaration.attribute,
            )
        self._resolving.append(name)
        try:
            value = self.resolve_text(declaration.text, declaration.value_type,
                                      declaration.node, declaration.attribute)
        finally:
            self._resolving.pop()
        self.values[name] = value
        return value

    def resolve_text(self, text: str, value_type: str, node: Node, attribute: str
                     ) -> float | int | bool | str:
        """An attribute's text with ``$name`` / ``${...}`` resolved, as ``value_type``."""
        stripped = text.strip()
        try:
            if stripped.startswith("${"):
                if not stripped.endswith("}"):
                    raise node.error(f"expression {text!r} is missing its closing '}}'",
                                     attribute=attribute)
                return coerce(self._evaluate(stripped[2:-1], node, attribute), value_type)
            if stripped.startswith("$"):
                name = stripped[1:]
                if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
                    raise node.error(f"{text!r} is not a parameter reference",
                                     "$name or ${expression}", attribute=attribute)
                return coerce(self.lookup(name, node, attribute), value_type)
            return parse_literal(text, value_type)
        except ConversionError as error:
            raise node.error(f"value {error.found} for {attribute!r}", error.allowed,
                             attribute=attribute) from None

    def _evaluate(self, expression: str, node: Node, attribute: str) -> Value:
        def lookup(name: str, position: int) -> Value:
            return self.lookup(name, node, attribute)

        try:
            return evaluate(expression, lookup)
        except ExpressionError as error:
            line, column = node.where(attribute)
            # column of the attribute name; the value starts after name="${ ; close enough
            raise ScenarioError(
                node.file, line, column,
                f"in expression ${{{expression}}} at character {error.position + 1}: "
                f"{error.message}",
                path=f"{node.label or node.tag}@{attribute}",
            ) from None
