"""Whole conversations through Element's eyes: the real service, flows and store, over Synapse.

A professional (a second matrix-nio client) opens a direct chat with the
bot and walks a dilemma: choices by number and by label, ``terug``,
multiple choice with ``klaar``, ``wijzig`` at the overview, and the final
vastlegging as a message and a ``.txt`` file — once unencrypted, once
end-to-end encrypted.

Every step is checked against a reference: the same real service called
directly (its own database, the same fixed clock). The professional must
receive exactly the replies the service gives, in order, rendered for
Matrix — no more, no fewer.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from nio import Api, ReactionEvent, RoomSendResponse

from bot.app import App
from bot.channels.matrix.render import (
    DONE_REACTION,
    YES_REACTION,
    reactions_for,
    render_ask,
    render_document,
    render_say,
    render_stale,
)
from bot.channels.matrix.sending import edits_in_place
from bot.channels.matrix.texts import EDITED_TEXT, UNENCRYPTED_ROOM_TEXT
from bot.engine import texts
from bot.engine.messages import (
    Ask,
    ChannelTraits,
    Document,
    QuestionKind,
    Reply,
    Say,
    TextIn,
    Unsupported,
)
from bot.engine.runner import MENU_STEP, REVIEW_STEP
from bot.service.ports import Arrival, ConversationKey
from bot.settings import PROJECT_ROOT
from tests.matrix.conftest import MakeUser, RunBot, RunningBot
from tests.org.support import enrol
from tests.peers.synapse import MatrixUser, Received

pytestmark = [pytest.mark.peer, pytest.mark.timeout(240)]

MakeApp = Callable[..., App]


def expected_bodies(replies: list[Reply], shown: Ask | None = None) -> tuple[list[str], Ask | None]:
    """What the professional should see for these replies (a final document adds its file;
    a multiple-choice question whose selection changed is an edit, ``* `` and the new text),
    and the question open afterwards."""
    bodies: list[str] = []
    for reply in replies:
        if isinstance(reply, Say):
            bodies.append(render_say(reply)["body"])
        elif isinstance(reply, Ask):
            body = render_ask(reply, reactions=bool(reactions_for(reply)))["body"]
            bodies.append(f"* {body}" if edits_in_place(shown, reply) else body)
            shown = reply
        elif isinstance(reply, Document):
            shown = None
            bodies.append(render_document(reply)["body"])
            if reply.final:
                bodies.append(reply.filename)
        else:
            bodies.append(render_stale(reply)["body"])
    return bodies, shown


@dataclass
class Walk:
    """One conversation, over Matrix and against the reference service side by side."""

    pro: MatrixUser
    room: str
    bot_id: str
    reference: App
    encrypted: bool
    received: list[Received] = field(default_factory=list)
    replies: list[Reply] = field(default_factory=list)
    shown: Ask | None = None
    question_event: str | None = None
    reactions: list[tuple[str, str, str]] = field(default_factory=list)
    """(sender, event reacted to, key) of every reaction the professional's client saw."""

    def __post_init__(self) -> None:
        async def seen(_room: object, event: ReactionEvent) -> None:
            self.reactions.append((event.sender, event.reacts_to, event.key))

        self.pro.client.add_event_callback(seen, ReactionEvent)

    async def bot_reacted(self, event_id: str, key: str, timeout: float = 30) -> None:
        """Wait (bounded) until the bot's own reaction ``key`` is under ``event_id``."""
        deadline = time.monotonic() + timeout
        while (self.bot_id, event_id, key) not in self.reactions:
            assert time.monotonic() < deadline, f"no {key} from the bot under {event_id}"
            await asyncio.sleep(0.05)

    @property
    def traits(self) -> ChannelTraits:
        return ChannelTraits("matrix", False, self.encrypted, True)

    async def expect_like(self, text: str, *, send: bool = True) -> list[Reply]:
        key = ConversationKey("matrix", "reference")
        replies = await self.reference.service.handle(Arrival(key, TextIn(text), self.traits))
        if send:
            await self.pro.send(self.room, text)
        bodies, self.shown = expected_bodies(replies, self.shown)
        return await self._received(replies, bodies, text)

    async def _received(self, replies: list[Reply], bodies: list[str], what: str) -> list[Reply]:
        got = await self.pro.expect(self.room, self.bot_id, count=len(bodies), timeout=60)
        assert [m.body for m in got] == bodies, f"after {what!r}"
        assert all(m.encrypted == self.encrypted for m in got)
        for message in got:
            relation = message.content.get("m.relates_to", {})
            if relation.get("rel_type") != "m.replace" and message.body.startswith(
                tuple(r.text for r in replies if isinstance(r, Ask))
            ):
                self.question_event = message.event_id
        asks = [r for r in replies if isinstance(r, Ask)]
        if asks:  # the notification preview shows the question, not a counter
            assert got[-1].body.removeprefix("* ").startswith(asks[-1].text)
        self.received += got
        self.replies = replies
        return replies

    async def react(self, emoji: str, word: str, event_id: str | None = None) -> list[Reply]:
        """Tap a reaction under the open question (or ``event_id``); it answers as ``word``."""
        target = event_id or self.question_event
        assert target is not None
        key = ConversationKey("matrix", "reference")
        replies = await self.reference.service.handle(Arrival(key, TextIn(word), self.traits))
        content: dict[str, object] = {
            "m.relates_to": {"rel_type": "m.annotation", "event_id": target, "key": emoji}
        }
        client = self.pro.client
        if self.encrypted:
            # Element encrypts reactions in an encrypted room; nio's room_send does not
            # (it would encrypt anything else twice), so encrypt and send it here. The
            # group session was shared by the professional's earlier messages.
            event_type, encrypted = client.encrypt(self.room, "m.reaction", content)
            assert client.access_token is not None
            method, path, data = Api.room_send(
                client.access_token, self.room, event_type, encrypted, str(uuid.uuid4())
            )
            response = await client._send(RoomSendResponse, method, path, data, (self.room,))
        else:
            response = await client.room_send(
                self.room, "m.reaction", content, ignore_unverified_devices=True
            )
        assert isinstance(response, RoomSendResponse), response
        bodies, self.shown = expected_bodies(replies, self.shown)
        return await self._received(replies, bodies, emoji)

    async def edit_last_answer(self) -> list[Reply]:
        """Edit the professional's last message: advice, then the open question again."""
        key = ConversationKey("matrix", "reference")
        replies = await self.reference.service.handle(
            Arrival(key, Unsupported("bewerkt bericht"), self.traits)
        )
        expected: list[Reply] = [Say(EDITED_TEXT), *[r for r in replies if isinstance(r, Ask)][-1:]]
        original = self.pro.from_user(self.room, self.pro.user_id)[-1].event_id
        await self.pro.send_content(
            self.room,
            {
                "msgtype": "m.text",
                "body": "* iets anders",
                "m.new_content": {"msgtype": "m.text", "body": "iets anders"},
                "m.relates_to": {"rel_type": "m.replace", "event_id": original},
            },
        )
        bodies, self.shown = expected_bodies(expected, self.shown)
        return await self._received(expected, bodies, "an edit")

    async def greeted(self) -> list[Reply]:
        """The bot greets a new direct chat as if the user typed ``start``."""
        return await self.expect_like("start", send=False)

    async def say(self, text: str) -> list[Reply]:
        return await self.expect_like(text)

    @property
    def ask(self) -> Ask:
        asks = [r for r in self.replies if isinstance(r, Ask)]
        assert asks, f"no question in {self.replies}"
        return asks[-1]


