"""Odd input at every question of the shipped flows, as each channel turns it into ``Incoming``.

A professional walks a shipped flow (``vier-ogen``, ``dilemma``) on the
console, Telegram and Matrix at once. At every question (the review
included) each odd thing is sent first: a sticker, a photo with a caption
that names someone, a file, a voice note, a location, an edit, a reply to an
old question, a text of over 4,000 characters, only emoji, only control
characters, commands of other bots. Each goes through the channel's own
parsing (aiogram's ``Message`` and matrix-nio's events built from the wire
format, the console's line reader), the real service and the channel's
explanation. Then the question is answered normally.

What must hold at every question: no crash and no internal error, the same
question is asked again, a Dutch explanation came with it (with the delete
advice for a photo or file on Telegram only), the saved answers did not
change, and at the end nothing odd is in the database: no caption, no file
name, no long text, no control character, no other bot's command.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from aiogram.types import Message
from nio import Event

from bot.channels.matrix.parse import parse_event
from bot.channels.oddities import (
    DELETE_ADVICE,
    EDITED,
    KNOWN_WORDS,
    MAX_TYPED,
    OLD_REPLY,
    explained,
    typed,
)
from bot.channels.telegram.updates import to_incoming
from bot.engine import texts
from bot.engine.messages import (
    Ask,
    ChannelTraits,
    Document,
    Incoming,
    QuestionKind,
    Reply,
    Say,
    TextIn,
    Unsupported,
)
from bot.engine.runner import REVIEW_STEP
from bot.service.conversation import ConversationService
from bot.service.ports import Arrival, ConversationKey
from bot.store.memory import MemoryStore
from tests.support.service import make_service

SHIPPED = Path(__file__).parent.parent.parent / "flows"
BOT = "@voorkomen:example.org"
USER = "@pro:example.org"
LONG = "LANGVERHAAL " * (MAX_TYPED // 12 + 40)
SECRET = "Jan Jansen uit Almere"  # in a caption or file name: must never be stored
CONTROL = "\x00\x07\x1b\u202e"

# ------------------------------------------------------------ the wire formats


def telegram(**content: Any) -> Incoming:
    """A private Telegram message as the Bot API sends it, through the adapter's parser."""
    raw = {
        "message_id": 7,
        "date": 1_700_000_000,
        "chat": {"id": 42, "type": "private"},
        "from": {"id": 42, "is_bot": False, "first_name": "Sam"},
        **content,
    }
    return to_incoming(Message.model_validate(raw), "voorkomen_bot")


def matrix(content: dict[str, Any], event_type: str = "m.room.message") -> Incoming:
    """A Matrix room event as Synapse sends it, through the channel's parser."""
    raw = {
        "type": event_type,
        "event_id": "$odd",
        "sender": USER,
        "origin_server_ts": 1_700_000_000_000,
        "room_id": "!dm:example.org",
        "content": content,
    }
    parsed = parse_event(Event.parse_event(raw), BOT)
    assert isinstance(parsed, TextIn | Unsupported), parsed
    return parsed


def console(text: str) -> Incoming:
    return typed(text, KNOWN_WORDS, own_name="")


FILE = {"file_id": "f1", "file_unique_id": "u1"}
PHOTO = [{**FILE, "width": 640, "height": 480}]
STICKER = {**FILE, "type": "regular", "width": 512, "height": 512, "is_animated": False}
STICKER |= {"is_video": False}
MXC = "mxc://example.org/abc"

