"""Scenarios in a real browser: a broken upload shows its error on the right source line, a
good one its preview image and versions, and runs as an animated replay on a canvas."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.conftest import REPO, Tokens
from tests.web.conftest import ARTIFACTS, UNLABELLED, RunningWeb, sign_in

ROAD = REPO / "scenarios" / "roads" / "straight_500m.xodr"
CUT_IN = (REPO / "scenarios" / "cut_in.yaml").read_text()
BROKEN_LINE = 23  # the OverTaker's teleport, relative to an entity that does not exist


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_broken_scenario_error_on_its_line_good_one_previews_and_replays(
    browser: Any, web: RunningWeb, tokens: Tokens, tmp_path: Path
) -> None:
    lines = CUT_IN.splitlines()
    assert "entity_ref: Ego," in lines[BROKEN_LINE - 1]
    lines[BROKEN_LINE - 1] = lines[BROKEN_LINE - 1].replace("entity_ref: Ego,", "entity_ref: Egoo,")
    broken = write(tmp_path, "cut_in.yaml", "\n".join(lines) + "\n")

    page = sign_in(browser, web, tokens.engineer)
    page.get_by_role("link", name="Scenarios").click()
    page.get_by_label("Name").fill("cut-in")
    page.get_by_label("Files").set_input_files([str(broken), str(ROAD)])
    page.get_by_role("button", name="Upload and validate").click()
    page.wait_for_selector("ol.source li.error")
    wrong = page.locator("ol.source li.error")
    assert wrong.count() == 1
    assert wrong.get_attribute("data-line") == str(BROKEN_LINE)
    assert "entity 'Egoo' is not a scenario object" in wrong.locator(".finding").inner_text()
    assert f"cut_in.yaml:{BROKEN_LINE}:" in wrong.inner_text()
    assert "nothing stored" in page.locator("#upload-error").inner_text()
    assert page.evaluate(UNLABELLED) == []
    wrong.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "scenario-upload-error.png"))

    (tmp_path / "good").mkdir()
    good = write(tmp_path / "good", "cut_in.yaml", CUT_IN)
    page.get_by_label("Name").fill("cut-in")
    page.get_by_label("Files").set_input_files([str(good), str(ROAD)])
    page.get_by_role("button", name="Upload and validate").click()
    page.wait_for_url(f"{web.url}/scenarios/scn_*")
    preview = page.get_by_role("img", name="Bird's-eye view of cut-in at t = 0 s")
    page.wait_for_function(
        "() => { const i = document.getElementById('preview');"
        " return i.complete && i.naturalWidth > 0 }"
    )
    assert preview.evaluate("i => i.naturalWidth") > 100
    assert "v1" in page.locator("table").first.inner_text()
    assert "roads/straight_500m.xodr" in page.content()

    page.get_by_role("button", name="Run").click()
    page.wait_for_function(
        "() => Number(document.getElementById('replay').dataset.frame || 0) > 5", timeout=90_000
    )
    first = page.locator("#replay").get_attribute("data-time")
    page.wait_for_timeout(600)
    assert page.locator("#replay").get_attribute("data-time") != first  # it animates
    assert page.evaluate(UNLABELLED) == []
    page.screenshot(path=str(ARTIFACTS / "scenario-page.png"), full_page=True)
