"""What people read of the access gate and of a member's own words there: plain Dutch (B1).

Kept apart from the gate (``bot.service.access``) and the member words
(``bot.service.member_words``) so the wording is in one place: strangers'
refusals and codes, picking an organisation, a name, a second app, invitations,
members and the audit log.
"""

from __future__ import annotations

# ---------------------------------------------------------------- strangers and codes

REFUSAL = (
    "Hallo! Deze bot is alleen voor medewerkers van een aangesloten organisatie. "
    "Vraag je beheerder om een uitnodigingscode en stuur die code hier als bericht."
)
WRONG_CODE = (
    "Deze code klopt niet, is al gebruikt of is verlopen. "
    "Kijk de code na, of vraag je beheerder om een nieuwe."
)
TOO_MANY_CODES = "Te veel verkeerde codes. Probeer het over een uur opnieuw."
JOINED = (
    "Welkom bij {org}! Je doet mee als {roles}. Je naam hier is {name}. "
    "Een andere naam kiezen? Typ: naam en dan je nieuwe naam."
)
LINKED = "Gelukt: deze app hoort nu bij jou ({name})."

# ---------------------------------------------------------------- picking an organisation

PICK = "Je bent lid van meer organisaties. Voor welke is dit gesprek?"
PICK_HINT = "(Typ het nummer.)"
PICKED = "Dit gesprek is voor {org}. Wisselen kan met: organisatie."

# ---------------------------------------------------------------- a member's own words

NAME_SET = "Je naam is nu {name}."
ONE_ORGANISATION = "Je bent lid van {org}."
NAME_SHOW = "Je naam is {name}. Een andere naam? Typ: naam en dan je nieuwe naam."
LINK_CODE = (
    "Je koppelcode: {code}\n"
    "Stuur deze code binnen 15 minuten als eerste bericht aan de bot in je andere app. "
    "Dan hoort die app ook bij jou."
)
INVITED = (
    "Uitnodigingscode voor {org} ({role}): {code}\n"
    "Te gebruiken door {uses} persoon/personen, tot {until}. "
    "De nieuwe collega stuurt de code als eerste bericht aan de bot.{link}"
)
ONLY_BEHEERDER = "Dat kan alleen een beheerder van {org}."
UNKNOWN_ROLE = "Die rol ken ik niet. Kies uit: professional, teamleider, tcp, beheerder."
MEMBERS = "Leden van {org}:"
AUDIT = "Laatste regels van het auditlog van {org} (alles: voorkomen audit):"
