"""The simhub YAML form of a scenario, its JSON Schema, and the writer back to YAML.

The YAML form is the OpenSCENARIO model one to one, in the model's own names:

- an element is a mapping whose keys are the model's field names (``max_speed``,
  ``entity_ref``); attributes are scalars, child elements mappings, repeated ones lists;
- where the model has a choice (a position, an action, a condition), the value is a mapping
  with one key naming the option (``lane_position: {road_id: 1, ...}``). When a class has a
  single choice field, the option key sits directly in the class's mapping, so an action
  reads ``{name: brake, speed_action: {...}}``;
- wrapper elements of the XML (``PrivateAction``, ``LongitudinalAction``, ``Position``) do
  not appear; optional values are left out; ``$name`` and ``${...}`` work as in XML.

Reading goes YAML -> ``Node`` tree (with each value's line and column) -> the same checks
and model as ``.xosc`` (``reader.py``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from simhub.scenario.document import OpenScenario, Scenario
from simhub.scenario.nodes import Node, ScenarioError, allowed_list, display_path
from simhub.scenario.schema import (
    FieldSpec,
    inline_choice,
    model_class,
    paths_of,
    specs,
    yaml_key,
)
from simhub.scenario.xosc import build_scenario, read_bytes

SCHEMA_FILE = Path(__file__).with_name("scenario.schema.json")
_NULL = "tag:yaml.org,2002:null"
MAX_ELEMENTS = 200_000
# libyaml's composer when present (same nodes and marks, about ten times faster)
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(path: Path, parameters: dict[str, str] | None = None) -> Scenario:
    """Read a simhub YAML scenario; ``parameters`` override its declared values."""
    root = yaml_to_node(read_bytes(path), display_path(path), OpenScenario)
    return build_scenario(root, path, parameters)


def parse_yaml_text(text: str | bytes, base_dir: Path, name: str = "<string>",
                    parameters: dict[str, str] | None = None) -> Scenario:
    """Read YAML text; relative paths in it are taken from ``base_dir``."""
    data = text.encode("utf-8") if isinstance(text, str) else text
    root = yaml_to_node(data, name, OpenScenario)
    return build_scenario(root, base_dir / name, parameters, source_known=False)


def yaml_to_node(data: bytes, file: str, cls: type[Any]) -> Node:
    """Compose YAML (no Python objects are built) and map it onto ``cls``'s element tree."""
    try:
        composed = yaml.compose(data.decode("utf-8", errors="replace"), Loader=_LOADER)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise ScenarioError(file, line, column,
                            f"malformed YAML: {error.problem or error}") from None
    except yaml.YAMLError as error:
        raise ScenarioError(file, 1, 1, f"malformed YAML: {error}") from None
    if composed is None:
        raise ScenarioError(file, 1, 1, "the file is empty", "a scenario mapping")
    return _Builder(file).element(composed, cls, "OpenSCENARIO", "")


