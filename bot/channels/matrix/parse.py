"""Turn one Matrix timeline event into what the conversation service understands.

Like nio's own ``BadEvent``, anything odd becomes a value, never an
exception: typed text becomes ``TextIn``, a photo or sticker becomes
``Unsupported``, a reaction becomes ``Reaction`` (the channel decides whether
it answers the open question), an event the bot should not answer (its own
messages, notices from other bots, state changes) becomes ``Ignore``, and an
encrypted message that could not be decrypted becomes ``Undecryptable`` and
an edit of an earlier message ``Edited``, so the channel can say what to do
instead of staying silent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, TypeAlias

from nio import (
    BadEvent,
    Event,
    MegolmEvent,
    ReactionEvent,
    RoomEncryptedAudio,
    RoomEncryptedFile,
    RoomEncryptedImage,
    RoomEncryptedVideo,
    RoomMessageAudio,
    RoomMessageEmote,
    RoomMessageFile,
    RoomMessageImage,
    RoomMessageNotice,
    RoomMessageText,
    RoomMessageUnknown,
    RoomMessageVideo,
    StickerEvent,
    UnknownBadEvent,
    UnknownEvent,
)

from bot.channels.oddities import KNOWN_WORDS, typed
from bot.engine.messages import Incoming, TextIn, Unsupported


@dataclass(frozen=True)
class Ignore:
    """An event that needs no answer; ``reason`` is for the debug log."""

    reason: str


@dataclass(frozen=True)
class Undecryptable:
    """An encrypted message whose room key the bot does not have."""


@dataclass(frozen=True)
class Edited:
    """An edit of an earlier message: answers are not changed that way (``wijzig`` is)."""


@dataclass(frozen=True)
class Reaction:
    """An ``m.reaction`` (annotation) with ``key`` on the event ``reacts_to``."""

    reacts_to: str
    key: str


Parsed = Incoming | Ignore | Undecryptable | Edited | Reaction

TimelineEvent: TypeAlias = Event | BadEvent | UnknownBadEvent
"""What nio puts in a room's timeline (malformed events included)."""


def event_id_of(event: TimelineEvent) -> str | None:
    """The event's id (a malformed event may have none)."""
    event_id = getattr(event, "event_id", None)
    return event_id if isinstance(event_id, str) else None


# "/start", "!start", "/kennis meldcode", "/start@voorkomen": a command word
# with an optional address (Telegram habit) and an optional argument.
_COMMAND = re.compile(r"^[/!](?P<word>[A-Za-z]+)(?:@\S+)?(?:\s+(?P<rest>.*))?$", re.DOTALL)

_MEDIA_NAMES: tuple[tuple[type[Event], str], ...] = (
    (RoomMessageImage, "foto"),
    (RoomEncryptedImage, "foto"),
    (RoomMessageAudio, "geluidsbericht"),
    (RoomEncryptedAudio, "geluidsbericht"),
    (RoomMessageVideo, "video"),
    (RoomEncryptedVideo, "video"),
    (RoomMessageFile, "bestand"),
    (RoomEncryptedFile, "bestand"),
    (StickerEvent, "sticker"),
)

_UNKNOWN_MSGTYPES = {"m.location": "locatie"}
_POLL_TYPES = {"m.poll.start", "org.matrix.msc3381.poll.start"}


def strip_reply_fallback(body: str) -> str:
    """Drop the quoted ``> <@user> ...`` block that clients put before a reply."""
    lines = body.split("\n")
    index = 0
    while index < len(lines) and lines[index].startswith(">"):
        index += 1
    if index == 0:
        return body
    return "\n".join(lines[index:]).lstrip("\n")


def text_to_incoming(text: str, own_name: str | None = None) -> Incoming:
    """Typed text; a slash or bang command maps to its word (``/terug`` -> ``terug``).

    Element catches unknown ``/commands`` itself, so ``!terug`` works too. Odd
    text (control characters, over 4,000 characters, a command of another bot
    such as ``!ban``) is judged by :func:`bot.channels.oddities.typed` first.
    """
    cleaned = typed(text, KNOWN_WORDS, own_name)
    if not isinstance(cleaned, TextIn):
        return cleaned
    stripped = cleaned.text.strip()
    match = _COMMAND.match(stripped)
    if match is None:
        return TextIn(stripped)
    word = match.group("word").lower()
    rest = (match.group("rest") or "").strip()
    return TextIn(f"{word} {rest}" if rest else word)


def reply_target(event: TimelineEvent) -> str | None:
    """The event a message replies to (``m.in_reply_to``), if it is a reply."""
    source = getattr(event, "source", {})
    content = source.get("content", {}) if isinstance(source, dict) else {}
    relation = _relation(content) if isinstance(content, dict) else {}
    reply = relation.get("m.in_reply_to")
    target = reply.get("event_id") if isinstance(reply, dict) else None
    return target if isinstance(target, str) else None


def _bare_emoji(key: str) -> str:
    """A reaction key without the variation selector some clients add (``👍️``)."""
    return key.replace("\ufe0f", "").strip()


def _relation(content: dict[str, Any]) -> dict[str, Any]:
    relation = content.get("m.relates_to")
    return relation if isinstance(relation, dict) else {}


def parse_event(event: TimelineEvent, own_user_id: str) -> Parsed:
    """Classify one (already decrypted, where possible) timeline event."""
    if isinstance(event, UnknownBadEvent):
        return Ignore("malformed event")
    sender = getattr(event, "sender", None)
    if sender == own_user_id:
        return Ignore("own event")
    if isinstance(event, MegolmEvent):
        return Undecryptable()
    if isinstance(event, BadEvent):
        if getattr(event, "type", "") == "m.room.message":
            return Unsupported("bericht")
        return Ignore(f"bad {getattr(event, 'type', 'event')}")
    source = getattr(event, "source", {})
    content = source.get("content", {}) if isinstance(source, dict) else {}
    if not isinstance(content, dict):
        content = {}
    if isinstance(event, ReactionEvent):
        return Reaction(event.reacts_to, _bare_emoji(event.key))
    if isinstance(event, UnknownEvent) and event.type == "m.reaction":
        relation = _relation(content)
        target, key = relation.get("event_id"), relation.get("key")
        if relation.get("rel_type") == "m.annotation" and isinstance(target, str) and key:
            return Reaction(target, _bare_emoji(str(key)))
        return Ignore("malformed reaction")
    if _relation(content).get("rel_type") == "m.replace":
        return Edited()
    if isinstance(event, RoomMessageNotice):
        return Ignore("notice (bots talk in notices)")
    if isinstance(event, RoomMessageEmote):
        return Unsupported("/me-bericht")
    if isinstance(event, RoomMessageText):
        body: str = event.body
        if "m.in_reply_to" in _relation(content):
            body = strip_reply_fallback(body)
        if not body.strip():
            return Ignore("empty text")
        return text_to_incoming(body, own_user_id.partition(":")[0].lstrip("@"))
    for cls, name in _MEDIA_NAMES:
        if isinstance(event, cls):
            return Unsupported(name)
    if isinstance(event, RoomMessageUnknown):
        return Unsupported(_UNKNOWN_MSGTYPES.get(event.msgtype, "bericht"))
    if isinstance(event, UnknownEvent) and event.type in _POLL_TYPES:
        return Unsupported("peiling")
    return Ignore(type(event).__name__)
