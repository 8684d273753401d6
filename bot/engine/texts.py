"""Every sentence the engine itself says, in plain Dutch (B1), in one place.

Flow texts come from the YAML flows; these are the engine's own words: help
at a question, errors, the review, the emergency message. Keeping them here
makes them easy to read, review and adapt.
"""

from __future__ import annotations

WORDS_LINE = "terug · wijzig · stop · verder · nieuw · hulp · uitleg · kennis · nood"

WELCOME = (
    "Welkom bij Voorkomen. Ik help je een lastig dilemma door te denken en kort vast te leggen. "
    "Jij beslist.\n"
    "Acuut gevaar? Bel 112. Veilig Thuis: 0800-2000 (dag en nacht). "
    "Achterwacht: {achterwacht}. Of typ nood."
)
WELCOME_PRIVATE = "Gebruik geen namen, BSN of adressen: alleen een eigen casuscode."
"""Added to the welcome on an end-to-end encrypted channel; elsewhere the
service's NOTICE_NOT_ENCRYPTED already says it (once, at first contact)."""
MENU_QUESTION = "Waarmee wil je aan de slag?"
MENU_HINT = "Kies een nummer. Typ kennis voor korte uitleg over de vuistregels."
MENU_PICK = "Kies 1 tot en met {n}."

NOOD = (
    "Is er nu gevaar?\n"
    "• Direct gevaar: bel 112.\n"
    "• Veilig Thuis: 0800-2000 (gratis, dag en nacht). Ook voor anoniem advies.\n"
    "• Achterwacht: {achterwacht}.\n"
    "Overleg mag een melding nooit vertragen. Je antwoorden hier blijven bewaard."
)

HELP_WHY = "Waarom deze vraag? {why}"
HELP_EXAMPLE = "Bijvoorbeeld: {example}"
HELP_HOW = "Zo antwoord je: {hint}"
HELP_COMMON = (
    "Je kunt altijd typen:\n"
    "• terug – een vraag terug\n"
    "• wijzig – een antwoord aanpassen\n"
    "• stop – stoppen\n"
    "• verder – later doorgaan\n"
    "• nieuw – opnieuw beginnen\n"
    "• uitleg – uitleg bij deze vraag\n"
    "• kennis – korte artikelen\n"
    "• nood – hulp bij acuut gevaar"
)
HELP_SHORT = "Je kunt altijd typen: " + WORDS_LINE
ENDED = "Dit gesprek is klaar. Typ nieuw voor een nieuw gesprek, of kennis voor de artikelen."
HINT_CHOICE = "Typ het nummer of het antwoord."
HINT_MULTI = "Typ een of meer nummers, bijvoorbeeld: 1 3"
HINT_MULTI_OPTIONAL = "Typ een of meer nummers, bijvoorbeeld: 1 3. Of typ geen."
HINT_MULTI_CONFIRM = "Typ nummers, bijvoorbeeld: 1 3. Typ daarna klaar."
HINT_MULTI_BUTTONS = "Tik alles aan wat past en kies dan Klaar."
HINT_YESNO = "Typ ja of nee."
HINT_TEXT = "Kort is goed (hooguit {max} tekens). Geen namen, BSN of adressen."
HINT_TEXT_OPTIONAL = HINT_TEXT + " Niets te melden? Typ -"
HINT_DATE = "Typ bijvoorbeeld: vrijdag, morgen, 12-3 of 12 maart."
HINT_DATE_PAST = (
    "Typ een datum van vandaag of eerder, bijvoorbeeld: gisteren, vorige week vrijdag of 12-3."
)
HINT_DATE_FUTURE = (
    "Typ een datum van vandaag of later, bijvoorbeeld: morgen, volgende week dinsdag of 12-3."
)

ERR_CHOICE = "Dat antwoord ken ik niet. Kies een van deze:"
ERR_CHOICE_WHICH = "Welke bedoel je: {options}? Typ het nummer."
ERR_TEXT_TOO_SHORT = "Dat is wel erg kort. Vertel het in een paar woorden."
ERR_YESNO = "Typ ja of nee."
ERR_MULTI = "Dat snap ik niet. Typ de nummers, bijvoorbeeld: 1 3"
ERR_MULTI_EMPTY = "Kies minstens één antwoord."
ERR_TEXT_EMPTY = "Typ een kort antwoord."
ERR_TEXT_LONG = "Dat is {length} tekens. Maak het korter: hooguit {max}."
ERR_TEXT_IDENTIFYING = (
    "{found} Dat bewaart de bot niet. Typ je antwoord anders, "
    "of typ {replace_word}: dan bewaar ik «{redacted}»."
)
REPLACE_WORD = "vervang"
ERR_DATE = "Dat lees ik niet als datum. Kijk hieronder hoe het kan."
ERR_DATE_NUMBER = "Alleen een getal lees ik niet als datum. Typ dag en maand, bijvoorbeeld 12-3."
ERR_DATE_AMBIGUOUS = "Bedoel je dag en maand? Typ het zo: 5-1 of 5 januari."
ERR_DATE_IMPOSSIBLE = "Die datum bestaat niet. Kijk dag en maand nog eens na."
DATE_PROBLEMS = {
    "number": ERR_DATE_NUMBER,
    "ambiguous": ERR_DATE_AMBIGUOUS,
    "impossible": ERR_DATE_IMPOSSIBLE,
}
ERR_DATE_NOT_PAST = (
    "Dit gaat over iets wat al gebeurd is, maar {date} ligt nog in de toekomst. "
    "Typ een datum van vandaag of eerder."
)
ERR_DATE_NOT_FUTURE = (
    "Hier hoort een datum van vandaag of later, maar {date} is al voorbij. "
    "Typ een datum van vandaag of later."
)
DATE_NOTED = "Genoteerd: {date}."
ERR_NOT_NOW = "Dat kan hier niet."
UNSUPPORTED = "Ik kan alleen tekst lezen. Typ je antwoord, of typ hulp."
UNSUPPORTED_NOT_ENCRYPTED = (
    "Ik kan alleen tekst lezen. Deze chat is niet end-to-end versleuteld: "
    "staat er iets herkenbaars op, verwijder het dan uit de chat. Typ je antwoord, of typ hulp."
)

