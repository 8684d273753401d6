"""Planning agreed steps (pure): which steps, described how, reminded when.

The reminder time uses an injected "now" and the organisation's time zone:
09:00 on the day, a passed morning moves to the next, weekends to Monday
unless urgent, never at night.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from bot.service.followup import Action, agreed_steps, reminder_notice, reminder_time, zone_of
from tests.content.support import examples, play

AMS = ZoneInfo("Europe/Amsterdam")
WED = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)  # Wednesday 09:00 in Amsterdam


def _local(moment: datetime) -> tuple[str, str]:
    here = moment.astimezone(AMS)
    return here.strftime("%a %d-%m"), here.strftime("%H:%M")


def test_a_reminder_comes_at_nine_on_a_working_day() -> None:
    assert _local(reminder_time(date(2026, 11, 27), AMS, WED)) == ("Fri 27-11", "09:00")
    # Saturday and Sunday move to Monday ...
    assert _local(reminder_time(date(2026, 11, 28), AMS, WED)) == ("Mon 30-11", "09:00")
    assert _local(reminder_time(date(2026, 11, 29), AMS, WED)) == ("Mon 30-11", "09:00")
    # ... unless the step is urgent.
    assert _local(reminder_time(date(2026, 11, 28), AMS, WED, urgent=True)) == (
        "Sat 28-11",
        "09:00",
    )


def test_a_passed_morning_moves_on_and_never_into_the_night() -> None:
    late_friday = datetime(2026, 11, 27, 22, 30, tzinfo=UTC)  # 23:30 there
    assert _local(reminder_time(date(2026, 11, 27), AMS, late_friday)) == ("Mon 30-11", "09:00")
    assert _local(reminder_time(date(2026, 11, 27), AMS, late_friday, urgent=True)) == (
        "Sat 28-11",
        "09:00",
    )
    afternoon = datetime(2026, 11, 25, 13, 0, tzinfo=UTC)  # 14:00 there
    assert _local(reminder_time(date(2026, 11, 25), AMS, afternoon, urgent=True)) == (
        "Wed 25-11",
        "15:00",
    )
    early = datetime(2026, 11, 25, 5, 0, tzinfo=UTC)  # 06:00 there: wait for 09:00
    assert _local(reminder_time(date(2026, 11, 24), AMS, early)) == ("Wed 25-11", "09:00")


def test_the_time_zone_is_the_organisations() -> None:
    lisbon = zone_of({"tijdzone": "Europe/Lisbon"})
    moment = reminder_time(date(2026, 11, 27), lisbon, WED)
    assert moment == datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
    assert zone_of({"tijdzone": "Mars/Olympus"}) == AMS  # unknown: the default


def test_every_dated_agreed_step_of_the_examples_is_planned_without_free_text() -> None:
    planned = 0
    for example in examples():
        p = play(example)
        finished = [e for r in p.results for e in r.effects]
        if not finished:
            continue
        record = finished[-1]
        text = p.document().text
        steps = agreed_steps(record.flow_id, record.answers, example.now.date(), {})
        afspraken = [line for line in text.splitlines() if line.startswith("- ") and " — " in line]
        dated = [line for line in afspraken if re.search(r"\d\d-\d\d-\d{4}$", line)]
        assert len(steps) == len(dated), (example.name, steps, dated)
        for s in steps:
            assert s.due_on.strftime("%d-%m-%Y") in " ".join(dated), example.name
            # Neutral words only: no typed answer reaches a reminder.
            typed = [v for v in _strings(record.answers) if len(v) > 25]
            assert not [v for v in typed if v in s.description], example.name
        planned += len(steps)
    assert planned >= 8


def _strings(tree: object) -> list[str]:
    if isinstance(tree, dict):
        return [s for v in tree.values() for s in _strings(v)]
    if isinstance(tree, list):
        return [s for v in tree for s in _strings(v)]
    return [tree] if isinstance(tree, str) else []


def test_the_owner_is_a_real_choice_only_for_a_later_decision_and_a_follow_up_step() -> None:
    owners = {}
    for example in examples():
        p = play(example)
        finished = [e for r in p.results for e in r.effects]
        if finished:
            record = finished[-1]
            for s in agreed_steps(record.flow_id, record.answers, example.now.date(), {}):
                owners[s.description] = s.owner
    assert owners["Besluiten over delen met huisarts"] == "een collega"
    chosen = {"Besluiten over delen", "De vervolgstap uit het vier-ogen overleg"}
    assert {
        d: o for d, o in owners.items() if not any(d.startswith(c) for c in chosen)
    } == dict.fromkeys([d for d in owners if not any(d.startswith(c) for c in chosen)], "ik")
    notice = reminder_notice(
        Action(
            1,
            1,
            2,
            "r",
            "T-3",
            "Besluiten over delen met Huisarts",
            "een collega",
            date(2026, 11, 27),
            False,
            "open",
            None,
            0,
        )
    )
    assert "Afgesproken: een collega doet dit." in notice.text


def test_free_text_names_a_step_only_where_the_organisation_allows_it() -> None:
    answers = {"vervolg": "School bellen", "vervolg_wie": "ik", "vervolg_datum": "2026-11-27"}
    (closed,) = agreed_steps("vier-ogen", answers, date(2026, 11, 25), {})
    assert closed.description == "De vervolgstap uit het vier-ogen overleg"
    allowed = {"vrije_tekst_zonder_versleuteling": True}
    (open_,) = agreed_steps("vier-ogen", answers, date(2026, 11, 25), allowed)
    assert open_.description == "Vervolgstap: School bellen"
