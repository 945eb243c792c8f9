"""The storyboard: Init, Story, Act, ManeuverGroup, Maneuver, Event, Action."""

# ruff: noqa: RUF009  (attr/child/choice build dataclass fields with XML metadata)

from __future__ import annotations

from dataclasses import dataclass

from simhub.scenario import enums
from simhub.scenario.actions import PRIVATE_ACTIONS, PrivateActionType
from simhub.scenario.common import CatalogReference, EntityRef, ParameterDeclaration
from simhub.scenario.conditions import Trigger
from simhub.scenario.global_actions import GLOBAL_ACTIONS, GlobalActionType
from simhub.scenario.schema import attr, child, children, choice, choices, element


@element("Private")
@dataclass(frozen=True, kw_only=True)
class Private:
    """The initial private actions of one entity."""

    entity_ref: str = attr("entityRef", "string")
    actions: tuple[PrivateActionType, ...] = choices(PRIVATE_ACTIONS, min_count=1)


@element("Actions")
@dataclass(frozen=True, kw_only=True)
class InitActions:
    global_actions: tuple[GlobalActionType, ...] = choices(GLOBAL_ACTIONS)
    privates: tuple[Private, ...] = children("Private", "Private")


@element("Init")
@dataclass(frozen=True, kw_only=True)
class Init:
    actions: InitActions = child("Actions", "InitActions")


@element("Action")
@dataclass(frozen=True, kw_only=True)
class Action:
    name: str = attr("name", "string")
    kind: PrivateActionType | GlobalActionType = choice((*PRIVATE_ACTIONS, *GLOBAL_ACTIONS))


@element("Event")
@dataclass(frozen=True, kw_only=True)
class Event:
    """``priority``: what starting this event does to running events of the same maneuver."""

    name: str = attr("name", "string")
    priority: str = attr("priority", "string", enum=enums.PRIORITY)
    maximum_execution_count: int | None = attr("maximumExecutionCount", "uint", optional=True)
    actions: tuple[Action, ...] = children("Action", "Action", min_count=1)
    start_trigger: Trigger | None = child("StartTrigger", "Trigger", optional=True)


@element("Maneuver")
@dataclass(frozen=True, kw_only=True)
class Maneuver:
    name: str = attr("name", "string")
    parameter_declarations: tuple[ParameterDeclaration, ...] = children(
        "ParameterDeclaration", "ParameterDeclaration", wrapper="ParameterDeclarations"
    )
    events: tuple[Event, ...] = children("Event", "Event", min_count=1)


@element("Actors")
@dataclass(frozen=True, kw_only=True)
class Actors:
    select_triggering_entities: bool = attr("selectTriggeringEntities", "bool")
    entity_refs: tuple[EntityRef, ...] = children("EntityRef", "EntityRef")


@element("ManeuverGroup")
@dataclass(frozen=True, kw_only=True)
class ManeuverGroup:
    name: str = attr("name", "string")
    maximum_execution_count: int = attr("maximumExecutionCount", "uint")
    actors: Actors = child("Actors", "Actors")
    catalog_references: tuple[CatalogReference, ...] = children(
        "CatalogReference", "CatalogReference"
    )
    maneuvers: tuple[Maneuver, ...] = children("Maneuver", "Maneuver")


@element("Act")
@dataclass(frozen=True, kw_only=True)
class Act:
    name: str = attr("name", "string")
    maneuver_groups: tuple[ManeuverGroup, ...] = children("ManeuverGroup", "ManeuverGroup",
                                                          min_count=1)
    start_trigger: Trigger | None = child("StartTrigger", "Trigger", optional=True)
    stop_trigger: Trigger | None = child("StopTrigger", "Trigger", optional=True)


@element("Story")
@dataclass(frozen=True, kw_only=True)
class Story:
    name: str = attr("name", "string")
    parameter_declarations: tuple[ParameterDeclaration, ...] = children(
        "ParameterDeclaration", "ParameterDeclaration", wrapper="ParameterDeclarations"
    )
    acts: tuple[Act, ...] = children("Act", "Act", min_count=1)


@element("Storyboard")
@dataclass(frozen=True, kw_only=True)
class Storyboard:
    init: Init = child("Init", "Init")
    stories: tuple[Story, ...] = children("Story", "Story")
    stop_trigger: Trigger | None = child("StopTrigger", "Trigger", optional=True)
