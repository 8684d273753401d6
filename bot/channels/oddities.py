"""Odd input, the same on every channel: what it means and what the user is told.

A professional may send anything at any question: a sticker, a photo, a
voice note, a location, an edit of an earlier message, a reply to an old
question, a whole report pasted in, only emoji, invisible control characters
from a copy-paste, or a command meant for another bot. None of it may crash
the bot or end up in the database, and each gets a short Dutch reply that says
what to do instead, followed by the open question.

Two halves, both pure:

- :func:`typed` turns typed text into what the engine should see: control
  characters stripped, an over-long text refused before it reaches the engine
  (it is never stored), a command for another bot named as such;
- :func:`explained` replaces the engine's one generic line for
  ``Unsupported`` input with a line about what was actually sent (and, on a
  channel without end-to-end encryption, how to delete a photo or file from
  the chat).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from bot.engine import texts
from bot.engine.messages import Incoming, Reply, Say, TextIn, Unsupported

MAX_TYPED = 4000
"""Longer typed text is refused before the engine sees it (no answer is that long)."""

TOO_LONG = "te lang bericht"
UNREADABLE = "onleesbare tekens"
OTHER_COMMAND = "opdracht voor een andere bot"
EDITED = "bewerkt bericht"
OLD_REPLY = "antwoord op een eerder bericht"

MEDIA = frozenset(
    {
        "foto",
        "video",
        "videobericht",
        "spraakbericht",
        "geluidsbericht",
        "geluidsbestand",
        "bestand",
        "gif",
    }
)
"""What can show or say who someone is: on an unencrypted channel, advise deleting it."""

DELETE_ADVICE = (
    "Dit gesprek is niet end-to-end versleuteld. Staat er iets op waaraan iemand "
    "te herkennen is? Verwijder het dan uit deze chat: houd het ingedrukt en kies Verwijderen."
)

_ONLY_TEXT = "Ik kan alleen tekst lezen."
_TYPE = "Typ je antwoord, of typ hulp."

_LINES: dict[str, str] = {
    "sticker": f"{_ONLY_TEXT} Een sticker begrijp ik niet. {_TYPE}",
    "locatie": f"{_ONLY_TEXT} Een locatie heb ik niet nodig en bewaar ik niet. {_TYPE}",
    "contact": f"{_ONLY_TEXT} Een contact heb ik niet nodig en bewaar ik niet. {_TYPE}",
    "peiling": f"{_ONLY_TEXT} Een peiling kan ik niet invullen. {_TYPE}",
    EDITED: (
        "Een aangepast bericht kan ik niet verwerken; je antwoord blijft zoals het was. "
        "Typ je antwoord opnieuw, of typ terug om de vorige vraag te wijzigen."
    ),
    OLD_REPLY: (
        "Je reageert op een eerder bericht. Ik ga altijd verder met de open vraag hieronder. "
        "Een eerder antwoord wijzigen? Typ terug, of wijzig het aan het eind bij het overzicht."
    ),
    TOO_LONG: (
        f"Dat bericht is te lang (meer dan {MAX_TYPED} tekens). Ik heb het niet bewaard. "
        "Schrijf het korter, in een paar zinnen."
    ),
    UNREADABLE: f"In dat bericht staan alleen tekens die ik niet kan lezen. {_TYPE}",
    OTHER_COMMAND: (
        "Die opdracht is niet voor mij, dus ik doe er niets mee. "
        "Typ hulp om te zien welke woorden ik ken."
    ),
}

_ENGINE_LINES = frozenset({texts.UNSUPPORTED, texts.UNSUPPORTED_NOT_ENCRYPTED})

# Control characters (C0, C1, DEL) and the invisible bidirectional overrides
# that can make text read differently from what it is. New lines stay.
_STRIP = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def explanation(what: str, *, encrypted: bool) -> str:
    """The line for one kind of odd input (``what`` as in ``Unsupported``)."""
    if what in MEDIA:
        line = f"{_ONLY_TEXT} Een {what} bekijk of beluister ik niet. {_TYPE}"
        return line if encrypted else f"{line}\n\n{DELETE_ADVICE}"
    return _LINES.get(what, f"{_ONLY_TEXT} {_TYPE}")


def explained(incoming: Incoming, replies: Sequence[Reply], *, encrypted: bool) -> list[Reply]:
    """The replies with the engine's generic line for ``Unsupported`` input
    replaced by one about what was sent (added in front when there is none)."""
    out = list(replies)
    if not isinstance(incoming, Unsupported):
        return out
    line = Say(explanation(incoming.what, encrypted=encrypted))
    for index, reply in enumerate(out):
        if isinstance(reply, Say) and reply.text in _ENGINE_LINES:
            out[index] = line
            return out
    return [line, *out]


def strip_control(text: str) -> str:
    """``text`` without control characters (tabs become spaces, new lines stay)."""
    return _STRIP.sub("", text.replace("\t", " ").replace("\r\n", "\n").replace("\r", "\n"))


def typed(
    text: str, known_words: frozenset[str] | None = None, own_name: str | None = None
) -> Incoming:
    """What typed ``text`` means before any command handling of the channel.

    Control characters are dropped; text that is then empty (but was not) is
    ``Unsupported``, and so is text longer than :data:`MAX_TYPED`: it is
    never handed on, so it cannot be stored. With ``known_words``, a
    ``/word`` or ``!word`` whose word is not one of them is a command for
    another bot, and so is one addressed to another name than ``own_name``
    (``/start@otherbot``; ``""``: every addressed command is for another bot;
    ``None``: the address is not judged).
    """
    cleaned = unicodedata.normalize("NFC", strip_control(text))
    if not cleaned.strip():
        return Unsupported(UNREADABLE) if text.strip() else TextIn(cleaned.strip())
    if len(cleaned) > MAX_TYPED:
        return Unsupported(TOO_LONG)
    if known_words is not None and is_foreign_command(cleaned, known_words, own_name):
        return Unsupported(OTHER_COMMAND)
    if cleaned.lstrip().startswith("!") and command_word(cleaned) is not None:
        return TextIn("/" + cleaned.lstrip()[1:])  # "!terug": Element users' "/terug"
    return TextIn(cleaned)


_COMMAND = re.compile(r"^[/!](?P<word>[^\W\d_][^\s@/!]*)(?:@(?P<to>\S+))?(?:\s|$)")


def command_word(text: str) -> tuple[str, str | None] | None:
    """``/kennis@Bot x`` -> ``("kennis", "Bot")``; not a command -> ``None``."""
    match = _COMMAND.match(text.strip())
    if match is None:
        return None
    return match.group("word").casefold(), match.group("to")


def is_foreign_command(text: str, known_words: frozenset[str], own_name: str | None = None) -> bool:
    """A ``/word`` or ``!word`` that is none of ours (``/ban``), or addressed to
    another bot than ``own_name`` (``/start@otherbot``)."""
    parsed = command_word(text)
    if parsed is None:
        return False
    word, addressee = parsed
    elsewhere = addressee is not None and own_name is not None
    if elsewhere and addressee.casefold() != own_name.casefold():  # type: ignore[union-attr]
        return True
    return word not in known_words


COMMAND_WORDS = frozenset(
    {
        "start",
        "nieuw",
        "opnieuw",
        "verder",
        "terug",
        "wijzig",
        "hulp",
        "uitleg",
        "kennis",
        "nood",
        "stop",
        "menu",
    }
)
"""The engine's words that work at every question, so no answer to one (a
channel shows no "✔️" for them)."""

KNOWN_WORDS = COMMAND_WORDS | frozenset(
    {
        "begin",
        "hallo",
        "hoi",
        "help",
        "meer",
        "klaar",
        "ja",
        "nee",
        "vervang",
        "naam",
        "koppel",
        "uitnodigen",
        "leden",
        "audit",
        "overzicht",
        "accepteer",
        "weiger",
        "bevestigcode",
        "bevestigen",
        "datum",
        "gedaan",
        "opschalen",
        "organisatie",
        "privacy",
        "status",
        "vervalt",
    }
)
"""Words a professional may type as a command (``/terug``, ``!hulp``): the
engine's universal words and the service's member words. Anything else after
``/`` or ``!`` is for another bot."""
