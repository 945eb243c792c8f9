"""Evaluation use cases over the ports, and the dispatcher that works through the queue.

Submit checks everything a user can get wrong before any episode runs (role, suite, model
contract, quota) and queues the run. The ``Dispatcher`` threads take runs in scheduler order,
hand their not-yet-stored chunks to the run's executor and store each chunk's results as it
completes, so a cancelled or interrupted run keeps what finished and a resumed one does not
redo it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import yaml

from simhub.errors import FieldViolation, InvalidArgument, NotFound, PermissionDenied, SimhubError
from simhub.evaluation import quota as quotas
from simhub.evaluation import scheduler
from simhub.evaluation import suite as suites
from simhub.evaluation.criteria import EpisodeResult
from simhub.evaluation.model import ExecutorKind, Quota, Resources, Run, RunState
from simhub.evaluation.policy import check_spec
from simhub.evaluation.ports import EvaluationRepository, Executor, InspectModel, Job
from simhub.evaluation.rollout import ChunkResult
from simhub.evaluation.sources import FetchScenario, file_bundle, prepared
from simhub.identity.model import Principal, Role
from simhub.scenario.library import Bundle

log = logging.getLogger("simhub.evaluation")

MAX_MODEL_BYTES = 256 * 1024 * 1024
MAX_CPUS_PER_CHUNK = 64.0
MAX_GPUS_PER_CHUNK = 8.0


def parse_suite(text_or_name: str) -> suites.Suite:
    """A built-in suite name (``ncap``, ``benchmark``) or a YAML suite document."""
    stripped = text_or_name.strip()
    if stripped in suites.BUILTIN:
        stripped = suites.builtin_file(stripped).read_text()
    try:
        data = yaml.safe_load(stripped)
    except yaml.YAMLError as exc:
        raise InvalidArgument(
            "the suite is not valid YAML", [FieldViolation("suite", str(exc).splitlines()[0])]
        ) from exc
    if isinstance(data, str):
        return parse_suite(suites.builtin_file(data).read_text())
    return suites.from_mapping(data)


@dataclass(frozen=True)
class PreparedSuite:
    """A suite with its library scenarios pinned, the files of each scenario, its episodes."""

    suite: suites.Suite
    bundles: Mapping[str, Bundle]
    episodes: tuple[suites.Episode, ...]

    def chunks(self) -> list[suites.Chunk]:
        return suites.chunks(self.suite, self.episodes)


def prepare_suite(
    suite: suites.Suite, organisation_id: str, fetch: FetchScenario | None = None
) -> PreparedSuite:
    """Resolve *suite* for *organisation_id*: bundle each scenario's files (library scenarios
    pinned to a version, visible to that organisation only), expand it, and build the first
    episode of each scenario so that a wrong parameter or ego name is refused before any run."""
    bundles: dict[str, Bundle] = {}
    entries = []
    for i, entry in enumerate(suite.scenarios):
        if entry.library:
            if fetch is None:
                raise InvalidArgument(
                    "this server has no scenario library for evaluation suites",
                    [FieldViolation(f"suite.scenarios[{i}].library", "use file: instead")],
                )
            scenario_id, version, bundle = fetch(organisation_id, entry.library, entry.version)
            entry = dataclasses.replace(entry, library=scenario_id, version=version)
        else:
            bundle = file_bundle(entry.file)
        bundles[entry.source_key] = bundle
        entries.append(entry)
    pinned = dataclasses.replace(suite, scenarios=tuple(entries))
    episodes = suites.expand(pinned, lambda e: prepared(bundles[e.source_key]).variants)
    suites.check_size(len(episodes))
    for entry in entries:
        first = next((e for e in episodes if e.scenario == entry.name), None)
        if first is not None:
            prepared(bundles[entry.source_key]).scenario(first.assignments, entry.ego)
    return PreparedSuite(pinned, bundles, tuple(episodes))


@dataclass(frozen=True)
class Submission:
    model: bytes
    suite: str  # built-in name or YAML document
    executor: ExecutorKind = ExecutorKind.LOCAL
    resources: Resources = field(default_factory=Resources)


class EvaluationService:
    def __init__(
        self,
        repository: EvaluationRepository,
        inspect_model: InspectModel,
        clock: Callable[[], datetime],
        executors: Mapping[ExecutorKind, Callable[[], Executor]],
        new_id: Callable[[str], str],
        fetch_scenario: FetchScenario | None = None,
    ) -> None:
        self.repository = repository
        self._inspect = inspect_model
        self._clock = clock
        self.executors = executors
        self._new_id = new_id
        self._fetch_scenario = fetch_scenario
        self.wake = threading.Event()

    # -- use cases -------------------------------------------------------------------------
    def submit(self, caller: Principal, submission: Submission) -> Run:
        if caller.role is Role.VIEWER:
            raise PermissionDenied("viewers cannot submit evaluation runs; ask an engineer")
        if submission.executor not in self.executors:
            raise InvalidArgument(
                f"executor {submission.executor.value!r} is not configured on this server",
                [
                    FieldViolation(
                        "executor", f"allowed: {', '.join(k.value for k in self.executors)}"
                    )
                ],
            )
        _check_resources(submission.resources)
        if not submission.model:
            raise InvalidArgument("no model uploaded", [FieldViolation("model", "empty")])
        if len(submission.model) > MAX_MODEL_BYTES:
            raise InvalidArgument(
                "the model is too large",
                [
                    FieldViolation(
                        "model", f"{len(submission.model)} bytes; at most {MAX_MODEL_BYTES}"
                    )
                ],
            )
        check_spec(self._inspect(submission.model))  # before any episode runs
        ready = prepare_suite(
            parse_suite(submission.suite), caller.organisation_id, self._fetch_scenario
        )
        suite = ready.suite
        quotas.check_submit(self.repository.quota(caller.organisation_id), submission.resources)
        now = self._clock()
        sha = hashlib.sha256(submission.model).hexdigest()
        model_id = self.repository.add_model(caller.organisation_id, submission.model, sha, now)
        total = len(ready.episodes)
        run = Run(
            id=self._new_id("run"),
            organisation_id=caller.organisation_id,
            user_id=caller.user_id,
            model_id=model_id,
            model_sha256=sha,
            suite_name=suite.name,
            suite_yaml=yaml.safe_dump(suites.suite_document(suite), sort_keys=False),
            executor=submission.executor,
            resources=submission.resources,
            priority=0,
            state=RunState.QUEUED,
            episodes_total=total,
            episodes_done=0,
            episodes_failed=0,
            chunks_total=len(ready.chunks()),
            chunks_done=0,
            cpu_seconds=0.0,
            gpu_seconds=0.0,
            created_at=now,
            started_at=None,
            finished_at=None,
            error="",
            cancel_requested=False,
        )
        self.repository.add_run(run)
        self.wake.set()
        return run

    def get(self, caller: Principal, run_id: str) -> Run:
        run = self.repository.get(run_id)
        if run is None or not caller.can_see(run.organisation_id):
            raise NotFound(f"no evaluation run {run_id!r}")
        return run

    def list_runs(self, caller: Principal, limit: int, offset: int) -> list[Run]:
        org = None if caller.is_operator else caller.organisation_id
        return self.repository.list_runs(org, limit, offset)

    def cancel(self, caller: Principal, run_id: str) -> Run:
        run = self.get(caller, run_id)
        if caller.role is Role.VIEWER:
            raise PermissionDenied("viewers cannot cancel runs")
        if run.state is RunState.QUEUED:
            self.repository.finish(
                run_id, RunState.CANCELLED, "cancelled before it started", self._clock()
            )
        elif run.state is RunState.RUNNING:
            self.repository.request_cancel(run_id)
        return self.get(caller, run_id)

    def results(
        self, caller: Principal, run_id: str, limit: int, offset: int
    ) -> list[EpisodeResult]:
        self.get(caller, run_id)
        return self.repository.results(run_id, limit, offset)

    def all_results(self, caller: Principal, run_id: str) -> list[EpisodeResult]:
        run = self.get(caller, run_id)
        return self.repository.results(run_id, max(run.episodes_total, 1), 0)

    def replay_inputs(self, caller: Principal, run_id: str) -> tuple[bytes, PreparedSuite]:
        """The model and the prepared suite of a run the caller can see (to re-run episodes,
        e.g. for the report's clips)."""
        run = self.get(caller, run_id)
        ready = prepare_suite(
            suites.from_mapping(document(run)), run.organisation_id, self._fetch_scenario
        )
        return self.repository.model(run.model_id), ready

    def quota(self, caller: Principal, organisation_id: str) -> Quota:
        if not caller.can_see(organisation_id):
            raise NotFound(f"no organisation {organisation_id!r}")
        return self.repository.quota(organisation_id)

    def set_quota(
        self,
        caller: Principal,
        organisation_id: str,
        cpu_hours: float,
        gpu_hours: float,
        weight: float,
    ) -> Quota:
        if not caller.is_operator:
            raise PermissionDenied("only the facility operator sets evaluation quotas")
        if min(cpu_hours, gpu_hours) < 0 or weight <= 0:
            raise InvalidArgument(
                "quotas must not be negative and the weight must be positive",
                [
                    FieldViolation(
                        "quota", f"cpu_hours={cpu_hours}, gpu_hours={gpu_hours}, weight={weight}"
                    )
                ],
            )
        return self.repository.set_quota(organisation_id, cpu_hours, gpu_hours, weight)

    def set_priority(self, caller: Principal, run_id: str, priority: int) -> Run:
        if not caller.is_operator:
            raise PermissionDenied("only the facility operator sets run priorities")
        self.get(caller, run_id)
        self.repository.set_priority(run_id, priority)
        return self.get(caller, run_id)

    # -- execution -------------------------------------------------------------------------
    def next_run(self) -> Run | None:
        """Claim the next queued run in scheduler order (None when the queue is empty)."""
        for _ in range(5):
            queued = self.repository.queued()
            orgs = {r.organisation_id for r in queued}
            chosen = scheduler.pick(
                queued,
                self.repository.running_count_by_organisation(),
                {o: self.repository.quota(o) for o in orgs},
            )
            if chosen is None:
                return None
            if self.repository.start(chosen.id, self._clock()):
                return self.repository.get(chosen.id)
        return None

    def execute(self, run: Run) -> Run:
        """Run the chunks of *run* not stored yet, then close it; returns the final record."""
        done = self.repository.done_chunks(run.id)
        try:
            ready = prepare_suite(
                suites.from_mapping(document(run)), run.organisation_id, self._fetch_scenario
            )
        except SimhubError as exc:  # a scenario file changed or went away since the submit
            self.repository.finish(run.id, RunState.FAILED, str(exc), self._clock())
            return self.get_record(run.id)
        pending = [c for c in ready.chunks() if c.index not in done]
        job = Job(
            run.id, self.repository.model(run.model_id), ready.suite, run.resources, ready.bundles
        )

        def on_chunk(result: ChunkResult) -> None:
            cpu_s, gpu_s = quotas.charge(result.wall_s, run.resources)
            self.repository.save_chunk(run.id, result, cpu_s, gpu_s, self._clock())

        def cancelled() -> bool:
            current = self.repository.get(run.id)
            return current is None or current.cancel_requested

        state, error = RunState.SUCCEEDED, ""
        executor = self.executors[run.executor]()
        try:
            executor.run(job, pending, on_chunk, cancelled)
            if cancelled():
                state, error = RunState.CANCELLED, "cancelled; finished chunks are kept"
        except SimhubError as exc:
            state, error = RunState.FAILED, str(exc)
        except Exception as exc:  # a crashed executor fails the run, not the server
            log.exception("evaluation run crashed", extra={"run_id": run.id})
            state, error = RunState.FAILED, f"internal error: {type(exc).__name__}: {exc}"
        finally:
            executor.close()
        self.repository.finish(run.id, state, error, self._clock())
        return self.get_record(run.id)

    def get_record(self, run_id: str) -> Run:
        final = self.repository.get(run_id)
        assert final is not None
        return final


class Dispatcher:
    """Worker threads that take queued runs and execute them until ``stop``.

    A submit in this process wakes the workers at once; runs queued by another process are
    found by polling the queue every *poll_s*, once per interval for all idle workers
    together (each worker polling on its own timeout multiplied the idle queries, which a
    busy server pays for in CPU and database round trips)."""

    def __init__(self, service: EvaluationService, workers: int = 2, poll_s: float = 1.0) -> None:
        self._service = service
        self._stop = threading.Event()
        self._poll_s = poll_s
        self._poll_lock = threading.Lock()
        self._next_poll = 0.0  # time.monotonic() from which an idle worker polls again
        self._threads = [
            threading.Thread(target=self._loop, name=f"simhub-eval-{i}", daemon=True)
            for i in range(workers)
        ]

    def start(self) -> None:
        resumed = self._service.repository.requeue_interrupted()
        if resumed:
            log.info("resuming interrupted evaluation runs", extra={"runs": resumed})
        for thread in self._threads:
            thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                run = self._service.next_run()
                if run is not None:
                    self._service.execute(run)
                    continue
            except Exception:
                log.exception("evaluation dispatcher error")
            self._idle()

    def _idle(self) -> None:
        """Wait for a wake-up, or until this worker's turn to poll the queue comes."""
        while not self._stop.is_set():
            woken = self._service.wake.wait(self._poll_s)
            if woken:
                self._service.wake.clear()
                return
            with self._poll_lock:
                now = time.monotonic()
                if now >= self._next_poll:
                    self._next_poll = now + self._poll_s
                    return

    def stop(self, timeout_s: float = 10.0) -> None:
        self._stop.set()
        self._service.wake.set()
        for thread in self._threads:
            thread.join(timeout_s)


def _check_resources(resources: Resources) -> None:
    bad = []
    if not 0 < resources.num_cpus <= MAX_CPUS_PER_CHUNK:
        bad.append(
            FieldViolation(
                "resources.num_cpus",
                f"found {resources.num_cpus}; allowed: more than 0 up to {MAX_CPUS_PER_CHUNK:g}",
            )
        )
    if not 0 <= resources.num_gpus <= MAX_GPUS_PER_CHUNK:
        bad.append(
            FieldViolation(
                "resources.num_gpus",
                f"found {resources.num_gpus}; allowed: 0 to {MAX_GPUS_PER_CHUNK:g}",
            )
        )
    if bad:
        raise InvalidArgument("the resources asked for per chunk are out of range", bad)


def document(run: Run) -> dict[str, Any]:
    return yaml.safe_load(run.suite_yaml)  # type: ignore[no-any-return]
