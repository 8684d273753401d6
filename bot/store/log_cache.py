"""What the SQL store remembers of each conversation, so a save need not read the log back.

To find the first entry that differs without reading the answer log on every
save, the store remembers (bounded, least recently used first out: cachetools'
``LRUCache``) the log it last loaded or saved for each conversation, with the
conversation's ``revision``. The update of the conversation row is conditional
on that revision; if another process saved in between, the update matches no
row and the save compares against the rows in the database instead. ``load``
reuses only remembered entries that were themselves read from the database, so
it returns exactly what the database holds and usually reads just the entries
added since. Correctness never depends on this cache.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from cachetools import LRUCache

from bot.engine.state import LogEntry
from bot.service.ports import ConversationKey
from bot.store.sealing import NO_ORG

#: How many conversations' answer logs are remembered (least recently used out).
#: A conversation in progress costs about 3.3 kB here (bench/rss.py: 4,096 of
#: them grew a bot's memory by 14 MB), so the store stays under ~3.5 MB, while
#: far more conversations than this are rarely active in the same minutes.
DEFAULT_CACHE_SIZE = 1024


@dataclass(frozen=True, slots=True)
class KnownLog:
    """What the database holds for one conversation, as of ``revision``.

    ``log`` is the answer log as last saved or loaded; its first ``decoded``
    entries are objects read back from the database (so equal to what a load
    would return), the rest are the objects the caller saved. ``org`` is the
    conversation's organisation (as the key ring names it) when last read;
    ``label`` whose key sealed what is stored (None: stored plain).
    """

    id: int
    revision: int
    log: tuple[LogEntry, ...]
    decoded: int
    org: str = NO_ORG
    label: str | None = None


class LogCache:
    """Conversations' ``KnownLog``, at most ``size`` of them (0: none), thread-safe."""

    def __init__(self, size: int = DEFAULT_CACHE_SIZE) -> None:
        self._size = size
        # cachetools' LRU is not thread-safe by itself: every use holds the lock.
        self._known: LRUCache[ConversationKey, KnownLog] = LRUCache(maxsize=max(size, 1))
        self._lock = threading.Lock()

    def get(self, key: ConversationKey) -> KnownLog | None:
        with self._lock:
            return self._known.get(key)  # a hit makes it the most recently used

    def put(self, key: ConversationKey, known: KnownLog) -> None:
        if self._size <= 0:
            return
        with self._lock:
            self._known[key] = known

    def forget(self, key: ConversationKey) -> None:
        with self._lock:
            self._known.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._known.clear()
