"""Step time against a database that already holds many conversations.

A ``StoredDatabase`` is a SQLite database (migrated, as the app makes it)
holding ``count`` conversations that are halfway through the main flow: one
conversation is walked there through the service, then its rows are copied
``count`` times in SQL. Each measured conversation is one of those, picked at
random, finished through ``ConversationService.handle`` by the same user as
the engine benchmark; its first step finds it cold (not in any cache). Only
``handle`` is timed.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Table, func, insert, literal, select

from bench.engine import TRAITS, StepTimer, answer_for
from bot.app import App, create_app
from bot.engine.messages import Ask, Document, Reply
from bot.service.conversation import ConversationService
from bot.service.ports import Arrival, ConversationKey
from bot.settings import Settings
from bot.store.models import Answer, Conversation

CHANNEL = "bench"
HALFWAY = 8
"""Answers given before the conversation is copied."""
BATCH = 10_000
MAX_STEPS = 400


def last_ask(replies: list[Reply]) -> Ask:
    asks = [r for r in replies if isinstance(r, Ask)]
    if not asks:
        msg = f"no question in {replies}"
        raise AssertionError(msg)
    return asks[-1]


def finished(replies: list[Reply]) -> bool:
    return any(isinstance(r, Document) and r.final for r in replies)


async def finish(
    service: ConversationService, key: ConversationKey, ask: Ask, timer: StepTimer
) -> None:
    """Answer ``ask`` and every question after it until the vastlegging."""
    for _ in range(MAX_STEPS):
        incoming = answer_for(ask)
        start = time.perf_counter()
        replies = await service.handle(Arrival(key, incoming, TRAITS))
        timer.seconds += time.perf_counter() - start
        timer.steps += 1
        if finished(replies):
            return
        ask = last_ask(replies)
    msg = f"{key.chat}: no vastlegging after {MAX_STEPS} steps"
    raise AssertionError(msg)


@dataclass
class StoredDatabase:
    """The app on a SQLite database holding ``count`` conversations in progress."""

    count: int
    app: App
    ask: Ask
    unused: list[int] = field(default_factory=list)

    @classmethod
    async def create(
        cls, folder: Path, count: int, flow_id: str, rng: random.Random
    ) -> StoredDatabase:
        url = f"sqlite:///{folder / f'stored-{count}.db'}"
        # The name check (deduce, ~1 GB, seconds in a thread) off, as in tests: see README.
        settings = Settings.from_env({}).model_copy(
            update={"database_url": url, "name_check": False}
        )
        app = create_app(settings)
        template = ConversationKey(CHANNEL, "template")
        replies = await app.service.start(Arrival.starting(template, TRAITS), flow_id)
        for _ in range(HALFWAY):
            replies = await app.service.handle(
                Arrival(template, answer_for(last_ask(replies)), TRAITS)
            )
        ask = last_ask(replies)
        _copy(app, template, count)
        unused = list(range(count))
        rng.shuffle(unused)
        return cls(count, app, ask, unused)

    async def finish_one(self, timer: StepTimer) -> None:
        """Finish one stored conversation that was not touched before."""
        if not self.unused:
            msg = f"all {self.count} stored conversations were used"
            raise AssertionError(msg)
        key = ConversationKey(CHANNEL, f"stored-{self.unused.pop()}")
        await finish(self.app.service, key, self.ask, timer)

    def close(self) -> None:
        self.app.close()


def _copy(app: App, template: ConversationKey, count: int) -> None:
    """``count`` copies of the template conversation: its row and its answer rows."""
    conversations, answers = Conversation.__table__, Answer.__table__
    assert isinstance(conversations, Table) and isinstance(answers, Table)
    c, a = conversations.c, answers.c
    now = datetime.now(UTC)
    with app.store.engine.begin() as conn:
        source = conn.execute(
            select(c.id, c.mode, c.flow_id, c.book_hash, c.position).where(
                c.channel == template.channel, c.chat == template.chat
            )
        ).one()
        for first in range(0, count, BATCH):
            conn.execute(
                insert(conversations),
                [
                    {
                        "channel": CHANNEL,
                        "chat": f"stored-{i}",
                        "mode": source.mode,
                        "flow_id": source.flow_id,
                        "book_hash": source.book_hash,
                        "position": source.position,
                        "revision": 0,
                        "created_at": now,
                        "updated_at": now,
                    }
                    for i in range(first, min(count, first + BATCH))
                ],
            )
        # Every copy (a conversation row) joined with every answer of the template.
        copies = (
            select(c.id, a.seq, a.path, a.kind, a.value, a.stack, a.at, a.extra)
            .select_from(conversations.join(answers, a.conversation_id == source.id))
            .where(c.channel == literal(CHANNEL), c.chat != template.chat)
        )
        conn.execute(
            insert(answers).from_select(
                ["conversation_id", "seq", "path", "kind", "value", "stack", "at", "extra"],
                copies,
            )
        )
        stored = conn.execute(
            select(func.count()).select_from(conversations).where(c.channel == CHANNEL)
        ).scalar_one()
    if stored != count + 1:
        msg = f"expected {count + 1} conversations, found {stored}"
        raise AssertionError(msg)
