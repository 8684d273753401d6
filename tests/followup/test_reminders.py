"""Agreed steps remind their owner, once, and the answer joins the record.

Two people of one organisation (a professional and a team lead), the real
service, gate and scheduler on the shipped flows; the clock is injected and
nothing sleeps. Two scheduler instances ("processes") run the same due job;
a restart comes between the reminder and the answer.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from bot.org.model import Role
from bot.service.followup import ANSWERS, DILEMMA, NOT_NEEDED, ON_TIME, STEP
from tests.content.support import load_example
from tests.followup.support import FLOWS, Person, World

PRO = frozenset({Role.PROFESSIONAL})
LEAD = frozenset({Role.TEAMLEIDER, Role.PROFESSIONAL})
# Vier-ogen, nobody consulted yet: "bespreken met mijn leidinggevende" on Friday
# 27-11 and a follow-up step (owner: ik) on Monday 30-11.
EXAMPLE = load_example(FLOWS / "examples" / "vier-ogen-nog-niemand.yaml")


def run_all(world: World, now: datetime) -> None:
    world.clock.now = now
    for p in world.processes:
        asyncio.run(p.scheduler.run_due(now))


def sent(world: World) -> list[str]:
    return [notice.text for _, notice in world.sent]


def test_a_step_reminds_its_owner_once_and_the_answer_joins_the_record(world: World) -> None:
    ann = Person(world, "Ann", PRO)
    tom = Person(world, "Tom", LEAD)
    ann.start("vier-ogen")
    ann.say(*EXAMPLE.lines)
    assert "Afspraken" in ann.text or "AFSPRAKEN" in ann.text
    follow = world.processes[0].followup
    assert world.org is not None
    first, second = follow.open_actions(world.org.id, ann.id)
    assert (first.description, first.owner) == (
        "Het dilemma bespreken met mijn leidinggevende",
        "ik",
    )
    assert first.case_code == "V-1" and first.due_on.isoformat() == "2026-11-27"
    assert follow.open_actions(world.org.id, tom.id) == []

    world.process()  # a second bot process on the same data
    friday = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)  # 09:00 in Amsterdam
    run_all(world, friday - timedelta(minutes=1))
    assert sent(world) == []
    run_all(world, friday + timedelta(minutes=5))  # both processes run the due job
    (reminder,) = sent(world)
    assert "Het dilemma bespreken met mijn leidinggevende (casus V-1)" in reminder
    assert reminder.endswith(f"Is dit gebeurd? {ANSWERS}")
    ((to, notice),) = world.sent
    assert to == ann.key
    assert [c.label for c in notice.actions] == ["Ja", "Nog niet, nieuwe datum", "Niet meer nodig"]
    later = notice.actions[1].key
    assert later == f"later {first.code}"
    run_all(world, friday + timedelta(hours=3))
    assert len(sent(world)) == 1  # once

    # The bot restarts between the reminder and the answer. Ann is in the middle
    # of a new conversation and taps "Nog niet, nieuwe datum" (a tap sends the key).
    if world.url is not None:
        world.restart()
    assert "casuscode" in ann.start("vier-ogen")
    assert "Wanneer dan?" in ann.say(later)
    assert "Genoteerd: nieuwe datum dinsdag 01-12-2026" in ann.say("dinsdag")

    assert ann.say("mijn acties").count("•") == 2
    assert "Hoe oud" in ann.say("V-2")  # the conversation went on where it was
    assert "Wanneer dan?" in ann.say(f"later {second.code}")
    answer = ann.say("gisteren")  # a past date is the conversation's (asked again)
    assert "Genoteerd" not in answer and "Hoe oud" in answer

    run_all(world, datetime(2026, 12, 1, 8, 5, tzinfo=UTC))  # Tuesday 09:05
    assert len(sent(world)) == 3  # the new date's, and Monday's follow-up step
    assert "Genoteerd: gedaan op 01-12-2026" in ann.say(f"ja {first.code}")
    assert "ken ik niet" in tom.say(f"ja {second.code}")  # not Tom's step
    assert "ken ik niet" in ann.say(f"ja {first.code}")  # done already

    assert "Vier-ogen overleg · V-1" in ann.say("mijn vastleggingen")
    again = ann.say("mijn vastleggingen 1")
    assert "STAND VAN DE AFSPRAKEN" in again
    assert "- Het dilemma bespreken met mijn leidinggevende: gedaan op 01-12-2026" in again
    assert "- De vervolgstap uit het vier-ogen overleg: nog open" in again

    moved = ann.say(f"later {second.code} volgende week vrijdag")  # the date typed along
    assert "Genoteerd: nieuwe datum vrijdag 11-12-2026" in moved
    assert "niet meer nodig" in ann.say(f"vervalt {second.code}")
    assert "geen open afspraken" in ann.say("mijn acties")

    assert "teamleider of beheerder" in ann.say("overzicht")
    view = tom.say("overzicht")
    assert f"• {DILEMMA}, zorgen om veiligheid: <5" in view
    assert f"• {STEP}, {ON_TIME}: <5" in view
    assert f"• {STEP}, {NOT_NEEDED}: <5" in view
    assert "V-1" not in view and "Ann" not in view


def test_a_forgotten_members_steps_go_on_every_backend(world: World) -> None:
    """``PeopleStore.erase_member`` (``vergeet mij``): their agreed steps and their
    records' index go, counted as ``actions``, on memory as in SQL; a colleague's stay."""
    ann = Person(world, "Ann", PRO)
    tom = Person(world, "Tom", LEAD)
    for person in (ann, tom):
        person.start("vier-ogen")
        person.say(*EXAMPLE.lines)
    process = world.processes[0]
    assert world.org is not None
    since = datetime(2026, 1, 1, tzinfo=UTC)
    assert len(process.followup.open_actions(world.org.id, ann.id)) == 2
    assert process.followup.records_of(world.org.id, ann.id, since)
    counts = process.people.erase_member(ann.id, world.clock.now)
    assert counts["actions"] == 2
    assert process.followup.open_actions(world.org.id, ann.id) == []
    assert process.followup.records_of(world.org.id, ann.id, since) == []
    assert len(process.followup.open_actions(world.org.id, tom.id)) == 2
