"""A small world for the follow-up tests: the real service, gate and scheduler
on the shipped flows, an organisation with a professional and a team lead,
the follow-up store wired as ``bot.app`` wires it, and a clock the test sets.

``World.restart()`` drops every object and builds them again on the same
database (SQL backends), as a bot process that stops and starts would.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

from bot.channels.text import reply_text
from bot.engine.messages import ChannelTraits, Reply, TextIn
from bot.flowspec.graph import FlowBook
from bot.flowspec.loader import load_book
from bot.org.model import Organisation, Role
from bot.render.documents import JinjaRenderer
from bot.service.access import AccessGate, PeopleStore
from bot.service.audit import records_audit
from bot.service.conversation import ConversationService
from bot.service.followup import REMINDERS, FollowupStore, followup_audit, send_due_reminders
from bot.service.followup_words import FollowupWords
from bot.service.notifier import Notifier
from bot.service.people_port import Enrolment
from bot.service.ports import Arrival, ConversationKey, Notice, Sender
from bot.service.scheduler import Scheduler
from bot.store.followup import SqlFollowupStore
from bot.store.memory import MemoryStore
from bot.store.memory_followup import MemoryFollowupStore
from bot.store.memory_people import MemoryPeopleStore
from bot.store.people import SqlPeopleStore
from bot.store.sql import SqlStore

FLOWS = Path(__file__).resolve().parents[2] / "flows"
E2E = ChannelTraits("telegram", buttons=True, end_to_end_encrypted=True)


class Clock:
    """The time every part of the world reads; tests move it."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class Inbox:
    """A ``ChannelSender`` that keeps what it was given (the real senders are
    tested against the Telegram emulator and Synapse)."""

    def __init__(self, channel: str, sent: list[tuple[ConversationKey, Notice]]) -> None:
        self.channel = channel
        self.sent = sent

    async def send(self, key: ConversationKey, notice: Notice) -> None:
        self.sent.append((key, notice))


class Addresses:
    """The notifier's address book over a people store (ids as text)."""

    def __init__(self, people: PeopleStore) -> None:
        self.people = people

    def last_address(self, person_id: str) -> ConversationKey | None:
        return self.people.last_address(int(person_id))


@dataclass
class Process:
    """One bot process: its own store objects on the shared database."""

    conversations: Any
    people: PeopleStore
    followup: FollowupStore
    service: ConversationService
    scheduler: Scheduler
    inbox: Inbox


@dataclass
class World:
    url: str | None
    clock: Clock
    book: FlowBook = field(default_factory=lambda: load_book(FLOWS))
    processes: list[Process] = field(default_factory=list)
    org: Organisation | None = None
    sent: list[tuple[ConversationKey, Notice]] = field(default_factory=list)
    """Every notice any process delivered, across restarts."""
    _memory: tuple[MemoryStore, MemoryPeopleStore, MemoryFollowupStore] | None = None

    def process(self) -> Process:
        """Another bot process (SQL: new store objects; memory: the same data)."""
        if self.url is None:
            if self._memory is None:
                memory = MemoryStore()
                people = MemoryPeopleStore(memory)
                followup = MemoryFollowupStore()
                memory.audit_writer = followup.writer(memory.audit_writer)
                memory.purge_hooks["followup"] = followup.purge_hook()
                memory.erase_hooks["actions"] = followup.erase_person  # as bot.store.rights
                self._memory = (memory, people, followup)
            conversations, people_store, followup_store = self._memory
            p = self._build(conversations, people_store, followup_store)
        else:
            sql = SqlStore(self.url)
            sql_followup = SqlFollowupStore(sql.engine)
            sql.audit_writer = sql_followup.writer(sql.audit_writer)
            sql.purge_hooks["followup"] = sql_followup.purge_hook()
            p = self._build(sql, SqlPeopleStore(sql.engine), sql_followup)
        self.processes.append(p)
        return p

    def _build(self, conversations: Any, people: Any, followup: Any) -> Process:
        def settings_of(org_id: int | None) -> Mapping[str, object]:
            return self.book.org.model_dump()

        gate = AccessGate(people, self.clock)
        service = ConversationService(
            book=self.book,
            store=conversations,
            renderer=JinjaRenderer(),
            clock=self.clock,
            gate=gate,
            main_flow="dilemma",
            audit_for=followup_audit(settings_of, records_audit),
        )
        titles = {i: f.title for i, f in self.book.flows.items()}
        gate.word_handlers.append(
            FollowupWords(
                followup,
                conversations.records,
                settings_of,
                titles=titles,
                audit=people.append_audit,
            )
        )
        scheduler = Scheduler(conversations, self.clock)
        inbox = Inbox("telegram", self.sent)
        notifier = Notifier(conversations, Addresses(people), self.clock, [inbox])
        REMINDERS.schedule(scheduler, partial(send_due_reminders, followup, notifier))
        return Process(conversations, people, followup, service, scheduler, inbox)

    def close(self) -> None:
        for p in self.processes:
            if isinstance(p.conversations, SqlStore):
                p.conversations.close()
        self.processes.clear()

    def restart(self) -> Process:
        """Every process stops; one starts again on the same database."""
        self.close()
        return self.process()


class Person:
    """A member in their own Telegram chat, talking to a process."""

    def __init__(self, world: World, name: str, roles: frozenset[Role]) -> None:
        assert world.org is not None
        self.world = world
        self.sender = Sender("telegram", name.lower(), name)
        self.key = ConversationKey("telegram", name.lower())
        people = world.processes[-1].people
        self.id = people.enrol(
            Enrolment(world.org.id, name, roles, identity=("telegram", name.lower())),
            now=world.clock(),
        ).id
        self.last: list[Reply] = []

    @property
    def service(self) -> ConversationService:
        return self.world.processes[-1].service

    def start(self, flow: str) -> str:
        self.last = self.service.start_now(Arrival.starting(self.key, E2E, self.sender), flow)
        return self.text

    def say(self, *lines: str) -> str:
        for line in lines:
            self.last = asyncio.run(self._handle(line))
        return self.text

    async def _handle(self, line: str) -> list[Reply]:
        return await self.service.handle(Arrival(self.key, TextIn(line), E2E, self.sender))

    @property
    def text(self) -> str:
        return "\n".join(reply_text(r) for r in self.last)
