"""Build a real ConversationService over the in-memory store for tests."""

from __future__ import annotations

from pathlib import Path

from bot.engine.context import KnowledgeLike
from bot.flowspec.loader import load_book
from bot.render.documents import JinjaRenderer
from bot.service.conversation import ConversationService
from bot.service.ports import ConversationStore
from bot.store.memory import MemoryStore
from tests.support.chat import FIXTURES, NOW


def make_service(
    flows: Path = FIXTURES / "flows",
    *,
    store: ConversationStore | None = None,
    main_flow: str = "demo",
    knowledge: KnowledgeLike | None = None,
) -> ConversationService:
    return ConversationService(
        book=load_book(flows),
        store=store or MemoryStore(),
        renderer=JinjaRenderer(),
        clock=lambda: NOW,
        knowledge=knowledge,
        main_flow=main_flow,
    )
