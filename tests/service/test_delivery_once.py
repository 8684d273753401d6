"""The service hands a message's delivery key to its step: one step per delivery.

Two services on one store (two workers) handle the same delivery at the same
moment; one answers, the other's step is refused (``DuplicateDeliveryError``)
with nothing written and no replies made, and the conversation moved once.
A different delivery of the same text is a new message and is handled.
"""

from __future__ import annotations

import asyncio

import pytest

from bot.engine.messages import Ask, ChannelTraits, TextIn
from bot.service.ports import Arrival, ConversationKey, DeliveryKey, DuplicateDeliveryError
from bot.store.memory import MemoryStore
from tests.support.service import make_service

KEY = ConversationKey("test", "chat-1")
TRAITS = ChannelTraits("test", end_to_end_encrypted=True)


async def test_the_same_delivery_to_two_workers_makes_one_step() -> None:
    store = MemoryStore()
    workers = [make_service(store=store), make_service(store=store)]
    first = await workers[0].handle(
        Arrival(KEY, TextIn("start"), TRAITS, delivery=DeliveryKey("t", "1"))
    )
    assert any(isinstance(r, Ask) for r in first)
    revision = store.load_step(KEY).revision

    update = DeliveryKey("t", "2")
    outcomes = await asyncio.gather(
        *(worker.handle(Arrival(KEY, TextIn("1"), TRAITS, delivery=update)) for worker in workers),
        return_exceptions=True,
    )
    refused = [o for o in outcomes if isinstance(o, DuplicateDeliveryError)]
    answered = [o for o in outcomes if isinstance(o, list)]
    assert len(refused) == 1 and len(answered) == 1, outcomes
    assert refused[0].delivery == update
    assert store.load_step(KEY).revision == (revision or 0) + 1  # the answer applied once

    with pytest.raises(DuplicateDeliveryError):  # redelivered later: still refused
        await workers[1].handle(Arrival(KEY, TextIn("1"), TRAITS, delivery=update))
    assert store.load_step(KEY).revision == (revision or 0) + 1
    again = await workers[1].handle(
        Arrival(KEY, TextIn("terug"), TRAITS, delivery=DeliveryKey("t", "3"))
    )
    assert again and DeliveryKey("t", "3") in store.deliveries  # a new delivery: handled
