"""Escalation to the Team complexe problematiek, with four people of one
organisation: a professional (Ann), a team lead (Tom) and two members of the
team (Cas and Dee, role tcp). The real service, gate, scheduler and notifier
on the shipped flows, on memory, SQLite and PostgreSQL; the clock is injected
and nothing sleeps.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.org.model import AuditAction
from bot.service.together.escalation import (
    CALAMITY_ROUTE,
    CLOSED_METRIC,
    NOT_HERE,
    PRINCIPLES,
    REQUEST_METRIC,
    STARTED,
)
from bot.service.together.escalation_jobs import EscalationCounts
from bot.store.escalations import escalations_table
from tests.escalation.support import LEAD, PRO, TCP, Person, World

QUESTION = "Hoe voorkomen we dat een overdracht weer misgaat?"
# flows/examples/opschalen-incident.yaml: yes, after an incident; the question;
# the aandachtsfunctionaris and someone from outside; within two weeks.
ANN_LINES = ["O-4", "geen", "4", QUESTION, "2 6", "2", "klaar"]


def team(world: World) -> tuple[Person, Person, Person, Person]:
    """Four members who have each written to the bot once (so it knows their chat)."""
    people = (
        Person(world, "Ann", PRO),
        Person(world, "Tom", LEAD),
        Person(world, "Cas", TCP),
        Person(world, "Dee", TCP),
    )
    for p in people:
        p.start("dilemma")
    return people


def ask_for_escalation(ann: Person) -> None:
    ann.start("opschalen")
    said = [ann.say(line) for line in ANN_LINES]
    assert any("Vraag je teamleider om op te schalen: typ opschalen vragen" in s for s in said)
    assert said[-1].startswith("Klaar. Hieronder staat de vastlegging")


def test_a_request_is_accepted_the_team_meets_and_the_professional_hears_the_outcome(
    world: World,
) -> None:
    ann, tom, cas, dee = team(world)
    ask_for_escalation(ann)

    asked = ann.say("opschalen vragen")
    assert asked.index(CALAMITY_ROUTE) < asked.index("naar je teamleider gestuurd: Tom (code e1)")
    assert "loopt al (code e1)" in ann.say("opschalen vragen")  # asked once
    world.tick()
    (request,) = world.notices(tom)
    assert "Ann vraagt je om op te schalen" in request.text and "Casus O-4" in request.text
    assert "Aanleiding: na een incident" in request.text
    assert "Urgentie: binnen twee weken" in request.text
    assert "Gevraagd: Aandachtsfunctionaris, Iemand van buiten" in request.text
    assert QUESTION not in request.text and NOT_HERE in request.text  # Telegram: no free text
    assert "een leerreview vervangt nooit de melding" in request.text
    assert [c.key for c in request.actions] == ["accepteer e1", "weiger e1"]
    assert world.inbox(cas) == [] and world.inbox(dee) == []  # nothing to the team yet

    # The bot restarts between the request and the answer.
    if world.url is not None:
        world.restart()
    assert "teamleider" in cas.say("accepteer e1")  # only a team lead accepts
    assert "code e1" in tom.say("accepteer e1")
    assert "ken ik niet" in tom.say("accepteer e1")  # once
    world.tick()
    for member in (cas, dee):
        (call,) = world.notices(member)
        assert call.text.startswith("Opschalen e1: Tom vraagt het Team complexe problematiek")
        assert PRINCIPLES in call.text and len(call.text) <= 600
        assert [c.label for c in call.actions] == ["Ik doe mee", "Kan niet"]
    assert "geaccepteerd" in world.inbox(ann)[-1]

    assert "je doet mee aan opschalen e1" in cas.say("ik doe mee e1")
    assert "je kunt niet" in dee.say("Kan niet e1")
    status = tom.say("status e1")
    assert "Doet mee: Cas" in status and "Kan niet: Dee" in status
    assert "nog geen datum" in status
    assert "alleen een teamleider" in cas.say("status e1")

    assert "dinsdag 01-12-2026" in tom.say("datum e1 dinsdag")
    world.tick()
    assert world.inbox(cas)[-1].startswith("Het overleg over opschalen e1")
    assert "dinsdag 01-12-2026" in tom.say("status e1")

    # The reminder: Monday 30-11 at 09:00 in Amsterdam, once, in either process,
    # also after a restart.
    if world.url is not None:
        world.restart()
    world.process()
    monday = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
    world.tick(monday - timedelta(minutes=1))
    assert not any("Herinnering" in n for n in world.inbox(cas))
    world.tick(monday + timedelta(minutes=1))
    world.tick(monday + timedelta(hours=2))
    reminders = [n for n in world.inbox(cas) + world.inbox(tom) if n.startswith("Herinnering")]
    assert len(reminders) == 2  # Cas and Tom, once each; Dee cannot come
    assert "morgen, dinsdag 01-12-2026" in reminders[0]
    assert not any(n.startswith("Herinnering") for n in world.inbox(dee))

    assert "Wat is de uitkomst" in tom.say("sluit e1")
    assert "Wat moet de organisatie hiervan leren" in tom.say("1 een plan met school")
    assert "De professional die erom vroeg, hoort de uitkomst" in tom.say(
        "Eerder samen kijken naar een overdracht."
    )
    world.tick()
    outcome = world.inbox(ann)[-1]
    assert outcome.startswith("Uitkomst van opschalen e1 (casus O-4): Plan met afspraken.")
    assert "een plan met school" not in outcome  # free text stays off Telegram
    assert "ken ik niet" in tom.say("status e1")  # closed

    store = world.processes[-1].escalations
    counts = list(EscalationCounts(store).monthly_counts(ann.world.org.id))  # type: ignore[union-attr]
    assert ("2026-11", STARTED, "normaal", 1) in counts
    assert ("2026-11", CLOSED_METRIC, "Plan met afspraken", 1) in counts
    assert ("2026-11", REQUEST_METRIC, "geaccepteerd", 1) in counts
    assert not any("O-4" in str(c) for c in counts)
    view = tom.say("overzicht")  # counts only, cells under 5 hidden
    assert f"• {STARTED}, normaal: <5" in view
    assert f"• {CLOSED_METRIC}, Plan met afspraken: <5" in view
    assert "O-4" not in view and QUESTION not in view and "Ann" not in view
    audit = [e.action for e in world.processes[-1].people.audit(world.org.id)]  # type: ignore[union-attr]
    for action in (
        AuditAction.ESCALATION_REQUESTED,
        AuditAction.ESCALATION_STARTED,
        AuditAction.ESCALATION_ANSWERED,
        AuditAction.ESCALATION_CLOSED,
    ):
        assert action in audit


def test_a_team_lead_starts_one_and_the_calamity_route_comes_before_anything_is_sent(
    world: World,
) -> None:
    world.settings["vrije_tekst_zonder_versleuteling"] = True  # the question may go on Telegram
    _ann, tom, cas, dee = team(world)
    first = tom.say("opschalen")
    assert first.startswith(CALAMITY_ROUTE)
    assert "Inspectie (IGJ): binnen 3 werkdagen" in first
    assert first.rstrip().endswith("Nooit een naam. (Stoppen kan altijd: typ stop.)")
    assert "Wat is de vraag voor het team?" in tom.say("T-7")
    disciplines = tom.say("Hoe houden we de hulp gaande als het gezin afhaakt?")
    assert "1. Gedragswetenschapper" in disciplines and "3. Jeugdarts (JGZ)" in disciplines
    assert "Typ 1 (normaal) of 2 (spoed)" in tom.say("1 3")
    summary = tom.say("2")
    assert "Gevraagd: Gedragswetenschapper, Jeugdarts (JGZ)" in summary
    world.tick()
    assert world.sent == []  # nothing was sent during the dialog
    assert "Verstuurd aan 2 leden van" in tom.say("ja")
    world.tick()
    (call,) = world.notices(cas)
    assert "Vraag voor het team: Hoe houden we de hulp gaande" in call.text
    assert "Urgentie: spoed" in call.text and "Casus T-7" in call.text
    assert len(world.notices(dee)) == 1


def test_a_dialog_refuses_identifying_text_and_stops_on_stop(world: World) -> None:
    world.settings["vrije_tekst_zonder_versleuteling"] = True
    _ann, tom, _cas, _dee = team(world)
    tom.say("opschalen")
    assert "Nooit een naam" not in tom.say("T-8")
    refused = tom.say("Bel 0612345678 voor het gezin")
    assert "Laat het weg" in refused
    assert "Gestopt. Er is niets verstuurd." in tom.say("stop")
    world.tick()
    assert world.sent == []
    assert world.processes[-1].escalations.monthly_counts(world.org.id) == []  # type: ignore[union-attr]


def test_on_a_chat_without_encryption_the_lead_types_no_question(world: World) -> None:
    _ann, tom, cas, _dee = team(world)  # Telegram, and the organisation's default
    tom.say("opschalen")
    skipped = tom.say("T-9")
    assert "De vraag voor het team typ je hier niet" in skipped
    assert "1. Gedragswetenschapper" in skipped
    tom.say("1")
    tom.say("1")
    tom.say("ja")
    world.tick()
    (call,) = world.notices(cas)
    assert "Vraag voor het team: volgt in het overleg" in call.text
    e = world.processes[-1].escalations.escalation(1)
    assert e is not None and e.question is None and e.case_code == "T-9"


def test_a_request_is_declined_with_a_reason(world: World) -> None:
    world.settings["vrije_tekst_zonder_versleuteling"] = True
    ann, tom, cas, _dee = team(world)
    ask_for_escalation(ann)
    ann.say("opschalen vragen")
    world.tick()
    (request,) = world.notices(tom)
    assert QUESTION in request.text  # allowed by the organisation
    assert "Waarom schaal je niet op?" in tom.say(request.actions[1].key)  # "weiger e1"
    assert "Ann hoort het" in tom.say("We bespreken het eerst in het teamoverleg.")
    world.tick()
    declined = world.inbox(ann)[-1]
    assert declined.startswith("Tom schaalt casus O-4 (code e1) nu niet op.")
    assert "Reden: We bespreken het eerst in het teamoverleg." in declined
    assert world.inbox(cas) == []  # the team never heard of it
    assert "ken ik niet" in tom.say("accepteer e1")
    counts = world.processes[-1].escalations.monthly_counts(world.org.id)  # type: ignore[union-attr]
    assert counts == [("2026-11", REQUEST_METRIC, "geweigerd", 1)]


def test_a_professional_cannot_start_an_escalation_alone(world: World) -> None:
    ann, tom, cas, _dee = team(world)
    assert "Ik vind geen vastlegging" in ann.say("opschalen vragen")  # no record says yes
    reply = ann.say("opschalen")
    assert CALAMITY_ROUTE not in reply  # not the team lead's dialog: the conversation's
    store = world.processes[-1].escalations
    assert store.escalation(1) is None
    ask_for_escalation(ann)
    ann.say("opschalen vragen")  # e1, a request to Tom
    for word in ("accepteer e1", "sluit e1", "datum e1 morgen", "weiger e1 nee"):
        assert "Dat kan alleen een teamleider" in ann.say(word)
    assert "alleen een lid van het Team complexe problematiek" in ann.say("ik doe mee e1")
    world.tick()
    assert world.inbox(cas) == []
    assert [n.startswith("Ann vraagt je om op te schalen") for n in world.inbox(tom)] == [True]
    requested = store.escalation(1)
    assert requested is not None and requested.state == "requested"


def test_free_text_is_sealed_at_rest(world: World) -> None:
    if world.url is None:
        return  # memory keeps plain values; the SQL store seals
    ann, tom, _cas, _dee = team(world)
    ask_for_escalation(ann)
    ann.say("opschalen vragen")
    tom.say("weiger e1 Eerst het teamoverleg afwachten.")
    engine = world.processes[-1].conversations.engine
    with engine.connect() as conn:
        row = conn.execute(select(escalations_table)).one()
    assert row.question and QUESTION not in row.question
    assert row.decline_reason and "teamoverleg" not in row.decline_reason
    opened = world.processes[-1].escalations.escalation(row.id)
    assert opened is not None and opened.question == QUESTION


DILEMMA_LINES = [
    "S-17",
    "geen",
    "4",
    "De hulp aan een jongere van 17 stopt volgende maand. Wij vinden dat te vroeg.",
    "2 3",
    "26-11",
    "3",
    "Ik wil verlengen; de leidinggevende en de aandachtsfunctionaris willen afschalen.",
    "Nog geen besluit. Voorstel: 3 maanden verlengen.",
    "4",
    "nee",
    "geen",
    "Het wijkteam en de school weten het al.",
    "2",  # opschalen: ja, we zijn het oneens
    "Hoe komen we tot een besluit?",
    "1",
    "1",  # deze week: spoed
    "klaar",
]


def test_a_dilemma_that_says_yes_to_escalating_can_be_asked_for(world: World) -> None:
    world.clock.now = datetime(2026, 11, 27, 14, 0, tzinfo=UTC)  # the example's Friday
    ann, tom, _cas, _dee = team(world)
    ann.start("dilemma")
    for line in DILEMMA_LINES:
        ann.say(line)
    assert "naar je teamleider gestuurd: Tom" in ann.say("opschalen vragen")
    world.tick()
    (request,) = world.inbox(tom)
    assert "Casus S-17. Aanleiding: we zijn het oneens. Urgentie: spoed (deze week)." in request
    assert "Gevraagd: Gedragswetenschapper." in request


def test_a_moved_meeting_is_reminded_once_the_day_before_the_new_date(world: World) -> None:
    _ann, tom, cas, _dee = team(world)
    world.settings["vrije_tekst_zonder_versleuteling"] = True
    for line in ("opschalen", "T-3", "Wat is hier de volgende stap?", "2", "1", "ja"):
        tom.say(line)
    cas.say("ik doe mee e1")
    tom.say("datum e1 dinsdag")  # 01-12: reminded Monday
    assert "woensdag 02-12-2026" in tom.say("datum e1 woensdag")
    world.tick(datetime(2026, 11, 30, 8, 30, tzinfo=UTC))  # Monday 09:30
    assert not any(n.startswith("Herinnering") for n in world.inbox(cas))
    world.tick(datetime(2026, 12, 1, 8, 1, tzinfo=UTC))  # Tuesday 09:01
    world.tick(datetime(2026, 12, 1, 12, 0, tzinfo=UTC))
    reminders = [n for n in world.inbox(cas) if n.startswith("Herinnering")]
    assert reminders == [reminders[0]] and "morgen, woensdag 02-12-2026" in reminders[0]
    assert "al voorbij" in tom.say("datum e1 1 november 2026")
