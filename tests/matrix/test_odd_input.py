"""Odd events, late room keys and a crash before the greeting, against a real Synapse.

- At two questions of the test flow (a free-text and a choice question), in
  an end-to-end encrypted direct chat, the professional sends an
  ``m.sticker``, ``m.image``, ``m.file``, ``m.audio``, ``m.location``, an
  ``m.replace`` edit, a reply to an old event, a text of over 4,000
  characters, only emoji, only control characters and another bot's
  commands: each gets a Dutch explanation and the same question again, and
  the saved answers do not change. The next normal answer then gets the next
  question.
- A message whose megolm room key reaches the bot only later (the
  professional's client holds back the to-device key, then sends it) is read
  and answered once the key comes, in order with the message behind it; no
  "could not read" in between.
- A key that never comes: after ``key_patience`` the professional is asked to
  send the message again (it is never silently dropped).
- The bot is stopped dead after joining a direct chat and before greeting:
  after the restart the professional is greeted, once.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from nio import ShareGroupSessionResponse

from bot.app import App
from bot.channels.matrix.texts import EDITED_TEXT, UNDECRYPTABLE_TEXT
from bot.channels.oddities import MAX_TYPED, OLD_REPLY, explanation
from bot.engine.messages import Reply, TextIn
from bot.service.ports import Arrival, ConversationKey
from tests.matrix.conftest import DictValues, EchoService, MakeUser, RunBot, RunningBot, until
from tests.matrix.test_conversation import MakeApp
from tests.org.support import enrol
from tests.peers.synapse import MatrixUser, Received

pytestmark = [pytest.mark.peer, pytest.mark.timeout(240)]

MXC = "mxc://localhost/abcdef"
FILE = {  # media in an encrypted room: an encrypted file, as Element sends it
    "url": MXC,
    "hashes": {"sha256": "aGFzaA"},
    "iv": "aXZpdml2aXZpdg",
    "key": {"alg": "A256CTR", "k": "a2V5", "kty": "oct", "ext": True, "key_ops": ["decrypt"]},
    "v": "v2",
}
ODD_EVENTS: list[tuple[str, str, dict[str, Any]]] = [
    ("sticker", "m.sticker", {"body": "duim", "url": MXC, "info": {}}),
    ("foto", "m.room.message", {"msgtype": "m.image", "body": "Jan.jpg", "file": FILE}),
    ("bestand", "m.room.message", {"msgtype": "m.file", "body": "Jan.pdf", "file": FILE}),
    ("geluidsbericht", "m.room.message", {"msgtype": "m.audio", "body": "a.ogg", "file": FILE}),
    ("locatie", "m.room.message", {"msgtype": "m.location", "body": "Jan", "geo_uri": "geo:1,2"}),
    ("te lang bericht", "m.room.message", {"msgtype": "m.text", "body": "LANG " * 900}),
    ("onleesbare tekens", "m.room.message", {"msgtype": "m.text", "body": "\x00\x07\x1b"}),
    ("opdracht voor een andere bot", "m.room.message", {"msgtype": "m.text", "body": "!ban x"}),
]
assert len(ODD_EVENTS[5][2]["body"]) > MAX_TYPED


def answers(app: App, room: str) -> list[Any]:
    state = app.store.load(ConversationKey("matrix", room))
    assert state is not None
    return [entry.to_json() for entry in state.log]


async def send_event(pro: MatrixUser, room: str, event_type: str, content: dict[str, Any]) -> str:
    from nio import RoomSendResponse

    response = await pro.client.room_send(room, event_type, content, ignore_unverified_devices=True)
    assert isinstance(response, RoomSendResponse), response
    return str(response.event_id)


async def replies(
    pro: MatrixUser, room: str, bot_id: str, question: str | None = None
) -> list[Received]:
    """Everything the bot says to one message (it ends with the question: waited for)."""
    return await pro.settle(room, bot_id, quiet=0.7, timeout=60, until=question)


async def test_odd_events_at_two_questions_get_help_and_change_nothing(
    run_bot: RunBot, make_user: MakeUser, make_app: MakeApp
) -> None:
    app = make_app()
    bot = await run_bot(app.service, app.kv, require_encryption=True)
    pro = await make_user("anna")
    enrol(app.settings.database_url, "matrix", pro.user_id, name="Anna")
    room = await pro.create_dm(bot.user_id, encrypted=True)
    await replies(pro, room, bot.user_id, "Waarmee wil je aan de slag?")  # greeting and menu
    old = await pro.send(room, "Overleg & afspraken")
    casuscode = "Wat is je casuscode?"
    assert casuscode in (await replies(pro, room, bot.user_id, casuscode))[-1].body

    for question, answer, following in (
        ("Wat is je casuscode?", "AB_12", "Waar gaat het"),
        ("Waar gaat het", "2", "Heb je het met een collega besproken?"),
    ):
        before = answers(app, room)
        for what, event_type, content in ODD_EVENTS:
            await send_event(pro, room, event_type, content)
            got = await replies(pro, room, bot.user_id, question)
            assert got[0].body == explanation(what, encrypted=True), what
            assert question in got[-1].body, what
            assert "Verwijder" not in got[0].body  # an encrypted chat: no delete advice
        await pro.send(room, "😀🙈")  # only emoji: no answer, the question again
        assert question in (await replies(pro, room, bot.user_id, question))[-1].body
        await send_event(  # a reply to the old menu answer
            pro,
            room,
            "m.room.message",
            {
                "msgtype": "m.text",
                "body": f"> <{pro.user_id}> Overleg & afspraken\n\n1",
                "m.relates_to": {"m.in_reply_to": {"event_id": old}},
            },
        )
        got = await replies(pro, room, bot.user_id, question)
        assert got[0].body == explanation(OLD_REPLY, encrypted=True)
        assert question in got[-1].body
        await send_event(  # an edit of the old answer
            pro,
            room,
            "m.room.message",
            {
                "msgtype": "m.text",
                "body": "* iets anders",
                "m.new_content": {"msgtype": "m.text", "body": "iets anders"},
                "m.relates_to": {"rel_type": "m.replace", "event_id": old},
            },
        )
        got = await replies(pro, room, bot.user_id, question)
        assert got[0].body == EDITED_TEXT
        assert question in got[-1].body
        assert answers(app, room) == before  # nothing odd changed the saved answers
        await pro.send(room, answer)
        assert following in (await replies(pro, room, bot.user_id, following))[-1].body
        assert len(answers(app, room)) > len(before)
    assert pro.undecryptable == 0


# ------------------------------------------------------------ late room keys


class HeldKeys:
    """Holds back the professional's room keys (the to-device ``m.room_key``) until released."""

    def __init__(self, pro: MatrixUser) -> None:
        self.pro = pro
        self.held: list[tuple[str, str, Any]] = []
        self._send = pro.client._send

        async def send(response_class: Any, method: str, path: str, *args: Any, **kw: Any) -> Any:
            if response_class is ShareGroupSessionResponse:
                data = args[0] if args else kw.get("data")
                self.held.append((method, path, data))
                room_id, _sharing_with = kw["response_data"]
                return ShareGroupSessionResponse(room_id, set())
            return await self._send(response_class, method, path, *args, **kw)

        pro.client._send = send  # type: ignore[method-assign]

    async def release(self) -> None:
        self.pro.client._send = self._send  # type: ignore[method-assign]
        assert self.held, "no room key was held back"
        for method, path, data in self.held:
            response = await self.pro.client.send(method, path, data)
            assert response.status == 200, await response.text()


