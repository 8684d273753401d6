"""A small bounded mapping that forgets the least recently used entry.

Per-chat memory in the adapter (the last keyboard sent, which groups were told
that the bot only works in private) must not grow forever with the number of
users; this keeps the newest ``size`` entries. The bookkeeping is
``cachetools.LRUCache``'s; this wrapper only gives it the adapter's small,
typed vocabulary (``get`` marks an entry as used, ``put``, ``drop``).
"""

from __future__ import annotations

from typing import Generic, TypeVar

from cachetools import LRUCache

K = TypeVar("K")
V = TypeVar("V")


class BoundedMap(Generic[K, V]):
    """A mapping of at most ``size`` entries; the least recently used goes first."""

    def __init__(self, size: int) -> None:
        if size < 1:
            msg = "size must be at least 1"
            raise ValueError(msg)
        self._data: LRUCache[K, V] = LRUCache(maxsize=size)

    def get(self, key: K) -> V | None:
        return self._data.get(key)

    def put(self, key: K, value: V) -> None:
        self._data[key] = value

    def drop(self, key: K) -> None:
        self._data.pop(key, None)

    def __len__(self) -> int:
        return len(self._data)
