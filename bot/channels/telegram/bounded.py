"""A small bounded mapping that forgets the least recently used entry.

Per-chat memory in the adapter (the last keyboard sent, which groups were told
that the bot only works in private) must not grow forever with the number of
users; this keeps the newest ``size`` entries.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class BoundedMap(Generic[K, V]):
    """A mapping of at most ``size`` entries; the least recently used goes first."""

    def __init__(self, size: int) -> None:
        if size < 1:
            msg = "size must be at least 1"
            raise ValueError(msg)
        self._size = size
        self._data: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        value = self._data.get(key)
        if value is not None:
            self._data.move_to_end(key)
        return value

    def put(self, key: K, value: V) -> None:
        self._data[key] = value
        self._data.move_to_end(key)
        while len(self._data) > self._size:
            self._data.popitem(last=False)

    def drop(self, key: K) -> None:
        self._data.pop(key, None)

    def __len__(self) -> int:
        return len(self._data)
