"""Property tests of the JSON API against its own OpenAPI schema (schemathesis, stateless):
whatever the generated request, the answer is never a 5xx. Kept small (a few examples per
operation) so the suite stays fast; raise ``MAX_EXAMPLES`` locally to search harder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from simhub.app import App, build_app
from simhub.identity.model import Role
from tests.conftest import issue, make_settings
from tests.web.conftest import RunningWeb

MAX_EXAMPLES = 4


@pytest.fixture(scope="module")
def api_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RunningWeb, str]]:
    folder: Path = tmp_path_factory.mktemp("schemathesis")
    application: App = build_app(make_settings(f"sqlite:///{folder / 'api.db'}"))
    token = issue(application, "Fuzz", Role.OPERATOR)  # operators reach every route
    running = RunningWeb(application)
    yield running, token
    running.close()
    application.close()


def test_no_server_errors(api_server: tuple[RunningWeb, str]) -> None:
    web, token = api_server
    schema = schemathesis.openapi.from_url(f"{web.url}/api/v1/openapi.json")
    headers = {"authorization": f"Bearer {token}"}
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
    assert len(operations) > 30

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def check(case: schemathesis.Case[Any]) -> None:
            response = case.call(base_url=web.url, headers=headers, timeout=60)
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path}: {response.status_code}")
            case.validate_response(response, checks=[not_a_server_error])

        try:
            check()
        except Exception as exc:  # collect every operation's failure, then fail once
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}"[:2000])
    assert not failures, "\n".join(failures)
