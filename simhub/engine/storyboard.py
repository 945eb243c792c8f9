"""The storyboard at run time: element states and transitions, vectorised over episodes.

Every element (story, act, maneuver group, maneuver, event, action) holds ``state`` ``(E,)``:
standby, running or complete, and its last transition (start, end, stop, skip) with the frame
it happened in. A frame evaluates the storyboard's stop trigger, then each act's start and
stop triggers, then each running maneuver's standby events (priorities: overwrite/override
stop the maneuver's running events, skip does not start while another runs, parallel starts
beside them), then steps running actions. Completion runs upward: an event ends when its
actions have, a maneuver when its events have, a maneuver group when its maneuvers have
(and starts again while executions < maximumExecutionCount), an act when its groups have.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from simhub.engine.actions import CompiledAction, Runtime
from simhub.engine.conditions import CompiledTrigger
from simhub.engine.context import Context
from simhub.errors import InvalidArgument

B = npt.NDArray[np.bool_]
I64 = npt.NDArray[np.int64]

STANDBY, RUNNING, COMPLETE = 0, 1, 2
NONE, START, END, STOP, SKIP = 0, 1, 2, 3, 4
TRANSITION_NAMES = {START: "startTransition", END: "endTransition", STOP: "stopTransition",
                    SKIP: "skipTransition"}
STATE_NAMES = {STANDBY: "standbyState", RUNNING: "runningState", COMPLETE: "completeState"}


@dataclass
class Element:
    """A storyboard element's state per episode."""

    name: str
    kind: str  # story, act, maneuverGroup, maneuver, event, action
    episodes: int
    children: list[Element] = field(default_factory=list)
    state: I64 = field(init=False)
    transition: I64 = field(init=False)
    transition_frame: I64 = field(init=False)
    executions: I64 = field(init=False)

    def __post_init__(self) -> None:
        self.state = np.zeros(self.episodes, np.int64)
        self.transition = np.zeros(self.episodes, np.int64)
        self.transition_frame = np.full(self.episodes, -10, np.int64)
        self.executions = np.zeros(self.episodes, np.int64)

    def go(self, ctx: Context, mask: B, transition: int, state: int) -> None:
        """Make ``transition`` into ``state`` in the masked episodes, and log it."""
        if not mask.any():
            return
        self.transition[mask] = transition
        self.transition_frame[mask] = ctx.world.frame
        self.state[mask] = state
        ctx.record(mask, self.name, self.kind, TRANSITION_NAMES[transition])

    def stop(self, ctx: Context, mask: B) -> None:
        """Stop this element and its running descendants (standby ones complete silently)."""
        running = mask & (self.state == RUNNING)
        for child in self.children:
            child.stop(ctx, running)
        self.go(ctx, running, STOP, COMPLETE)
        waiting = mask & (self.state == STANDBY)
        self.state[waiting] = COMPLETE

    def reset(self, mask: B) -> None:
        """Back to standby with this element's descendants (a restart)."""
        self.state[mask] = STANDBY
        for child in self.children:
            child.reset(mask)
            child.executions[mask] = 0


@dataclass
class ActionElement(Element):
    action: CompiledAction | None = None

    def start(self, ctx: Context, mask: B) -> None:
        self.go(ctx, mask, START, RUNNING)
        assert self.action is not None
        if not hasattr(self, "_done"):
            self._done = np.zeros((len(self.action.runtimes), self.episodes), np.bool_)
        self._done[:, mask] = False
        for runtime in self.action.runtimes:
            runtime.start(ctx, mask)

    def step(self, ctx: Context) -> None:
        running = self.state == RUNNING
        if not running.any():
            return
        assert self.action is not None
        for index, runtime in enumerate(self.action.runtimes):
            todo = running & ~self._done[index]
            if todo.any():
                self._done[index] |= runtime.step(ctx, todo)
        finished = running & self._done.all(axis=0)
        self.go(ctx, finished, END, COMPLETE)

    def stop(self, ctx: Context, mask: B) -> None:
        running = mask & (self.state == RUNNING)
        if running.any() and self.action is not None:
            for runtime in self.action.runtimes:
                runtime.stop(ctx, running)
                _release_all(ctx, runtime, running)
        super().stop(ctx, mask)


