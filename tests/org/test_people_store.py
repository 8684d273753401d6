"""The people store's contract, on the memory twin, SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.org.codes import Code, CodeKind, hash_code, new_code
from bot.org.model import ALL_ROLES, AuditAction, AuditEntry, Role
from bot.service.access import parked_chat
from bot.service.people_port import Enrolment
from bot.service.ports import ConversationKey, Sender
from tests.org.conftest import Stores
from tests.store.samples import log, state

NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
PRO = frozenset({Role.PROFESSIONAL})


def _invite(stores: Stores, org_id: int, *, uses: int = 1, days: int = 7) -> str:
    code = new_code()
    stores.people.add_code(
        Code(
            hash_code(code),
            CodeKind.INVITE,
            uses,
            NOW + timedelta(days=days),
            org_id=org_id,
            role=Role.PROFESSIONAL,
        ),
        now=NOW,
    )
    return code


def test_organisations_have_unique_names(stores: Stores) -> None:
    people = stores.people
    a = people.create_organisation("Jeugdzorg Noord", settings={"x": 1}, flows_dir=None, now=NOW)
    people.create_organisation("Wijkteam Zuid", now=NOW)
    with pytest.raises(ValueError, match="exists"):
        people.create_organisation("Jeugdzorg Noord", now=NOW)
    assert [o.name for o in people.organisations()] == ["Jeugdzorg Noord", "Wijkteam Zuid"]
    found = people.organisation("Jeugdzorg Noord")
    assert found is not None and found.id == a.id and dict(found.settings) == {"x": 1}
    assert people.organisation("Onbekend") is None


def test_members_roles_and_removal(stores: Stores) -> None:
    people = stores.people
    a = people.create_organisation("A", now=NOW)
    b = people.create_organisation("B", now=NOW)
    anna = people.enrol(Enrolment(a.id, "Anna", ALL_ROLES, identity=("telegram", "1")), now=NOW)
    bram = people.enrol(Enrolment(a.id, "Bram", PRO, identity=("matrix", "@bram:x")), now=NOW)
    # the same person:
    people.enrol(Enrolment(b.id, "Anna", PRO, identity=("telegram", "1")), now=NOW)
    assert people.identity("telegram", "1") == (anna, b.id)
    assert [m.org.name for m in people.memberships(anna.id)] == ["A", "B"]
    assert {m.person.name for m in people.members(a.id)} == {"Anna", "Bram"}
    assert [m.person.name for m in people.members(a.id, Role.BEHEERDER)] == ["Anna"]
    assert people.grant(a.id, bram.id, Role.TCP, now=NOW)
    assert not people.grant(a.id, bram.id, Role.TCP, now=NOW)
    assert [m.person for m in people.members(a.id, Role.TCP)] == [anna, bram]
    assert people.take(a.id, bram.id, Role.TCP, now=NOW)
    assert not people.take(a.id, bram.id, Role.PROFESSIONAL, now=NOW)  # never the last role
    assert people.remove_member(a.id, bram.id, now=NOW)
    assert not people.remove_member(a.id, bram.id, now=NOW)
    assert people.memberships(bram.id) == []
    assert {m.person.name for m in people.members(a.id)} == {"Anna"}
    assert not people.grant(a.id, bram.id, Role.TCP, now=NOW)  # no member: no role
    actions = [(e.action, e.subject) for e in people.audit(a.id)]
    assert (AuditAction.MEMBER_JOINED, f"person:{bram.id}") in actions
    assert (AuditAction.ROLE_GRANTED, f"person:{bram.id} tcp") in actions
    assert (AuditAction.ROLE_TAKEN, f"person:{bram.id} tcp") in actions
    assert actions[-1] == (AuditAction.MEMBER_REMOVED, f"person:{bram.id}")
    assert all(e.org_id == a.id for e in people.audit(a.id))


def test_a_code_is_single_use_by_default_limited_and_expires(stores: Stores) -> None:
    people = stores.people
    a = people.create_organisation("A", now=NOW)
    once = _invite(stores, a.id)
    key = ConversationKey("telegram", "7")
    joined = people.redeem(hash_code(once), Sender("telegram", "7", "Kim"), key, NOW)
    assert joined is not None and joined.org == a and joined.person.name == "Kim"
    assert people.redeem(hash_code(once), Sender("telegram", "8", "Lot"), key, NOW) is None
    twice = _invite(stores, a.id, uses=2)
    for user in ("8", "9"):
        assert people.redeem(hash_code(twice), Sender("telegram", user), key, NOW) is not None
    assert people.redeem(hash_code(twice), Sender("telegram", "10"), key, NOW) is None
    late = _invite(stores, a.id, days=1)
    assert (
        people.redeem(hash_code(late), Sender("telegram", "11"), key, NOW + timedelta(days=2))
        is None
    )
    assert people.redeem(hash_code(new_code()), Sender("telegram", "12"), key, NOW) is None
    assert people.identity("telegram", "11") is None  # nothing kept of a failed try
    assert people.last_address(joined.person.id) == key


def test_a_link_code_adds_a_channel_to_the_same_person(stores: Stores) -> None:
    people = stores.people
    a = people.create_organisation("A", now=NOW)
    anna = people.enrol(Enrolment(a.id, "Anna", PRO, identity=("telegram", "1")), now=NOW)
    code = new_code()
    people.add_code(
        Code(hash_code(code), CodeKind.LINK, 1, NOW + timedelta(minutes=15), person_id=anna.id),
        now=NOW,
    )
    room = ConversationKey("matrix", "!dm:x")
    linked = people.redeem(hash_code(code), Sender("matrix", "@anna:x"), room, NOW)
    assert linked is not None and linked.person == anna
    found = people.identity("matrix", "@anna:x")
    assert found is not None and found[0] == anna
    assert people.last_address(anna.id) == room
    people.seen(Sender("telegram", "1"), ConversationKey("telegram", "1"), NOW + timedelta(1))
    assert people.last_address(anna.id) == ConversationKey("telegram", "1")
    assert AuditAction.CHANNEL_LINKED in [e.action for e in people.audit(a.id)]


def test_counters_count_in_a_window(stores: Stores) -> None:
    people, window = stores.people, timedelta(hours=1)
    assert people.count("x", NOW, window, add=0) == 0
    assert [people.count("x", NOW, window) for _ in range(3)] == [1, 2, 3]
    assert people.count("x", NOW, window, add=0) == 3
    assert people.count("x", NOW + window, window) == 1
    assert people.count("y", NOW, window) == 1
    people.reset_count("x")
    assert people.count("x", NOW, window, add=0) == 0


def test_the_audit_log_is_per_organisation_and_appends(stores: Stores) -> None:
    people = stores.people
    a = people.create_organisation("A", now=NOW)
    b = people.create_organisation("B", now=NOW)
    people.append_audit(
        [
            AuditEntry(a.id, AuditAction.RECORD_OPENED, NOW, 3, "record:r1"),
            AuditEntry(b.id, AuditAction.RECORD_EXPORTED, NOW + timedelta(1), 4, "record:r2"),
        ]
    )
    mine = [e for e in people.audit(a.id) if e.action is AuditAction.RECORD_OPENED]
    assert mine == [AuditEntry(a.id, AuditAction.RECORD_OPENED, NOW, 3, "record:r1")]
    assert all(e.org_id == b.id for e in people.audit(b.id))
    assert people.audit(b.id, NOW + timedelta(hours=1))[-1].subject == "record:r2"
    assert people.audit(a.id, NOW + timedelta(hours=1)) == []


def test_a_chat_used_by_another_member_parks_the_first_conversation(stores: Stores) -> None:
    people, conversations = stores.people, stores.conversations
    a = people.create_organisation("A", now=NOW)
    b = people.create_organisation("B", now=NOW)
    anna = people.enrol(Enrolment(a.id, "Anna", PRO), now=NOW)
    bo = people.enrol(Enrolment(b.id, "Bo", PRO), now=NOW)
    key = ConversationKey("matrix", "!room:x")
    first = state(log(3))
    conversations.save(key, first)
    people.claim_conversation(key, a.id, anna.id)  # a new conversation: adopted
    people.claim_conversation(key, b.id, bo.id)  # someone of B in the same chat
    assert conversations.load(key) is None
    assert conversations.load(ConversationKey("matrix", parked_chat(key.chat, a.id, anna.id)))
    conversations.save(key, state(log(1)))
    people.claim_conversation(key, b.id, bo.id)
    people.claim_conversation(key, a.id, anna.id)  # back: Anna's own conversation returns
    assert conversations.load(key) == first


def test_identity_and_memberships_come_together(stores: Stores) -> None:
    """What the gate reads on every message, in one go: as ``identity`` and
    ``memberships`` one after the other would give it."""
    people = stores.people
    a = people.create_organisation("A", now=NOW)
    b = people.create_organisation("B", now=NOW)
    anna = people.enrol(Enrolment(a.id, "Anna", ALL_ROLES, identity=("telegram", "1")), now=NOW)
    people.enrol(Enrolment(b.id, "Anna", PRO, identity=("telegram", "1")), now=NOW)
    bram = people.enrol(Enrolment(a.id, "Bram", PRO, identity=("matrix", "@bram:x")), now=NOW)
    for person, channel, external in ((anna, "telegram", "1"), (bram, "matrix", "@bram:x")):
        found = people.identity_memberships(channel, external)
        single = people.identity(channel, external)
        assert found is not None and single is not None
        assert (found[0], found[1]) == single and found[0] == person
        assert found[2] == people.memberships(person.id)
    assert [m.org.name for m in people.identity_memberships("telegram", "1")[2]] == ["A", "B"]
    people.remove_member(a.id, bram.id, now=NOW)
    gone = people.identity_memberships("matrix", "@bram:x")
    assert gone is not None and gone[2] == []
    assert people.identity_memberships("telegram", "404") is None


def test_arrived_is_seen_and_claim_at_once(stores: Stores) -> None:
    """The gate's write per message: the chat is remembered as the person's last
    address, and the conversation there is claimed (another owner's parked)."""
    people, conversations = stores.people, stores.conversations
    a = people.create_organisation("A", now=NOW)
    b = people.create_organisation("B", now=NOW)
    anna = people.enrol(Enrolment(a.id, "Anna", PRO, identity=("matrix", "@anna:x")), now=NOW)
    bo = people.enrol(Enrolment(b.id, "Bo", PRO, identity=("matrix", "@bo:x")), now=NOW)
    key = ConversationKey("matrix", "!room:x")
    first = state(log(3))
    conversations.save(key, first)
    people.arrived(Sender("matrix", "@anna:x"), key, a.id, anna.id, NOW)
    assert people.last_address(anna.id) == key
    people.arrived(Sender("matrix", "@bo:x"), key, b.id, bo.id, NOW + timedelta(1))
    assert people.last_address(bo.id) == key
    assert conversations.load(key) is None  # Anna's conversation is parked
    assert conversations.load(ConversationKey("matrix", parked_chat(key.chat, a.id, anna.id)))
    people.arrived(Sender("matrix", "@anna:x"), key, a.id, anna.id, NOW + timedelta(2))
    assert conversations.load(key) == first
