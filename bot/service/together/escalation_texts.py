"""What people read of an escalation: replies and notices, plain Dutch (B1), <= 600 characters.

Kept apart from the words that send them so the wording is in one place. A
notice names people by the display name they chose, the case only by its
neutral code; the question for the team and other typed text appear only
when the caller says the receiving chat may hold free text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.engine.messages import Choice
from bot.service.followup import day_text
from bot.service.ports import Notice
from bot.service.together.escalation import (
    MAX_TEXT,
    NO_QUESTION,
    NOT_HERE,
    OUTCOMES,
    PRINCIPLES,
    REASONS,
    Escalation,
    fit,
    label_list,
    urgency_text,
)

# ---------------------------------------------------------------- the team lead's dialog

ASK_CASE = (
    "Wat is de casuscode? Een neutrale code, zoals het dossiernummer. Nooit een naam. "
    "(Stoppen kan altijd: typ stop.)"
)
ASK_QUESTION = (
    "Wat is de vraag voor het team? Kort, zonder namen. "
    "Bijvoorbeeld: hoe komt het dat we steeds vastlopen?"
)
NO_QUESTION_HERE = (
    "De vraag voor het team typ je hier niet: deze chat is niet end-to-end versleuteld. "
    "Vertel de vraag in het overleg."
)
ASK_DISCIPLINES_LIST = "Wie wil je erbij hebben? Typ de nummers, bijvoorbeeld: 1 3."
ASK_DISCIPLINES_FREE = (
    "Welke vakgebieden wil je erbij hebben? Typ ze kort, bijvoorbeeld: jeugdarts, jurist."
)
ASK_URGENCY = "Hoe dringend is het? Typ 1 (normaal) of 2 (spoed)."
ASK_SEND = (
    "Klopt dit?\n{summary}\n"
    "Versturen naar het Team complexe problematiek? Typ: ja (versturen) of nee (stoppen)."
)
ASK_OUTCOME = (
    "Wat is de uitkomst van opschalen {code}? Typ het nummer. "
    "Een korte toelichting mag erachter, zonder namen.\n{choices}"
)
ASK_LESSONS = (
    "Wat moet de organisatie hiervan leren? Zonder namen, zonder schuld. Typ - als er niets is."
)
ASK_DECLINE_REASON = "Waarom schaal je niet op? Typ je reden kort, zonder namen."
ASK_AGAIN_URGENCY = "Typ 1 (normaal) of 2 (spoed). Stoppen? Typ: stop."
ASK_AGAIN_SEND = "Typ ja om te versturen, of nee om te stoppen."
ASK_AGAIN_OUTCOME = "Typ het nummer van de uitkomst: 1, 2, 3 of 4. Stoppen? Typ: stop."
WRONG_NUMBERS = "Die nummers ken ik niet. Typ nummers uit de lijst, bijvoorbeeld: 1 3."
TOO_LONG = "Dat is te lang ({length} tekens). Het mag {max} tekens zijn."
TOO_SHORT = "Typ een paar woorden, of stop met: stop."
IDENTIFYING = "{found} Laat het weg en typ het opnieuw, zonder namen of nummers van personen."
CANCELLED_TEXT = "Gestopt. Er is niets verstuurd."
NO_TCP = (
    "Er is nog niemand met de rol tcp in {org}. Vraag je beheerder om collega's die rol "
    "te geven. Er is niets verstuurd; typ daarna opnieuw: {again}."
)
STARTED = (
    "Verstuurd aan {count} van het Team complexe problematiek (code {code}). "
    "Wie doet mee? Typ: status {code}. Datum kiezen? Typ: datum {code} en de datum."
)
CLOSED = "Opschalen {code} is afgesloten. Dank je wel.{told}"
TOLD = " De professional die erom vroeg, hoort de uitkomst."

# ---------------------------------------------------------------- words of others

ONLY_LEAD = "Dat kan alleen een teamleider van {org}."
ONLY_TCP = "Dat kan alleen een lid van het Team complexe problematiek (rol tcp) van {org}."
UNKNOWN = "Die opschaling ken ik niet, of die is al afgehandeld."
NO_RECORD = (
    "Ik vind geen vastlegging van jou waarin je kiest voor opschalen. Doe eerst het "
    "gesprek opschalen (typ: nieuw) en maak de vastlegging af."
)
NO_LEAD = "Er is geen teamleider in {org} die ik dit kan vragen. Vraag je beheerder."
ALREADY = (
    "Je vraag om casus {case} op te schalen loopt al (code {code}). Je hoort het als er nieuws is."
)
REQUEST_SENT = (
    "Je vraag om op te schalen is naar je teamleider gestuurd: {leads} (code {code}). "
    "Je hoort het als die accepteert of weigert."
)
ACCEPTED_PRO = (
    "{lead} heeft je vraag om op te schalen geaccepteerd (casus {case}, code {code}). "
    "Het Team complexe problematiek is gevraagd. Je hoort de uitkomst."
)
DECLINED_PRO = (
    "{lead} schaalt casus {case} (code {code}) nu niet op. Reden: {reason}. "
    "Praat er gerust over met je teamleider."
)
DECLINED_LEAD = "Genoteerd: niet opgeschaald. {name} hoort het, met je reden."
JOINED = "Genoteerd: je doet mee aan opschalen {code}. {when}"
WHEN_SET = "Het overleg is op {day}. De dag ervoor krijg je een herinnering."
WHEN_LATER = "Je hoort de datum van de teamleider."
CANNOT = "Genoteerd: je kunt niet bij opschalen {code}. Dank je voor het laten weten."
ASK_DATE = "Welke datum? Typ bijvoorbeeld: datum {code} dinsdag, of: datum {code} 12-12."
PAST_DATE = "Die datum is al voorbij. Kies een datum vanaf vandaag."
DATE_SET = (
    "Genoteerd: het overleg over opschalen {code} is op {day}. Wie meedoet hoort het nu, "
    "en krijgt de dag ervoor een herinnering."
)
DATE_NOTICE = "Het overleg over opschalen {code} (casus {case}) is op {day}."
REMINDER = (
    "Herinnering: morgen, {day}, is het overleg van het Team complexe problematiek "
    "over opschalen {code} (casus {case}). {principles}"
)
STATUS = "Opschalen {code} (casus {case}):\n{lines}\nOverleg: {when}"
NO_DATE = "nog geen datum (typ: datum {code} en de datum)"


def question_part(e: Escalation, free_text: bool) -> str:
    """The question for the team as a notice may show it."""
    if not e.question:
        return NO_QUESTION
    return e.question if free_text else NOT_HERE


def members_text(count: int) -> str:
    """``1 lid``, ``2 leden``."""
    return f"{count} lid" if count == 1 else f"{count} leden"


def numbered(options: Sequence[str]) -> str:
    return "\n".join(f"{n}. {label}" for n, label in enumerate(options, 1))


def outcome_choices() -> str:
    return numbered(list(OUTCOMES.values()))


def summary(e: Escalation, labels: Mapping[str, Any]) -> str:
    """The case, the question, who is asked and how urgent: for the team lead."""
    return (
        f"Casus: {e.case_code}\nVraag: {e.question or NO_QUESTION}\n"
        f"Gevraagd: {label_list(e.disciplines, labels)}\nUrgentie: {urgency_text(e.urgency)}"
    )


def reason_sentence(e: Escalation) -> str:
    """`` Aanleiding: ….`` for a known reason, else nothing."""
    return f" Aanleiding: {REASONS[e.reason]}." if e.reason and e.reason in REASONS else ""


CALAMITY_SHORT = (
    "Let op: een mogelijke calamiteit wacht nooit op het team. Vertel het vandaag de "
    "verantwoordelijke leidinggevende; een leerreview vervangt nooit de melding bij de Inspectie."
)


@dataclass(frozen=True)
class Asking:
    """What one kind of asking notice says of its own; the escalation's facts are the same.

    ``opening`` names who asks (``{who}``) and the code (``{code}``); ``guidance`` is what
    to keep in mind; ``answer`` says what to type; each of ``buttons`` (word, label) sends
    its word and the code (``ik doe mee e3``).
    """

    opening: str
    guidance: str
    answer: str
    buttons: tuple[tuple[str, str], ...]


TCP_CALL = Asking(
    "Opschalen {code}: {who} vraagt het Team complexe problematiek om mee te denken.",
    PRINCIPLES,
    "Doe je mee? Typ: ik doe mee {code}, of: kan niet {code}.",
    (("ik doe mee", "Ik doe mee"), ("kan niet", "Kan niet")),
)
"""The call to a member of the team, from the team lead."""
LEAD_REQUEST = Asking(
    "{who} vraagt je om op te schalen naar het Team complexe problematiek (code {code}).",
    CALAMITY_SHORT,
    "Typ: accepteer {code}, of: weiger {code} en je reden.",
    (("accepteer", "Accepteren"), ("weiger", "Weigeren")),
)
"""A professional's request to a team lead."""