def _release_all(ctx: Context, runtime: Runtime, mask: B) -> None:
    w = ctx.world
    for owner in (w.longitudinal_owner, w.lateral_owner):
        hit = (owner == runtime.id) & mask[:, None]
        owner[hit] = -1


@dataclass
class EventElement(Element):
    priority: str = "parallel"
    maximum_executions: I64 | None = None
    trigger: CompiledTrigger | None = None


@dataclass
class ManeuverGroupElement(Element):
    maximum_executions: I64 | None = None


@dataclass
class ActElement(Element):
    start_trigger: CompiledTrigger | None = None
    stop_trigger: CompiledTrigger | None = None


class Storyboard:
    """The whole storyboard of a batch: init actions, stories and the stop trigger."""

    def __init__(self, episodes: int) -> None:
        self.episodes = episodes
        self.init_actions: list[ActionElement] = []
        self.stories: list[Element] = []
        self.stop_trigger: CompiledTrigger | None = None
        self.root = Element("storyboard", "storyBoard", episodes)
        self._by_name: dict[tuple[str, str], Element] = {}
        self._paths: list[tuple[str, tuple[str, ...], Element]] = []
        self.pending_state_tests: list[tuple[str, str]] = []

    # -- element lookup for StoryboardElementStateCondition -----------------------------

    def register(self, element: Element, parents: tuple[str, ...] = ()) -> None:
        """Make ``element`` findable by name, and by ``parent::...::name`` paths."""
        self._by_name.setdefault((element.kind, element.name), element)
        self._paths.append((element.kind, (*parents, element.name), element))

    def _find(self, kind: str, name: str) -> Element | None:
        if "::" not in name:
            return self._by_name.get((kind, name))
        wanted = tuple(name.split("::"))
        for found_kind, path, element in self._paths:
            if found_kind == kind and path[-len(wanted):] == wanted:
                return element
        return None

    def state_test(self, kind: str, name: str, state: str) -> Callable[[Context], B]:
        """A test for StoryboardElementStateCondition, resolved on first use."""
        cache: list[Element] = []

        def test(ctx: Context) -> B:
            if not cache:
                element = self._find(kind, name)
                if element is None:
                    known = sorted(n for k, n in self._by_name if k == kind)
                    raise InvalidArgument(f"{ctx.source}: StoryboardElementStateCondition: no "
                                          f"{kind} named {name!r}; {kind}s: {', '.join(known)}")
                cache.append(element)
            element = cache[0]
            if state in ("standbyState", "runningState", "completeState"):
                wanted = {v: k for k, v in STATE_NAMES.items()}[state]
                return np.asarray(element.state == wanted)
            wanted_t = {v: k for k, v in TRANSITION_NAMES.items()}[state]
            recent = element.transition_frame >= ctx.world.frame - 1
            return np.asarray((element.transition == wanted_t) & recent)
        return test

    # -- running ---------------------------------------------------------------------------

    def start(self, ctx: Context) -> None:
        """Frame 0: start the storyboard and run the init actions."""
        everyone = np.ones(self.episodes, np.bool_)
        self.root.go(ctx, everyone, START, RUNNING)
        for action in self.init_actions:
            action.start(ctx, everyone)
        for story in self.stories:
            story.go(ctx, everyone, START, RUNNING)

    def step(self, ctx: Context) -> None:
        """One frame of the storyboard at ``ctx.world.time``."""
        for action in self.init_actions:
            action.step(ctx)
        alive = self.root.state == RUNNING
        if self.stop_trigger is not None and alive.any():
            fired = self.stop_trigger.evaluate(ctx) & alive
            if fired.any():
                for story in self.stories:
                    story.stop(ctx, fired)
                self.root.go(ctx, fired, STOP, COMPLETE)
                alive &= ~fired
        for story in self.stories:
            for act in story.children:
                assert isinstance(act, ActElement)
                self._step_act(ctx, act, alive & (story.state == RUNNING))
            done = alive & (story.state == RUNNING) & np.logical_and.reduce(
                [act.state == COMPLETE for act in story.children])
            story.go(ctx, done, END, COMPLETE)
        if self.stories:
            finished = alive & np.logical_and.reduce(
                [story.state == COMPLETE for story in self.stories])
            if self.stop_trigger is None:
                self.root.go(ctx, finished, END, COMPLETE)

    @property
    def running(self) -> B:
        """Episodes whose storyboard still runs, ``(E,)``."""
        return np.asarray(self.root.state == RUNNING)

    def _step_act(self, ctx: Context, act: ActElement, alive: B) -> None:
        waiting = alive & (act.state == STANDBY)
        if waiting.any():
            fire = waiting if act.start_trigger is None else \
                waiting & act.start_trigger.evaluate(ctx)
            if fire.any():
                act.go(ctx, fire, START, RUNNING)
                for group in act.children:
                    self._start_group(ctx, group, fire)
        running = alive & (act.state == RUNNING)
        if act.stop_trigger is not None and running.any():
            stop = running & act.stop_trigger.evaluate(ctx)
            act.stop(ctx, stop)
            running &= ~stop
        for group in act.children:
            assert isinstance(group, ManeuverGroupElement)
            self._step_group(ctx, group, running & (group.state == RUNNING))
        done = running & np.logical_and.reduce([g.state == COMPLETE for g in act.children])
        act.go(ctx, done, END, COMPLETE)

    def _start_group(self, ctx: Context, group: Element, mask: B) -> None:
        group.go(ctx, mask, START, RUNNING)
        group.executions[mask] += 1
        for maneuver in group.children:
            maneuver.go(ctx, mask, START, RUNNING)

    def _step_group(self, ctx: Context, group: ManeuverGroupElement, running: B) -> None:
        if not running.any():
            return
        for maneuver in group.children:
            live = running & (maneuver.state == RUNNING)
            if live.any():
                self._step_maneuver(ctx, maneuver, live)
        done = running & np.logical_and.reduce([m.state == COMPLETE for m in group.children])
        if done.any():
            group.go(ctx, done, END, COMPLETE)
            assert group.maximum_executions is not None
            again = done & (group.executions < group.maximum_executions)
            if again.any():
                group.reset(again)
                self._start_group(ctx, group, again)

    def _step_maneuver(self, ctx: Context, maneuver: Element, live: B) -> None:
        events = [e for e in maneuver.children if isinstance(e, EventElement)]
        for event in events:
            waiting = live & (event.state == STANDBY)
            if not waiting.any():
                continue
            fire = waiting if event.trigger is None else waiting & event.trigger.evaluate(ctx)
            if not fire.any():
                continue
            others = [o for o in events if o is not event]
            if event.priority in ("overwrite", "override"):
                for other in others:
                    other.stop(ctx, fire & (other.state == RUNNING))
            elif event.priority == "skip":
                busy = np.logical_or.reduce([o.state == RUNNING for o in others]) \
                    if others else np.zeros_like(fire)
                skipped = fire & busy
                if skipped.any():
                    event.go(ctx, skipped, SKIP, STANDBY)
                fire &= ~busy
            if fire.any():
                event.go(ctx, fire, START, RUNNING)
                event.executions[fire] += 1
                for action in event.children:
                    assert isinstance(action, ActionElement)
                    action.start(ctx, fire)
        for event in events:
            running = live & (event.state == RUNNING)
            if not running.any():
                continue
            for action in event.children:
                assert isinstance(action, ActionElement)
                action.step(ctx)
            done = running & np.logical_and.reduce([a.state == COMPLETE for a in event.children])
            if done.any():
                event.go(ctx, done, END, COMPLETE)
                assert event.maximum_executions is not None
                again = done & (event.executions < event.maximum_executions)
                if again.any():
                    event.reset(again)
        finished = live & np.logical_and.reduce([e.state == COMPLETE for e in events])
        maneuver.go(ctx, finished, END, COMPLETE)
