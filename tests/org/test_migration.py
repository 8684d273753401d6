"""Migration 0002: data stored before organisations existed moves into a default one.

A baseline (0001) database with a conversation in progress and a finished
record is upgraded; nothing is lost, everything belongs to "Standaard", and a
member of it who writes from the same chat carries on where the chat was.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from bot.engine.state import LogEntry, State
from bot.org.model import Role
from bot.service.people_port import Enrolment
from bot.store.migrate import downgrade, upgrade
from bot.store.people import SqlPeopleStore
from bot.store.sql import SqlStore, _entry_json, _entry_row, _position, dump_json, make_engine
from tests.peers.postgres import PostgresServer
from tests.store.samples import KEY, log, state

NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.peer)])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.db'}"
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    url = server.create_database()
    yield url
    server.drop_database(url.rsplit("/", 1)[1])


def _baseline_conversation(url: str) -> State:
    """The conversation at ``KEY`` as a baseline (0001) schema holds it (plain rows),
    read without today's store (which reads columns the baseline lacks)."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            conv_id, position = conn.execute(
                text("SELECT id, position FROM conversations WHERE channel = :c AND chat = :k"),
                {"c": KEY.channel, "k": KEY.chat},
            ).one()
            rows = conn.execute(
                text(
                    "SELECT path, value, kind, stack, at, extra FROM answers"
                    " WHERE conversation_id = :i ORDER BY seq"
                ),
                {"i": conv_id},
            ).all()
    finally:
        engine.dispose()

    def load(v: Any) -> Any:
        return json.loads(v) if isinstance(v, str) else v

    found = State.from_json(load(position))
    entries = tuple(
        LogEntry.from_json(_entry_json(load(p), load(v), k, load(st), at, load(x)))
        for p, v, k, st, at, x in rows
    )
    return replace(found, log=entries)


def _old_database(url: str) -> object:
    """A database at the baseline, with a conversation and a record in it."""
    upgrade(url, "0001")
    saved = state(log(5))
    engine = make_engine(url)
    with engine.begin() as conn:  # the baseline columns only, as a bot of then wrote them
        conv_id = conn.execute(
            text(
                "INSERT INTO conversations (channel, chat, mode, flow_id, book_hash, position,"
                " revision, created_at, updated_at) VALUES (:c, :k, :m, :f, :b, :p, 0, :t, :t)"
                " RETURNING id"
            ),
            {
                "c": KEY.channel,
                "k": KEY.chat,
                "m": saved.mode.value,
                "f": saved.flow,
                "b": saved.book,
                "p": dump_json(_position(saved)),
                "t": NOW,
            },
        ).scalar_one()
        for seq, entry in enumerate(saved.log):
            path, value, kind, stack, at, extra = _entry_row(entry)
            conn.execute(
                text(
                    "INSERT INTO answers (conversation_id, seq, path, value, kind, stack, at,"
                    " extra) VALUES (:i, :s, :path, :value, :kind, :stack, :at, :extra)"
                ),
                {
                    "i": conv_id,
                    "s": seq,
                    "path": dump_json(path),
                    "value": dump_json(value),
                    "kind": kind,
                    "stack": dump_json(stack),
                    "at": at,
                    "extra": None if extra is None else dump_json(extra),
                },
            )
    assert _baseline_conversation(url) == saved
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO records (id, channel, chat, flow_id, flow_version, flow_hash,"
                " case_code, answers, text, created_at) VALUES ('r1', :channel, :chat,"
                " 'dilemma', '1', 'h', 'C-1', '{}', 'Vastlegging', '2026-11-30T10:00:00+00:00')"
            ),
            {"channel": KEY.channel, "chat": KEY.chat},
        )
    engine.dispose()
    return saved


def test_existing_data_moves_into_a_default_organisation_and_nothing_is_lost(
    empty_url: str,
) -> None:
    saved = _old_database(empty_url)
    upgrade(empty_url)
    store = SqlStore(empty_url)
    people = SqlPeopleStore(store.engine)
    try:
        (default,) = people.organisations()
        assert default.name == "Standaard"
        assert store.load(KEY) == saved
        (record,) = store.records(KEY)
        assert (record.id, record.case_code, record.text) == ("r1", "C-1", "Vastlegging")
        with store.engine.connect() as conn:
            owners = conn.execute(
                text(
                    "SELECT org_id, person_id FROM conversations UNION ALL "
                    "SELECT org_id, person_id FROM records"
                )
            ).all()
        assert [tuple(o) for o in owners] == [(default.id, None), (default.id, None)]
        # A member of the default organisation writing from that chat adopts it.
        person = people.enrol(
            Enrolment(default.id, "Anna", frozenset({Role.PROFESSIONAL})), now=NOW
        )
        people.claim_conversation(KEY, default.id, person.id)
        assert store.load(KEY) == saved
        store.close()
        downgrade(empty_url, "0001")  # and back: the data is still there
        assert _baseline_conversation(empty_url) == saved
    finally:
        store.close()


def test_a_new_database_has_no_organisation_yet(empty_url: str) -> None:
    upgrade(empty_url)
    store = SqlStore(empty_url)
    try:
        assert SqlPeopleStore(store.engine).organisations() == []
    finally:
        store.close()
