"""Compile the scenario model's entities and storyboard for a batch of variants.

Variants are walked side by side: element ``i`` of one is element ``i`` of every other, so
their names and kinds must agree, and their numbers become per-episode arrays.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from simhub.engine.actions import CompiledAction, compile_global, compile_private
from simhub.engine.conditions import compile_trigger
from simhub.engine.context import Context
from simhub.engine.storyboard import (
    ActElement,
    ActionElement,
    Element,
    EventElement,
    ManeuverGroupElement,
    Storyboard,
)
from simhub.engine.world import KIND_MISC, KIND_PEDESTRIAN, KIND_VEHICLE, EntityInfo, World
from simhub.errors import InvalidArgument
from simhub.scenario import Scenario
from simhub.scenario import global_actions as ga
from simhub.scenario import storyboard as sb
from simhub.scenario.common import CatalogReference
from simhub.scenario.entities import MiscObject, Pedestrian, Vehicle


def _entity_model(obj: Any, source: str) -> Vehicle | Pedestrian | MiscObject:
    entity = obj.entity
    if isinstance(entity, CatalogReference):
        entity = entity.resolved
    if not isinstance(entity, Vehicle | Pedestrian | MiscObject):
        raise InvalidArgument(f"{source}: entity {obj.name!r} does not resolve to a vehicle, "
                              "pedestrian or misc object")
    return entity


def entity_table(scenarios: Sequence[Scenario], source: str
                 ) -> tuple[tuple[EntityInfo, ...], Callable[[World], None]]:
    """Entity infos (from the first variant) and a function filling boxes and limits."""
    objects = [s.document.entities.scenario_objects for s in scenarios]
    names = [o.name for o in objects[0]]
    for other in objects[1:]:
        if [o.name for o in other] != names:
            raise InvalidArgument(f"{source}: variants of a batch must have the same entities")
    infos = []
    for obj in objects[0]:
        model = _entity_model(obj, source)
        if isinstance(model, Vehicle):
            infos.append(EntityInfo(obj.name, KIND_VEHICLE, model.vehicle_category))
        elif isinstance(model, Pedestrian):
            infos.append(EntityInfo(obj.name, KIND_PEDESTRIAN, model.pedestrian_category))
        else:
            infos.append(EntityInfo(obj.name, KIND_MISC, model.misc_object_category))

    def fill(world: World) -> None:
        for e, episode in enumerate(objects):
            for k, obj in enumerate(episode):
                model = _entity_model(obj, source)
                box = model.bounding_box
                world.length[e, k] = box.dimensions.length
                world.width[e, k] = box.dimensions.width
                world.height[e, k] = box.dimensions.height
                world.center_x[e, k] = box.center.x
                world.center_y[e, k] = box.center.y
                if isinstance(model, Vehicle):
                    world.max_speed[e, k] = model.performance.max_speed
                    world.max_acceleration[e, k] = model.performance.max_acceleration
                    world.max_deceleration[e, k] = model.performance.max_deceleration
    return tuple(infos), fill


def _zip(items: Sequence[Any], name: str, what: str, source: str) -> list[list[Any]]:
    """Children ``name`` of every variant, transposed: one list of variants per child."""
    lists = [getattr(item, name) for item in items]
    count = len(lists[0])
    if any(len(other) != count for other in lists):
        raise InvalidArgument(f"{source}: {what} counts differ between variants of the batch")
    return [[values[i] for values in lists] for i in range(count)]


def _maneuvers(group: sb.ManeuverGroup) -> list[Any]:
    found = list(group.maneuvers)
    for reference in group.catalog_references:
        if reference.resolved is None:
            raise InvalidArgument(f"maneuver catalog entry {reference.entry_name!r} not found")
        found.append(reference.resolved)
    return found


def build_storyboard(scenarios: Sequence[Scenario], ctx: Context) -> Storyboard:
    """The runtime storyboard of a batch."""
    source = ctx.source
    episodes = len(scenarios)
    board = Storyboard(episodes)
    boards = [s.document.storyboard for s in scenarios]
    inits = [b.init.actions for b in boards]
    for index, variants in enumerate(_zip(inits, "global_actions", "init global actions",
                                          source)):
        element = ActionElement(f"init global action {index}", "action", episodes)
        element.action = CompiledAction(element.name, [compile_global(variants, ctx)])
        board.init_actions.append(element)
    for privates in _zip(inits, "privates", "init privates", source):
        ref = privates[0].entity_ref
        k = ctx.entity(ref, "Init Private")
        for index, variants in enumerate(_zip(privates, "actions", "init actions", source)):
            element = ActionElement(f"init {ref} action {index}", "action", episodes)
            element.action = CompiledAction(element.name, [compile_private(variants, ctx, k)])
            board.init_actions.append(element)
    for stories in _zip(boards, "stories", "stories", source):
        story = Element(stories[0].name, "story", episodes)
        board.register(story)
        for acts in _zip(stories, "acts", "acts", source):
            story.children.append(_act(acts, ctx, board, (story.name,)))
        board.stories.append(story)
    board.root.children = list(board.stories)
    board.stop_trigger = compile_trigger([b.stop_trigger for b in boards], ctx, board)
    return board


def _act(acts: list[sb.Act], ctx: Context, board: Storyboard,
         path: tuple[str, ...]) -> ActElement:
    episodes = len(acts)
    act = ActElement(acts[0].name, "act", episodes)
    board.register(act, path)
    path = (*path, act.name)
    for groups in _zip(acts, "maneuver_groups", "maneuver groups", ctx.source):
        group = ManeuverGroupElement(groups[0].name, "maneuverGroup", episodes)
        group.maximum_executions = np.array([g.maximum_execution_count for g in groups])
        board.register(group, path)
        actors = [r.entity_ref for r in groups[0].actors.entity_refs]
        columns = [ctx.entity(name, f"ManeuverGroup {groups[0].name!r} actors")
                   for name in actors]
        maneuvers = [_maneuvers(g) for g in groups]
        for i in range(len(maneuvers[0])):
            variants = [m[i] for m in maneuvers]
            maneuver = Element(variants[0].name, "maneuver", episodes)
            board.register(maneuver, (*path, group.name))
            for events in _zip(variants, "events", "events", ctx.source):
                maneuver.children.append(_event(events, ctx, board, columns,
                                                (*path, group.name, maneuver.name)))
            group.children.append(maneuver)
        act.children.append(group)
    act.start_trigger = compile_trigger([x.start_trigger for x in acts], ctx, board)
    act.stop_trigger = compile_trigger([x.stop_trigger for x in acts], ctx, board)
    return act


def _event(events: list[sb.Event], ctx: Context, board: Storyboard,
           actors: list[int], path: tuple[str, ...]) -> EventElement:
    episodes = len(events)
    first = events[0]
    event = EventElement(first.name, "event", episodes, priority=first.priority)
    event.maximum_executions = np.array([e.maximum_execution_count or 1 for e in events])
    board.register(event, path)
    for actions in _zip(events, "actions", "actions", ctx.source):
        element = ActionElement(actions[0].name, "action", episodes)
        board.register(element, (*path, event.name))
        kinds = [x.kind for x in actions]
        compiled = CompiledAction(actions[0].name)
        if _is_global(kinds[0]):
            compiled.runtimes.append(compile_global(kinds, ctx))
        else:
            if not actors:
                raise InvalidArgument(f"{ctx.source}: action {actions[0].name!r} is private but "
                                      "its maneuver group has no actors")
            for k in actors:
                compiled.runtimes.append(compile_private(kinds, ctx, k))
        element.action = compiled
        event.children.append(element)
    event.trigger = compile_trigger([e.start_trigger for e in events], ctx, board)
    return event


def _is_global(kind: Any) -> bool:
    return isinstance(kind, ga.EnvironmentAction | ga.EntityAction | ga.ParameterAction
                      | ga.VariableAction | ga.TrafficSignalStateAction
                      | ga.TrafficSignalControllerAction)
