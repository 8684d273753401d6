"""Migration 0002: data stored before organisations existed moves into a default one.

A baseline (0001) database with a conversation in progress and a finished
record is upgraded; nothing is lost, everything belongs to "Standaard", and a
member of it who writes from the same chat carries on where the chat was.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.org.model import Role
from bot.store.migrate import downgrade, upgrade
from bot.store.people import SqlPeopleStore
from bot.store.sql import SqlStore
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


def _old_database(url: str) -> object:
    """A database at the baseline, with a conversation and a record in it."""
    upgrade(url, "0001")
    store = SqlStore(url, cache_size=0)
    saved = state(log(5))
    store.save(KEY, saved)  # the baseline columns only
    with store.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO records (id, channel, chat, flow_id, flow_version, flow_hash,"
                " case_code, answers, text, created_at) VALUES ('r1', :channel, :chat,"
                " 'dilemma', '1', 'h', 'C-1', '{}', 'Vastlegging', '2026-11-30T10:00:00+00:00')"
            ),
            {"channel": KEY.channel, "chat": KEY.chat},
        )
    store.close()
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
        person = people.enrol(default.id, "Anna", frozenset({Role.PROFESSIONAL}), now=NOW)
        people.claim_conversation(KEY, default.id, person.id)
        assert store.load(KEY) == saved
        store.close()
        downgrade(empty_url, "0001")  # and back: the data is still there
        old = SqlStore(empty_url, cache_size=0)
        assert old.load(KEY) == saved
        old.close()
    finally:
        store.close()


def test_a_new_database_has_no_organisation_yet(empty_url: str) -> None:
    upgrade(empty_url)
    store = SqlStore(empty_url)
    try:
        assert SqlPeopleStore(store.engine).organisations() == []
    finally:
        store.close()
