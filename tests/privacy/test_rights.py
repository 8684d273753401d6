"""The rights of the people in the records: ``vergeet mij`` in the chat, ``voorkomen export
--member`` and ``voorkomen case export|erase``, each in the audit log; and ``privacy``."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import insert, text

from bot.channels.text import reply_text
from bot.cli import main
from bot.engine.messages import ChannelTraits, Reply, Say, TextIn
from bot.org.model import AuditAction, Role
from bot.service import privacy
from bot.service.access import AccessGate
from bot.service.conversation import ConversationService
from bot.service.people_port import Enrolment
from bot.service.ports import Arrival, ConversationKey, Notice, Sender
from bot.store.followup_models import FollowupAction
from bot.store.people import SqlPeopleStore
from bot.store.rights import SqlRights
from bot.store.sql import SqlStore
from tests.privacy.bytescan import database_files, found_in, sealed_rows
from tests.store.conftest import MASTER, Backend
from tests.support.chat import FIXTURES, fixture_book
from tests.support.env import bot_env

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
TRAITS = ChannelTraits("telegram", buttons=True, end_to_end_encrypted=True)
TO_RECORD = ["C-9", "3", "Een lastige afweging", "ja", "1", "ja", "ja", "klaar"]


def setup(store: SqlStore) -> tuple[ConversationService, SqlPeopleStore, int, int]:
    from bot.render.documents import JinjaRenderer

    people = SqlPeopleStore(store.engine)
    org = people.create_organisation("Noord", now=NOW)
    anna = people.enrol(
        Enrolment(org.id, "Anna", frozenset({Role.PROFESSIONAL}), identity=("telegram", "anna")),
        now=NOW,
    )
    service = ConversationService(
        book=fixture_book(),
        store=store,
        renderer=JinjaRenderer(),
        clock=lambda: NOW,
        main_flow="demo",
        gate=AccessGate(people, lambda: NOW),
    )
    return service, people, org.id, anna.id


def send(service: ConversationService, line: str, user: str = "anna") -> list[Reply]:
    key, sender = ConversationKey("telegram", user), Sender("telegram", user, user)
    return service.handle_now(Arrival(key, TextIn(line), TRAITS, sender))


def texts(replies: list[Reply]) -> str:
    return "\n".join(reply_text(r) for r in replies)


def test_vergeet_mij_erases_everything_of_the_member_after_a_confirmation(
    sql_backend: Backend,
) -> None:
    store = sql_backend.open()
    assert isinstance(store, SqlStore)
    service, people, org_id, anna = setup(store)
    send(service, "start")
    send(service, "1")
    for line in TO_RECORD:
        send(service, line)
    send(service, "start")
    send(service, "1")
    send(service, "C-10")  # a second conversation, in progress
    store.queue_message(str(org_id), str(anna), Notice("Herinnering"), NOW)
    assert len(store.records(ConversationKey("telegram", "anna"))) == 1
    asked = send(service, "vergeet mij")
    assert asked == [Say(privacy.FORGET_ASK)]
    assert people.identity("telegram", "anna") is not None  # nothing erased yet
    done = texts(send(service, "vergeet mij zeker"))
    assert done.startswith("Gewist: 1 gesprek(ken), 1 vastlegging(en), 1 wachtend(e) bericht(en)")
    assert "1 gekoppelde app(s), je lidmaatschap van 1 organisatie(s) en je naam" in done
    assert people.identity("telegram", "anna") is None
    with store.engine.connect() as conn:
        for table in ("conversations", "answers", "records", "outbox", "people", "member_roles"):
            assert conn.execute(text(f"SELECT count(*) FROM {table}")).scalar() == 0, table
    actions = [e.action for e in people.audit(org_id)]
    assert AuditAction.MEMBER_ERASED in actions
    # Afterwards Anna is a stranger: one refusal, no conversation.
    assert texts(send(service, "hallo")).startswith("Hallo! Deze bot is alleen")


def test_a_member_gets_their_data_and_a_case_is_found_exported_and_erased(
    sql_backend: Backend, request: pytest.FixtureRequest
) -> None:
    store = sql_backend.open()
    assert isinstance(store, SqlStore)
    service, people, org_id, anna = setup(store)
    send(service, "start")
    send(service, "1")
    for line in TO_RECORD:
        send(service, line)
    send(service, "start")
    send(service, "1")
    send(service, "C-9")  # the same case, a conversation in progress
    send(service, "3")
    with store.engine.begin() as conn:  # an agreed step of the record (the follow-up part)
        conn.execute(
            insert(FollowupAction.__table__).values(
                org_id=org_id,
                person_id=anna,
                record_id="1",
                case_code="C-9",
                description="Huisarts informeren",
                owner="ik",
                due_on="2026-11-30",
                urgent=False,
                state="open",
                reminded=0,
                created_at=NOW,
            )
        )
    rights = SqlRights(store)
    mine = rights.export_member(anna, NOW)
    assert mine is not None
    assert [a["afspraak"] for a in mine["afspraken"]] == ["Huisarts informeren"]
    assert mine["persoon"]["naam"] == "Anna"
    assert [r["casuscode"] for r in mine["vastleggingen"]] == ["C-9"]
    assert mine["vastleggingen"][0]["antwoorden"]["toelichting"] == "Een lastige afweging"
    assert [a["antwoord"] for a in mine["gesprekken"][0]["antwoorden"]][:2] == ["C-9", "no"]
    json.dumps(mine)  # it is JSON
    case = rights.export_case(org_id, "C-9", NOW)
    assert len(case["vastleggingen"]) == 1 and len(case["gesprekken"]) == 1
    assert rights.export_case(org_id, "C-77", NOW)["vastleggingen"] == []
    stored = [*sealed_rows(store)[:2], "Huisarts informeren"]  # record text, answers, step
    assert found_in(database_files(sql_backend, request), stored) == stored
    assert rights.erase_case(org_id, "C-9", NOW) == {
        "records": 1,
        "conversations": 1,
        "actions": 1,
        "escalations": 0,
    }
    assert found_in(database_files(sql_backend, request), stored) == []  # gone from the files
    assert rights.export_case(org_id, "C-9", NOW) == {
        "casuscode": "C-9",
        "vastleggingen": [],
        "gesprekken": [],
    }
    actions = [e.action for e in people.audit(org_id)]
    for action in (AuditAction.MEMBER_EXPORTED, AuditAction.CASE_EXPORTED, AuditAction.CASE_ERASED):
        assert action in actions
    # The conversation goes on afresh after its erasure.
    assert "Waarmee wil je aan de slag?" in texts(send(service, "start"))


def test_the_commands_export_a_member_and_a_case_and_erase_a_case(tmp_path: Path) -> None:
    db = tmp_path / "v.db"
    env = bot_env(
        DATABASE_URL=f"sqlite:///{db}",
        FLOWS_DIR=str(FIXTURES / "flows"),
        KNOWLEDGE_DIR=str(FIXTURES / "geen-kennis"),
        MAIN_FLOW="demo",
    )
    env["VOORKOMEN_MASTER_KEY"] = MASTER.encoded()
    from bot.store.migrate import upgrade

    upgrade(f"sqlite:///{db}")
    store = SqlStore(f"sqlite:///{db}", master=MASTER)
    service, _people, _org_id, _anna = setup(store)
    send(service, "start")
    send(service, "1")
    for line in TO_RECORD:
        send(service, line)
    store.close()
    runner = CliRunner()
    got = runner.invoke(main, ["export", "--org", "Noord", "--member", "Anna"], env=env)
    assert got.exit_code == 0, got.output
    assert json.loads(got.output)["vastleggingen"][0]["casuscode"] == "C-9"
    got = runner.invoke(main, ["case", "export", "--org", "Noord", "C-9"], env=env)
    assert got.exit_code == 0, got.output
    assert len(json.loads(got.output)["vastleggingen"]) == 1
    got = runner.invoke(main, ["case", "erase", "--org", "Noord", "C-9", "--ja"], env=env)
    assert got.exit_code == 0, got.output
    assert "1 vastlegging(en)" in got.output
    got = runner.invoke(main, ["case", "export", "--org", "Noord", "C-9"], env=env)
    assert json.loads(got.output)["vastleggingen"] == []


def test_privacy_sends_the_privacy_page_in_pages(sql_backend: Backend) -> None:
    store = sql_backend.open()
    assert isinstance(store, SqlStore)
    service, _people, _org, _anna = setup(store)
    send(service, "start")
    replies = send(service, "privacy")
    pages = [r.text for r in replies if isinstance(r, Say)]
    assert len(pages) >= 3 and all(len(p) <= 600 for p in pages)
    assert pages[0].startswith("Privacy: wat de bot bewaart en waarom")
    whole = " ".join(pages)
    page = (Path(__file__).parents[2] / "docs" / "privacy.md").read_text()
    for phrase in ("AES-256-GCM", "end-to-end", "vergeet mij", "Dataminimalisatie"):
        assert phrase in whole and phrase in page
