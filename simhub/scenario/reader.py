"""Build the model from a ``Node`` tree: structural checks (required attributes, allowed
children, multiplicities, value types and enumerations), parameters, catalog references.

Nothing is skipped: an attribute or element that the model does not hold is an error with
the allowed names and a suggestion for a misspelt one.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from pathlib import Path
from typing import Any

from simhub.scenario.common import (
    CatalogReference,
    ParameterAssignment,
    ValueConstraint,
    ValueConstraintGroup,
)
from simhub.scenario.expressions import Value, format_value
from simhub.scenario.nodes import Node, ScenarioError, allowed_list, display_path, parse_xml
from simhub.scenario.parameters import PARAMETER_VALUE_TYPES, Declaration, Scope
from simhub.scenario.schema import (
    FieldSpec,
    model_class,
    paths_of,
    set_source_line,
    specs,
    tag_of,
)

CATALOG_ENTRY_CLASSES = (
    "Vehicle", "Pedestrian", "MiscObject", "Controller", "Environment", "Maneuver",
    "Trajectory", "Route",
)
_MAX_CATALOG_DEPTH = 16
# elements newer than OpenSCENARIO 1.0: a file declaring an older version gets a warning
ELEMENT_SINCE: dict[str, tuple[int, int]] = {
    "SpeedProfileAction": (1, 2),
    "RelativeClearanceCondition": (1, 2),
    "VariableDeclaration": (1, 2),
    "VariableAction": (1, 2),
    "VariableCondition": (1, 2),
    "TrajectoryPosition": (1, 2),
    "ClothoidSpline": (1, 3),
    "TrailerHitch": (1, 3),
    "TrailerCoupler": (1, 3),
    "Trailer": (1, 3),
}


class Reader:
    """Reads one scenario (or distribution) and the catalog entries it refers to."""

    def __init__(self, base_dir: Path, overrides: dict[str, str] | None = None,
                 load_file: Callable[[Path], Node] | None = None) -> None:
        self.base_dir = base_dir
        self.overrides = dict(overrides or {})
        self.scope = Scope()
        self.catalog_dirs: list[Path] = []
        self.catalog_files: dict[Path, Node] = {}
        self.catalog_stack: list[tuple[str, str]] = []
        self.warnings: list[str] = []
        self.load_file = load_file or _load_xml
        self._pending_assignments: dict[str, tuple[str, Node]] | None = None
        self.top_level_parameters: dict[str, str] = {}
        # (file, version) of the document being read, for ELEMENT_SINCE
        self.document_version: tuple[str, tuple[int, int]] | None = None

    # --- elements -----------------------------------------------------------------------

    def read(self, node: Node, cls: type[Any]) -> Any:
        """Check ``node`` against ``cls`` and build an instance."""
        fields = specs(cls)
        self._check_attributes(node, fields)
        self._check_version(node)
        if node.text:
            raise node.error(f"unexpected text {node.text[:40]!r} in <{node.tag}>",
                             "elements only")
        claimed: set[int] = set()
        values: dict[str, Any] = {}
        saved_scope = self.scope
        try:
            pending = self._pending_assignments
            declared = False
            for name, spec in fields:
                if name == "parameter_declarations":
                    values[name] = self._declarations(node, spec, claimed)
                    declared = True
            if pending and not declared:
                first = next(iter(pending.values()))[1]
                raise first.error(f"<{node.tag}> declares no parameters to assign",
                                  attribute="parameterRef")
            for name, spec in fields:
                if name != "parameter_declarations":
                    values[name] = self._field(node, spec, claimed)
                if name == "catalog_locations" and values[name] is not None:
                    self.set_catalog_dirs(values[name].directories())
            self._check_unclaimed(node, fields, claimed)
        finally:
            self.scope = saved_scope
        instance = cls(**values)
        set_source_line(instance, node.line, node.file)
        if isinstance(instance, CatalogReference):
            instance = self._resolve_catalog_reference(instance, node)
        self._note_warnings(instance, node)
        return instance

    def _check_attributes(self, node: Node, fields: tuple[tuple[str, FieldSpec], ...]) -> None:
        known: dict[str, FieldSpec] = {}
        for _, spec in fields:
            if spec.kind == "attr":
                known[spec.xml] = spec
                for alias in spec.aliases:
                    known[alias] = spec
        for name in node.attrib:
            if name not in known:
                raise node.error(f"unknown attribute {name!r} on <{node.tag}>",
                                 allowed_list(known), name=name, choices=known,
                                 attribute=name)

    def _field(self, node: Node, spec: FieldSpec, claimed: set[int]) -> Any:
        if spec.kind == "attr":
            return self._attribute(node, spec)
        if spec.kind == "child":
            found = self._take(node, spec.xml, claimed)
            if len(found) > 1:
                raise found[1].error(f"<{spec.xml}> appears more than once in <{node.tag}>",
                                     "at most one")
            if not found:
                if spec.required:
                    raise node.error(f"<{node.tag}> is missing its <{spec.xml}> element")
                return None
            return self.read(found[0], model_class(spec.cls))
        if spec.kind == "children":
            container = self._wrapper(node, spec, claimed)
            if container is None:
                items = []
            elif container is node:
                items = self._take(node, spec.xml, claimed)
            else:
                for item in container.children:
                    if item.tag != spec.xml:
                        raise item.error(f"unexpected element <{item.tag}> in "
                                         f"<{container.tag}>", spec.xml, name=item.tag,
                                         choices=[spec.xml])
                items = container.children
            if len(items) < spec.min_count:
                raise node.error(f"<{node.tag}> needs at least {spec.min_count} "
                                 f"<{spec.xml}> element(s), found {len(items)}")
            return tuple(self.read(item, model_class(spec.cls)) for item in items)
        if spec.kind == "choice":
            return self._choice(node, spec, claimed)
        return self._choices(node, spec, claimed)

    def _attribute(self, node: Node, spec: FieldSpec) -> Any:
        name = spec.xml
        if name not in node.attrib:
            name = next((alias for alias in spec.aliases if alias in node.attrib), "")
        if not name:
            if spec.required:
                raise node.error(f"<{node.tag}> is missing the required attribute "
                                 f"{spec.xml!r}", attribute="")
            return None
        value = self.scope.resolve_text(node.attrib[name], spec.value_type, node, name)
        if spec.enum and value not in spec.enum:
            raise node.error(f"value {value!r} for {name!r} is not allowed",
                             allowed_list(spec.enum), name=str(value), choices=spec.enum,
                             attribute=name)
        return value

    def _take(self, node: Node, tag: str, claimed: set[int]) -> list[Node]:
        found = [item for item in node.children if item.tag == tag]
        claimed.update(id(item) for item in found)
        return found

    def _wrapper(self, node: Node, spec: FieldSpec, claimed: set[int]) -> Node | None:
        if not spec.wrapper:
            return node
        wrappers = self._take(node, spec.wrapper, claimed)
        if len(wrappers) > 1:
            raise wrappers[1].error(f"<{spec.wrapper}> appears more than once in <{node.tag}>",
                                    "at most one")
        if not wrappers:
            if spec.required and not spec.wrapper_optional:
                raise node.error(f"<{node.tag}> is missing its <{spec.wrapper}> element")
            return node if spec.wrapper_optional else None
        wrapper = wrappers[0]
        if wrapper.attrib:
            name = next(iter(wrapper.attrib))
            raise wrapper.error(f"<{wrapper.tag}> takes no attributes, found {name!r}",
                                attribute=name)
        return wrapper

    def _options(self, spec: FieldSpec) -> list[tuple[type[Any], tuple[str, ...]]]:
        return [(model_class(name), path) for name in spec.options
                for path in paths_of(model_class(name))]

    def _choice(self, node: Node, spec: FieldSpec, claimed: set[int]) -> Any:
        container = self._wrapper(node, spec, claimed)
        if container is None:
            return None
        options = self._options(spec)
        heads = {path[0] for _, path in options}
        if container is node:
            found = [item for item in node.children if item.tag in heads]
            claimed.update(id(item) for item in found)
        else:
            found = list(container.children)
        if not found:
            if spec.required or container is not node:
                raise container.error(f"<{container.tag}> is missing one of: "
                                      f"{allowed_list(heads)}")
            return None
        if len(found) > 1:
            raise found[1].error(f"<{container.tag}> holds more than one of "
                                 f"{allowed_list(heads)}", "exactly one")
        return self._resolve_choice(found[0], options, 0, spec)

    def _choices(self, node: Node, spec: FieldSpec, claimed: set[int]) -> tuple[Any, ...]:
        container = self._wrapper(node, spec, claimed)
        if container is None:
            return ()
        options = self._options(spec)
        heads = {path[0] for _, path in options}
        if container is node:
            found = [item for item in node.children if item.tag in heads]
            claimed.update(id(item) for item in found)
        else:
            found = list(container.children)
        if len(found) < spec.min_count:
            raise node.error(f"<{node.tag}> needs at least {spec.min_count} of "
                             f"{allowed_list(heads)}, found {len(found)}")
        return tuple(self._resolve_choice(item, options, 0, spec) for item in found)

    def _resolve_choice(self, node: Node, options: list[tuple[type[Any], tuple[str, ...]]],
                        depth: int, spec: FieldSpec) -> Any:
        candidates = [(cls, path) for cls, path in options
                      if len(path) > depth and path[depth] == node.tag]
        if not candidates:
            names = {path[depth] for _, path in options if len(path) > depth}
            raise node.error(f"unexpected element <{node.tag}>", allowed_list(names),
                             name=node.tag, choices=names)
        exact = [cls for cls, path in candidates if len(path) == depth + 1]
        if exact:
            value = self.read(node, exact[0])
            self._check_resolved_type(value, node, spec)
            return value
        if node.attrib:
            name = next(iter(node.attrib))
            raise node.error(f"unknown attribute {name!r} on <{node.tag}>", "none",
                             attribute=name)
        inner = {path[depth + 1] for _, path in candidates}
        if len(node.children) != 1:
            raise node.error(f"<{node.tag}> must hold exactly one of: {allowed_list(inner)}, "
                             f"found {len(node.children)}")
        return self._resolve_choice(node.children[0], candidates, depth + 1, spec)

    def _check_resolved_type(self, value: Any, node: Node, spec: FieldSpec) -> None:
        if not isinstance(value, CatalogReference) or value.resolved is None:
            return
        allowed = [name for name in spec.options if name != "CatalogReference"]
        if allowed and type(value.resolved).__name__ not in allowed:
            raise node.error(
                f"catalog entry {value.entry_name!r} is a {tag_of(type(value.resolved))}, "
                f"not usable here", allowed_list(tag_of(model_class(n)) for n in allowed))

    def _check_unclaimed(self, node: Node, fields: tuple[tuple[str, FieldSpec], ...],
                         claimed: set[int]) -> None:
        for item in node.children:
            if id(item) in claimed:
                continue
            names: set[str] = set()
            for _, spec in fields:
                if spec.kind in ("child", "children"):
                    names.add(spec.wrapper or spec.xml)
                elif spec.kind in ("choice", "choices"):
                    if spec.wrapper:
                        names.add(spec.wrapper)
                    if not spec.wrapper or spec.wrapper_optional:
                        names.update(path[0] for _, path in self._options(spec))
            raise item.error(f"unexpected element <{item.tag}> in <{node.tag}>",
                             allowed_list(names), name=item.tag, choices=names)

    # --- parameters ---------------------------------------------------------------------

    def _declarations(self, node: Node, spec: FieldSpec, claimed: set[int]) -> tuple[Any, ...]:
        container = self._wrapper(node, spec, claimed)
        items = [] if container is None else container.children
        for item in items:
            if item.tag != spec.xml:
                raise item.error(f"unexpected element <{item.tag}> in <{spec.wrapper}>",
                                 spec.xml, name=item.tag, choices=[spec.xml])
        scope = Scope(self.scope)
        overrides = self._pending_assignments
        self._pending_assignments = None
        is_top = node.tag == "OpenSCENARIO"
        if is_top:
            overrides = {name: (value, node) for name, value in self.overrides.items()}
        for item in items:
            self._check_attributes(item, specs(model_class(spec.cls)))
            for required in ("name", "parameterType", "value"):
                if required not in item.attrib:
                    raise item.error(f"<{item.tag}> is missing the required attribute "
                                     f"{required!r}")
            type_name = item.attrib["parameterType"]
            if type_name not in PARAMETER_VALUE_TYPES:
                raise item.error(f"parameterType {type_name!r} is not allowed",
                                 allowed_list(PARAMETER_VALUE_TYPES), name=type_name,
                                 choices=PARAMETER_VALUE_TYPES, attribute="parameterType")
            name = item.attrib["name"]
            declaration = Declaration(name, PARAMETER_VALUE_TYPES[type_name],
                                      item.attrib["value"], item)
            if overrides and name in overrides:
                text, where = overrides[name]
                declaration = Declaration(name, declaration.value_type, text, where,
                                          "value" if where is not node else "")
            if name in scope.declarations:
                self.warnings.append(f"{item.file}:{item.line}: parameter {name!r} is declared "
                                     "twice; the later declaration is used")
            scope.declarations[name] = declaration
        if overrides:
            for name, (_, where) in overrides.items():
                if name not in scope.declarations:
                    raise where.error(
                        f"parameter {name!r} is not declared by <{node.tag}>",
                        allowed_list(scope.declarations), name=name,
                        choices=scope.declarations, attribute="parameterRef"
                        if where is not node else "")
        self.scope = scope
        result = []
        for item in items:
            name = item.attrib["name"]
            value = scope.lookup(name, item, "value")
            text = format_value(value)
            if is_top:
                self.top_level_parameters[name] = text
            groups = self._constraint_groups(item, name, value, scope.declarations[name].node)
            result.append(model_class(spec.cls)(
                name=name, parameter_type=item.attrib["parameterType"], value=text,
                constraint_groups=groups))
            set_source_line(result[-1], item.line, item.file)
        return tuple(result)

    def _constraint_groups(self, item: Node, name: str, value: Value, where: Node
                           ) -> tuple[ValueConstraintGroup, ...]:
        groups = []
        for group_node in item.children:
            if group_node.tag != "ConstraintGroup":
                raise group_node.error(f"unexpected element <{group_node.tag}> in "
                                       f"<{item.tag}>", "ConstraintGroup",
                                       name=group_node.tag, choices=["ConstraintGroup"])
            groups.append(self.read(group_node, ValueConstraintGroup))
        if groups and not any(all(_satisfies(value, c) for c in g.constraints)
                              for g in groups):
            wanted = " or ".join(
                "(" + " and ".join(f"{c.rule} {c.value}" for c in g.constraints) + ")"
                for g in groups)
            raise where.error(f"value {format_value(value)!r} of parameter ${name} breaks "
                              "its constraints", wanted, attribute="value")
        return tuple(groups)

    # --- catalogs -----------------------------------------------------------------------

    def set_catalog_dirs(self, directories: list[str]) -> None:
        self.catalog_dirs = [(self.base_dir / directory) for directory in directories]

    def _catalog_entries(self, name: str, node: Node) -> dict[str, Node]:
        """Entries of every catalog called ``name`` in the catalog directories (first wins)."""
        available: list[str] = []
        entries: dict[str, Node] = {}
        found = False
        for directory in self.catalog_dirs:
            if not directory.is_dir():
                continue
            for path in sorted(directory.glob("*.xosc")):
                for item in self._catalog_file(path).children:
                    if item.tag != "Catalog":
                        continue
                    catalog_name = item.attrib.get("name", "")
                    available.append(catalog_name)
                    if catalog_name == name:
                        found = True
                        for entry in item.children:
                            entries.setdefault(entry.attrib.get("name", ""), entry)
        if not found:
            searched = ", ".join(display_path(d) for d in self.catalog_dirs) or "none listed"
            raise node.error(f"catalog {name!r} not found in the catalog directories "
                             f"({searched})", allowed_list(available), name=name,
                             choices=available, attribute="catalogName")
        return entries

    def _catalog_file(self, path: Path) -> Node:
        key = path.resolve()
        if key not in self.catalog_files:
            self.catalog_files[key] = self.load_file(key)
        return self.catalog_files[key]

    def _resolve_catalog_reference(self, reference: CatalogReference, node: Node
                                   ) -> CatalogReference:
        entries = self._catalog_entries(reference.catalog_name, node)
        entry = entries.get(reference.entry_name)
        if entry is None:
            raise node.error(f"catalog {reference.catalog_name!r} has no entry "
                             f"{reference.entry_name!r}", allowed_list(entries),
                             name=reference.entry_name, choices=entries,
                             attribute="entryName")
        if entry.tag not in CATALOG_ENTRY_CLASSES:
            raise entry.error(f"unexpected catalog entry <{entry.tag}>",
                              allowed_list(CATALOG_ENTRY_CLASSES), name=entry.tag,
                              choices=CATALOG_ENTRY_CLASSES)
        key = (reference.catalog_name, reference.entry_name)
        if key in self.catalog_stack or len(self.catalog_stack) >= _MAX_CATALOG_DEPTH:
            chain = " -> ".join(f"{c}/{e}" for c, e in [*self.catalog_stack, key])
            raise node.error(f"catalog references form a cycle: {chain}")
        assignments = self._assignments(reference, node)
        self.catalog_stack.append(key)
        saved_scope = self.scope
        self.scope = Scope(None)
        self._pending_assignments = assignments
        try:
            resolved = self.read(entry, model_class(entry.tag))
        finally:
            self.catalog_stack.pop()
            self.scope = saved_scope
            self._pending_assignments = None
        result = CatalogReference(
            catalog_name=reference.catalog_name, entry_name=reference.entry_name,
            parameter_assignments=reference.parameter_assignments, resolved=resolved,
        )
        set_source_line(result, node.line, node.file)
        return result

    def _assignments(self, reference: CatalogReference, node: Node
                     ) -> dict[str, tuple[str, Node]]:
        nodes = [item for wrapper in node.children if wrapper.tag == "ParameterAssignments"
                 for item in wrapper.children]
        result: dict[str, tuple[str, Node]] = {}
        for assignment, item in zip(reference.parameter_assignments, nodes, strict=False):
            if not isinstance(assignment, ParameterAssignment):
                continue
            if assignment.parameter_ref in result:
                raise item.error(f"parameter {assignment.parameter_ref!r} is assigned twice",
                                 attribute="parameterRef")
            result[assignment.parameter_ref] = (assignment.value, item)
        return result

    # --- warnings -----------------------------------------------------------------------

    def _check_version(self, node: Node) -> None:
        if node.tag == "OpenSCENARIO":
            header = next((c for c in node.children if c.tag == "FileHeader"), None)
            try:
                if header is not None and self.document_version is None:
                    self.document_version = (node.file, (int(header.attrib["revMajor"]),
                                                         int(header.attrib["revMinor"])))
            except (KeyError, ValueError):
                pass
            return
        since = ELEMENT_SINCE.get(node.tag)
        if since is None or self.document_version is None:
            return
        file, version = self.document_version
        if node.file == file and version < since:
            self.warnings.append(
                f"{node.file}:{node.line}: <{node.tag}> is OpenSCENARIO {since[0]}.{since[1]}+ "
                f"but the file says {version[0]}.{version[1]}; read anyway")

    def _note_warnings(self, instance: Any, node: Node) -> None:
        if node.tag == "DomeImage":
            self.warnings.append(f"{node.file}:{node.line}: DomeImage is visual only; simhub "
                                 "does not read it")
        if node.tag == "SceneGraphFile":
            self.warnings.append(
                f"{node.file}:{node.line}: SceneGraphFile {node.attrib.get('filepath', '')!r} "
                "is visual only; simhub does not read it")
        model3d = getattr(instance, "model3d", None)
        if isinstance(model3d, str) and model3d:
            line, _ = node.where("model3d")
            self.warnings.append(f"{node.file}:{line}: model3d {model3d!r} of "
                                 f"<{node.tag}> is visual only; simhub does not read it")


_CATALOG_CACHE: dict[tuple[Path, int, int], Node] = {}
_CATALOG_CACHE_SIZE = 64


_RULES: dict[str, Callable[[Any, Any], Any]] = {
    "equalTo": operator.eq,
    "notEqualTo": operator.ne,
    "greaterThan": operator.gt,
    "lessThan": operator.lt,
    "greaterOrEqual": operator.ge,
    "lessOrEqual": operator.le,
}


def _satisfies(value: Value, constraint: ValueConstraint) -> bool:
    """Whether ``value`` meets ``constraint`` (numbers compared as numbers, else as text)."""
    compare = _RULES[constraint.rule]
    if not isinstance(value, str | bool):
        try:
            return bool(compare(float(value), float(constraint.value)))
        except ValueError:
            pass
    return bool(compare(format_value(value), constraint.value))


def _load_xml(path: Path) -> Node:
    """A catalog file's Node tree; cached by path, size and mtime (trees are never changed)."""
    try:
        stat = path.stat()
    except OSError as error:
        raise ScenarioError(display_path(path), 1, 1,
                            f"cannot read file: {error.strerror}") from None
    key = (path, stat.st_size, stat.st_mtime_ns)
    cached = _CATALOG_CACHE.get(key)
    if cached is None:
        if len(_CATALOG_CACHE) >= _CATALOG_CACHE_SIZE:
            _CATALOG_CACHE.pop(next(iter(_CATALOG_CACHE)))
        cached = _CATALOG_CACHE[key] = _parse_catalog_file(path)
    return cached


def _parse_catalog_file(path: Path) -> Node:
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ScenarioError(display_path(path), 1, 1,
                            f"cannot read file: {error.strerror}") from None
    root = parse_xml(data, display_path(path))
    if root.tag != "OpenSCENARIO":
        raise root.error(f"unexpected root element <{root.tag}>", "OpenSCENARIO",
                         name=root.tag, choices=["OpenSCENARIO"])
    return root
