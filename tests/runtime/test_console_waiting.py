"""The console shows what waited for its user, once, when they next start."""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, datetime

from bot.channels.waiting import HEADER_MANY, HEADER_ONE, show_waiting
from bot.engine.messages import Choice
from bot.service.notifier import Notifier
from bot.service.ports import ConversationKey, Notice
from bot.store.memory import MemoryStore

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


class Addresses:
    def last_address(self, person_id: str) -> ConversationKey | None:
        return ConversationKey("console", "anna")


def test_waiting_messages_are_shown_at_start_and_then_gone() -> None:
    store = MemoryStore()
    notifier = Notifier(store, Addresses(), lambda: T0)
    asyncio.run(notifier.send("org", "p1", Notice("Kijk je mee?", (Choice("bekijk", "Bekijk"),))))
    out = io.StringIO()
    show_waiting(out, notifier.take_waiting("p1"))
    assert out.getvalue() == f"{HEADER_ONE}\n\nKijk je mee?\nTyp: bekijk\n\n"
    again = io.StringIO()
    show_waiting(again, notifier.take_waiting("p1"))
    assert again.getvalue() == ""


def test_several_waiting_messages_are_counted() -> None:
    out = io.StringIO()
    show_waiting(out, [Notice("Een."), Notice("Twee.")])
    assert out.getvalue().startswith(HEADER_MANY.format(n=2))
    assert "Een.\n\nTwee." in out.getvalue()