async def _open(
    run_bot: RunBot, make_user: MakeUser, make_app: MakeApp, *, encrypted: bool
) -> tuple[Walk, RunningBot, App]:
    app = make_app()
    bot = await run_bot(app.service, app.kv, require_encryption=encrypted)
    pro = await make_user("anna")
    enrol(app.settings.database_url, "matrix", pro.user_id, name="Anna")
    room = await pro.create_dm(bot.user_id, encrypted=encrypted)
    walk = Walk(pro, room, bot.user_id, make_app(db_name="reference.db"), encrypted)
    return walk, bot, app


async def _walk_overleg(walk: Walk) -> Document:
    """Our test flow with every way of answering; returns the final vastlegging."""
    greeting = await walk.greeted()
    notice = any(isinstance(r, Say) and r.text == texts.NOTICE_NOT_ENCRYPTED for r in greeting)
    assert notice is not walk.encrypted
    assert walk.ask.step == MENU_STEP
    assert "Overleg &amp; afspraken" in walk.received[-1].content["formatted_body"]

    await walk.say("Overleg & afspraken")  # the menu, by label
    assert walk.ask.step == "code"
    await walk.say("AB_12")
    assert walk.ask.step == "soort"
    assert "Waar gaat het &lt;dilemma&gt; over?" in walk.received[-1].content["formatted_body"]
    await walk.say("2")  # by number: Zorg & veiligheid
    assert walk.ask.step == "besproken"
    await walk.say("terug")
    assert walk.ask.step == "soort"
    assert walk.ask.previous == "Zorg & veiligheid"
    await walk.say("Informatie delen")  # by label
    assert walk.ask.step == "besproken"
    besproken = walk.question_event
    await walk.edit_last_answer()  # an edited answer: advice and the question again
    assert walk.ask.step == "besproken"
    assert walk.received[-2].body == EDITED_TEXT
    assert walk.question_event != besproken
    assert walk.question_event is not None
    await walk.bot_reacted(walk.question_event, YES_REACTION)  # offered as quick answers
    await walk.bot_reacted(walk.question_event, "👎")
    await walk.react(YES_REACTION, "ja")  # a reaction answers a yes/no question
    assert walk.ask.step == "partners"
    assert walk.ask.kind is QuestionKind.MULTI
    partners = walk.question_event
    assert partners is not None
    await walk.bot_reacted(partners, DONE_REACTION)

    await walk.say("1 3")  # several numbers: the question is edited in place with ✅
    assert walk.ask.step == "partners"
    assert walk.ask.selected == ("huisarts", "vt")
    edit = walk.received[-1]
    assert edit.content["m.relates_to"] == {"rel_type": "m.replace", "event_id": partners}
    question = edit.content["m.new_content"]["body"]
    assert question.startswith("Wie moet dit weten?")
    assert "1. ✅ Huisarts" in question
    assert "2. School" in question
    assert "3. ✅ Veilig Thuis" in question
    # a reaction on an older question answers nothing
    await walk.pro.client.room_send(
        walk.room,
        "m.reaction",
        {"m.relates_to": {"rel_type": "m.annotation", "event_id": besproken, "key": "👎"}},
        ignore_unverified_devices=True,
    )
    await walk.react(DONE_REACTION, "klaar", partners)  # ✅ under the question: klaar
    assert walk.ask.step == "weet_al"
    assert walk.ask.text == "Weet Huisarts het al?"
    await walk.say("nood")
    emergency = walk.received[-2].content["formatted_body"]
    assert '<a href="tel:112">112</a>' in emergency
    assert '<a href="tel:08002000">0800-2000</a>' in emergency
    await walk.say("ja")
    await walk.say("nee")
    assert walk.ask.step == "afspraak"
    await walk.say("Mentor <school> & huisarts bellen")
    assert walk.ask.step == REVIEW_STEP
    # no draft: the overview lists its parts, and the vastlegging comes once, at the end
    assert not [r for r in walk.replies if isinstance(r, Document)]

    await walk.say("wijzig 3")  # besproken: ja -> nee asks the date question
    assert walk.ask.step == "besproken"
    await walk.say("nee")
    assert walk.ask.step == "wanneer"
    await walk.say("morgen")
    assert walk.ask.step == REVIEW_STEP
    review = walk.received[-1].body
    assert "Klaar, maak vastlegging" in review
    await walk.say("klaar")
    final = [r for r in walk.replies if isinstance(r, Document)]
    assert len(final) == 1
    assert final[0].final
    assert "Wanneer bespreek je het?" in final[0].text  # asked after the change
    return final[0]


