"""The access gate through the real service: joining, refusing, removal, isolation.

Runs on the memory twins, SQLite and PostgreSQL (``stores``). Texts asserted
here are the gate's own (``bot.service.access``), never flow content.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.app import organisation_book
from bot.channels.text import reply_text
from bot.engine.messages import Ask, ChannelTraits, ChoiceIn, DoneIn, Incoming, Reply, Say, TextIn
from bot.knowledge.base import KnowledgeBase
from bot.org.model import ALL_ROLES, AuditAction, Organisation, Role
from bot.render.documents import JinjaRenderer
from bot.service import access, access_texts
from bot.service.access import AccessGate, make_invite
from bot.service.conversation import ConversationService
from bot.service.people_port import Enrolment
from bot.service.ports import Arrival, ConversationKey, Sender
from bot.settings import Settings
from tests.org.conftest import Stores
from tests.support.chat import FIXTURES, fixture_book

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
TRAITS = ChannelTraits("telegram", buttons=True, end_to_end_encrypted=True)
PRO = frozenset({Role.PROFESSIONAL})


class Chat:
    """One person in one chat, talking to the service with their sender."""

    def __init__(self, service: ConversationService, channel: str, user: str, chat: str = ""):
        self.service = service
        self.sender = Sender(channel, user, user.capitalize())
        self.key = ConversationKey(channel, chat or user)
        self.last: list[Reply] = []

    def send(self, message: Incoming | str) -> list[Reply]:
        incoming = TextIn(message) if isinstance(message, str) else message
        self.last = self.service.handle_now(Arrival(self.key, incoming, TRAITS, self.sender))
        return self.last

    def begin(self) -> list[Reply]:
        """Start the main flow afresh (``voorkomen chat --new``)."""
        self.last = self.service.start_now(Arrival.starting(self.key, TRAITS, self.sender))
        return self.last

    @property
    def text(self) -> str:
        return "\n".join(reply_text(r) for r in self.last)

    @property
    def ask(self) -> Ask:
        asks = [r for r in self.last if isinstance(r, Ask)]
        assert asks, self.text
        return asks[-1]


def service_on(stores: Stores) -> ConversationService:
    return ConversationService(
        book=fixture_book(),
        store=stores.conversations,
        renderer=JinjaRenderer(),
        clock=lambda: NOW,
        main_flow="demo",
        gate=AccessGate(stores.people, lambda: NOW),
    )


def org(stores: Stores, name: str) -> Organisation:
    return stores.people.create_organisation(name, now=NOW)


def member(stores: Stores, service: ConversationService, o: Organisation, user: str) -> Chat:
    stores.people.enrol(
        Enrolment(o.id, user.capitalize(), PRO, identity=("telegram", user)), now=NOW
    )
    return Chat(service, "telegram", user)


def test_a_stranger_gets_one_polite_refusal_and_nothing_else_is_kept(stores: Stores) -> None:
    service = service_on(stores)
    org(stores, "A")
    stranger = Chat(service, "telegram", "666")
    assert stranger.send("start") == [Say(access_texts.REFUSAL)]
    assert "beheerder" in access_texts.REFUSAL and "uitnodigingscode" in access_texts.REFUSAL
    assert stranger.send("C-1") == []
    assert stranger.send(ChoiceIn("q1", "ja")) == []  # a crafted button press
    assert stranger.send(DoneIn("q1")) == []
    assert stores.conversations.load(stranger.key) is None
    assert stores.people.identity("telegram", "666") is None


def test_joining_with_a_code_welcomes_and_starts_a_conversation(stores: Stores) -> None:
    service = service_on(stores)
    a = org(stores, "Jeugdzorg Noord")
    code = make_invite(stores.people, a, Role.TEAMLEIDER, now=NOW)
    kim = Chat(service, "telegram", "kim")
    kim.send(f"start {code.lower()}")  # the deep link: /start CODE
    welcome = kim.last[0]
    assert isinstance(welcome, Say)
    assert welcome.text == access_texts.JOINED.format(
        org="Jeugdzorg Noord", roles="teamleider", name="Kim"
    )
    assert isinstance(kim.last[-1], Ask)  # and the conversation starts
    (m,) = stores.people.members(a.id)
    assert m.person.name == "Kim" and m.roles == {Role.TEAMLEIDER}
    assert [m.person.name for m in stores.people.members(a.id, Role.TEAMLEIDER)] == ["Kim"]
    # The code was for one person only.
    other = Chat(service, "telegram", "lot")
    assert other.send(code) == [Say(access_texts.WRONG_CODE)]


def test_wrong_codes_are_rate_limited_per_sender_durably(stores: Stores) -> None:
    service = service_on(stores)
    a = org(stores, "A")
    guesser = Chat(service, "telegram", "999")
    for _ in range(access.MAX_WRONG_CODES - 1):
        assert guesser.send("AAAA-BBBB-CCCC-DDDD") == [Say(access_texts.WRONG_CODE)]
    assert guesser.send("AAAA-BBBB-CCCC-DDDD") == [Say(access_texts.TOO_MANY_CODES)]
    good = make_invite(stores.people, a, Role.PROFESSIONAL, now=NOW)
    restarted = Chat(service_on(stores), "telegram", "999")  # a new process, same database
    assert restarted.send(good) == [Say(access_texts.TOO_MANY_CODES)]
    assert stores.people.identity("telegram", "999") is None
    # Another sender is not held up by this one; once in, a stranger's counts are gone.
    assert isinstance(Chat(service, "telegram", "1000").send(good)[0], Say)
    assert stores.people.identity("telegram", "1000") is not None


def test_a_removed_member_is_cut_off_at_once_on_every_channel(stores: Stores) -> None:
    service = service_on(stores)
    a = org(stores, "A")
    anna = member(stores, service, a, "anna")
    anna.begin()
    anna.send("C-9")
    assert anna.ask.text == "Wat voor dilemma is het?"
    question = anna.ask.question_id
    anna.send("koppel")
    link = anna.text.split("koppelcode: ")[1].split()[0]
    matrix = Chat(service, "matrix", "@anna:x", "!dm:x")
    assert matrix.send(link) == [Say(access_texts.LINKED.format(name="Anna"))]
    matrix.begin()
    assert matrix.ask.text == "Wat is je casuscode?"
    (who,) = stores.people.members(a.id)
    stores.people.remove_member(a.id, who.person.id, now=NOW)
    assert anna.send("1") == [Say(access_texts.REFUSAL)]
    assert matrix.send("C-10") == [Say(access_texts.REFUSAL)]
    assert anna.send(ChoiceIn(question, "ingrijpen")) == []  # a stale button
    # What was kept stays with the organisation; nothing moved on.
    assert stores.conversations.load(anna.key) is not None


def test_a_member_of_another_organisation_never_sees_a_conversation_of_the_first(
    stores: Stores,
) -> None:
    service = service_on(stores)
    a, b = org(stores, "A"), org(stores, "B")
    stores.people.enrol(Enrolment(a.id, "anna", PRO, identity=("matrix", "@anna:x")), now=NOW)
    stores.people.enrol(Enrolment(b.id, "bo", PRO, identity=("matrix", "@bo:x")), now=NOW)
    anna = Chat(service, "matrix", "@anna:x", "!shared:x")
    bo = Chat(service, "matrix", "@bo:x", "!shared:x")  # the same room, later
    anna.begin()
    anna.send("C-ANNA")
    question = anna.ask.question_id
    for attempt in ("verder", "terug", "wijzig 1", "klaar", ChoiceIn(question, "delen")):
        bo.send(attempt)
        assert "C-ANNA" not in bo.text
    bo.begin()
    assert bo.ask.text == "Wat is je casuscode?"
    anna.send("verder")  # Anna's conversation is still hers, where she was
    assert anna.ask.text == "Wat voor dilemma is het?"


def test_records_and_the_audit_log_belong_to_the_organisation(stores: Stores) -> None:
    service = service_on(stores)
    a, b = org(stores, "A"), org(stores, "B")
    anna = member(stores, service, a, "anna")
    anna.begin()
    for line in ["C-9", "1", "ja", "1", "ja", "ja", "klaar"]:
        anna.send(line)
    (record,) = stores.conversations.records(anna.key)
    created = [e for e in stores.people.audit(a.id) if e.action is AuditAction.RECORD_CREATED]
    assert [e.subject for e in created] == [f"record:{record.id}"]
    person_id = stores.people.memberships(created[0].actor or 0)[0].person.id
    assert created[0].actor == person_id
    assert all("C-9" not in (e.subject or "") for e in stores.people.audit(a.id))
    assert not [e for e in stores.people.audit(b.id) if e.action is AuditAction.RECORD_CREATED]


def test_the_retention_purge_writes_who_lost_which_record(stores: Stores) -> None:
    service = service_on(stores)
    a, b = org(stores, "A"), org(stores, "B")
    anna = member(stores, service, a, "anna")
    anna.begin()
    for line in ["C-9", "1", "ja", "1", "ja", "ja", "klaar"]:
        anna.send(line)
    (record,) = stores.conversations.records(anna.key)
    counts = stores.conversations.purge_all(NOW + timedelta(days=400))
    assert counts["records"] == 1
    assert stores.conversations.records(anna.key) == []
    deleted = [e for e in stores.people.audit(a.id) if e.action is AuditAction.RECORD_DELETED]
    assert [(e.subject, e.actor) for e in deleted] == [(f"record:{record.id}", None)]
    assert not [e for e in stores.people.audit(b.id) if e.action is AuditAction.RECORD_DELETED]


def test_a_beheerder_invites_and_lists_only_their_own_organisation(stores: Stores) -> None:
    service = service_on(stores)
    a, b = org(stores, "A"), org(stores, "B")
    stores.people.enrol(Enrolment(a.id, "Baas", ALL_ROLES, identity=("telegram", "baas")), now=NOW)
    member(stores, service, a, "anna")
    member(stores, service, b, "bo")
    boss = Chat(service, "telegram", "baas")
    boss.send("leden")
    assert "Leden van A:" in boss.text and "Anna" in boss.text and "Bo" not in boss.text
    boss.send("uitnodigen tcp")
    assert "Uitnodigingscode voor A (tcp)" in boss.text
    code = boss.text.split(": ")[1].split()[0]
    newcomer = Chat(service, "telegram", "nieuw")
    newcomer.send(code)
    assert "Welkom bij A!" in newcomer.text
    boss.send("uitnodigen baas")
    assert boss.last == [Say(access_texts.UNKNOWN_ROLE)]
    boss.send("audit")
    assert boss.text.startswith("Laatste regels van het auditlog van A")
    assert "member.joined" in boss.text
    assert f"#{stores.people.members(b.id)[0].person.id} " not in boss.text  # nothing of B
    anna = Chat(service, "telegram", "anna")
    for word in ("leden", "uitnodigen", "audit"):
        assert anna.send(word) == [Say(access_texts.ONLY_BEHEERDER.format(org="A"))]
    assert AuditAction.MEMBER_JOINED in [e.action for e in stores.people.audit(a.id)]


def test_a_member_of_two_organisations_picks_which_one_a_conversation_is_for(
    stores: Stores,
) -> None:
    service = service_on(stores)
    a, b = org(stores, "A"), org(stores, "B")
    stores.people.enrol(Enrolment(a.id, "Sam", PRO, identity=("console", "sam")), now=NOW)
    stores.people.enrol(Enrolment(b.id, "Sam", PRO, identity=("console", "sam")), now=NOW)
    stores.people.set_active_org("console", "sam", None)
    sam = Chat(service, "console", "sam")
    sam.send("start")
    assert access_texts.PICK in sam.text and "1. A" in sam.text and "2. B" in sam.text
    sam.send("2")
    assert sam.last[0] == Say(access_texts.PICKED.format(org="B"))
    sam.begin()
    assert sam.ask.text == "Wat is je casuscode?"
    sam.send("C-B")
    sam.send("organisatie")
    sam.send("A")
    assert sam.last[0] == Say(access_texts.PICKED.format(org="A"))
    assert "C-B" not in sam.text
    sam.send("organisatie")
    sam.send("B")
    sam.send("verder")
    assert sam.ask.text == "Wat voor dilemma is het?"  # B's conversation, where it was


def anna_org(stores: Stores) -> int:
    found = stores.people.organisation("A")
    assert found is not None
    return found.id


def test_naam_changes_the_display_name_never_to_a_phone_number(stores: Stores) -> None:
    service = service_on(stores)
    anna = member(stores, service, org(stores, "A"), "anna")
    assert anna.send("naam") == [Say(access_texts.NAME_SHOW.format(name="Anna"))]
    assert anna.send("naam Anna B.") == [Say(access_texts.NAME_SET.format(name="Anna B."))]
    assert anna.send("naam 06 12345678") == [Say(access_texts.NAME_SET.format(name="collega"))]
    assert anna.send("organisatie") == [Say(access_texts.ONE_ORGANISATION.format(org="A"))]
    anna.begin()
    anna.send("naam van de school is nog niet bekend")  # an answer, not a new name
    assert "Je naam is" not in anna.text and anna.ask.text == "Wat is je casuscode?"
    assert [m.person.name for m in stores.people.members(anna_org(stores))] == ["collega"]


def test_the_async_entry_point_passes_the_sender_to_the_gate(stores: Stores) -> None:
    service = service_on(stores)
    org(stores, "A")
    key = ConversationKey("telegram", "77")
    replies = asyncio.run(
        service.handle(Arrival(key, TextIn("hallo"), TRAITS, Sender("telegram", "77")))
    )
    assert replies == [Say(access_texts.REFUSAL)]


def test_a_stranger_who_joined_and_was_removed_is_told_again(stores: Stores) -> None:
    service = service_on(stores)
    a = org(stores, "A")
    kim = Chat(service, "telegram", "kim")
    assert kim.send("start") == [Say(access_texts.REFUSAL)]
    kim.send(make_invite(stores.people, a, Role.PROFESSIONAL, now=NOW))
    assert "Welkom bij A!" in kim.text
    (m,) = stores.people.members(a.id)
    stores.people.remove_member(a.id, m.person.id, now=NOW)
    assert kim.send("verder") == [Say(access_texts.REFUSAL)]


OWN_FLOW = """\
id: eigen
version: "1"
title: Eigen flow
description: Alleen voor deze organisatie
steps:
  - id: vraag
    ask: text
    text: Wat is de eigen vraag?
  - id: einde
    end: demo
"""


def test_an_organisation_with_its_own_flows_folder_runs_on_its_own_book(
    stores: Stores, tmp_path: Path
) -> None:
    folder = tmp_path / "eigen"
    folder.mkdir()
    (folder / "eigen.yaml").write_text(OWN_FLOW, encoding="utf-8")
    settings = Settings(
        flows_dir=FIXTURES / "flows", knowledge_dir=tmp_path / "geen", name_check=False
    )
    service = service_on(stores)
    service.org_books = lambda o: (
        organisation_book(settings, KnowledgeBase(()), o) if o.flows_dir else None
    )
    own = stores.people.create_organisation("A", flows_dir=str(folder), now=NOW)
    plain = org(stores, "B")
    anna = member(stores, service, own, "anna")
    bo = member(stores, service, plain, "bo")
    anna.send("start")
    assert "Eigen flow" in anna.text
    bo.send("start")
    assert "Eigen flow" not in bo.text and "Demo" in bo.text