SELECTED = "Gekozen: {labels}. Typ klaar om door te gaan, of kies opnieuw."
NOTHING_SELECTED = "Nog niets gekozen."

BACK_AT_START = "Dit is de eerste vraag; verder terug kan niet."
STOPPED = (
    "Gestopt. Je antwoorden zijn bewaard. "
    "Typ verder om door te gaan, of nieuw om opnieuw te beginnen."
)
PAUSED_REMINDER = (
    "Je was gestopt bij {flow}. Typ verder om door te gaan, of nieuw om opnieuw te beginnen."
)
RESUME_PROMPT = "Je bent bezig met {flow}. We gaan verder waar je was."
CONFIRM_RESTART = "Weet je zeker dat je opnieuw wilt beginnen? Je antwoorden van nu vervallen."
RESTART_KEPT = "Goed, we gaan verder waar je was."
NO_FLOW = "Er loopt nu geen gesprek. Kies hieronder waar je mee wilt beginnen."

REVIEW_QUESTION = (
    "Klopt alles? Kies dan Klaar. Wil je iets bekijken of wijzigen, kies dan een deel."
)
REVIEW_HINT = "Typ het nummer van een deel, of klaar."
REVIEW_GENERAL = "Algemeen"
REVIEW_DONE_LABEL = "Klaar, maak vastlegging"
REVIEW_BACK_LABEL = "Terug naar het overzicht"
SECTION_QUESTION = "{title}. Kies een antwoord om het te wijzigen."
SECTION_CHANGE_LABEL = "Wijzig {n}"
SECTION_HINT = "Typ het nummer van een antwoord, of klaar."
REVIEW_BAD_NUMBER = "Er is geen antwoord met nummer {n}. Kies een nummer van 1 tot {max}."
WIJZIG_ONLY_IN_REVIEW = (
    "Wijzigen kan aan het eind, bij het overzicht. Typ terug om een vraag terug te gaan."
)
DONE = (
    "Klaar. Hieronder staat de vastlegging. Plak die in het cliëntdossier. "
    "De bot wist zijn eigen kopie na {days} dagen."
)
DRAFT_TITLE = "Concept"
CHANGED_KEPT = "Je andere antwoorden blijven staan."

MORE_KEY = "meer"
MORE_LABEL = "Meer lezen"
NO_MORE = "Dat was alles. Typ kennis voor de andere artikelen."
NO_ARTICLE_HERE = "Bij deze vraag hoort geen uitleg. Typ kennis voor alle artikelen."
KNOWLEDGE_LIST = "Korte artikelen. Typ kennis en een woord, bijvoorbeeld: kennis toestemming"
KNOWLEDGE_LIST_ID = "*kennis*"
SEE_ALSO = "Zie ook: {ids}"
KNOWLEDGE_NONE = "Geen artikel gevonden voor '{query}'. Typ kennis voor de lijst."
KNOWLEDGE_MISSING = "Er zijn nog geen artikelen."
SKIPPED_FREE_TEXT = (
    "Deze vraag slaan we over: op dit kanaal is vrije tekst over de casus niet toegestaan. "
    "Schrijf het antwoord direct in het dossier."
)
SKIPPED_NOTE = "Niet gevraagd: vrije tekst is op dit kanaal niet toegestaan."
PREVIOUS = "Eerder: {value}"
YES = "Ja"
NO = "Nee"

NOTICE_NOT_ENCRYPTED = (
    "Let op: chats met deze bot zijn niet end-to-end versleuteld. "
    "Typ dus geen namen, BSN, adressen of andere gegevens die iemand herkenbaar maken. "
    "Gebruik alleen een eigen casuscode."
)
INTERNAL_ERROR = (
    "Er ging iets mis aan onze kant. Je antwoorden zijn bewaard. Probeer het nog eens, of typ hulp."
)
FLOW_CHANGED = (
    "De vragenlijst is intussen aangepast en je oude gesprek kan niet verder. We beginnen opnieuw."
)

STORE_AWAY = (
    "Ik kan je bericht nu even niet opslaan. Wat je eerder antwoordde, is bewaard. "
    "Stuur je laatste bericht over een paar minuten nog een keer."
)
