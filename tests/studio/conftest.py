"""The studio on 127.0.0.1 (a real aiohttp server in a thread) and Debian's Chromium."""

from __future__ import annotations

import asyncio
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiohttp import web
from playwright.sync_api import Browser, Page, sync_playwright

from bot.flowspec.loader import read_sources
from bot.knowledge.base import KnowledgeBase
from bot.studio.server import create_web_app
from bot.studio.workspace import Workspace

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "flowtest" / "flows"
OLD = ROOT / "tests" / "flowdiff" / "old"
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


class Server:
    """The studio's web app served from a background thread's event loop."""

    def __init__(self, workspace: Workspace) -> None:
        self.loop = asyncio.new_event_loop()
        self.runner = web.AppRunner(create_web_app(workspace))
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self.loop).result(timeout=30)

    async def _start(self) -> None:
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(timeout=30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)


@pytest.fixture
def flows(tmp_path: Path) -> Path:
    """A copy of the fixture flows that a test may break."""
    folder = tmp_path / "flows"
    shutil.copytree(FIXTURE, folder)
    return folder


@pytest.fixture
def studio(flows: Path) -> Iterator[Server]:
    workspace = Workspace(
        flows,
        knowledge=KnowledgeBase(()),
        articles=None,
        main_flow="melden",
        published=read_sources(OLD),
        published_name="tests/flowdiff/old",
    )
    server = Server(workspace)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Module-scoped: Playwright's sync API keeps an event loop running in this
    thread while it is open, which later asyncio tests must not inherit."""
    assert Path(CHROMIUM).exists(), "Chromium is installed by mk/studio.mk"
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    opened = context.new_page()
    opened.route(lambda url: not url.startswith("http://127.0.0.1"), lambda route: route.abort())
    yield opened
    context.close()


@pytest.fixture
def org_studio(tmp_path: Path) -> Iterator[tuple[Server, Path]]:
    """The studio on an organisation's folder over the fixture flows (``--org``)."""
    org = tmp_path / "organisatie"
    org.mkdir()
    workspace = Workspace(
        FIXTURE, knowledge=KnowledgeBase(()), articles=None, main_flow="melden", org=org
    )
    server = Server(workspace)
    yield server, org
    server.stop()
