"""The real conversation service for the Telegram adapter's unit tests.

The adapter is tested against ``ConversationService`` over the in-memory
store, on a small flow of its own (``adapter_flows``: a choice, a multiple
choice, a text, the review, the vastlegging), so the adapter and the service
cannot drift apart. Two seams remain, neither re-implementing the service:

- ``SpiedService`` hands every message to the real service and records what
  the adapter passed (key, incoming, traits); ``extra`` adds replies to the
  next turn, for shapes no small flow produces (a 10,000-character text, a
  draft document); ``delay`` makes the turn take a moment (ordering tests);
  ``crash_next`` makes the next turn raise, as a bug would.
- ``FailingStore`` is the memory store with a switch that makes the next
  ``run_step`` fail, as a broken database would.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from bot.engine.messages import ChannelTraits, Incoming, Reply
from bot.flowspec.loader import load_book
from bot.render.documents import JinjaRenderer
from bot.service.conversation import ConversationService
from bot.service.locks import KeyedLocks
from bot.service.ports import (
    Arrival,
    ConversationKey,
    DuplicateDeliveryError,
    LoadedStep,
    OpenSelection,
    StepWrite,
)
from bot.store.memory import MemoryStore
from tests.support.chat import NOW

T = TypeVar("T")

ADAPTER_FLOWS = Path(__file__).resolve().parent / "adapter_flows"


class FailingStore(MemoryStore):
    """The in-memory store; ``failures = n`` makes the next n steps raise."""

    failures = 0

    def run_step(
        self, key: ConversationKey, plan: Callable[[LoadedStep], tuple[StepWrite, T]]
    ) -> T:
        if self.failures:
            self.failures -= 1
            msg = "database down"
            raise RuntimeError(msg)
        return super().run_step(key, plan)


def adapter_service(store: MemoryStore) -> ConversationService:
    """The real service on the adapter's test flow, over ``store`` (two of them
    over one store are two workers over one database)."""
    return ConversationService(
        book=load_book(ADAPTER_FLOWS),
        store=store,
        renderer=JinjaRenderer(),
        clock=lambda: NOW,
        main_flow="test",
    )


class SpiedService:
    """The real service, with a record of the calls and room for extra replies."""

    def __init__(self, *, delay: float = 0.0) -> None:
        self.store = FailingStore()
        self.real = adapter_service(self.store)
        self.calls: list[tuple[ConversationKey, Incoming, ChannelTraits]] = []
        self.extra: list[Reply] = []  # replies appended to the next turn (then cleared)
        self.delay = delay
        self.crash_next = False  # the next turn raises, as a bug in the service would
        self.duplicates = 0  # turns whose delivery another turn had handled already

    @property
    def locks(self) -> KeyedLocks:
        return self.real.locks

    async def open_selection(self, key: ConversationKey) -> OpenSelection | None:
        return await self.real.open_selection(key)

    async def handle(self, arrival: Arrival) -> list[Reply]:
        self.calls.append((arrival.key, arrival.incoming, arrival.traits))
        if self.crash_next:
            self.crash_next = False
            msg = "a bug in the service"
            raise RuntimeError(msg)
        if self.delay:
            await asyncio.sleep(self.delay)
        try:
            replies = await self.real.handle(arrival)
        except DuplicateDeliveryError:
            self.duplicates += 1
            raise
        replies += self.extra
        self.extra = []
        return replies