def asking_notice(
    asking: Asking, e: Escalation, who: str, labels: Mapping[str, Any], free_text: bool
) -> Notice:
    """``e``'s case, reason, urgency, disciplines and question (cut to fit), as ``asking`` asks."""
    text = (
        f"{asking.opening.format(who=who, code=e.code)} Casus {e.case_code}.{reason_sentence(e)} "
        f"Urgentie: {urgency_text(e.urgency)}. "
        f"Gevraagd: {label_list(e.disciplines, labels)}.\nVraag voor het team: {{part}}\n"
        f"{asking.guidance}\n{asking.answer.format(code=e.code)}"
    )
    return Notice(
        fit(text, question_part(e, free_text)),
        tuple(Choice(f"{word} {e.code}", label) for word, label in asking.buttons),
    )


def outcome_notice(e: Escalation, lead: str, free_text: bool) -> Notice:
    """The outcome, to the professional who asked (the note only where free text may go)."""
    note = " Toelichting: {part}." if e.outcome_note else ""
    text = (
        f"Uitkomst van opschalen {e.code} (casus {e.case_code}): "
        f"{OUTCOMES.get(e.outcome or '', 'afgesloten')}.{note} "
        f"Vragen? Praat erover met {lead}."
    )
    return Notice(fit(text, (e.outcome_note or "").strip() if free_text else NOT_HERE))


def status_text(
    e: Escalation, joined: Sequence[str], cannot: Sequence[str], silent: Sequence[str]
) -> str:
    lines = [
        f"Doet mee: {', '.join(joined) or 'nog niemand'}",
        f"Kan niet: {', '.join(cannot) or 'niemand'}",
        f"Nog geen antwoord: {', '.join(silent) or 'niemand'}",
    ]
    when = day_text(e.meeting_on) if e.meeting_on else NO_DATE.format(code=e.code)
    text = STATUS.format(code=e.code, case=e.case_code, lines="\n".join(lines), when=when)
    return text[:MAX_TEXT]


def meeting_day(day: date) -> str:
    return day_text(day)