# kind -> per channel (console, telegram, matrix) the Incoming it becomes (None: cannot be sent)
Maker = Callable[[], Incoming]
ODD: dict[str, tuple[Maker | None, Maker, Maker]] = {
    "sticker": (
        None,
        lambda: telegram(sticker=STICKER),
        lambda: matrix({"body": "sticker", "url": MXC, "info": {}}, "m.sticker"),
    ),
    "photo": (
        None,
        lambda: telegram(photo=PHOTO, caption=SECRET),
        lambda: matrix({"msgtype": "m.image", "body": f"{SECRET}.jpg", "url": MXC}),
    ),
    "file": (
        None,
        lambda: telegram(document={**FILE, "file_name": f"{SECRET}.pdf"}),
        lambda: matrix({"msgtype": "m.file", "body": f"{SECRET}.pdf", "url": MXC}),
    ),
    "voice": (
        None,
        lambda: telegram(voice={**FILE, "duration": 3}),
        lambda: matrix({"msgtype": "m.audio", "body": "spraak.ogg", "url": MXC}),
    ),
    "location": (
        None,
        lambda: telegram(location={"latitude": 52.37, "longitude": 4.89}),
        lambda: matrix({"msgtype": "m.location", "body": SECRET, "geo_uri": "geo:52.37,4.89"}),
    ),
    # Edits and replies to an old question are recognised by the adapters
    # (tests/telegram/test_e2e_odd_input.py, tests/matrix/test_odd_input.py);
    # what they hand to the service is this:
    "edit": (None, lambda: Unsupported(EDITED), lambda: Unsupported(EDITED)),
    "old reply": (None, lambda: Unsupported(OLD_REPLY), lambda: Unsupported(OLD_REPLY)),
    "long text": (
        lambda: console(LONG),
        lambda: telegram(text=LONG),
        lambda: matrix({"msgtype": "m.text", "body": LONG}),
    ),
    "only emoji": (
        lambda: console("😀🙈👍"),
        lambda: telegram(text="😀🙈👍"),
        lambda: matrix({"msgtype": "m.text", "body": "😀🙈👍"}),
    ),
    "control characters": (
        lambda: console(CONTROL),
        lambda: telegram(text=CONTROL),
        lambda: matrix({"msgtype": "m.text", "body": CONTROL}),
    ),
    "other bot's command": (
        lambda: console("/start@otherbot"),
        lambda: telegram(text="/start@otherbot"),
        lambda: matrix({"msgtype": "m.text", "body": "/start@otherbot"}),
    ),
    "unknown command": (
        lambda: console("/ban otherbot"),
        lambda: telegram(text="/ban otherbot"),
        lambda: matrix({"msgtype": "m.text", "body": "!ban otherbot"}),
    ),
    "!help": (
        lambda: console("!help"),
        lambda: telegram(text="!help"),
        lambda: matrix({"msgtype": "m.text", "body": "!help"}),
    ),
}

CHANNELS = {
    "console": (0, ChannelTraits("console", end_to_end_encrypted=True)),
    "telegram": (1, ChannelTraits("telegram", buttons=True, end_to_end_encrypted=False)),
    "matrix": (2, ChannelTraits("matrix", end_to_end_encrypted=True, confirm_multi=True)),
}
MEDIA = {"photo", "file", "voice"}

# ------------------------------------------------------------ a normal answer


def answer(ask: Ask) -> str:
    if ask.step == REVIEW_STEP:
        return "klaar"
    if ask.kind is QuestionKind.SINGLE:
        return "1"
    if ask.kind is QuestionKind.YESNO:
        return "ja"
    if ask.kind is QuestionKind.MULTI:
        return "klaar" if ask.selected else "1"  # Matrix confirms a selection
    if ask.kind is QuestionKind.DATE:
        return "gisteren" if ask.hint == texts.HINT_DATE_PAST else "morgen"
    return "C-12" if ask.step == "casuscode" else "kort antwoord"


def last_ask(replies: list[Reply]) -> Ask:
    asks = [r for r in replies if isinstance(r, Ask)]
    assert asks, f"no question in {replies}"
    return asks[-1]


def saved_answers(service: ConversationService, key: ConversationKey) -> list[Any]:
    state = service.store.load(key)
    assert state is not None
    return [entry.to_json() for entry in state.log]


