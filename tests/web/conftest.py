"""A real web server (uvicorn on a free port, in a thread) over a real database."""

from __future__ import annotations

import asyncio
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from simhub.app import App
from simhub.web.server import make_server


class RunningWeb:
    def __init__(self, app: App) -> None:
        self.server = make_server(app, "127.0.0.1", 0)
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        started = asyncio.run_coroutine_threadsafe(self._wait_started(), self.loop)
        self.port = started.result(15)
        self.url = f"http://127.0.0.1:{self.port}"

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    async def _wait_started(self) -> int:
        self._task = asyncio.ensure_future(self.server.serve())
        while not self.server.started:
            if self._task.done():
                self._task.result()
            await asyncio.sleep(0.01)
        return int(self.server.servers[0].sockets[0].getsockname()[1])

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, follow_redirects=False, timeout=30)

    def close(self) -> None:
        self.server.should_exit = True

        async def wait() -> None:
            await self._task

        asyncio.run_coroutine_threadsafe(wait(), self.loop).result(15)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)


@pytest.fixture
def web(app: App) -> Iterator[RunningWeb]:
    running = RunningWeb(app)
    yield running
    running.close()


@pytest.fixture(params=["sqlite"])
def database_url(request: pytest.FixtureRequest, tmp_path) -> str:  # type: ignore[no-untyped-def]
    """The web tests exercise the edge, not the databases: SQLite only."""
    return f"sqlite:///{tmp_path / 'web.db'}"


ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

# Every visible form control must have a label the accessibility tree can use.
UNLABELLED = """() => [...document.querySelectorAll(
    'input:not([type=hidden]), select, textarea, button, canvas, meter')]
  .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
    && !el.getAttribute('aria-labelledby') && !(el.tagName === 'BUTTON' && el.textContent.trim()))
  .map(el => el.outerHTML)"""


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """The system's Chromium driven by Playwright (no browser download)."""
    if CHROMIUM is None:
        pytest.skip("no chromium on PATH (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


def sign_in(browser: Any, web: RunningWeb, token: str, width: int = 1280, height: int = 800) -> Any:
    """A new browser context (its own cookies) signed in with *token*, on the facility page."""
    page = browser.new_context(viewport={"width": width, "height": height}).new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{web.url}/")
    assert page.url.endswith("/signin")
    page.get_by_label("API token").fill(token)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{web.url}/")
    return page
