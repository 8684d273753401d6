"""Changing flows while the bot runs: on SIGHUP and when a flows file changes.

The flows are read and checked again exactly as at start-up. A change that
does not load is refused: the bot logs every located problem
(``file:line:column: message``) and keeps serving the last good version. A
good change becomes the current book (:meth:`BookShelf.replace`):
conversations in progress finish on the version they started with (their
state names its book's hash), new conversations get the new version.

Organisations with a flows folder of their own (overlays) are reloaded the
same way, each keeping its own last good book. File changes are noticed with
``watchfiles`` (inotify on Linux, with a short debounce, so saving several
files at once is one reload).
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.flowspec.errors import FlowLoadError
from bot.flowspec.graph import FlowBook
from bot.org.model import Organisation
from bot.service.books import BookShelf
from bot.service.conversation import ConversationService

log = logging.getLogger(__name__)

#: Milliseconds watchfiles waits for more changes before one reload.
DEBOUNCE_MS = 300


@dataclass(frozen=True)
class Reloaded:
    """What one reload did: the books now current (by name: "flows" or an
    organisation's id) and the changes refused with their problems."""

    loaded: tuple[str, ...]
    refused: tuple[tuple[str, FlowLoadError], ...]


class FlowReloader:
    """Reloads the flows of one service; run :meth:`run` beside a channel."""

    def __init__(
        self,
        service: ConversationService,
        load: Callable[[], FlowBook],
        folders: Sequence[Path],
    ) -> None:
        self.service = service
        self.load = load
        self.folders = [f for f in folders if f.is_dir()]
        self._orgs: dict[int, Organisation] = {}
        org_books = service.org_books
        if org_books is not None:

            def remembering(org: Organisation) -> FlowBook | None:
                self._orgs[org.id] = org
                return org_books(org)

            service.org_books = remembering
        self._org_books = org_books
        self._busy = asyncio.Lock()

    # ------------------------------------------------------------ reloading

    def reload(self, reason: str = "") -> Reloaded:
        """Read every flows folder again; swap in what loads, refuse what does not."""
        loaded: list[str] = []
        refused: list[tuple[str, FlowLoadError]] = []
        shelf = self.service.books
        try:
            book = self.load()
        except FlowLoadError as exc:
            refused.append(("flows", exc))
            _log_refused("the flows", shelf.current, exc, reason)
        else:
            if book.hash != shelf.current.hash:
                old = shelf.replace(book)
                loaded.append("flows")
                log.info("flows reloaded%s: version %s (was %s)", _why(reason), book.hash, old.hash)
        for org_id, org in list(self._orgs.items()):
            outcome = self._reload_org(org, reason)
            if isinstance(outcome, FlowLoadError):
                refused.append((str(org_id), outcome))
            elif outcome:
                loaded.append(str(org_id))
        return Reloaded(tuple(loaded), tuple(refused))

    def _reload_org(self, org: Organisation, reason: str) -> bool | FlowLoadError:
        assert self._org_books is not None
        shelves: dict[int, BookShelf] = self.service._org_shelves  # the service's own cache
        shelf = shelves.get(org.id)
        try:
            book = self._org_books(org)
        except FlowLoadError as exc:
            _log_refused(
                f"the flows of organisation {org.id}", shelf.current if shelf else None, exc, reason
            )
            return exc
        shipped = self.service.books
        if book is None or book.hash == shipped.current.hash:
            if shelf is shipped:
                return False
            shelves[org.id] = shipped
        else:
            same = shelf is not None and shelf is not shipped and book.hash == shelf.current.hash
            if shelf is None or shelf is shipped:
                shelf = shelves[org.id] = BookShelf(book, self.service.store)
            elif not same:
                shelf.replace(book)
            if self.service.org_knowledge is not None:  # its articles may have changed
                shelf.knowledge = self.service.org_knowledge(org)
            if same:
                return False
        log.info(
            "flows of organisation %s reloaded%s: version %s",
            org.id,
            _why(reason),
            book and book.hash,
        )
        return True

    async def reload_async(self, reason: str) -> Reloaded:
        """:meth:`reload` in a worker thread (compiling takes a moment), one at a time."""
        async with self._busy:
            return await asyncio.to_thread(self.reload, reason)

    # ------------------------------------------------------------ triggers

    def watched(self) -> list[Path]:
        """The folders whose changes reload: the flows and every known organisation's."""
        folders = list(self.folders)
        for org in self._orgs.values():
            if (
                org.flows_dir
                and Path(org.flows_dir).is_dir()
                and Path(org.flows_dir) not in folders
            ):
                folders.append(Path(org.flows_dir))
        return folders

    async def watch(self, stop: asyncio.Event) -> None:
        """Reload after every change in the watched folders until ``stop`` is set."""
        from watchfiles import awatch

        folders = self.watched()
        if not folders:
            return
        async for changes in awatch(
            *folders, stop_event=stop, debounce=DEBOUNCE_MS, recursive=True
        ):
            names = sorted({Path(path).name for _, path in changes})
            await self.reload_async("changed: " + ", ".join(names[:5]))

    async def run(self, stop: asyncio.Event) -> None:
        """SIGHUP and file changes reload, until ``stop`` is set."""
        loop = asyncio.get_running_loop()
        hangup = getattr(signal, "SIGHUP", None)
        tasks: set[asyncio.Task[Reloaded]] = set()
        installed = False
        if hangup is not None:

            def on_hangup() -> None:
                task = loop.create_task(self.reload_async("SIGHUP"))
                tasks.add(task)
                task.add_done_callback(tasks.discard)

            try:
                loop.add_signal_handler(hangup, on_hangup)
                installed = True
            except (NotImplementedError, RuntimeError, ValueError):  # not the main thread
                log.info("SIGHUP does not reload here (not the main thread)")
        try:
            await self.watch(stop)
            await stop.wait()
        finally:
            if installed and hangup is not None:
                loop.remove_signal_handler(hangup)


def _why(reason: str) -> str:
    return f" ({reason})" if reason else ""


def _log_refused(what: str, kept: FlowBook | None, exc: FlowLoadError, reason: str) -> None:
    problems = "\n".join(f"  {p}" for p in exc.problems)
    still = f"; still serving version {kept.hash}" if kept is not None else ""
    log.error(
        "a change of %s was refused%s: %d problem(s)%s\n%s",
        what,
        _why(reason),
        len(exc.problems),
        still,
        problems,
    )
