"""Pieces shared across the model: parameters, catalog references, properties, entity refs."""

# ruff: noqa: RUF009  (attr/child/choice build dataclass fields with XML metadata)

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeVar

from simhub.scenario import enums
from simhub.scenario.schema import attr, child, children, element

T = TypeVar("T")


@element("ValueConstraint")
@dataclass(frozen=True, kw_only=True)
class ValueConstraint:
    rule: str = attr("rule", "string", enum=enums.RULE)
    value: str = attr("value", "string")


@element("ConstraintGroup")
@dataclass(frozen=True, kw_only=True)
class ValueConstraintGroup:
    """Constraints that must all hold; a value must satisfy at least one group."""

    constraints: tuple[ValueConstraint, ...] = children("ValueConstraint", "ValueConstraint",
                                                       min_count=1)


@element("ParameterDeclaration")
@dataclass(frozen=True, kw_only=True)
class ParameterDeclaration:
    """A declared parameter; ``value`` is the resolved value as text (after any override)."""

    name: str = attr("name", "string")
    parameter_type: str = attr("parameterType", "string", enum=enums.PARAMETER_TYPE)
    value: str = attr("value", "string")
    constraint_groups: tuple[ValueConstraintGroup, ...] = children(
        "ConstraintGroup", "ValueConstraintGroup"
    )


@element("ParameterAssignment")
@dataclass(frozen=True, kw_only=True)
class ParameterAssignment:
    parameter_ref: str = attr("parameterRef", "string")
    value: str = attr("value", "string")


@element("CatalogReference")
@dataclass(frozen=True, kw_only=True)
class CatalogReference:
    """A reference into a catalog; ``resolved`` holds the entry, parameters applied.

    ``resolved`` is not part of equality: two references are equal when they say the same.
    """

    catalog_name: str = attr("catalogName", "string")
    entry_name: str = attr("entryName", "string")
    parameter_assignments: tuple[ParameterAssignment, ...] = children(
        "ParameterAssignment", "ParameterAssignment", wrapper="ParameterAssignments"
    )
    resolved: Any = field(default=None, compare=False, repr=False)


@element("Property")
@dataclass(frozen=True, kw_only=True)
class Property:
    name: str = attr("name", "string")
    value: str = attr("value", "string")


@element("File")
@dataclass(frozen=True, kw_only=True)
class File:
    filepath: str = attr("filepath", "string")


@element("Properties")
@dataclass(frozen=True, kw_only=True)
class Properties:
    properties: tuple[Property, ...] = children("Property", "Property")
    files: tuple[File, ...] = children("File", "File")


@element("EntityRef")
@dataclass(frozen=True, kw_only=True)
class EntityRef:
    entity_ref: str = attr("entityRef", "string")


@element("Center")
@dataclass(frozen=True, kw_only=True)
class Center:
    x: float = attr("x")
    y: float = attr("y")
    z: float = attr("z")


@element("Dimensions")
@dataclass(frozen=True, kw_only=True)
class Dimensions:
    width: float = attr("width")
    length: float = attr("length")
    height: float = attr("height")


@element("BoundingBox")
@dataclass(frozen=True, kw_only=True)
class BoundingBox:
    """Box in the entity frame: ``center`` relative to the reference point (m), ``dimensions``."""

    center: Center = child("Center", "Center")
    dimensions: Dimensions = child("Dimensions", "Dimensions")


def resolved(value: T | CatalogReference) -> T:
    """The object itself, or for a catalog reference the catalog entry it resolved to."""
    if isinstance(value, CatalogReference):
        entry: T = value.resolved
        return entry
    return value
