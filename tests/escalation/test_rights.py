"""The rights of the people in the records cover escalations: a member's export
lists the escalations they asked for, lead or answered (text opened);
``vergeet mij`` takes their answers and unlinks them; a case's erasure takes
the case's escalations. SQL (``bot.store.rights``) and the memory twin."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.store.memory_escalations import MemoryEscalationStore
from bot.store.rights import SqlRights
from tests.escalation.support import Person, World
from tests.escalation.test_escalation import QUESTION, ask_for_escalation, team

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


def answered_escalation(world: World) -> tuple[Person, Person, Person, Person]:
    """Ann asks, Tom (team lead) accepts e1, Cas joins it and Dee cannot."""
    ann, tom, cas, dee = team(world)
    ask_for_escalation(ann)
    ann.say("opschalen vragen")
    tom.say("accepteer e1")
    cas.say("ik doe mee e1")
    dee.say("kan niet e1")
    return ann, tom, cas, dee


def test_export_forget_and_case_erase_cover_escalations(world: World) -> None:
    ann, tom, cas, dee = answered_escalation(world)
    store = world.processes[-1].escalations
    assert world.org is not None
    if isinstance(store, MemoryEscalationStore):
        (mine,) = store.export_person(cas.id)
        assert mine["question"] == QUESTION
        assert store.erase_person(ann.id) == 1
        assert store.erase_person(cas.id) == 1
        e = store.escalation(1)
        assert e is not None and e.requested_by is None
        assert [a.person_id for a in store.answers(1)] == [dee.id]
        assert store.erase_case(world.org.id, "O-4") == 1
        assert store.escalation(1) is None
        return
    rights = SqlRights(world.processes[-1].conversations)
    exported = rights.export_member(cas.id, NOW)
    assert exported is not None
    (mine,) = exported["opschalingen"]
    assert mine["code"] == "e1" and mine["mijn_antwoord"] == "mee"
    assert mine["vraag"] == QUESTION and mine["casuscode"] == "O-4"
    asked = rights.export_member(ann.id, NOW)
    assert asked is not None and asked["opschalingen"][0]["gevraagd_door_mij"] is True

    rights.erase_member(cas.id, NOW)
    rights.erase_member(ann.id, NOW)
    e = store.escalation(1)
    assert e is not None and e.requested_by is None and e.lead_id == tom.id
    assert [a.person_id for a in store.answers(1)] == [dee.id]

    assert rights.erase_case(world.org.id, "O-4", NOW)["escalations"] == 1
    assert store.escalation(1) is None and store.answers(1) == []


def test_retention_blanks_an_ended_escalation_and_keeps_its_counts(world: World) -> None:
    world.settings["vrije_tekst_zonder_versleuteling"] = True
    _ann, tom, cas, _dee = team(world)
    for line in ("opschalen", "T-5", "Wat leren we hiervan?", "1", "1", "ja"):
        tom.say(line)
    cas.say("ik doe mee e1")
    tom.say("sluit e1")
    tom.say("4")
    tom.say("Niets nieuws.")
    store = world.processes[-1].escalations
    assert world.org is not None
    counts = store.monthly_counts(world.org.id)
    later = datetime(2027, 1, 1, tzinfo=UTC)
    if isinstance(store, MemoryEscalationStore):
        assert store.purge_before(later) == 1
    else:
        hook = store.purge_hook()  # type: ignore[attr-defined]
        with world.processes[-1].conversations.engine.begin() as conn:
            assert hook(conn, later) == 1
    e = store.escalation(1)
    assert e is not None and e.state == "closed" and e.outcome == "geen"
    assert (e.case_code, e.question, e.lessons, e.lead_id) == (None, None, None, None)
    assert store.answers(1) == []
    assert store.monthly_counts(world.org.id) == counts


def test_a_key_rotation_reseals_the_escalation_text(world: World) -> None:
    if world.url is None:
        return  # the SQL store seals; the memory twin keeps plain values
    from sqlalchemy import select

    from bot.store import rekey
    from bot.store.escalations import escalations_table

    world.settings["vrije_tekst_zonder_versleuteling"] = True
    _ann, tom, _cas, _dee = team(world)
    for line in ("opschalen", "T-6", "Wat kunnen we anders doen?"):
        tom.say(line)
    sql = world.processes[-1].conversations
    with sql.engine.connect() as conn:
        before = conn.execute(select(escalations_table.c.question)).scalar_one()
    assert world.org is not None
    done = rekey.rotate(sql, [str(world.org.id)], settle=0)
    assert done[str(world.org.id)].counts["escalations"] == 1
    with sql.engine.connect() as conn:
        after = conn.execute(select(escalations_table.c.question)).scalar_one()
    assert after != before and "anders" not in after
    e = world.processes[-1].escalations.escalation(1)
    assert e is not None and e.question == "Wat kunnen we anders doen?"


ERASED_COUNTS = {"conversations", "records", "outbox", "actions", "identities", "memberships"}


def test_the_people_store_unlinks_a_forgotten_member_from_escalations(world: World) -> None:
    """``PeopleStore.erase_member`` (what ``vergeet mij`` runs) unlinks the person from
    escalations on every backend: the memory twin as ``bot.store.rights`` does in SQL."""
    ann, tom, cas, dee = answered_escalation(world)
    process = world.processes[-1]
    assert set(process.people.erase_member(cas.id, NOW)) == ERASED_COUNTS  # the twins' counts
    process.people.erase_member(ann.id, NOW)
    e = process.escalations.escalation(1)
    assert e is not None and e.requested_by is None and e.lead_id == tom.id
    assert [a.person_id for a in process.escalations.answers(1)] == [dee.id]
    process.people.erase_member(tom.id, NOW)
    e = process.escalations.escalation(1)
    assert e is not None and (e.lead_id, e.step) == (None, None)