class _Builder:
    def __init__(self, file: str) -> None:
        self.file = file
        self.depth = 0
        self.count = 0

    def _error(self, ynode: yaml.Node, found: str, allowed: str = "", name: str = "",
               choices: list[str] | None = None) -> ScenarioError:
        mark = ynode.start_mark
        return ScenarioError(self.file, mark.line + 1, mark.column + 1, found, allowed, name,
                             choices or [])

    def _node(self, ynode: yaml.Node, tag: str, label: str) -> Node:
        mark = ynode.start_mark
        return Node(tag=tag, file=self.file, line=mark.line + 1, column=mark.column + 1,
                    label=label or tag)

    def element(self, ynode: yaml.Node, cls: type[Any], tag: str, label: str) -> Node:
        self.depth += 1
        self.count += 1
        if self.depth > 200 or self.count > MAX_ELEMENTS:
            raise self._error(ynode, "nesting too deep or too many elements (aliases count "
                              "each time they are used)", f"at most {MAX_ELEMENTS} elements")
        node = self._node(ynode, tag, label)
        if isinstance(ynode, yaml.ScalarNode) and ynode.tag == _NULL and not specs(cls):
            self.depth -= 1
            return node
        if not isinstance(ynode, yaml.MappingNode):
            raise self._error(ynode, f"{label or cls.__name__} must be a mapping",
                              allowed_list(name for name, _ in specs(cls)) or "{}")
        fields = dict(specs(cls))
        node.names = {spec.xml: name for name, spec in fields.items() if spec.kind == "attr"}
        inline = inline_choice(cls)
        inline_options = self._option_keys(fields[inline]) if inline else {}
        allowed = [name for name in fields if name != inline] + list(inline_options)
        seen: set[str] = set()
        for key_node, value in ynode.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else ""
            if key in seen:
                raise self._error(key_node, f"key {key!r} appears twice")
            seen.add(key)
            where = f"{label}.{key}" if label else key
            if key in fields and key != inline:
                self._field(node, fields[key], value, where)
            elif key in inline_options and inline is not None:
                if any(k in inline_options for k in seen - {key}):
                    raise self._error(key_node, f"{key!r}: only one of "
                                      f"{allowed_list(inline_options)} is allowed here")
                self._append(node, fields[inline], [self._option(
                    key, inline_options[key], value, where)])
            else:
                raise self._error(key_node, f"unknown key {key!r} in {label or cls.__name__}",
                                  allowed_list(allowed), name=key, choices=allowed)
        self.depth -= 1
        return node

    def _option_keys(self, spec: FieldSpec) -> dict[str, type[Any]]:
        return {yaml_key(model_class(name)): model_class(name) for name in spec.options}

    def _append(self, node: Node, spec: FieldSpec, items: list[Node]) -> None:
        if spec.wrapper:
            wrapper = Node(tag=spec.wrapper, file=self.file,
                           line=items[0].line if items else node.line,
                           column=items[0].column if items else node.column,
                           label=node.label)
            wrapper.children.extend(items)
            node.children.append(wrapper)
        else:
            node.children.extend(items)

    def _option(self, key: str, cls: type[Any], value: yaml.Node, where: str) -> Node:
        path = paths_of(cls)[0]
        inner = self.element(value, cls, path[-1], where)
        for tag in reversed(path[:-1]):
            wrapper = Node(tag=tag, file=self.file, line=inner.line, column=inner.column,
                           label=where)
            wrapper.children.append(inner)
            inner = wrapper
        return inner

    def _one_key(self, value: yaml.Node, spec: FieldSpec, where: str) -> Node:
        options = self._option_keys(spec)
        if not isinstance(value, yaml.MappingNode) or len(value.value) != 1:
            raise self._error(value, f"{where} must be a mapping with exactly one key",
                              allowed_list(options))
        key_node, inner = value.value[0]
        key = key_node.value if isinstance(key_node, yaml.ScalarNode) else ""
        if key not in options:
            raise self._error(key_node, f"unknown key {key!r} in {where}",
                              allowed_list(options), name=key, choices=list(options))
        return self._option(key, options[key], inner, f"{where}.{key}")

    def _field(self, node: Node, spec: FieldSpec, value: yaml.Node, where: str) -> None:
        if spec.kind == "attr":
            if not isinstance(value, yaml.ScalarNode):
                raise self._error(value, f"{where} must be a single value", "a scalar")
            if value.tag == _NULL and value.style is None:
                return
            node.attrib[spec.xml] = value.value
            mark = value.start_mark
            node.attr_positions[spec.xml] = (mark.line + 1, mark.column + 1)
            return
        if spec.kind == "child":
            node.children.append(self.element(value, model_class(spec.cls), spec.xml, where))
            return
        if spec.kind == "choice":
            self._append(node, spec, [self._one_key(value, spec, where)])
            return
        if not isinstance(value, yaml.SequenceNode):
            raise self._error(value, f"{where} must be a list")
        items = []
        for index, item in enumerate(value.value):
            label = f"{where}[{index}]"
            if spec.kind == "children":
                items.append(self.element(item, model_class(spec.cls), spec.xml, label))
            else:
                items.append(self._one_key(item, spec, label))
        if items or spec.wrapper:
            self._append(node, spec, items)


# --- writing ------------------------------------------------------------------------------


def to_plain(obj: Any) -> Any:
    """A model object as plain YAML data (dicts, lists, scalars), optional values left out."""
    result: dict[str, Any] = {}
    inline = inline_choice(type(obj))
    for name, spec in specs(type(obj)):
        value = getattr(obj, name)
        if value is None or value == ():
            continue
        if spec.kind == "attr":
            result[name] = value
        elif spec.kind == "child":
            result[name] = to_plain(value)
        elif spec.kind == "children":
            result[name] = [to_plain(item) for item in value]
        elif spec.kind == "choice":
            entry = {yaml_key(type(value)): to_plain(value)}
            if name == inline:
                result.update(entry)
            else:
                result[name] = entry
        else:
            result[name] = [{yaml_key(type(item)): to_plain(item)} for item in value]
    return result