def _check_vastlegging_message(message: Received) -> None:
    html = message.content["formatted_body"]
    assert message.content["format"] == "org.matrix.custom.html"
    assert "<b>AB_12</b>" in html  # Markdown escapes undone, the code in bold
    assert "Mentor &lt;school&gt; &amp; huisarts bellen" in html  # answers escaped


async def test_walks_the_test_flow_unencrypted(
    run_bot: RunBot, make_user: MakeUser, make_app: MakeApp
) -> None:
    walk, _bot, _app = await _open(run_bot, make_user, make_app, encrypted=False)
    document = await _walk_overleg(walk)
    message, attachment = walk.received[-2:]
    assert "AB_12" in document.text
    _check_vastlegging_message(message)
    assert attachment.content["msgtype"] == "m.file"
    assert attachment.content["body"].endswith(".txt")
    assert (await walk.pro.download(attachment.content)).decode() == document.text
    assert await walk.pro.settle(walk.room, walk.bot_id, quiet=0.5, at_least=0) == []


async def test_walks_the_test_flow_end_to_end_encrypted(
    run_bot: RunBot, make_user: MakeUser, make_app: MakeApp
) -> None:
    walk, _bot, _app = await _open(run_bot, make_user, make_app, encrypted=True)
    document = await _walk_overleg(walk)
    message, attachment = walk.received[-2:]
    _check_vastlegging_message(message)
    assert "url" not in attachment.content
    assert (await walk.pro.download(attachment.content)).decode() == document.text
    assert walk.pro.undecryptable == 0
    assert await walk.pro.settle(walk.room, walk.bot_id, quiet=0.5, at_least=0) == []