async def encrypted_dm(
    run_bot: RunBot, make_user: MakeUser, service: Any, values: DictValues, **options: Any
) -> tuple[RunningBot, MatrixUser, str]:
    bot = await run_bot(service, values, require_encryption=True, **options)
    pro = await make_user()
    room = await pro.create_dm(bot.user_id, encrypted=True)
    (greeting,) = await pro.expect(room, bot.user_id)
    assert greeting.body == "ontvangen: start"
    return bot, pro, room


async def test_a_message_whose_key_comes_later_is_read_then_in_order(
    run_bot: RunBot, make_user: MakeUser, values: DictValues
) -> None:
    service = EchoService()
    bot, pro, room = await encrypted_dm(run_bot, make_user, service, values, key_patience=60)
    bot_id = bot.user_id
    keys = HeldKeys(pro)
    await pro.send(room, "eerste antwoord")
    await pro.send(room, "tweede antwoord")  # the same session: also unreadable for now
    await until(lambda: bot.channel.waiting_for_keys(room) == 2, "both to wait for their key")
    assert service.texts(room) == ["start"]
    assert pro.from_user(room, bot_id)[-1].body == "ontvangen: start"
    await keys.release()
    first, second = await pro.expect(room, bot_id, count=2)
    assert (first.body, second.body) == ("ontvangen: eerste antwoord", "ontvangen: tweede antwoord")
    assert service.texts(room) == ["start", "eerste antwoord", "tweede antwoord"]
    bodies = [m.body for m in pro.from_user(room, bot_id)]
    assert UNDECRYPTABLE_TEXT not in bodies


