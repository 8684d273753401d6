"""``bot.app.DeliverSoon``: a notice a chat word queued is delivered at once on
the running loop (from the loop or a store thread), only for a channel this
process serves, and not at all without a running loop."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from bot.app import DeliverSoon
from bot.service.notifier import Notifier
from bot.service.ports import ConversationKey, Notice
from bot.store.memory import MemoryStore
from tests.followup.support import Inbox

NOW = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
ANN = ConversationKey("telegram", "ann")


class OneAddress:
    def last_address(self, person_id: str) -> ConversationKey | None:
        return ANN


async def test_a_queued_notice_goes_out_now_on_the_running_loop() -> None:
    store = MemoryStore()
    sent: list[tuple[ConversationKey, Notice]] = []
    notifier = Notifier(store, OneAddress(), lambda: NOW, [Inbox("telegram", sent)])
    soon = DeliverSoon()
    store.queue_message("1", "7", Notice("Bram heeft het bevestigd."), NOW)
    soon("telegram")  # no loop yet: nothing happens
    await asyncio.sleep(0.05)
    assert sent == []

    soon.loop, soon.notifier = asyncio.get_running_loop(), notifier
    soon("matrix")  # not a channel of this process
    await asyncio.sleep(0.05)
    assert sent == []
    await asyncio.to_thread(soon, "telegram")  # from a store thread, as on PostgreSQL
    for _ in range(100):
        if sent:
            break
        await asyncio.sleep(0.01)
    assert sent == [(ANN, Notice("Bram heeft het bevestigd."))]
