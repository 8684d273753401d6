"""Encryption at rest: what a copied database file shows, and key rotation while a
conversation goes on (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import Connection, text

from bot.cli import main
from bot.crypto import MasterKey, SealError
from bot.engine.messages import ChannelTraits, TextIn
from bot.service.followup import PlannedAction
from bot.service.ports import Arrival, ConversationKey, Notice, StepWrite
from bot.store import rekey
from bot.store.followup import SqlFollowupStore
from bot.store.sql import SqlStore
from tests.store.conftest import MASTER, Backend
from tests.store.samples import record
from tests.support.env import bot_env
from tests.support.service import make_service

KEY = ConversationKey("test", "chat-1")
PRIVATE = ChannelTraits("test", end_to_end_encrypted=True)
SECRET = "Geheimzinnige toelichting over het gezin"
# soort 3 ("Iets anders") asks for a free-text toelichting.
BEFORE = ["C-9", "3", SECRET]
AFTER = ["ja", "1", "ja", "ja", "klaar"]
TABLES = ("conversations", "answers", "records", "outbox")


def raw(store: SqlStore) -> str:
    """Every row of the tables that hold content, as the database file has them."""
    with store.engine.connect() as conn:
        return "\n".join(
            repr(row) for table in TABLES for row in conn.execute(text(f"SELECT * FROM {table}"))
        )


def test_answers_positions_records_and_outbox_are_sealed(sql_backend: Backend) -> None:
    store = sql_backend.open()
    assert isinstance(store, SqlStore)
    service = make_service(store=store)
    service.start_now(Arrival.starting(KEY, PRIVATE))
    for line in BEFORE:
        service.handle_now(Arrival(KEY, TextIn(line), PRIVATE))
    mid = raw(store)
    assert SECRET not in mid and "enc1." in mid
    # The service reads it back as typed.
    state = store.load(KEY)
    assert state is not None and SECRET in [e.value for e in state.log]
    for line in AFTER:
        service.handle_now(Arrival(KEY, TextIn(line), PRIVATE))
    [record] = store.records(KEY)
    assert record.answers["toelichting"] == SECRET
    store.queue_message("0", "5", Notice(f"Bericht: {SECRET}"), datetime.now(UTC))
    assert SECRET not in raw(store)
    assert [m.notice.text for m in store.waiting_messages("5")] == [f"Bericht: {SECRET}"]
    # Another master key opens nothing.
    other = SqlStore(str(sql_backend.url), master=MasterKey.generate())
    try:
        assert other.keys is not None
        with pytest.raises(SealError, match="did not open"):  # its data key does not unwrap
            other.records(KEY)
    finally:
        other.close()


class BotStore(SqlStore):
    """The running bot's store: runs ``meanwhile`` (once) between loading and committing."""

    meanwhile: Callable[[], None] | None = None

    def _commit_in(self, conn: Connection, write: StepWrite) -> Any:
        meanwhile, self.meanwhile = self.meanwhile, None
        if meanwhile is not None:
            meanwhile()
        return super()._commit_in(conn, write)


def test_rotation_while_a_conversation_goes_on(sql_backend: Backend) -> None:
    url = str(sql_backend.url)
    bot = BotStore(url, master=MASTER, key_refresh=0)
    cli = SqlStore(url, master=MASTER)
    try:
        service = make_service(store=bot)
        service.start_now(Arrival.starting(KEY, PRIVATE))
        for line in BEFORE:
            service.handle_now(Arrival(KEY, TextIn(line), PRIVATE))
        assert "enc1.1." in raw(bot) and "enc1.2." not in raw(bot)
        done: dict[str, rekey.Resealed] = {}
        # `voorkomen keys rotate` runs while the bot is in the middle of a step.
        bot.meanwhile = lambda: done.update(rekey.rotate(cli, settle=0))
        service.handle_now(Arrival(KEY, TextIn(AFTER[0]), PRIVATE))
        assert done["0"].counts["conversations"] == 1 and done["0"].busy == 0
        stored = raw(bot)
        assert "enc1.1." not in stored and "enc1.2." in stored
        state = bot.load(KEY)
        assert state is not None and SECRET in [e.value for e in state.log]
        for line in AFTER[1:]:
            service.handle_now(Arrival(KEY, TextIn(line), PRIVATE))
        [record] = bot.records(KEY)
        assert record.answers["toelichting"] == SECRET
        # And once more, with the record there: it is re-sealed with version 3.
        again = rekey.rotate(cli, settle=0)
        assert again["0"].counts["records"] == 1
        stored = raw(bot)
        assert "enc1.3." in stored and "enc1.2." not in stored and "enc1.1." not in stored
        assert bot.records(KEY) == [record]
    finally:
        bot.close()
        cli.close()


