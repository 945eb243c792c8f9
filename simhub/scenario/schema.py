"""How each model class maps onto OpenSCENARIO XML and the simhub YAML form.

Every model class is a frozen, keyword-only dataclass. Each field carries a ``FieldSpec`` in
its metadata saying what it is in the XML:

- ``attr``: an XML attribute (typed: double, int, uint, ushort, bool, string, datetime,
  optionally an enumeration);
- ``child`` / ``children``: one / many child elements of a given tag, parsed as a class;
- ``choice`` / ``choices``: one / many elements that are each one of several classes (an XSD
  ``xsd:choice``). A class in a choice is found by its tag, optionally below attribute-less
  wrapper elements (``PrivateAction/LongitudinalAction/SpeedAction``): the ``prefixes`` of
  the class. A choice field may itself sit inside a wrapper (``SpeedActionTarget``).

One generic reader and writer per format walks these specs (``xosc.py``, ``yaml_form.py``),
so the XML, the YAML and the JSON Schema never drift apart.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import MISSING, dataclass, field
from typing import Any, TypeVar

VALUE_TYPES = ("double", "int", "uint", "ushort", "bool", "string", "datetime")


@dataclass(frozen=True)
class FieldSpec:
    """What one model field is in the XML (see the module docstring)."""

    kind: str  # "attr" | "child" | "children" | "choice" | "choices"
    xml: str = ""  # attribute name, or child element tag
    value_type: str = "string"
    enum: tuple[str, ...] = ()
    required: bool = True
    cls: str = ""  # class name, for child / children
    options: tuple[str, ...] = ()  # class names, for choice / choices
    wrapper: str = ""  # element around the child(ren) / choice
    wrapper_optional: bool = False  # 1.0 forms without the wrapper are accepted too
    aliases: tuple[str, ...] = ()  # older attribute names that mean the same
    min_count: int = 0


def attr(
    xml: str,
    value_type: str = "double",
    *,
    enum: tuple[str, ...] = (),
    optional: bool = False,
    aliases: tuple[str, ...] = (),
) -> Any:
    """An XML attribute; optional ones default to None."""
    spec = FieldSpec("attr", xml, value_type, enum, not optional, aliases=aliases)
    return field(default=None if optional else MISSING, metadata={"osc": spec})


def child(xml: str, cls: str, *, optional: bool = False) -> Any:
    """One child element of tag ``xml`` parsed as class ``cls``."""
    spec = FieldSpec("child", xml, required=not optional, cls=cls)
    return field(default=None if optional else MISSING, metadata={"osc": spec})


def children(xml: str, cls: str, *, wrapper: str = "", min_count: int = 0) -> Any:
    """Child elements of tag ``xml`` (inside ``wrapper`` if given), parsed as ``cls``."""
    spec = FieldSpec("children", xml, cls=cls, wrapper=wrapper, min_count=min_count,
                     required=min_count > 0)
    return field(default=(), metadata={"osc": spec})


def choice(
    options: tuple[str, ...],
    *,
    wrapper: str = "",
    optional: bool = False,
    wrapper_optional: bool = False,
) -> Any:
    """One element that is one of the classes ``options``."""
    spec = FieldSpec("choice", options=options, wrapper=wrapper, required=not optional,
                     wrapper_optional=wrapper_optional)
    return field(default=None if optional else MISSING, metadata={"osc": spec})


def choices(options: tuple[str, ...], *, wrapper: str = "", min_count: int = 0) -> Any:
    """Several elements, each one of the classes ``options``."""
    spec = FieldSpec("choices", options=options, wrapper=wrapper, min_count=min_count,
                     required=min_count > 0)
    return field(default=(), metadata={"osc": spec})


_REGISTRY: dict[str, type[Any]] = {}
T = TypeVar("T")


def element(tag: str, *prefixes: tuple[str, ...]) -> Callable[[type[T]], type[T]]:
    """Register a model class under its XML ``tag`` (and wrapper ``prefixes``, first canonical)."""

    def register(cls: type[T]) -> type[T]:
        setattr(cls, "__osc_tag__", tag)  # noqa: B010
        setattr(cls, "__osc_prefixes__", prefixes or ((),))  # noqa: B010
        _REGISTRY[cls.__name__] = cls
        return cls

    return register


def model_class(name: str) -> type[Any]:
    """The registered model class called ``name``."""
    return _REGISTRY[name]


def tag_of(cls: type[Any]) -> str:
    tag: str = getattr(cls, "__osc_tag__")  # noqa: B009
    return tag


def paths_of(cls: type[Any]) -> list[tuple[str, ...]]:
    """Every element path that leads to ``cls`` in a choice (canonical first)."""
    prefixes: tuple[tuple[str, ...], ...] = getattr(cls, "__osc_prefixes__")  # noqa: B009
    return [(*prefix, tag_of(cls)) for prefix in prefixes]


_SPECS: dict[type[Any], tuple[tuple[str, FieldSpec], ...]] = {}


def specs(cls: type[Any]) -> tuple[tuple[str, FieldSpec], ...]:
    """The (python name, spec) of every mapped field of ``cls``, in declaration order."""
    cached = _SPECS.get(cls)
    if cached is not None:
        return cached
    result = []
    for item in dataclasses.fields(cls):
        spec = item.metadata.get("osc")
        if isinstance(spec, FieldSpec):
            result.append((item.name, spec))
    _SPECS[cls] = tuple(result)
    return _SPECS[cls]


def snake(name: str) -> str:
    """``SpeedActionDynamics`` -> ``speed_action_dynamics``."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def yaml_key(cls: type[Any]) -> str:
    """The key under which a choice option appears in the YAML form."""
    return snake(cls.__name__)


def inline_choice(cls: type[Any]) -> str | None:
    """The name of the single choice field of ``cls`` whose option keys sit in its YAML map."""
    names = [name for name, spec in specs(cls) if spec.kind == "choice"]
    return names[0] if len(names) == 1 else None


def source_line(obj: object) -> int:
    """The line an object was read from (0 when built in code)."""
    line: int = getattr(obj, "__osc_line__", 0)
    return line


def source_file(obj: object) -> str:
    """The file an object was read from ('' when built in code); catalog entries: the catalog."""
    file: str = getattr(obj, "__osc_file__", "")
    return file


def set_source_line(obj: object, line: int, file: str = "") -> None:
    object.__setattr__(obj, "__osc_line__", line)
    if file:
        object.__setattr__(obj, "__osc_file__", file)
