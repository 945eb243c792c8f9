"""Cross-reference checks after the structure is read: every entity reference names a
scenario object, and every storyboard element reference names a storyboard element."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from simhub.scenario.conditions import StoryboardElementStateCondition
from simhub.scenario.document import OpenScenario
from simhub.scenario.entities import TrailerRef
from simhub.scenario.nodes import Node, allowed_list
from simhub.scenario.schema import source_line, specs

_ENTITY_FIELDS = ("entity_ref", "master_entity_ref")


def _walk(obj: Any) -> Iterator[Any]:
    """Every model object below ``obj`` (catalog entries not included)."""
    yield obj
    for name, spec in specs(type(obj)):
        if spec.kind == "attr":
            continue
        value = getattr(obj, name)
        items = value if isinstance(value, tuple) else (value,)
        for item in items:
            if item is not None:
                yield from _walk(item)


def _storyboard_names(document: OpenScenario) -> set[str]:
    names: set[str] = set()
    for story in document.storyboard.stories:
        names.add(story.name)
        for act in story.acts:
            names.add(act.name)
            for group in act.maneuver_groups:
                names.add(group.name)
                for maneuver in group.maneuvers:
                    names.add(maneuver.name)
                    for event in maneuver.events:
                        names.add(event.name)
                        names.update(action.name for action in event.actions)
    return names


def _node_at(root: Node, line: int) -> Node:
    stack = [root]
    while stack:
        node = stack.pop()
        if node.line == line:
            return node
        stack.extend(reversed(node.children))
    return root


def check_references(document: OpenScenario, root: Node) -> None:
    """Raise ScenarioError for an entity or storyboard element reference to nothing."""
    entities = [item.name for item in document.entities.scenario_objects]
    known = set(entities)
    if len(known) != len(entities):
        seen: set[str] = set()
        for item in document.entities.scenario_objects:
            if item.name in seen:
                node = _node_at(root, source_line(item))
                raise node.error(f"scenario object name {item.name!r} is used twice",
                                 "unique names", attribute="name")
            seen.add(item.name)
    elements = _storyboard_names(document)
    for obj in _walk(document):
        if isinstance(obj, TrailerRef) and obj.entity_ref == "":
            continue
        for field_name in _ENTITY_FIELDS:
            value = getattr(obj, field_name, None)
            if isinstance(value, str) and value not in known:
                node = _node_at(root, source_line(obj))
                attribute = next((a for a in node.attrib if a.lower().replace("_", "") ==
                                  field_name.replace("_", "")), "")
                raise node.error(f"entity {value!r} is not a scenario object",
                                 allowed_list(entities), name=value, choices=entities,
                                 attribute=attribute)
        if isinstance(obj, StoryboardElementStateCondition):
            ref = obj.storyboard_element_ref
            # 1.1+: a name may be qualified by its parents, "Story::Act::Event"
            if not all(part in elements for part in ref.split("::")):
                node = _node_at(root, source_line(obj))
                raise node.error(f"storyboard element {ref!r} does not exist",
                                 "the name of a story, act, maneuver group, maneuver, event "
                                 "or action", name=ref, choices=elements,
                                 attribute="storyboardElementRef")
