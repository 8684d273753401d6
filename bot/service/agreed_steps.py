"""Which agreed steps a record holds, in the words a reminder may use.

The paths of agreed steps follow ``flows/templates/_vastlegging.j2`` (its
"AFSPRAKEN convention"): each part of the main flow (calamiteit, meldcode,
vier-ogen overleg, toestemming) keeps its answers under a name, or at the top
when it ran as a flow of its own. A step is described with the flows' option
labels, never free text (a reminder may reach a chat without end-to-end
encryption), unless the organisation allows free text on every channel. The
overview's anonymous facts are read from the same answers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.service.followup_port import DILEMMA, REFUSED, Fact

_KINDS = {
    "ingrijpen": "ingrijpen of laten",
    "uithuisplaatsing": "uithuisplaatsing",
    "delen": "informatie delen",
    "veiligheid": "zorgen om veiligheid",
    "anders": "iets anders",
}
_MEET = {
    "teamlid": "een teamlid",
    "leidinggevende": "mijn leidinggevende",
    "aandachtsfunctionaris": "de aandachtsfunctionaris",
    "veilig_thuis": "Veilig Thuis (anoniem advies)",
}
_OWNERS = {
    "ik": "ik",
    "collega": "een collega",
    "leidinggevende": "mijn leidinggevende",
    "aandachtsfunctionaris": "de aandachtsfunctionaris",
    "anders": "iemand anders",
}
_CONSENTS = ("antwoord_kind", "antwoord_jong", "antwoord_volw")
_GIVEN = ("ouders", "voogd", "jongere", "beiden", "client", "vertegenwoordiger")


def _tree(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _day(value: object) -> date | None:
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _parts(flow_id: str, answers: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """The answers of each part, wherever the flow that ended keeps them."""
    main = flow_id == "dilemma"
    top = answers
    return {
        "calamiteit": _tree(answers.get("calamiteit"))
        if flow_id in ("dilemma", "opschalen")
        else (top if flow_id == "calamiteit" else {}),
        "meldcode": _tree(answers.get("veiligheid"))
        if flow_id in ("dilemma", "toestemming")
        else (top if flow_id == "meldcode" else {}),
        "overleg": _tree(answers.get("overleg"))
        if main
        else (top if flow_id == "vier-ogen" else {}),
        "toestemming": _tree(answers.get("toestemming"))
        if main
        else (top if flow_id == "toestemming" else {}),
    }


def partner_label(key: str, settings: Mapping[str, Any]) -> str:
    """A partner's label from the organisation's list (never the typed "anders")."""
    if key == "anders":
        return "een andere partner"
    partners = _tree(_tree(settings.get("lijsten")).get("partners"))
    return str(partners.get(key) or key.replace("_", " "))


@dataclass(frozen=True)
class _Step:
    description: str
    owner: str
    due_on: date
    urgent: bool = False


def agreed_steps(
    flow_id: str, answers: Mapping[str, Any], made_on: date, settings: Mapping[str, Any]
) -> list[_Step]:
    """The agreed steps with a date, as the vastlegging lists them.

    Described with the flows' option labels, never free text, unless the
    organisation allows free text on every channel (a reminder may reach a
    chat without end-to-end encryption).
    """
    parts = _parts(flow_id, answers)
    steps: list[_Step] = []
    cal, mc, vo, ts = parts["calamiteit"], parts["meldcode"], parts["overleg"], parts["toestemming"]
    if cal.get("leidinggevende") == "nee":
        steps.append(
            _Step("De leidinggevende informeren over wat er gebeurde", "ik", made_on, True)
        )
    if (day := _day(mc.get("stap_wanneer"))) is not None:
        report = mc.get("onveilig") == "ja" or mc.get("hulp") in ("lukt_niet", "weigert")
        what = "Melden bij Veilig Thuis" if report else "Veilig Thuis bellen voor advies"
        steps.append(_Step(what, "ik", day, report))
    if (day := _day(vo.get("plan_wanneer"))) is not None:
        who = _MEET.get(str(vo.get("plan_met")), "een collega")
        steps.append(_Step(f"Het dilemma bespreken met {who}", "ik", day))
    if vo.get("vervolg") and (day := _day(vo.get("vervolg_datum"))) is not None:
        owner = _OWNERS.get(str(vo.get("vervolg_wie") or "ik"), "ik")
        what = "De vervolgstap uit het vier-ogen overleg"
        if settings.get("vrije_tekst_zonder_versleuteling") is True:
            # The organisation allows free text on every channel: the step's own words.
            what = f"Vervolgstap: {vo.get('vervolg')}"[:200]
        steps.append(_Step(what, owner, day))
    chosen = ts.get("partners")
    for p in chosen if isinstance(chosen, list) else []:
        name = partner_label(str(p), settings)
        t = _tree(_tree(ts.get("per_partner")).get(p))
        b = _tree(_tree(ts.get("besluit")).get(p))
        if (day := _day(t.get("informeren_wanneer"))) is not None:
            steps.append(_Step(f"{name} informeren (er is toestemming)", "ik", day))
        if (day := _day(t.get("vragen_wanneer"))) is not None:
            steps.append(_Step(f"Toestemming vragen om {name} te informeren", "ik", day))
        if (day := _day(b.get("vertellen_wanneer"))) is not None:
            steps.append(_Step(f"Vertellen dat ik deel met {name}", "ik", day))
        if (day := _day(b.get("later_wanneer"))) is not None:
            owner = _OWNERS.get(str(b.get("later_wie") or "ik"), "ik")
            steps.append(_Step(f"Besluiten over delen met {name}", owner, day))
    return steps


def record_facts(
    org_id: int, flow_id: str, answers: Mapping[str, Any], month: str, settings: Mapping[str, Any]
) -> list[Fact]:
    """What the overview counts of one record: the kind of dilemma, refused consent."""
    parts = _parts(flow_id, answers)
    facts: list[Fact] = []
    kind = parts["overleg"].get("soort")
    if flow_id in ("dilemma", "vier-ogen"):
        facts.append(Fact(org_id, month, DILEMMA, _KINDS.get(str(kind), "niet gevraagd")))
    ts = parts["toestemming"]
    for p, t in _tree(ts.get("per_partner")).items():
        answer = next((_tree(t).get(k) for k in _CONSENTS if _tree(t).get(k)), None)
        if answer == "geweigerd":
            facts.append(Fact(org_id, month, REFUSED, partner_label(str(p), settings)))
    return facts