async def test_a_restart_mid_conversation_answers_the_waiting_message_once(
    run_bot: RunBot, make_user: MakeUser, make_app: MakeApp
) -> None:
    walk, bot, app = await _open(run_bot, make_user, make_app, encrypted=True)
    await walk.greeted()
    await walk.say("1")
    await walk.say("AB12")
    assert walk.ask.step == "soort"

    # Stop the bot and close its app, as a deploy does; answer while it is down.
    await bot.stop()
    app.close()
    await walk.pro.send(walk.room, "2")

    app = make_app()  # the same database file: the conversation is still there
    bot = await run_bot(app.service, app.kv, require_encryption=True)
    await walk.expect_like("2", send=False)  # answered once, where it left off
    assert walk.ask.step == "besproken"
    await walk.say("ja")
    assert walk.ask.step == "partners"
    assert await walk.pro.settle(walk.room, walk.bot_id, quiet=0.5, at_least=0) == []


async def test_an_unencrypted_chat_is_refused_before_any_question_when_encryption_is_required(
    run_bot: RunBot, make_user: MakeUser, make_app: MakeApp
) -> None:
    app = make_app()
    bot = await run_bot(app.service, app.kv, require_encryption=True)
    pro = await make_user("anna")
    enrol(app.settings.database_url, "matrix", pro.user_id, name="Anna")
    room = await pro.create_dm(bot.user_id, encrypted=False)
    (refusal,) = await pro.expect(room, bot.user_id)  # at once: no greeting, no menu
    assert refusal.body == UNENCRYPTED_ROOM_TEXT
    for answer in ("1", "AB_12", "klaar"):  # a professional who answers anyway
        await pro.send(room, answer)
        (again,) = await pro.expect(room, bot.user_id)
        assert again.body == UNENCRYPTED_ROOM_TEXT
    assert await pro.settle(room, bot.user_id, quiet=0.5, at_least=0) == []
    assert app.store.load(ConversationKey("matrix", room)) is None  # nothing started
    assert [m.body for m in pro.from_user(room, bot.user_id)] == [UNENCRYPTED_ROOM_TEXT] * 4


DILEMMA = PROJECT_ROOT / "flows" / "dilemma.yaml"


def _answer(ask: Ask, step: int) -> str:
    """A sensible answer to any question, alternating numbers and labels."""
    if ask.kind is QuestionKind.MULTI:
        return "klaar" if ask.selected else "1"
    if ask.kind is QuestionKind.TEXT:
        return "Overleg gehad"[: ask.max_length or 400]
    if ask.kind is QuestionKind.DATE:
        return "vandaag"  # fits a question about the past and one about the future
    if ask.choices:
        return ask.choices[0].label if step % 2 else "1"
    return "ja"


@pytest.mark.skipif(not DILEMMA.exists(), reason="flows/dilemma.yaml is not there yet")
async def test_walks_the_shipped_dilemma_flow_encrypted(
    run_bot: RunBot, make_user: MakeUser, make_app: MakeApp
) -> None:
    app = make_app(PROJECT_ROOT / "flows")
    bot = await run_bot(app.service, app.kv, require_encryption=True)
    pro = await make_user("anna")
    enrol(app.settings.database_url, "matrix", pro.user_id, name="Anna")
    room = await pro.create_dm(bot.user_id, encrypted=True)
    walk = Walk(pro, room, bot.user_id, make_app(PROJECT_ROOT / "flows", "ref.db"), True)
    await walk.greeted()
    menu = walk.ask
    assert menu.step == MENU_STEP
    number = [c.key for c in menu.choices].index("dilemma") + 1
    await walk.say(str(number))
    went_back = changed = False
    for step in range(300):
        ask = walk.ask
        if ask.step == REVIEW_STEP:
            if not changed:
                changed = True
                await walk.say("wijzig 1")
                continue
            await walk.say("klaar")
            break
        if step == 3 and not went_back:
            went_back = True
            await walk.say("terug")
            continue
        await walk.say(_answer(ask, step))
    final = [r for r in walk.replies if isinstance(r, Document) and r.final]
    assert final, "the dilemma flow did not end with a vastlegging"
    *_, message, attachment, offer = walk.received  # the offer to confirm comes last
    assert "collega het vier-ogen overleg bevestigt" in offer.body
    html = message.content["formatted_body"]
    assert "**" not in html  # the template's Markdown became HTML
    assert "\\" not in html
    assert "<b>" in html
    assert "<li>" in html
    assert (await pro.download(attachment.content)).decode() == final[0].text
