"""Hot reload: changed flows while the bot runs (SIGHUP, file changes), a broken
change refused, conversations in progress on the version they started with."""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import signal
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.engine.messages import Ask, ChannelTraits, TextIn
from bot.flowspec.loader import load_book
from bot.org.model import Membership, Organisation, Person, Role
from bot.service.conversation import ConversationService
from bot.service.ports import Arrival, ConversationKey
from bot.service.reload import FlowReloader
from bot.store.memory import MemoryStore
from tests.support.chat import FIXTURES
from tests.support.service import make_service

PRIVATE = ChannelTraits("test", end_to_end_encrypted=True)
OLD_TEXT = "Wat voor dilemma is het?"
NEW_TEXT = "Welk soort dilemma?"


def _asked(service: ConversationService, key: ConversationKey, line: str) -> str:
    replies = service.handle_now(Arrival(key, TextIn(line), PRIVATE))
    asks = [r for r in replies if isinstance(r, Ask)]
    return asks[-1].text if asks else ""


@pytest.fixture
def flows(tmp_path: Path) -> Path:
    folder = tmp_path / "flows"
    shutil.copytree(FIXTURES / "flows", folder)
    return folder


def _reword(flows: Path) -> None:
    demo = flows / "demo.yaml"
    demo.write_text(demo.read_text().replace(OLD_TEXT, NEW_TEXT), encoding="utf-8")


def _reloader(service: ConversationService, flows: Path, watch: bool = False) -> FlowReloader:
    return FlowReloader(service, lambda: load_book(flows), [flows] if watch else [])


def test_a_reload_with_a_conversation_in_progress(flows: Path) -> None:
    store = MemoryStore()
    service = make_service(flows, store=store)
    reloader = _reloader(service, flows)
    busy, fresh = ConversationKey("test", "busy"), ConversationKey("test", "fresh")
    service.start_now(Arrival.starting(busy, PRIVATE))
    assert _asked(service, busy, "C-1") == OLD_TEXT
    old = service.books.current
    _reword(flows)

    done = reloader.reload("test")

    assert done.loaded == ("flows",) and not done.refused
    assert service.books.current.hash != old.hash
    # The conversation in progress goes on, and ends, on the version it started with.
    assert service.books.get(old.hash) is old  # kept compiled, not rebuilt
    for line in ["1", "ja", "1", "ja", "ja", "klaar"]:
        service.handle_now(Arrival(busy, TextIn(line), PRIVATE))
    (record,) = store.records(busy)
    assert record.flow_hash == old.hash
    # A new conversation gets the new version.
    service.start_now(Arrival.starting(fresh, PRIVATE))
    assert _asked(service, fresh, "C-2") == NEW_TEXT
    # Nothing changed since: a second reload changes nothing.
    assert reloader.reload("again").loaded == ()


def test_a_broken_change_is_refused_logged_and_the_last_good_version_serves(
    flows: Path, caplog: pytest.LogCaptureFixture
) -> None:
    service = make_service(flows)
    reloader = _reloader(service, flows)
    good = service.books.current
    demo = flows / "demo.yaml"
    lines = demo.read_text().splitlines()
    number = next(i for i, line in enumerate(lines, 1) if OLD_TEXT in line)
    lines[number - 1] = lines[number - 1].replace("text:", "tekst:")
    demo.write_text("\n".join(lines) + "\n", encoding="utf-8")

    with caplog.at_level(logging.ERROR, logger="bot.service.reload"):
        done = reloader.reload("test")

    assert done.loaded == () and [name for name, _ in done.refused] == ["flows"]
    assert service.books.current is good
    logged = caplog.text
    assert f"demo.yaml:{number}:5: unknown key 'tekst'" in logged
    assert f"still serving version {good.hash}" in logged
    key = ConversationKey("test", "new")
    service.start_now(Arrival.starting(key, PRIVATE))
    assert _asked(service, key, "C-3") == OLD_TEXT


def _until(
    loop: asyncio.AbstractEventLoop,
    check: Callable[[], bool],
    poke: Callable[[], object] | None = None,
) -> None:
    """Wait (bounded, about 10 s) until ``check`` holds, poking now and then."""

    async def wait() -> None:
        for attempt in range(200):
            if check():
                return
            if poke is not None and attempt % 10 == 0:
                poke()
            await asyncio.sleep(0.05)
        raise AssertionError("no reload happened")

    loop.run_until_complete(wait())


