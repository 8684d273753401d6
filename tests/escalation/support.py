"""A world for the escalation tests: the real service, gate, scheduler and
notifier on the shipped flows, the follow-up and escalation stores wired as
``bot.app`` wires them, SQL stores sealed with a master key, and a clock the
test sets. Everyone talks on Telegram-like chats; what the notifier delivers
is kept per chat (``World.sent``).

``World.restart()`` drops every object and builds them again on the same
database (SQL backends), as a bot process that stops and starts would.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.crypto import MasterKey
from bot.flowspec.graph import FlowBook
from bot.flowspec.loader import load_book
from bot.org.model import Organisation, Role
from bot.render.documents import JinjaRenderer
from bot.service.access import AccessGate, PeopleStore
from bot.service.audit import records_audit
from bot.service.conversation import ConversationService
from bot.service.followup import followup_audit
from bot.service.followup_words import FollowupWords
from bot.service.notifier import Notifier
from bot.service.ports import ConversationKey, Notice
from bot.service.scheduler import Scheduler
from bot.service.together.escalation import EscalationStore
from bot.service.together.escalation_jobs import (
    EscalationCounts,
    recent_records,
    schedule_escalation_reminders,
)
from bot.service.together.escalation_words import EscalationWords
from bot.store.escalations import SqlEscalationStore
from bot.store.followup import SqlFollowupStore
from bot.store.memory import MemoryStore
from bot.store.memory_escalations import MemoryEscalationStore
from bot.store.memory_followup import MemoryFollowupStore
from bot.store.memory_people import MemoryPeopleStore
from bot.store.people import SqlPeopleStore
from bot.store.sql import SqlStore
from tests.followup.support import FLOWS, Addresses, Clock, Inbox
from tests.followup.support import Person as Person

__all__ = ["Clock", "Person", "Process", "World"]


@dataclass
class Process:
    """One bot process: its own store objects on the shared database."""

    conversations: Any
    people: PeopleStore
    escalations: EscalationStore
    service: ConversationService
    scheduler: Scheduler
    notifier: Notifier


@dataclass
class World:
    url: str | None
    clock: Clock
    book: FlowBook = field(default_factory=lambda: load_book(FLOWS))
    settings: dict[str, object] = field(default_factory=dict)
    """The organisation's settings over the shipped ``organisatie.yaml``."""
    processes: list[Process] = field(default_factory=list)
    org: Organisation | None = None
    sent: list[tuple[ConversationKey, Notice]] = field(default_factory=list)
    master: MasterKey = field(default_factory=MasterKey.generate)
    _memory: tuple[Any, ...] | None = None

    def settings_of(self, org_id: int | None) -> Mapping[str, object]:
        return {**self.book.org.model_dump(), **self.settings}

    def process(self) -> Process:
        """Another bot process (SQL: new store objects; memory: the same data)."""
        if self.url is None:
            if self._memory is None:
                memory = MemoryStore()
                people = MemoryPeopleStore(memory)
                followup = MemoryFollowupStore()
                memory.audit_writer = followup.writer(memory.audit_writer)
                escalations = MemoryEscalationStore()
                memory.erase_hooks["actions"] = followup.erase_person  # as bot.store.rights
                memory.erase_hooks["escalations"] = escalations.erase_person
                self._memory = (memory, people, followup, escalations)
            p = self._build(*self._memory)
        else:
            sql = SqlStore(self.url, master=self.master)
            sql_followup = SqlFollowupStore(sql.engine)
            sql.audit_writer = sql_followup.writer(sql.audit_writer)
            escalations = SqlEscalationStore(sql.engine, sql.sealer)
            p = self._build(sql, SqlPeopleStore(sql.engine), sql_followup, escalations)
        self.processes.append(p)
        return p

    def _build(self, conversations: Any, people: Any, followup: Any, escalations: Any) -> Process:
        gate = AccessGate(people, self.clock)
        service = ConversationService(
            book=self.book,
            store=conversations,
            renderer=JinjaRenderer(),
            clock=self.clock,
            gate=gate,
            main_flow="dilemma",
            audit_for=followup_audit(self.settings_of, records_audit),
        )
        gate.word_handlers.append(  # overzicht, with this part's counts (as bot.app wires it)
            FollowupWords(
                followup,
                conversations.records,
                self.settings_of,
                sources=[EscalationCounts(escalations)],
            )
        )
        scheduler = Scheduler(conversations, self.clock)
        addresses = Addresses(people)
        notifier = Notifier(conversations, addresses, self.clock, [Inbox("telegram", self.sent)])
        gate.word_handlers.append(
            EscalationWords(
                escalations,
                people,
                conversations,
                self.settings_of,
                records=recent_records(followup, conversations.records),
                schedule=scheduler,
                addresses=addresses,
                audit=people.append_audit,
                identifiers=lambda: service.identifiers,
            )
        )
        scheduler.on_tick(notifier.deliver_waiting)
        schedule_escalation_reminders(scheduler, escalations, notifier)
        return Process(conversations, people, escalations, service, scheduler, notifier)

    def close(self) -> None:
        for p in self.processes:
            if isinstance(p.conversations, SqlStore):
                p.conversations.close()
        self.processes.clear()

    def restart(self) -> Process:
        """Every process stops; one starts again on the same database."""
        self.close()
        return self.process()

    def tick(self, now: datetime | None = None) -> None:
        """One scheduler round of every process at ``now`` (due jobs, the outbox)."""
        if now is not None:
            self.clock.now = now
        for p in self.processes:
            asyncio.run(p.scheduler.tick(self.clock.now))

    def inbox(self, person: Person) -> list[str]:
        """The notices delivered to ``person``'s chat, oldest first."""
        return [n.text for key, n in self.sent if key == person.key]

    def notices(self, person: Person) -> list[Notice]:
        return [n for key, n in self.sent if key == person.key]


PRO = frozenset({Role.PROFESSIONAL})
LEAD = frozenset({Role.TEAMLEIDER, Role.PROFESSIONAL})
TCP = frozenset({Role.TCP, Role.PROFESSIONAL})
