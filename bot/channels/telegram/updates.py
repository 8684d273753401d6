"""What a Telegram update means to the engine: aiogram's objects in, ``Incoming`` out.

Commands become words (``/kennis@Bot meldcode`` -> ``kennis meldcode``), a
deep link's ``/start CODE`` goes to the access gate, a photo or sticker is
``Unsupported`` with a Dutch word for what it was, the sender is the
Telegram user id and first name (never a phone number). ``typed_answer``
names what a typed answer chose, for the "✔️" line under the question.
"""

from __future__ import annotations

import re
from enum import Enum

from aiogram.types import Message, User

from bot.channels.oddities import KNOWN_WORDS, command_word, typed
from bot.engine.messages import Ask, ChannelTraits, Incoming, QuestionKind, TextIn, Unsupported
from bot.service.ports import Sender

CHANNEL = "telegram"
TELEGRAM_TRAITS = ChannelTraits(name=CHANNEL, buttons=True, end_to_end_encrypted=False)


# Words for what a message holds when it is not text, as the service may show
# them to the user ("een foto kan ik niet lezen").
_CONTENT_NAMES = {
    "photo": "foto",
    "sticker": "sticker",
    "voice": "spraakbericht",
    "audio": "geluidsbestand",
    "video": "video",
    "video_note": "videobericht",
    "animation": "gif",
    "document": "bestand",
    "location": "locatie",
    "venue": "locatie",
    "contact": "contact",
    "poll": "peiling",
    "dice": "dobbelsteen",
}


def content_name(message: Message) -> str:
    """A Dutch word for what a non-text message holds."""
    kind = message.content_type
    return _CONTENT_NAMES.get(kind.value if isinstance(kind, Enum) else str(kind), "bericht")


def command_text(text: str) -> str:
    """``/kennis@VoorkomenBot meldcode`` -> ``kennis meldcode``; ``/start x`` -> ``start``.

    The payload of ``/start`` (a deep link) is dropped: it is not a command word.
    """
    head, _, rest = text[1:].partition(" ")
    head, _, rest2 = head.partition("\n")
    rest = f"{rest2} {rest}".strip()
    word = head.partition("@")[0].lower()
    if not word:
        return text
    if word == "start":
        return word
    return f"{word} {rest}".strip()


def to_incoming(message: Message, own_username: str | None = None) -> Incoming:
    """What the user sent, as the engine understands it.

    Typed text goes through :func:`bot.channels.oddities.typed` first (control
    characters out, over-long text refused); ``/word`` and ``!word`` become
    the word, unless the word is none of ours or the command is addressed to
    another bot (``/start@otherbot``).
    """
    text = message.text
    if text is None:
        return Unsupported(content_name(message))
    cleaned = typed(text, KNOWN_WORDS, own_username)
    if not isinstance(cleaned, TextIn) or command_word(cleaned.text) is None:
        return cleaned
    text = cleaned.text
    return TextIn(command_text("/" + text.strip()[1:]))


def start_code(message: Message) -> Incoming | None:
    """``/start CODE`` (an invitation deep link) as ``start CODE`` for the access gate."""
    head, _, payload = (message.text or "").partition(" ")
    if head.partition("@")[0].lower() == "/start" and payload.strip():
        return TextIn(f"start {payload.strip()}")
    return None


def sender_of(user: User | None) -> Sender:
    """Who wrote: the Telegram user id and first name (never a phone number);
    an update without a user is a stranger to the access gate."""
    if user is None:
        return Sender(CHANNEL, "")
    return Sender(CHANNEL, str(user.id), user.first_name)


_NUMBERS = re.compile(r"^\s*\d+(?:[\s,;]+\d+)*\s*$")


def typed_answer(ask: Ask, text: str) -> str:
    """What a typed answer to a question with buttons chose, as the "✔️" line shows it.

    The engine accepted the text (the question was not asked again), so this
    only has to name it: numbers become their options, a label or the first
    word of one becomes that option, ``klaar`` the options ticked so far, and
    anything else is shown as typed.
    """
    typed = text.strip()
    word = typed.casefold()
    labels = [c.label for c in ask.choices]
    if _NUMBERS.match(typed):
        picked = [int(n) for n in re.findall(r"\d+", typed)]
        if all(1 <= n <= len(labels) for n in picked):
            return ", ".join(labels[n - 1] for n in dict.fromkeys(picked))
    if ask.kind is QuestionKind.MULTI and word == "klaar":
        chosen = [c.label for c in ask.choices if c.key in ask.selected]
        return ", ".join(chosen) if chosen else "geen"
    for choice in ask.choices:
        label = choice.label.casefold()
        if word in (label, choice.key.casefold()) or label.split(" ")[0].strip(",.") == word:
            return choice.label
    return typed if len(typed) <= 60 else typed[:59] + "…"


def first_word(incoming: Incoming | None) -> str:
    if not isinstance(incoming, TextIn):
        return ""
    words = incoming.text.strip().lstrip("/").split(maxsplit=1)
    return words[0].casefold() if words else ""
