"""``vergeet mij`` with the memory twins as with SQLite and PostgreSQL (same counts)."""

from __future__ import annotations

from bot.org.model import AuditAction
from bot.service import privacy
from bot.service.ports import Notice
from tests.org.conftest import Stores
from tests.org.test_access import NOW, member, org, service_on


def test_vergeet_mij_on_every_store(stores: Stores) -> None:
    service = service_on(stores)
    noord = org(stores, "Noord")
    anna = member(stores, service, noord, "anna")
    bob = member(stores, service, noord, "bob")
    for line in ("start", "1", "C-9", "3", "Iets anders", "ja", "1", "ja", "ja", "klaar"):
        anna.send(line)
    bob.send("start")
    bob.send("1")
    anna_id = stores.people.identity("telegram", "anna")
    assert anna_id is not None
    stores.conversations.queue_message(str(noord.id), str(anna_id[0].id), Notice("Hoi"), NOW)  # type: ignore[attr-defined]
    assert anna.send("vergeet mij")[0].text == privacy.FORGET_ASK  # type: ignore[union-attr]
    done = anna.send("vergeet mij zeker")[0].text  # type: ignore[union-attr]
    assert done.startswith(
        "Gewist: 1 gesprek(ken), 1 vastlegging(en), 1 wachtend(e) bericht(en), "
        "1 gekoppelde app(s), je lidmaatschap van 1 organisatie(s) en je naam."
    )
    assert stores.people.identity("telegram", "anna") is None
    assert stores.conversations.records(anna.key) == []
    assert stores.conversations.load(anna.key) is None
    assert [m.person.name for m in stores.people.members(noord.id)] == ["Bob"]
    assert stores.conversations.load(bob.key) is not None  # Bob keeps his
    assert AuditAction.MEMBER_ERASED in [e.action for e in stores.people.audit(noord.id)]