async def test_a_key_that_never_comes_asks_to_send_it_again(
    run_bot: RunBot, make_user: MakeUser, values: DictValues
) -> None:
    service = EchoService()
    bot, pro, room = await encrypted_dm(run_bot, make_user, service, values, key_patience=2.0)
    bot_id = bot.user_id
    HeldKeys(pro)  # never released
    await pro.send(room, "onleesbaar voor de bot")
    (told,) = await pro.expect(room, bot_id, count=1, timeout=30)
    assert told.body == UNDECRYPTABLE_TEXT
    assert service.texts(room) == ["start"]


# ------------------------------------------------------------ the greeting and a crash


class StuckOnStart(EchoService):
    """A service that never finishes the greeting (the process dies there)."""

    async def handle(self, arrival: Arrival) -> list[Reply]:
        if arrival.incoming == TextIn("start"):
            await asyncio.Event().wait()
        return await super().handle(arrival)


async def test_killed_after_joining_and_before_greeting_greets_once_after_restart(
    run_bot: RunBot, make_user: MakeUser, values: DictValues
) -> None:
    stuck = StuckOnStart()
    first = await run_bot(stuck, values)
    pro = await make_user()
    room = await pro.create_dm(first.user_id, encrypted=False)  # waits until it joined
    first.task.cancel()  # dead in the middle of greeting: no clean stop
    with pytest.raises(asyncio.CancelledError):
        await first.task
    assert pro.from_user(room, first.user_id) == []

    service = EchoService()
    second = await run_bot(service, values)
    (greeting,) = await pro.expect(room, second.user_id)
    assert greeting.body == "ontvangen: start"
    assert await pro.settle(room, second.user_id, quiet=1.0, at_least=0) == []
    await pro.send(room, "hallo")  # and the conversation goes on
    (answer,) = await pro.expect(room, second.user_id)
    assert answer.body == "ontvangen: hallo"


async def test_a_message_waiting_for_its_key_survives_a_crash(
    run_bot: RunBot, make_user: MakeUser, values: DictValues
) -> None:
    first = await run_bot(EchoService(), values, require_encryption=True, key_patience=60)
    pro = await make_user()
    room = await pro.create_dm(first.user_id, encrypted=True)
    await pro.expect(room, first.user_id)  # the greeting
    keys = HeldKeys(pro)
    await pro.send(room, "bewaar mij")
    await until(lambda: first.channel.waiting_for_keys(room) == 1, "it to wait for its key")
    first.task.cancel()  # dead while the message waits
    with pytest.raises(asyncio.CancelledError):
        await first.task
    await keys.release()
    service = EchoService()
    second = await run_bot(service, values, require_encryption=True, key_patience=60)
    (answer,) = await pro.expect(room, second.user_id, timeout=60)
    assert answer.body == "ontvangen: bewaar mij"
    assert service.texts(room) == ["bewaar mij"]
