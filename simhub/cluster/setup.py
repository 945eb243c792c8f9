"""Wires the evaluation service: storage, the onnxruntime model inspector, the executors."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from datetime import datetime

from simhub.cluster.local import LocalExecutor
from simhub.cluster.onnx_policy import OnnxPolicy
from simhub.evaluation.model import ExecutorKind
from simhub.evaluation.policy import PolicySpec
from simhub.evaluation.ports import Executor
from simhub.evaluation.service import EvaluationService
from simhub.evaluation.sources import library_fetcher
from simhub.identity.tokens import new_id
from simhub.storage.db import Database
from simhub.storage.evaluation_repo import SqlEvaluationStore
from simhub.storage.scenario_repo import SqlScenarioStore


def inspect_model(model: bytes) -> PolicySpec:
    return OnnxPolicy(model).spec


def ray_available() -> bool:
    return importlib.util.find_spec("ray") is not None


def _ray_executor() -> Executor:
    from simhub.cluster.ray_executor import RayExecutor

    return RayExecutor()


def evaluation_service(db: Database, clock: Callable[[], datetime]) -> EvaluationService:
    executors: dict[ExecutorKind, Callable[[], Executor]] = {ExecutorKind.LOCAL: LocalExecutor}
    if ray_available():
        executors[ExecutorKind.RAY] = _ray_executor
    return EvaluationService(
        SqlEvaluationStore(db),
        inspect_model,
        clock,
        executors,
        new_id,
        fetch_scenario=library_fetcher(SqlScenarioStore(db)),
    )
