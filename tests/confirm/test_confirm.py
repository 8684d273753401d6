"""A colleague confirms the vier-ogen overleg: two (or more) people of one
organisation through the real service and gate, on memory, SQLite and
PostgreSQL, with an injected clock; nothing sleeps.

Ann (Telegram, no end-to-end encryption) makes a vastlegging and asks a
colleague; Bram is on Matrix (encrypted: he reads the vier-ogen part), Cees
on Telegram (he does not); Dirk is of another organisation.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from bot.org.model import AuditAction, Role
from bot.service.together.confirm import ASK_CLOSED, METRIC
from bot.store.sql import SqlStore
from tests.confirm.support import ConfirmWorld, Person
from tests.content.support import load_example
from tests.followup.support import FLOWS
from tests.support.worlds import T0

PRO = frozenset({Role.PROFESSIONAL})
LEAD = frozenset({Role.TEAMLEIDER, Role.PROFESSIONAL})
# Vier-ogen alone, Wednesday 25-11-2026 09:00 (the world's T0), case V-1.
VIER_OGEN = load_example(FLOWS / "examples" / "vier-ogen-nog-niemand.yaml")
# A whole dilemma (its vier-ogen part under a heading), Friday 27-11-2026, case S-17.
DILEMMA = load_example(FLOWS / "examples" / "dilemma-oneens-opschalen.yaml")
MONDAY_MORNING = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)  # 09:00 in Amsterdam


def people(world: ConfirmWorld) -> tuple[Person, Person, Person, Person]:
    ann = Person(world, "Ann", PRO)
    bram = Person(world, "Bram", PRO, channel="matrix")
    cees = Person(world, "Cees", LEAD)
    other = world.processes[-1].people.create_organisation("Elders", now=T0)
    dirk = Person(world, "Dirk", PRO, org=other)
    return ann, bram, cees, dirk


def made_record(person: Person) -> str:
    person.start(VIER_OGEN.flow)
    text = person.say(*VIER_OGEN.lines)
    assert "Wil je dat een collega het vier-ogen overleg bevestigt?" in text
    assert [a.key for r in person.last for a in getattr(r, "actions", ())] == ["bevestigen"]
    return text


def raw_record_texts(world: ConfirmWorld) -> list[str]:
    store = world.processes[-1].conversations
    assert isinstance(store, SqlStore)
    with store.engine.connect() as conn:
        return list(conn.execute(sa.text("SELECT text FROM records")).scalars())


def test_a_colleague_confirms_and_the_record_says_so(world: ConfirmWorld) -> None:
    ann, bram, cees, dirk = people(world)
    made_record(ann)

    choices = ann.say("bevestigen")
    assert "Welke collega bevestigt het vier-ogen overleg van casus V-1?" in choices
    assert "1. Bram\n2. Cees" in choices  # not Ann herself, not Dirk of another organisation
    assert "Dirk" not in choices and "Ann" not in choices
    (say,) = ann.last
    assert [(a.key, a.label) for a in say.actions][:2] == [  # type: ignore[union-attr]
        ("bevestigen 1", "Bram"),
        ("bevestigen 2", "Cees"),
    ]
    assert "Ik heb Bram gevraagd" in ann.say("bevestigen br")  # part of the display name

    ((to, notice),) = world.deliver()
    assert to == bram.key
    assert notice.text.startswith("Ann vraagt je het vier-ogen overleg van casus V-1 te bevestigen")
    assert "Dilemma (zorgen om veiligheid): Jongere van 13 wil niet" in notice.text  # encrypted
    assert "AFSPRAKEN" not in notice.text  # the vier-ogen part only
    assert [(c.key, c.label) for c in notice.actions] == [
        ("klopt b1", "Klopt"),
        ("klopt niet b1", "Klopt niet helemaal"),
    ]

    # The bot restarts between the request and the answer.
    if world.url is not None:
        world.restart()
    assert "ken ik niet" in dirk.say("klopt b1")  # another organisation
    assert "ken ik niet" in cees.say("klopt b1")  # not asked
    assert "Dank je. Ann hoort dat het klopt." in bram.say(notice.actions[0].key)
    assert "ken ik niet" in bram.say("klopt b1")  # once

    ((to, told),) = world.deliver()
    assert to == ann.key
    assert told.text.startswith("Bram heeft het vier-ogen overleg van casus V-1 bevestigd.")
    assert "Bevestigd door Bram, 25-11-2026" in told.text

    again = ann.say("mijn vastleggingen 1")
    lines = again.splitlines()
    at = lines.index("Bevestigd door Bram, 25-11-2026")
    assert lines[at - 1].startswith("Afwegingen:")  # at the end of the vier-ogen part
    assert "AFSPRAKEN" in again.split("Bevestigd door Bram")[1]
    if world.url is not None:  # the stored text is sealed
        (raw,) = raw_record_texts(world)
        assert "Bevestigd" not in raw and "Jongere" not in raw

    world.run_all(MONDAY_MORNING + timedelta(minutes=5))
    assert [n.text for k, n in world.sent if k == ann.key and "nog niet bevestigd" in n.text] == []

    assert ann.say("bevestigen").count("1. Bram")  # asked before: first
    audit = [e.action for e in world.processes[-1].people.audit(world.org.id)]  # type: ignore[union-attr]
    assert AuditAction.CONFIRMATION_REQUESTED in audit
    assert AuditAction.CONFIRMATION_ANSWERED in audit
    view = cees.say("overzicht")
    assert f"{METRIC}, gevraagd: <5" in view and f"{METRIC}, bevestigd: <5" in view


def test_not_quite_asks_a_remark_that_joins_the_record(world: ConfirmWorld) -> None:
    ann, _bram, cees, _dirk = people(world)
    world.clock.now = DILEMMA.now
    ann.start(DILEMMA.flow)
    ann.say(*DILEMMA.lines)
    assert "Ik heb Cees gevraagd" in ann.say("bevestigen cees")

    ((to, notice),) = world.deliver()
    assert to == cees.key  # on Telegram: who and which case, not the content
    assert "Ann vraagt je het vier-ogen overleg van casus S-17 te bevestigen." in notice.text
    assert ASK_CLOSED in notice.text and "Dilemma" not in notice.text

    assert "Wat klopt er niet helemaal?" in cees.say("klopt niet")  # one request: no code
    refused = cees.say("Bel de moeder eerst, 06-12345678.")  # identifying: asked again
    assert "iemand kunt herkennen" in refused and "Dank je" not in refused
    remark = "Het overleg was op woensdag, niet op donderdag."
    assert "krijgt je opmerking" in cees.say(remark)
    line = f"Niet helemaal bevestigd door Cees, 27-11-2026: {remark}"

    ((to, told),) = world.deliver()
    assert to == ann.key
    assert "Cees vindt dat het vier-ogen overleg van casus S-17 niet helemaal klopt." in told.text
    assert remark not in told.text  # Telegram: no free text

    again = ann.say("mijn vastleggingen 1")
    part = again.split("VIER-OGEN OVERLEG")[1].split("WIE BEHOORT")[0]
    assert part.rstrip().endswith(line)
    if world.url is not None:
        (raw,) = raw_record_texts(world)
        assert remark not in raw
        store = world.processes[-1].conversations
        assert isinstance(store, SqlStore)
        with store.engine.connect() as conn:
            stored = conn.execute(sa.text("SELECT remark FROM confirmations")).scalar_one()
        assert remark not in stored  # sealed
    assert "niet helemaal: <5" in cees.say("overzicht")


def test_nobody_answers_the_professional_is_reminded_once(world: ConfirmWorld) -> None:
    ann, bram, cees, _dirk = people(world)
    made_record(ann)
    ann.say("bevestigen 1")  # Bram, Wednesday 09:00
    world.deliver()
    world.process()  # a second bot process on the same data

    world.run_all(datetime(2026, 11, 27, 15, 0, tzinfo=UTC))  # Friday: 2 days not yet over
    assert [n for k, n in world.sent if k == ann.key and "bevestig" in n.text] == []
    world.run_all(MONDAY_MORNING - timedelta(minutes=1))
    assert [n for k, n in world.sent if k == ann.key and "bevestig" in n.text] == []
    world.run_all(MONDAY_MORNING + timedelta(minutes=5))  # both processes run the job
    world.run_all(MONDAY_MORNING + timedelta(hours=3))
    reminders = [n for k, n in world.sent if k == ann.key and "bevestig" in n.text]
    assert len(reminders) == 1  # exactly once
    (reminder,) = reminders
    assert reminder.text.startswith("Bram heeft het vier-ogen overleg van casus V-1 nog niet")
    assert [c.key for c in reminder.actions] == ["bevestigen", "zonder bevestiging"]

    assert "1. Bram\n2. Cees" in ann.say(reminder.actions[0].key)
    assert "Ik heb Cees gevraagd" in ann.say("bevestigen 2")  # someone else
    assert "ken ik niet" in bram.say("klopt b1")  # the first request was replaced
    assert "Genoteerd: je gaat verder zonder bevestiging." in ann.say("zonder bevestiging")
    assert "ken ik niet" in cees.say("klopt b2")
    assert "geen vraag om bevestiging" in ann.say("zonder bevestiging")


def test_the_coffee_machine_code(world: ConfirmWorld) -> None:
    ann, bram, cees, dirk = people(world)
    made_record(ann)
    shown = ann.say("bevestigcode")
    code = shown.split("Je code: ")[1].split()[0]
    assert len(code) == 9 and "bevestig " + code in shown

    assert "klopt niet" in dirk.say(f"bevestig {code}")  # another organisation: wrong code
    assert "eigen code" in ann.say(f"bevestig {code}")
    question = bram.say(f"bevestig {code.lower()}")  # typed on his own phone
    assert question.startswith("Ann vraagt je het vier-ogen overleg van casus V-1 te bevestigen.")
    assert "Besproken met: nog niemand" in question
    assert "klopt niet" in cees.say(f"bevestig {code}")  # one use
    assert "Dank je" in bram.say("klopt")
    assert "Bevestigd door Bram, 25-11-2026" in ann.say("mijn vastleggingen 1")

    late = ann.say("bevestigcode").split("Je code: ")[1].split()[0]
    world.clock.now = T0 + timedelta(minutes=16)
    assert "verlopen" in cees.say(f"bevestig {late}")  # 15 minutes


def test_requests_go_with_the_records_after_the_retention(world: ConfirmWorld) -> None:
    ann, bram, _cees, _dirk = people(world)
    made_record(ann)
    ann.say("bevestigen bram")
    confirm = world.confirms[-1]
    assert confirm.get(1) is not None
    store = world.processes[-1].conversations
    store.purge_all(T0 + timedelta(days=1))  # records and requests made before this go
    assert confirm.get(1) is None
    assert "ken ik niet" in bram.say("klopt b1")
