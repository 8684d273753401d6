"""A world for the confirmation tests: the follow-up world (real service, gate,
scheduler, shipped flows) with the confirmation's words, store and reminder
job wired as ``bot.app`` wires them, SQL stores sealing with the test
session's master key, and people on Telegram or Matrix (the notifier delivers
to an ``Inbox`` per channel; the real senders are tested against the
emulator and Synapse in tests/telegram and tests/matrix).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial

from bot.crypto import MasterKey
from bot.engine.messages import ChannelTraits, Reply, TextIn
from bot.org.model import Organisation, Role
from bot.service.followup_words import FollowupWords
from bot.service.notifier import Notifier
from bot.service.people_port import Enrolment
from bot.service.ports import Arrival, ConversationKey, Notice, Sender
from bot.service.together.confirm import (
    REMINDERS,
    ConfirmCounts,
    ConfirmStore,
    send_due_reminders,
)
from bot.service.together.confirm_words import ConfirmWords, display_name
from bot.store.confirm import SqlConfirmStore
from bot.store.followup import SqlFollowupStore
from bot.store.memory import MemoryStore
from bot.store.memory_confirm import MemoryConfirmStore
from bot.store.memory_followup import MemoryFollowupStore
from bot.store.memory_people import MemoryPeopleStore
from bot.store.people import SqlPeopleStore
from bot.store.sql import SqlStore
from tests.followup.support import Addresses, Inbox, Process, World
from tests.followup.support import Person as FollowupPerson

#: The engine's view of each chat. The examples answer free-text questions, so
#: they are asked as on an encrypted chat everywhere (as in tests/followup);
#: what a confirmation notice may show depends on the channel the notifier
#: delivers to (Telegram: no free text, bot.service.together.confirm).
TRAITS = {
    "telegram": ChannelTraits("telegram", buttons=True, end_to_end_encrypted=True),
    "matrix": ChannelTraits("matrix", buttons=False, end_to_end_encrypted=True),
}


@dataclass
class ConfirmWorld(World):
    """The follow-up world plus the confirmation, per process."""

    confirms: list[ConfirmStore] = field(default_factory=list)
    notifiers: list[Notifier] = field(default_factory=list)
    _confirm_memory: MemoryConfirmStore | None = None

    def process(self) -> Process:
        if self.url is None:
            if self._memory is None:
                memory = MemoryStore()
                people = MemoryPeopleStore(memory)
                followup = MemoryFollowupStore()
                memory.audit_writer = followup.writer(memory.audit_writer)
                memory.purge_hooks["followup"] = followup.purge_hook()
                self._memory = (memory, people, followup)
                self._confirm_memory = MemoryConfirmStore(memory)
                memory.purge_hooks["confirmations"] = self._confirm_memory.purge_before
                memory.erase_hooks["actions"] = followup.erase_person  # as bot.store.rights
                memory.erase_hooks["confirmations"] = self._confirm_memory.erase_person
            conversations, people_store, followup_store = self._memory
            assert self._confirm_memory is not None
            confirm: ConfirmStore = self._confirm_memory
            p = self._build(conversations, people_store, followup_store)
        else:
            sql = SqlStore(self.url, master=MasterKey.from_environment())
            sql_followup = SqlFollowupStore(sql.engine)
            sql.audit_writer = sql_followup.writer(sql.audit_writer)
            sql.purge_hooks["followup"] = sql_followup.purge_hook()
            sql_confirm = SqlConfirmStore(sql.engine, sql.sealer)
            sql.purge_hooks["confirmations"] = sql_confirm.purge_hook()
            confirm = sql_confirm
            p = self._build(sql, SqlPeopleStore(sql.engine), sql_followup)
        self._wire(p, confirm)
        self.processes.append(p)
        return p

    def _wire(self, p: Process, confirm: ConfirmStore) -> None:
        def settings_of(org_id: int | None) -> Mapping[str, object]:
            return self.book.org.model_dump()

        assert p.service.gate is not None
        for words in p.service.gate.word_handlers:  # overzicht counts them (bot.app.count_sources)
            if isinstance(words, FollowupWords):
                words.sources.append(ConfirmCounts(confirm))
        p.service.gate.word_handlers.append(
            ConfirmWords(
                confirm,
                p.followup,
                p.conversations.records,
                p.people,
                p.conversations,
                settings_of,
                audit=p.people.append_audit,
            )
        )
        inboxes = [p.inbox, Inbox("matrix", self.sent)]
        notifier = Notifier(p.conversations, Addresses(p.people), self.clock, inboxes)
        names = partial(display_name, p.people)
        REMINDERS.schedule(p.scheduler, partial(send_due_reminders, confirm, notifier, names))
        self.confirms.append(confirm)
        self.notifiers.append(notifier)

    def close(self) -> None:
        super().close()
        self.confirms.clear()
        self.notifiers.clear()

    def deliver(self) -> list[tuple[ConversationKey, Notice]]:
        """The outbox delivered by the newest process; what went out now."""
        before = len(self.sent)
        asyncio.run(self.notifiers[-1].deliver_waiting(self.clock()))
        return self.sent[before:]

    def run_all(self, now: datetime) -> None:
        """Every process's scheduler round at ``now`` (due jobs), then delivery."""
        self.clock.now = now
        for p in self.processes:
            asyncio.run(p.scheduler.run_due(now))
        for n in self.notifiers:
            asyncio.run(n.deliver_waiting(now))


class Person(FollowupPerson):
    """A member on Telegram (no end-to-end encryption) or Matrix (encrypted)."""

    def __init__(
        self,
        world: World,
        name: str,
        roles: frozenset[Role],
        *,
        channel: str = "telegram",
        org: Organisation | None = None,
    ) -> None:
        target = org or world.org
        assert target is not None
        self.world = world
        self.sender = Sender(channel, name.lower(), name)
        self.key = ConversationKey(channel, name.lower())
        self.traits = TRAITS[channel]
        people = world.processes[-1].people
        self.id = people.enrol(
            Enrolment(target.id, name, roles, identity=(channel, name.lower())), now=world.clock()
        ).id
        people.seen(self.sender, self.key, world.clock())  # the chat they use
        self.last = []

    def start(self, flow: str) -> str:
        self.last = self.service.start_now(
            Arrival.starting(self.key, self.traits, self.sender), flow
        )
        return self.text

    async def _handle(self, line: str) -> list[Reply]:
        return await self.service.handle(Arrival(self.key, TextIn(line), self.traits, self.sender))
