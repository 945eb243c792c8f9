"""An evaluation in a real browser: submit a model, follow the progress bar to the end, sort and
filter the results, open the report."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from simhub.app import App
from simhub.cluster.example_policy import example_policy_bytes
from simhub.evaluation.service import Dispatcher
from tests.conftest import Tokens
from tests.web.conftest import ARTIFACTS, UNLABELLED, RunningWeb, sign_in

SUITE = """name: web-small
duration_s: 4
chunk_episodes: 4
seeds: 1
scenarios:
  - name: ccrs
    file: ncap_ccrs.xosc
    parameters: {EgoSpeed: [10, 20]}
  - name: cut_in
    file: cut_in.yaml
    parameters: {EgoSpeed: [14, 20], CutInHeadway: [0.4]}
"""


@pytest.fixture
def dispatcher(app: App) -> Iterator[Dispatcher]:
    """The workers ``simhub serve`` runs beside the web UI."""
    assert app.evaluation is not None
    running = Dispatcher(app.evaluation, workers=1, poll_s=0.2)
    running.start()
    yield running
    running.stop()


def test_follow_an_evaluation_to_its_report(
    browser: Any, web: RunningWeb, tokens: Tokens, dispatcher: Dispatcher, tmp_path: Path
) -> None:
    model = tmp_path / "policy.onnx"
    model.write_bytes(example_policy_bytes())
    page = sign_in(browser, web, tokens.engineer)
    page.get_by_role("link", name="Evaluations").click()
    page.get_by_label("Model (.onnx)").set_input_files(str(model))
    page.get_by_label("Suite", exact=True).select_option("custom")
    page.get_by_label("Custom suite (YAML)").fill(SUITE)
    assert page.evaluate(UNLABELLED) == []
    page.screenshot(path=str(ARTIFACTS / "evaluations.png"), full_page=True)
    page.get_by_role("button", name="Submit run").click()
    page.wait_for_url(f"{web.url}/evaluations/run_*")

    seen = set()
    for _ in range(600):
        seen.add(int(page.locator("#progress").get_attribute("value") or 0))
        if page.locator("#run").get_attribute("data-state") in ("succeeded", "failed"):
            break
        page.wait_for_timeout(200)
    assert page.locator("#run").get_attribute("data-state") == "succeeded", page.locator(
        "#run-error"
    ).inner_text()
    assert max(seen) <= 4 and page.locator("#progress").get_attribute("value") == "4"
    page.wait_for_function("() => document.querySelectorAll('#results tbody tr').length === 4")

    page.get_by_label("Scenario", exact=True).select_option("cut_in")
    assert page.locator("#results tbody tr").count() == 2
    page.get_by_label("Scenario", exact=True).select_option("")
    page.get_by_role("button", name="Score").click()
    page.get_by_role("button", name="Score").click()  # descending
    scores = [float(t) for t in page.locator("#results td[data-key=score]").all_inner_texts()]
    assert scores == sorted(scores, reverse=True)
    assert page.evaluate(UNLABELLED) == []
    page.screenshot(path=str(ARTIFACTS / "evaluation-results.png"), full_page=True)

    link = page.get_by_role("link", name="Open the HTML report")
    page.goto(f"{web.url}{link.get_attribute('href')}", timeout=120_000)  # clips take a while
    assert "web-small" in page.content()
    page.screenshot(path=str(ARTIFACTS / "evaluation-report.png"), full_page=True)
