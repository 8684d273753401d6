"""One lock per conversation, taken before the state is loaded.

Two messages of the same user must not interleave (load, step, save): the
second would overwrite the first. The lock is taken *before* loading (the
order aiogram got wrong in its FSM middleware, their bug #1317), and freed
when nobody holds or waits for it, so a bot with many users does not keep a
lock per user forever.

This is the one place that orders the messages of a chat. A channel that
must also keep its *replies* in order (Telegram handles updates
concurrently) holds the same lock, by the same key, around handling and
delivering; the service's own ``hold`` inside it is then reentrant: the task
that holds a key's lock passes straight through.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Hashable
from contextlib import asynccontextmanager
from dataclasses import dataclass


@dataclass
class _Entry:
    lock: asyncio.Lock
    users: int = 0
    owner: asyncio.Task[object] | None = None


class KeyedLocks:
    """``async with locks.hold(key):`` serialises work per key (reentrant per task)."""

    def __init__(self) -> None:
        self._locks: dict[Hashable, _Entry] = {}

    def __len__(self) -> int:
        return len(self._locks)

    @asynccontextmanager
    async def hold(self, key: Hashable) -> AsyncIterator[None]:
        task = asyncio.current_task()
        entry = self._locks.get(key)
        if entry is not None and task is not None and entry.owner is task:
            yield  # this task holds it already (a channel's turn around the service)
            return
        entry = self._locks.setdefault(key, _Entry(asyncio.Lock()))
        entry.users += 1
        try:
            async with entry.lock:
                entry.owner = task
                try:
                    yield
                finally:
                    entry.owner = None
        finally:
            entry.users -= 1
            if entry.users == 0:
                del self._locks[key]
