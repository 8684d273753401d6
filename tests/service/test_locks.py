"""The per-conversation locks: one order per key, reentrant for the task holding it
(a channel holds a chat's lock over handling and delivering; the service's own hold
inside passes through), and freed when idle."""

from __future__ import annotations

import asyncio

from bot.service.locks import KeyedLocks


async def test_one_key_is_served_in_order_and_the_lock_is_freed() -> None:
    locks = KeyedLocks()
    seen: list[str] = []

    async def turn(name: str) -> None:
        async with locks.hold("chat"):
            seen.append(f"{name} in")
            await asyncio.sleep(0.01)
            seen.append(f"{name} out")

    await asyncio.gather(turn("a"), turn("b"), turn("c"))
    assert seen == ["a in", "a out", "b in", "b out", "c in", "c out"]
    assert len(locks) == 0


async def test_the_holding_task_passes_through_and_others_still_wait() -> None:
    locks = KeyedLocks()
    seen: list[str] = []

    async def outer() -> None:
        async with locks.hold("chat"):
            async with locks.hold("chat"):  # the service inside a channel's turn
                seen.append("inner")
                await asyncio.sleep(0.01)
            await asyncio.sleep(0.01)
            seen.append("outer done")

    async def other() -> None:
        await asyncio.sleep(0)  # after outer took the lock
        async with locks.hold("chat"):
            seen.append("other")

    await asyncio.wait_for(asyncio.gather(outer(), other()), timeout=5)
    assert seen == ["inner", "outer done", "other"]
    assert len(locks) == 0


async def test_different_keys_do_not_wait_for_each_other() -> None:
    locks = KeyedLocks()
    entered = asyncio.Event()

    async def holder() -> None:
        async with locks.hold("a"):
            await asyncio.wait_for(entered.wait(), timeout=5)

    async def other() -> None:
        async with locks.hold("b"):
            entered.set()

    await asyncio.gather(holder(), other())
    assert len(locks) == 0
