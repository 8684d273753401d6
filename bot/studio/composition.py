"""The studio's composition root: the real conversation service on an in-memory store.

The only module of the studio allowed to import an adapter (the memory store
and the renderer), like :mod:`bot.app` is for the bot; an import-linter
contract says so. Nothing here touches the production database.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.engine.context import KnowledgeLike
from bot.flowspec.graph import FlowBook
from bot.render.documents import JinjaRenderer
from bot.service.conversation import ConversationService
from bot.service.ports import ConversationKey, StoredRecord
from bot.store.memory import MemoryStore

TIMEZONE = ZoneInfo("Europe/Amsterdam")


def _now() -> datetime:
    return datetime.now(TIMEZONE)


class TrialRoom:
    """A conversation service for trying flows; forgotten when the studio stops."""

    def __init__(self, book: FlowBook, knowledge: KnowledgeLike, main_flow: str) -> None:
        self._store = MemoryStore()
        self.service = ConversationService(
            book=book,
            store=self._store,
            renderer=JinjaRenderer(),
            clock=_now,
            knowledge=knowledge,
            main_flow=main_flow,
        )

    def records(self, key: ConversationKey) -> list[StoredRecord]:
        """The vastleggingen this trial would have kept."""
        return self._store.records(key)
