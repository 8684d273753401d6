"""What the triage and later answers find steers the rest, and the record says what happened.

Checked on the shipped examples (each is a realistic case):

- a death: no consent questions about the client, and the calamity route (the
  IGJ note) is in the vastlegging also when the manager already knew;
- a child-safety concern: the meldcode steps, the advice about Veilig Thuis
  and the meldrecht come before any tip to ask consent;
- advice never names the person the professional disagreed with; no "jullie"
  when nobody was consulted; "het kind"/"de ouders" for a young child;
- every agreed step is in AFSPRAKEN as "wat — wie — wanneer", with the date of
  its date answer; the young person's own view is asked from 12 and recorded;
- the partners the bot suggests fit the child.
"""

from __future__ import annotations

import re

from bot.engine.messages import Ask, Say
from tests.content.support import EXAMPLES, Play, examples, flatten, load_example, play

AFSPRAAK = re.compile(r"^- .+ — .+ — .+$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _play(name: str) -> Play:
    return play(load_example(EXAMPLES / f"{name}.yaml"))


def _replies(p: Play) -> list[str]:
    return [r.text for res in p.results for r in res.replies if isinstance(r, Say | Ask)]


def _answers(p: Play) -> dict[str, object]:
    return flatten(p.data()["answers"])  # type: ignore[arg-type]


def _advice(p: Play) -> list[str]:
    advice = p.data()["advice"]
    assert isinstance(advice, list)
    return [str(a["text"]) for a in advice]


def _section(text: str, heading: str) -> list[str]:
    lines = text.splitlines()
    if heading not in lines:
        return []
    rest = lines[lines.index(heading) + 1 :]
    return rest[: rest.index("")] if "" in rest else rest


def test_a_death_asks_no_consent_and_records_the_calamity_route() -> None:
    p = _play("dilemma-client-overleden")
    answers = _answers(p)
    assert answers["calamiteit.leidinggevende"] == "ja"  # the manager already knew
    assert answers["toestemming"] is None  # the consent part was not run
    asked = [r.text for res in p.results for r in res.replies if isinstance(r, Ask)]
    assert not [q for q in asked if "toestemming" in q.lower()]
    assert any("Inspectie (IGJ)" in a and "3 werkdagen" in a for a in _advice(p))
    text = p.document().text
    assert "geen toestemming gevraagd: de cliënt is overleden" in text
    assert "Wat de jongere zelf wil" not in text  # not asked after a death


def test_child_safety_comes_before_any_consent_tip() -> None:
    checked = 0
    for example in examples():
        p = play(example)
        said = _replies(p)
        safety = [i for i, t in enumerate(said) if t.startswith("De meldcode in het kort")]
        consent = [
            i
            for i, t in enumerate(said)
            if t.startswith("Vraag om toestemming") or "geeft de jongere zelf toestemming" in t
        ]
        if safety and consent:
            checked += 1
            assert max(safety) < min(consent), example.name
            assert any("Veilig Thuis" in t for t in said[: min(consent)])
    assert checked >= 1


def test_advice_never_names_the_person_the_professional_disagreed_with() -> None:
    roles = {"leidinggevende": "leidinggevende", "aandachtsfunctionaris": "aandachtsfunctionaris"}
    checked = 0
    for example in examples():
        p = play(example)
        answers = _answers(p)
        prefix = "overleg." if example.flow == "dilemma" else ""
        if answers.get(f"{prefix}gedeeld") != "oneens":
            continue
        checked += 1
        talked = answers[f"{prefix}besproken"]
        assert isinstance(talked, list)
        for key, word in roles.items():
            if key in talked:
                assert not [a for a in _advice(p) if word in a], (example.name, word)
    assert checked >= 2


def test_no_jullie_when_nobody_was_consulted() -> None:
    checked = 0
    for example in examples():
        p = play(example)
        answers = _answers(p)
        prefix = "overleg." if example.flow == "dilemma" else ""
        if answers.get(f"{prefix}besproken") != ["niemand"]:
            continue
        checked += 1
        assert not [t for t in _replies(p) if re.search(r"\bjullie\b", t, re.I)], example.name
    assert checked >= 1


def test_a_young_child_is_not_called_de_client() -> None:
    checked = 0
    for example in examples():
        p = play(example)
        answers = _answers(p)
        if answers.get("leeftijd") not in ("0-3", "4-11"):
            continue
        checked += 1
        asked = [r for res in p.results for r in res.replies if isinstance(r, Ask)]
        after_age = asked[[a.step for a in asked].index("leeftijd") + 1 :]
        assert not [a.text for a in after_age if "cliënt" in a.text], example.name
    assert checked >= 2


def test_every_agreed_step_has_an_owner_and_a_date() -> None:
    checked = 0
    for example in examples():
        p = play(example)
        text = p.document().text
        afspraken = _section(text, "AFSPRAKEN (WAT — WIE — WANNEER)")
        for line in afspraken:
            assert AFSPRAAK.match(line), (example.name, line)
        # Every future date answered is the date of an afspraak.
        for path, value in _answers(p).items():
            if (path.endswith("_wanneer") or path.endswith("_datum")) and isinstance(value, str):
                assert DATE.match(value)
                y, m, d = value.split("-")
                if not path.endswith(".wanneer"):
                    assert any(f"{d}-{m}-{y}" in line for line in afspraken), (example.name, path)
                    checked += 1
    assert checked >= 8


def test_the_young_persons_view_is_asked_from_twelve_and_recorded() -> None:
    for example in examples():
        if example.flow not in ("dilemma", "vier-ogen"):
            continue
        p = play(example)
        answers = _answers(p)
        prefix = "overleg." if example.flow == "dilemma" else ""
        age = answers.get(f"{prefix}leeftijd") or answers.get("leeftijd")
        view = answers.get(f"{prefix}stem")
        died = answers.get("calamiteit.zelfdoding") is not None
        if age in ("0-3", "4-11") or died:
            assert view is None, example.name
        else:
            assert view is not None, example.name
            assert " zelf wil: " in p.document().text


def test_the_suggested_partners_fit_the_child() -> None:
    baby = " ".join(_replies(_play("dilemma-baby-vermoeden")))
    assert "consultatiebureau" in baby and "kinderopvang" in baby
    teen = " ".join(_replies(_play("dilemma-jongere-14-alleen")))
    assert "school" in teen and "consultatiebureau" not in teen


def test_refused_consent_brings_no_advice_to_ask_again() -> None:
    p = _play("dilemma-toestemming-geweigerd")
    assert not [a for a in _advice(p) if "toestemming" in a.lower() and "vragen" in a.lower()]
    assert not [a for a in _advice(p) if "opnieuw om toestemming" in a]


def test_the_record_states_what_happened_not_an_intention() -> None:
    for example in examples():
        text = play(example).document().text
        assert "Cliënt vooraf geïnformeerd" not in text
        assert "geen ernstige schade te voorkomen" not in text
    zonder = _play("toestemming-zonder").document().text
    assert "Nog niet verteld (zie afspraken)" in zonder
