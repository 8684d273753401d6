"""One lock per conversation, taken before the state is loaded.

Two messages of the same user must not interleave (load, step, save): the
second would overwrite the first. The lock is taken *before* loading (the
order aiogram got wrong in its FSM middleware, their bug #1317), and freed
when nobody holds or waits for it, so a bot with many users does not keep a
lock per user forever.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Hashable
from contextlib import asynccontextmanager


class KeyedLocks:
    """``async with locks.hold(key):`` serialises work per key."""

    def __init__(self) -> None:
        self._locks: dict[Hashable, tuple[asyncio.Lock, int]] = {}

    def __len__(self) -> int:
        return len(self._locks)

    @asynccontextmanager
    async def hold(self, key: Hashable) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users <= 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)