def test_a_bot_that_still_seals_with_the_old_key_is_caught_by_the_second_pass(
    sql_backend: Backend,
) -> None:
    url = str(sql_backend.url)
    bot = SqlStore(url, master=MASTER)  # notices a rotation only after 30 s
    cli = SqlStore(url, master=MASTER)
    try:
        service = make_service(store=bot)
        service.start_now(Arrival.starting(KEY, PRIVATE))
        service.handle_now(Arrival(KEY, TextIn(BEFORE[0]), PRIVATE))

        def meanwhile(_seconds: float) -> None:  # the bots go on while the command waits
            for line in BEFORE[1:]:
                service.handle_now(Arrival(KEY, TextIn(line), PRIVATE))
            assert "enc1.1." in raw(bot)  # written with the key it still knows

        rekey.rotate(cli, settle=1, sleep=meanwhile)
        stored = raw(bot)
        assert "enc1.1." not in stored and "enc1.2." in stored
        state = bot.load(KEY)
        assert state is not None and SECRET in [e.value for e in state.log]
    finally:
        bot.close()
        cli.close()


def test_a_conversation_is_sealed_with_its_organisations_key(sql_backend: Backend) -> None:
    from tests.privacy.test_rights import send, setup

    store = sql_backend.open()
    assert isinstance(store, SqlStore)
    service, _people, org_id, _anna = setup(store)
    send(service, "start")  # made before the gate gave it its organisation
    send(service, "1")
    send(service, "C-9")
    with store.engine.connect() as conn:
        [position] = conn.execute(text("SELECT position FROM conversations")).scalars()
        orgs = sorted(conn.execute(text("SELECT DISTINCT org FROM data_keys")).scalars())
    if isinstance(position, str):
        position = json.loads(position)
    assert position["sealed_for"] == str(org_id)
    assert str(org_id) in orgs
    # Another organisation's key does not open it.
    assert store.keys is not None
    store.keys.seal("999", "x", "makes organisation 999 a key")
    with pytest.raises(SealError):
        store.keys.open("999", "conversations.position", position["sealed"])


def test_the_rotate_command(tmp_path: Path) -> None:
    from bot.store.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'v.db'}"
    upgrade(url)
    store = SqlStore(url, master=MASTER)
    store.add_record(record())
    store.close()
    env = bot_env(DATABASE_URL=url)
    env["VOORKOMEN_MASTER_KEY"] = MASTER.encoded()
    result = CliRunner().invoke(main, ["keys", "rotate", "--settle", "0"], env=env)
    assert result.exit_code == 0, result.output
    assert "Organisatie 0: nieuwe sleutel; opnieuw versleuteld: 1 vastlegging(en)" in result.output
    store = SqlStore(url, master=MASTER)
    try:
        assert "enc1.2." in raw(store) and "enc1.1." not in raw(store)
        assert [r.text for r in store.records(record().key)] == [record().text]
    finally:
        store.close()
    new = CliRunner().invoke(main, ["keys", "new"])
    assert MasterKey.decode(new.output, "test").secret != MASTER.secret


def test_an_agreed_steps_description_is_sealed_and_rotated(sql_backend: Backend) -> None:
    """The follow-up keeps a record's agreed steps apart; their words are sealed like the
    record's, a description stored plain before sealing is sealed by the rotation, and
    both read back as written."""
    store = sql_backend.open()
    assert isinstance(store, SqlStore)
    sealed = SqlFollowupStore(store.engine, store.sealer)
    plain = SqlFollowupStore(store.engine)  # as a store from before sealing wrote
    now = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)

    def step(words: str) -> PlannedAction:
        return PlannedAction(7, 8, "r1", "C-9", words, "ik", now.date(), False, now)

    sealed.write_planned([step("Overleg met de ouders van Vera")])
    plain.write_planned([step("Huisarts informeren")])
    with store.engine.connect() as conn:
        stored = sorted(conn.execute(text("SELECT description FROM followup_actions")).scalars())
    assert stored[0] == "Huisarts informeren" and stored[1].startswith("enc1.")
    assert "Vera" not in " ".join(stored)
    assert [a.description for a in sealed.open_actions(7, 8)] == [
        "Overleg met de ouders van Vera",
        "Huisarts informeren",
    ]
    done = rekey.rotate(store, settle=0)
    assert done["7"].counts["agreed_steps"] == 2
    with store.engine.connect() as conn:
        stored = list(conn.execute(text("SELECT description FROM followup_actions")).scalars())
    assert all(s.startswith("enc1.2.") for s in stored)
    assert sorted(a.description for a in sealed.open_actions(7, 8)) == [
        "Huisarts informeren",
        "Overleg met de ouders van Vera",
    ]