def check_odd_input(
    service: ConversationService,
    key: ConversationKey,
    traits: ChannelTraits,
    channel: str,
    kind: str,
    incoming: Incoming,
    open_ask: Ask,
) -> None:
    before = saved_answers(service, key)
    replies = explained(
        incoming,
        service.handle_now(Arrival(key, incoming, traits)),
        encrypted=traits.end_to_end_encrypted,
    )
    where = f"{channel}, {kind}, at {open_ask.step}"
    said = "\n".join(r.text for r in replies if isinstance(r, Say))
    assert texts.INTERNAL_ERROR not in said, where
    again = last_ask(replies)
    assert again.step == open_ask.step, where
    assert saved_answers(service, key) == before, where
    if isinstance(incoming, Unsupported):
        assert said.strip(), where  # an explanation came with the question
        assert (DELETE_ADVICE in said) == (kind in MEDIA and channel == "telegram"), where
    elif kind == "!help":
        assert "hulp" in said.casefold() or "typ" in said.casefold(), where
    else:
        assert again.error or said.strip(), where  # the engine says why it is no answer


@pytest.mark.parametrize("flow_id", ["vier-ogen", "dilemma"])
@pytest.mark.parametrize("channel", list(CHANNELS))
def test_odd_input_at_every_question_is_explained_and_changes_nothing(
    flow_id: str, channel: str
) -> None:
    column, traits = CHANNELS[channel]
    store = MemoryStore()
    service = make_service(SHIPPED, store=store, main_flow=flow_id)
    key = ConversationKey(channel, f"odd-{flow_id}")
    replies = service.start_now(Arrival.starting(key, traits), flow_id)
    questions = 0
    for _ in range(200):
        finals = [r for r in replies if isinstance(r, Document) and r.final]
        if finals:
            break
        ask = last_ask(replies)
        questions += 1
        for kind, makers in ODD.items():
            maker = makers[column]
            if maker is not None:
                check_odd_input(service, key, traits, channel, kind, maker(), ask)
        replies = service.handle_now(Arrival(key, TextIn(answer(ask)), traits))
    else:
        pytest.fail(f"{flow_id} on {channel}: no vastlegging")
    assert questions >= 5
    stored = json.dumps(
        [store.load(key).to_json(), [r.text for r in store.records(key)]],  # type: ignore[union-attr]
        ensure_ascii=False,
    )
    for never in (SECRET, "LANGVERHAAL", "otherbot", "\\u0000", "\\u0007", "\u202e", "😀"):
        assert never not in stored, never


# ------------------------------------------------------------ the parsers themselves


def test_each_kind_becomes_what_the_service_is_told() -> None:
    assert console(LONG) == telegram(text=LONG) == matrix({"msgtype": "m.text", "body": LONG})
    assert console(CONTROL) == Unsupported("onleesbare tekens")
    assert console("ja\x00\x07") == TextIn("ja")  # stripped, the answer stays
    assert telegram(text="/start@otherbot") == Unsupported("opdracht voor een andere bot")
    assert telegram(text="/start@Voorkomen_Bot") == TextIn("start")  # its own name
    assert telegram(text="!terug") == TextIn("terug")
    assert matrix({"msgtype": "m.text", "body": "!help"}) == TextIn("help")
    assert console("!terug") == TextIn("/terug")  # the engine reads "/terug"
    assert telegram(photo=PHOTO, caption=SECRET) == Unsupported("foto")
    assert telegram(location={"latitude": 1.0, "longitude": 2.0}) == Unsupported("locatie")
    assert matrix({"msgtype": "m.location", "body": "x", "geo_uri": "geo:1,2"}) == Unsupported(
        "locatie"
    )
    assert matrix({"body": "s", "url": MXC, "info": {}}, "m.sticker") == Unsupported("sticker")


def test_every_explanation_is_short_plain_dutch() -> None:
    from bot.channels.oddities import explanation

    kinds = ["foto", "sticker", "locatie", EDITED, OLD_REPLY, "te lang bericht", "bericht"]
    kinds += ["onleesbare tekens", "opdracht voor een andere bot", "bestand", "spraakbericht"]
    for kind in kinds:
        for encrypted in (True, False):
            line = explanation(kind, encrypted=encrypted)
            assert 0 < len(line) <= 600, kind
            assert not any(word in line.casefold() for word in ("error", "unsupported")), line
