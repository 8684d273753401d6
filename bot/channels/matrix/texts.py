"""What the Matrix channel itself says (plain Dutch, short enough for a phone screen).

The conversation's own texts come from the engine; these are the channel's:
errors, refusals and advice about what Matrix clients can do.
"""

ERROR_TEXT = (
    "Sorry, er ging bij mij iets mis. Probeer het zo nog eens. "
    "Typ verder om door te gaan waar je was."
)
UNDECRYPTABLE_TEXT = (
    "Ik kon je laatste bericht niet lezen: de sleutel van de versleuteling ontbrak. "
    "Stuur het nog een keer."
)
GROUP_REFUSAL_TEXT = (
    "Hallo! Ik praat alleen in een privégesprek met één persoon, "
    "omdat het over gevoelige situaties gaat. "
    "Start een direct gesprek met mij. Ik verlaat deze groep nu."
)
EDITED_TEXT = (
    "Een aangepast bericht kan ik niet verwerken. Typ je antwoord opnieuw. "
    "Een eerder antwoord wijzigen kan aan het eind, bij het overzicht."
)
UNENCRYPTED_ROOM_TEXT = (
    "Dit gesprek is niet versleuteld. Over een casus praat ik alleen in een versleuteld gesprek, "
    "dus hier stel ik geen vragen. Start een nieuw privégesprek met mij met versleuteling aan, "
    "of zet versleuteling aan in dit gesprek."
)