class _Dumper(yaml.SafeDumper):
    """Block style, except small mappings of scalars, which go on one line."""


def _represent_dict(dumper: yaml.SafeDumper, data: dict[str, Any]) -> yaml.Node:
    flat = all(not isinstance(v, dict | list) for v in data.values())
    flow = flat and len(data) <= 6
    return dumper.represent_mapping("tag:yaml.org,2002:map", data.items(), flow_style=flow)


_Dumper.add_representer(dict, _represent_dict)


def to_yaml(scenario: Scenario | OpenScenario) -> str:
    """The scenario in the simhub YAML form (parameters written with their values)."""
    document = scenario.document if isinstance(scenario, Scenario) else scenario
    text: str = yaml.dump(to_plain(document), Dumper=_Dumper, sort_keys=False, width=100,
                          allow_unicode=True)
    return text


# --- JSON Schema --------------------------------------------------------------------------

_PARAMETER = {"type": "string", "pattern": r"^\$"}


def _value_schema(spec: FieldSpec) -> dict[str, Any]:
    ref = {"$ref": "#/$defs/ParameterReference"}
    if spec.enum:
        return {"anyOf": [{"enum": list(spec.enum)}, ref]}
    if spec.value_type == "double":
        return {"anyOf": [{"type": "number"}, ref]}
    if spec.value_type in ("int", "uint", "ushort"):
        base: dict[str, Any] = {"type": "integer"}
        if spec.value_type != "int":
            base["minimum"] = 0
        return {"anyOf": [base, ref]}
    if spec.value_type == "bool":
        return {"anyOf": [{"type": "boolean"}, ref]}
    return {"type": ["string", "number", "boolean"]}


def yaml_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of the simhub YAML scenario form."""
    definitions: dict[str, Any] = {"ParameterReference": _PARAMETER}

    def ref(cls: type[Any]) -> dict[str, Any]:
        name = cls.__name__
        if name not in definitions:
            definitions[name] = {}
            definitions[name] = build(cls)
        return {"$ref": f"#/$defs/{name}"}

    def one_of_options(spec: FieldSpec) -> dict[str, Any]:
        options = {yaml_key(model_class(n)): ref(model_class(n)) for n in spec.options}
        return {"type": "object", "properties": options, "minProperties": 1,
                "maxProperties": 1, "additionalProperties": False}

    def build(cls: type[Any]) -> dict[str, Any]:
        properties: dict[str, Any] = {}
        required: list[str] = []
        inline = inline_choice(cls)
        schema: dict[str, Any] = {"type": "object", "additionalProperties": False}
        for name, spec in specs(cls):
            if spec.kind == "attr":
                properties[name] = _value_schema(spec)
            elif spec.kind == "child":
                properties[name] = ref(model_class(spec.cls))
            elif spec.kind == "children":
                properties[name] = {"type": "array", "items": ref(model_class(spec.cls)),
                                    "minItems": spec.min_count}
            elif spec.kind == "choice" and name == inline:
                keys = []
                for option in spec.options:
                    key = yaml_key(model_class(option))
                    properties[key] = ref(model_class(option))
                    keys.append(key)
                exactly_one = [{"required": [key]} for key in keys]
                schema["oneOf" if spec.required else "anyOf"] = (
                    exactly_one if spec.required
                    else [*exactly_one, {"not": {"anyOf": exactly_one}}]
                )
                continue
            elif spec.kind == "choice":
                properties[name] = one_of_options(spec)
            else:
                properties[name] = {"type": "array", "items": one_of_options(spec),
                                    "minItems": spec.min_count}
            if spec.required:
                required.append(name)
        schema["properties"] = properties
        if required:
            schema["required"] = required
        if not specs(cls):
            schema["type"] = ["object", "null"]
        return schema

    top = ref(OpenScenario)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://simhub.invalid/schemas/scenario.schema.json",
        "title": "simhub scenario (YAML form of OpenSCENARIO 1.x)",
        **top,
        "$defs": definitions,
    }


def schema_text() -> str:
    """The published JSON Schema file's content."""
    return json.dumps(yaml_schema(), indent=1, sort_keys=False) + "\n"
