"""Which flow book a conversation runs on.

A conversation keeps running on the flow version it started with. The
current book is compiled at start-up; when a conversation started on an older
version arrives, its sources are read back from the store and compiled once
(a small cache keeps recent versions). The current book's sources are stored
the first time a conversation starts on it.

A running bot may get a new current book (:mod:`bot.service.reload`):
:meth:`BookShelf.replace` keeps the one it replaces among the older versions,
so conversations in progress finish on the version they started with, and
new conversations start on the new one.
"""

from __future__ import annotations

import threading

from cachetools import LRUCache

from bot.engine.context import KnowledgeLike
from bot.flowspec.compile import compile_book
from bot.flowspec.errors import FlowLoadError
from bot.flowspec.graph import FlowBook
from bot.service.ports import ConversationStore


class BookShelf:
    """The current book plus older versions on demand."""

    def __init__(self, current: FlowBook, store: ConversationStore, keep: int = 8) -> None:
        self.current = current
        #: An organisation's own articles with the shipped ones (None: the service's).
        self.knowledge: KnowledgeLike | None = None
        self._store = store
        #: Older versions, compiled; the least recently used goes first when full.
        #: Not thread-safe by itself: used under ``_lock``.
        self._older: LRUCache[str, FlowBook] = LRUCache(maxsize=max(keep, 1))
        self._saved: set[str] = set()
        # Steps may run in worker threads (PostgreSQL): one compiles at a time.
        self._lock = threading.Lock()

    def replace(self, book: FlowBook) -> FlowBook:
        """Make ``book`` the current book; returns the one it replaces (kept
        compiled among the older versions for the conversations still on it)."""
        with self._lock:
            old = self.current
            if book.hash != old.hash:
                self._older.pop(book.hash, None)
                self._older[old.hash] = old
                self.current = book
            return old

    def get(self, book_hash: str | None) -> FlowBook | None:
        """The book with ``book_hash`` (the current one for None), or None if lost."""
        if book_hash is None or book_hash == self.current.hash:
            return self.current
        with self._lock:
            return self._get_older(book_hash)

    def _get_older(self, book_hash: str) -> FlowBook | None:
        found = self._older.get(book_hash)  # a hit makes it the most recently used
        if found is not None:
            return found
        sources = self._store.get_flow_snapshot(book_hash)
        if sources is None:
            return None
        try:
            found = compile_book(sources, display_root=f"<versie {book_hash}>")
        except FlowLoadError:
            return None
        self._older[book_hash] = found
        return found

    def is_saved(self, book: FlowBook) -> bool:
        """Whether ``book``'s sources are known to be stored (by this process)."""
        return book.hash in self._saved

    def mark_saved(self, book: FlowBook) -> None:
        """``book``'s sources were stored (in a step's transaction)."""
        self._saved.add(book.hash)

    def remember(self, book: FlowBook) -> None:
        """Make sure ``book``'s sources are stored (once per process)."""
        if book.hash not in self._saved:
            self._store.put_flow_snapshot(book.hash, dict(book.sources))
            self._saved.add(book.hash)
