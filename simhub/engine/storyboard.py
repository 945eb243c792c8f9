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
from typing import Any

import numpy as np
import numpy.typing as npt

from simhub.engine.actions import CompiledAction, Runtime
from simhub.engine.conditions import CompiledTrigger, tag
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
    """A storyboard element's state per episode.

    ``any_standby``, ``any_running``, ``any_complete`` and ``all_complete`` summarise
    ``state`` over the episodes; they are refreshed at every transition (rare) so that a step
    can skip the elements that cannot change without looking at their arrays.
    """

    name: str
    kind: str  # story, act, maneuverGroup, maneuver, event, action
    episodes: int
    children: list[Element] = field(default_factory=list)
    state: I64 = field(init=False)
    transition: I64 = field(init=False)
    transition_frame: I64 = field(init=False)
    executions: I64 = field(init=False)
    any_standby: bool = field(init=False, default=True)
    any_running: bool = field(init=False, default=False)
    any_complete: bool = field(init=False, default=False)
    all_standby: bool = field(init=False, default=True)
    all_running: bool = field(init=False, default=False)
    all_complete: bool = field(init=False, default=False)
    latest_frame: int = field(init=False, default=-10)  # of the latest transition

    def __post_init__(self) -> None:
        self.state = np.zeros(self.episodes, np.int64)
        self.transition = np.zeros(self.episodes, np.int64)
        self.transition_frame = np.full(self.episodes, -10, np.int64)
        self.executions = np.zeros(self.episodes, np.int64)

    def refresh(self) -> None:
        """Recompute the summary flags from ``state`` (after any change to it)."""
        state = self.state
        if self.episodes == 1:
            value = int(state[0])
            self.any_standby = self.all_standby = value == STANDBY
            self.any_running = self.all_running = value == RUNNING
            self.any_complete = self.all_complete = value == COMPLETE
            return
        episodes = self.episodes
        standby = int(np.count_nonzero(state == STANDBY))
        running = int(np.count_nonzero(state == RUNNING))
        complete = episodes - standby - running
        self.any_standby, self.all_standby = standby > 0, standby == episodes
        self.any_running, self.all_running = running > 0, running == episodes
        self.any_complete, self.all_complete = complete > 0, complete == episodes

    def go(self, ctx: Context, mask: B, transition: int, state: int) -> None:
        """Make ``transition`` into ``state`` in the masked episodes, and log it."""
        if not mask.flags.writeable or not np.count_nonzero(mask):
            return
        self.transition[mask] = transition
        self.transition_frame[mask] = ctx.world.frame
        self.latest_frame = ctx.world.frame
        self.state[mask] = state
        self.refresh()
        ctx.record(mask, self.name, self.kind, TRANSITION_NAMES[transition])

    def stop(self, ctx: Context, mask: B) -> None:
        """Stop this element and its running descendants (standby ones complete silently)."""
        if self.all_complete:
            return
        running = mask & (self.state == RUNNING)
        for child in self.children:
            child.stop(ctx, running)
        self.go(ctx, running, STOP, COMPLETE)
        waiting = mask & (self.state == STANDBY)
        if np.count_nonzero(waiting):
            self.state[waiting] = COMPLETE
            self.refresh()

    def reset(self, mask: B) -> None:
        """Back to standby with this element's descendants (a restart)."""
        self.state[mask] = STANDBY
        self.refresh()
        for child in self.children:
            child.reset(mask)
            child.executions[mask] = 0


_NO_EPISODES: dict[int, B] = {}


def _none_of(mask: npt.NDArray[Any]) -> B:
    """An all-False mask like ``mask``, shared and read-only (a step allocates nothing)."""
    none = _NO_EPISODES.get(mask.shape[0])
    if none is None:
        none = _NO_EPISODES[mask.shape[0]] = np.zeros(mask.shape[0], np.bool_)
        none.flags.writeable = False
    return none


_EVERY_EPISODE: dict[int, B] = {}


def _every(episodes: int) -> B:
    """An all-True mask, shared: never written (a read-only array means "no episodes")."""
    every = _EVERY_EPISODE.get(episodes)
    if every is None:
        every = _EVERY_EPISODE[episodes] = np.ones(episodes, np.bool_)
    return every