def test_sighup_and_a_changed_file_reload_a_running_bot(flows: Path) -> None:
    service = make_service(flows)
    reloader = _reloader(service, flows, watch=True)
    first = service.books.current.hash
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    stop = asyncio.Event()
    running = loop.create_task(reloader.run(stop))
    try:
        loop.run_until_complete(asyncio.sleep(0))  # the handler and the watcher are set up
        _reword(flows)
        os.kill(os.getpid(), signal.SIGHUP)
        _until(loop, lambda: service.books.current.hash != first)
        second = service.books.current.hash
        # A change of a file, without a signal: the watcher reloads.
        demo = flows / "demo.yaml"
        changed = demo.read_text().replace(NEW_TEXT, "Wat voor vraag is het?")
        _until(
            loop,
            lambda: service.books.current.hash not in (first, second),
            lambda: demo.write_text(changed, encoding="utf-8"),
        )
    finally:
        stop.set()
        loop.run_until_complete(running)
        asyncio.set_event_loop(None)
        loop.close()
    assert signal.getsignal(signal.SIGHUP) is signal.SIG_DFL  # handed back


def test_an_organisations_overlay_is_reloaded_and_a_broken_one_refused(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from bot.flowspec.overlay import load_overlaid

    shipped = FIXTURES / "flows"
    org_dir = tmp_path / "org"
    org_dir.mkdir()
    overlay = org_dir / "demo.yaml"
    overlay.write_text(
        f"overlay: demo\nsteps:\n  - change: soort\n    text: {NEW_TEXT}\n", encoding="utf-8"
    )
    service = make_service(shipped)
    service.org_books = lambda org: load_overlaid(shipped, Path(org.flows_dir or ""))
    reloader = FlowReloader(service, lambda: load_book(shipped), [])
    org = Organisation(7, "Eigen", {}, str(org_dir))
    owner = Membership(org, Person(1, "anna"), frozenset({Role.PROFESSIONAL}))
    first = service._shelf(owner).current
    assert first.blocks["demo"].steps["soort"].text is not None
    assert org_dir in [Path(p) for p in reloader.watched()]

    overlay.write_text(overlay.read_text().replace(NEW_TEXT, "Wat is het soort?"))
    assert reloader.reload("test").loaded == ("7",)
    assert service._shelf(owner).current.hash != first.hash
    assert service._shelf(owner).get(first.hash) is first

    good = service._shelf(owner).current
    overlay.write_text("overlay: demo\nsteps:\n  - remove: weg\n", encoding="utf-8")
    with caplog.at_level(logging.ERROR, logger="bot.service.reload"):
        done = reloader.reload("test")
    assert [name for name, _ in done.refused] == ["7"]
    assert service._shelf(owner).current is good
    assert f"{overlay}:3:13: step 'weg' is not in the shipped flow 'demo'" in caplog.text


def test_the_app_reloads_changed_flows_beside_its_channel(flows: Path, tmp_path: Path) -> None:
    from bot.app import create_app
    from bot.settings import Settings

    settings = Settings(
        name_check=False,
        database_url=f"sqlite:///{tmp_path / 'v.db'}",
        flows_dir=flows,
        knowledge_dir=tmp_path / "geen",
        main_flow="demo",
    )
    app = create_app(settings)
    first = app.service.books.current.hash
    demo = flows / "demo.yaml"
    changed = demo.read_text().replace(OLD_TEXT, NEW_TEXT)

    async def channel() -> str:  # stands for run_polling / the Matrix sync loop
        for attempt in range(200):
            if app.service.books.current.hash != first:
                return "reloaded"
            if attempt % 10 == 0:
                demo.write_text(changed, encoding="utf-8")
            await asyncio.sleep(0.05)
        return "not reloaded"

    try:
        assert asyncio.run(app.with_background(channel())) == "reloaded"
    finally:
        app.close()
    assert app.service.books.current.blocks["demo"].steps["soort"].text is not None