def _any(mask: B) -> bool:
    """Whether ``mask`` holds an episode (a read-only mask is empty by construction)."""
    return bool(mask.flags.writeable) and bool(np.count_nonzero(mask))


def _in(mask: B, element: Element, state: int) -> B:
    """Episodes of ``mask`` where ``element`` is in ``state``; may be ``mask`` itself or a
    shared empty mask, so the result is never modified in place."""
    if state == RUNNING:
        every, some = element.all_running, element.any_running
    elif state == STANDBY:
        every, some = element.all_standby, element.any_standby
    else:
        every, some = element.all_complete, element.any_complete
    if every:
        return mask
    if not some:
        return _none_of(mask)
    within: B = mask & (element.state == state)
    return within


def all_complete(elements: list[Element], mask: B) -> B:
    """Episodes of ``mask`` in which every one of ``elements`` is complete (read only)."""
    every = True
    for element in elements:
        if not element.any_complete:
            return _none_of(mask)
        if not element.all_complete:
            every = False
    if every:
        return mask.copy()
    done = mask.copy()
    for element in elements:
        done &= element.state == COMPLETE
    return done


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
        if not self.any_running:
            return
        running = _every(self.episodes) if self.all_running else self.state == RUNNING
        assert self.action is not None
        done_rows = self._done
        for index, runtime in enumerate(self.action.runtimes):
            row = done_rows[index]
            if np.count_nonzero(row):
                todo = running & ~row
                if not np.count_nonzero(todo):
                    continue
            else:
                todo = running
            row |= runtime.step(ctx, todo)
        if not np.count_nonzero(done_rows):
            return
        finished = running & done_rows.all(axis=0) if done_rows.shape[0] != 1 else \
            running & done_rows[0]
        self.go(ctx, finished, END, COMPLETE)

    def stop(self, ctx: Context, mask: B) -> None:
        if not self.any_running and not self.any_standby:
            return
        running = mask & (self.state == RUNNING)
        if np.count_nonzero(running) and self.action is not None:
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
        is_state = state in ("standbyState", "runningState", "completeState")
        wanted = ({v: k for k, v in STATE_NAMES.items()} if is_state
                  else {v: k for k, v in TRANSITION_NAMES.items()})[state]

        def test(ctx: Context) -> B:
            if not cache:
                element = self._find(kind, name)
                if element is None:
                    known = sorted(n for k, n in self._by_name if k == kind)
                    raise InvalidArgument(f"{ctx.source}: StoryboardElementStateCondition: no "
                                          f"{kind} named {name!r}; {kind}s: {', '.join(known)}")
                cache.append(element)
            element = cache[0]
            if is_state:
                return _in(_every(element.episodes), element, wanted)
            if element.latest_frame < ctx.world.frame - 1:
                return _none_of(element.transition)  # no transition last frame or this one
            recent = element.transition_frame >= ctx.world.frame - 1
            return np.asarray((element.transition == wanted) & recent)
        return tag(test, ("state", kind, name, is_state, wanted))

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
        """One frame of the storyboard at ``ctx.world.time``.

        Masks handed down may be shared (``_in``, ``_every``): none is modified in place.
        """
        for action in self.init_actions:
            if action.any_running:
                action.step(ctx)
        root = self.root
        if not root.any_running:
            return
        alive = _in(_every(self.episodes), root, RUNNING)
        if self.stop_trigger is not None:
            fired = self.stop_trigger.fires(ctx, alive)
            if fired is not None:
                for story in self.stories:
                    story.stop(ctx, fired)
                root.go(ctx, fired, STOP, COMPLETE)
                alive = alive & ~fired
                if not np.count_nonzero(alive):
                    return
        for story in self.stories:
            if not story.any_running:
                continue
            live = _in(alive, story, RUNNING)
            for act in story.children:
                assert isinstance(act, ActElement)
                if not act.all_complete:
                    self._step_act(ctx, act, live)
            story.go(ctx, all_complete(story.children, live), END, COMPLETE)
        if self.stories and self.stop_trigger is None:
            root.go(ctx, all_complete(self.stories, alive), END, COMPLETE)

    @property
    def running(self) -> B:
        """Episodes whose storyboard still runs, ``(E,)``."""
        return np.asarray(self.root.state == RUNNING)

    def _step_act(self, ctx: Context, act: ActElement, alive: B) -> None:
        if act.any_standby:
            waiting = _in(alive, act, STANDBY)
            if _any(waiting):
                fire = waiting if act.start_trigger is None else \
                    act.start_trigger.fires(ctx, waiting)
                if fire is not None:
                    act.go(ctx, fire, START, RUNNING)
                    for group in act.children:
                        self._start_group(ctx, group, fire)
        if not act.any_running:
            return
        running = _in(alive, act, RUNNING)
        if act.stop_trigger is not None and _any(running):
            stop = act.stop_trigger.fires(ctx, running)
            if stop is not None:
                act.stop(ctx, stop)
                running = running & ~stop
        for group in act.children:
            assert isinstance(group, ManeuverGroupElement)
            if group.any_running:
                self._step_group(ctx, group, _in(running, group, RUNNING))
        act.go(ctx, all_complete(act.children, running), END, COMPLETE)

    def _start_group(self, ctx: Context, group: Element, mask: B) -> None:
        group.go(ctx, mask, START, RUNNING)
        group.executions[mask] += 1
        for maneuver in group.children:
            maneuver.go(ctx, mask, START, RUNNING)

    def _step_group(self, ctx: Context, group: ManeuverGroupElement, running: B) -> None:
        if not _any(running):
            return
        for maneuver in group.children:
            if maneuver.any_running:
                live = _in(running, maneuver, RUNNING)
                if _any(live):
                    self._step_maneuver(ctx, maneuver, live)
        done = all_complete(group.children, running)
        if _any(done):
            group.go(ctx, done, END, COMPLETE)
            assert group.maximum_executions is not None
            again = done & (group.executions < group.maximum_executions)
            if np.count_nonzero(again):
                group.reset(again)
                self._start_group(ctx, group, again)

    def _step_maneuver(self, ctx: Context, maneuver: Element, live: B) -> None:
        events = _events(maneuver)
        for event in events:
            if not event.any_standby:
                continue
            waiting = _in(live, event, STANDBY)
            if not _any(waiting):
                continue
            fire = waiting if event.trigger is None else event.trigger.fires(ctx, waiting)
            if fire is None:
                continue
            others = [o for o in events if o is not event]
            if event.priority in ("overwrite", "override"):
                for other in others:
                    if other.any_running:
                        other.stop(ctx, fire & (other.state == RUNNING))
            elif event.priority == "skip":
                busy = np.zeros_like(fire)
                for other in others:
                    busy |= other.state == RUNNING
                skipped = fire & busy
                if np.count_nonzero(skipped):
                    event.go(ctx, skipped, SKIP, STANDBY)
                fire = fire & ~busy
            if np.count_nonzero(fire):
                event.go(ctx, fire, START, RUNNING)
                event.executions[fire] += 1
                for action in event.children:
                    assert isinstance(action, ActionElement)
                    action.start(ctx, fire)
        for event in events:
            if not event.any_running:
                continue
            running = _in(live, event, RUNNING)
            if not _any(running):
                continue
            for action in event.children:
                assert isinstance(action, ActionElement)
                action.step(ctx)
            done = all_complete(event.children, running)
            if _any(done):
                event.go(ctx, done, END, COMPLETE)
                assert event.maximum_executions is not None
                again = done & (event.executions < event.maximum_executions)
                if np.count_nonzero(again):
                    event.reset(again)
        maneuver.go(ctx, all_complete(events, live), END, COMPLETE)  # type: ignore[arg-type]


def _events(maneuver: Element) -> list[EventElement]:
    """The maneuver's events (cached on the element: its children never change)."""
    cached: list[EventElement] | None = getattr(maneuver, "_events", None)
    if cached is None:
        cached = [e for e in maneuver.children if isinstance(e, EventElement)]
        maneuver._events = cached  # type: ignore[attr-defined]
    return cached
