"""The Matrix channel against a real Synapse, with a fake conversation service.

These tests pin the channel's own duties: joining direct chats and leaving
groups, mapping messages to ``Incoming``, formatted replies, restarts
without replays or losses, bursts and gaps, and errors that stay friendly.
"""

from __future__ import annotations

import asyncio
import logging
import time

import pytest
from nio import RoomPutStateResponse

from bot.channels.matrix.render import HTML_FORMAT
from bot.channels.matrix.texts import (
    EDITED_TEXT,
    ERROR_TEXT,
    GROUP_REFUSAL_TEXT,
    UNENCRYPTED_ROOM_TEXT,
)
from bot.engine.messages import (
    Ask,
    Choice,
    Document,
    Progress,
    QuestionKind,
    Say,
    TextIn,
    Unsupported,
)
from tests.matrix.conftest import DictValues, EchoService, MakeUser, RunBot, RunningBot
from tests.peers.synapse import MatrixUser

pytestmark = [pytest.mark.peer, pytest.mark.timeout(120)]


async def greeted_dm(
    run_bot: RunBot, make_user: MakeUser, values: DictValues, service: object, **options: object
) -> tuple[RunningBot, MatrixUser, str]:
    """Start the bot, open an unencrypted direct chat as a professional, take the greeting."""
    bot = await run_bot(service, values, **options)
    pro: MatrixUser = await make_user()
    room = await pro.create_dm(bot.user_id, encrypted=False)
    await pro.expect(room, bot.user_id)
    return bot, pro, room


async def test_accepts_a_direct_chat_greets_and_answers(
    run_bot: RunBot, make_user: MakeUser, values: DictValues
) -> None:
    service = EchoService()
    bot = await run_bot(service, values)
    pro: MatrixUser = await make_user("anna")

    room = await pro.create_dm(bot.user_id, encrypted=False)
    greeting = await pro.expect(room, bot.user_id)
    assert greeting[0].body == "ontvangen: start"

    await pro.send(room, "hallo")
    (answer,) = await pro.expect(room, bot.user_id)
    assert answer.body == "ontvangen: hallo"
    assert answer.content["format"] == HTML_FORMAT
    assert answer.content["formatted_body"] == "ontvangen: hallo"
    key, incoming, traits = service.calls[-1]
    assert key.channel == "matrix"
    assert key.chat == room
    assert incoming == TextIn("hallo")
    assert traits.name == "matrix"
    assert traits.buttons is False
    assert traits.confirm_multi is True
    assert traits.end_to_end_encrypted is False


async def test_commands_map_to_words_and_media_is_unsupported(
    run_bot: RunBot, make_user: MakeUser, values: DictValues
) -> None:
    service = EchoService()
    bot = await run_bot(service, values)
    pro: MatrixUser = await make_user()
    room = await pro.create_dm(bot.user_id, encrypted=False)
    await pro.expect(room, bot.user_id)  # greeting

    await pro.send(room, "/terug")
    await pro.send(room, "!kennis meldcode")
    await pro.send_content(
        room, {"msgtype": "m.image", "body": "foto.jpg", "url": "mxc://localhost/abc"}
    )
    await pro.send_content(room, {"msgtype": "m.notice", "body": "een andere bot"})
    await pro.expect(room, bot.user_id, count=3)
    incomings = [incoming for _key, incoming, _traits in service.calls[1:]]
    assert incomings == [TextIn("terug"), TextIn("kennis meldcode"), Unsupported("foto")]


async def test_an_edit_gets_advice_instead_of_a_second_answer(
    run_bot: RunBot, make_user: MakeUser, values: DictValues
) -> None:
    service = EchoService()
    bot, pro, room = await greeted_dm(run_bot, make_user, values, service)
    original = await pro.send(room, "1")
    await pro.expect(room, bot.user_id)
    await pro.send_content(
        room,
        {
            "msgtype": "m.text",
            "body": "* 2",
            "m.new_content": {"msgtype": "m.text", "body": "2"},
            "m.relates_to": {"rel_type": "m.replace", "event_id": original},
        },
    )
    (reply,) = await pro.expect(room, bot.user_id)
    assert reply.body == EDITED_TEXT
    assert service.texts(room) == ["start", "1"]


async def test_group_room_gets_one_polite_refusal_and_is_left(
    run_bot: RunBot, make_user: MakeUser, values: DictValues
) -> None:
    service = EchoService()
    bot = await run_bot(service, values)
    pro: MatrixUser = await make_user()
    colleague: MatrixUser = await make_user("collega")
    room = await pro.create_group([bot.user_id, colleague.user_id])

    (refusal,) = await pro.expect(room, bot.user_id)
    assert refusal.body == GROUP_REFUSAL_TEXT
    await pro.wait_left(room, bot.user_id)
    await pro.send(room, "hallo?")
    # A barrier instead of a pause: once the bot answers a line sent after
    # "hallo?" in a direct chat, it has synced past "hallo?" too.
    direct = await pro.create_dm(bot.user_id, encrypted=False)
    await pro.expect(direct, bot.user_id)  # the greeting
    await pro.send(direct, "na hallo")
    (after,) = await pro.expect(direct, bot.user_id)
    assert after.body == "ontvangen: na hallo"
    assert pro.from_user(room, bot.user_id) == [refusal]
    assert service.texts(room) == []


async def invite_as_direct(pro: MatrixUser, room: str, user_id: str) -> None:
    """Invite ``user_id`` with ``is_direct`` (the membership as a state event)."""
    response = await pro.client.room_put_state(
        room, "m.room.member", {"membership": "invite", "is_direct": True}, state_key=user_id
    )
    assert isinstance(response, RoomPutStateResponse), response


async def test_invited_back_to_a_room_that_became_one_to_one_it_talks(
    run_bot: RunBot, make_user: MakeUser, values: DictValues
) -> None:
    service = EchoService()
    bot = await run_bot(service, values)
    pro: MatrixUser = await make_user()
    colleague: MatrixUser = await make_user("collega")
    room = await pro.create_group([bot.user_id, colleague.user_id])
    await pro.expect(room, bot.user_id)  # the refusal
    await pro.wait_left(room, bot.user_id)
    await pro.client.room_kick(room, colleague.user_id)  # withdraw the colleague's invite
    # invited back as a direct chat (is_direct on the invite, as Element does)
    await invite_as_direct(pro, room, bot.user_id)
    (greeting,) = await pro.expect(room, bot.user_id)
    assert greeting.body == "ontvangen: start"


async def test_the_bot_leaves_when_the_professional_leaves(
    run_bot: RunBot, make_user: MakeUser, values: DictValues
) -> None:
    service = EchoService()
    bot, pro, room = await greeted_dm(run_bot, make_user, values, service)
    await pro.client.room_leave(room)
    client = bot.channel.client
    assert client is not None
    for _ in range(100):
        joined = await client.joined_rooms()
        if room not in joined.rooms:
            break
        await asyncio.sleep(0.1)
    assert room not in joined.rooms


async def test_a_third_person_in_a_direct_chat_makes_the_bot_leave(
    run_bot: RunBot, make_user: MakeUser, values: DictValues
) -> None:
    service = EchoService()
    bot = await run_bot(service, values)
    pro: MatrixUser = await make_user()
    colleague: MatrixUser = await make_user("collega")
    room = await pro.create_dm(bot.user_id, encrypted=False)
    await pro.expect(room, bot.user_id)
    await pro.client.room_invite(room, colleague.user_id)
    (refusal,) = await pro.expect(room, bot.user_id)
    assert refusal.body == GROUP_REFUSAL_TEXT
    await pro.wait_left(room, bot.user_id)


async def test_questions_are_formatted_numbered_and_escaped(
    run_bot: RunBot, make_user: MakeUser, values: DictValues
) -> None:
    ask = Ask(
        question_id="q1",
        step="partners",
        kind=QuestionKind.MULTI,
        text="Wie moet dit <b>weten</b>?",
        choices=(Choice("huisarts", "Huisarts"), Choice("school", "School & BSO")),
        hint="Typ nummers, bijvoorbeeld: 1 3. Typ daarna klaar.",
        progress=Progress(4, 12),
        selected=("school",),
    )
    service = EchoService(script={"vraag": [ask]})
    bot, pro, room = await greeted_dm(run_bot, make_user, values, service)
    await pro.send(room, "vraag")
    (question,) = await pro.expect(room, bot.user_id)
    assert question.body.splitlines() == [
        "Wie moet dit <b>weten</b>?",
        "",
        "1. Huisarts",
        "2. ✅ School & BSO",
        "",
        "(vraag 4 van ongeveer 12)",
        "Typ nummers, bijvoorbeeld: 1 3. Typ daarna klaar.",
        "Klaar met kiezen? Typ klaar of tik ✅ onder deze vraag.",
    ]
    html = question.content["formatted_body"]
    assert "Wie moet dit &lt;b&gt;weten&lt;/b&gt;?" in html
    assert "<ol><li>Huisarts</li><li>✅ School &amp; BSO</li></ol>" in html


async def test_an_articles_further_pages_go_in_its_thread(
    run_bot: RunBot, make_user: MakeUser, values: DictValues
) -> None:
    more = (Choice("meer", "Lees verder"),)
    service = EchoService(
        script={
            "kennis meldcode": [Say("De meldcode, kort.", article="meldcode", actions=more)],
            "meer": [Say("De meldcode, deel 2.", article="meldcode", actions=more)],
            "verder": [Say("De meldcode, deel 3.", article="meldcode")],
            "kennis privacy": [Say("Privacy, kort.", article="privacy")],
        }
    )
    bot, pro, room = await greeted_dm(run_bot, make_user, values, service)
    await pro.send(room, "kennis meldcode")
    (first,) = await pro.expect(room, bot.user_id)
    assert "m.relates_to" not in first.content  # the summary is in the timeline
    assert first.body == "De meldcode, kort.\n\nTyp: meer"
    await pro.send(room, "meer")
    (second,) = await pro.expect(room, bot.user_id)
    assert second.content["m.relates_to"]["rel_type"] == "m.thread"
    assert second.content["m.relates_to"]["event_id"] == first.event_id
    await pro.send(room, "verder")
    (third,) = await pro.expect(room, bot.user_id)
    relation = third.content["m.relates_to"]
    assert (relation["event_id"], relation["m.in_reply_to"]) == (
        first.event_id,
        {"event_id": second.event_id},
    )
    await pro.send(room, "kennis privacy")  # another article starts in the timeline
    (other,) = await pro.expect(room, bot.user_id)
    assert "m.relates_to" not in other.content


async def test_final_vastlegging_comes_as_message_and_txt_file(
    run_bot: RunBot, make_user: MakeUser, values: DictValues
) -> None:
    document = Document(
        title="Vastlegging",
        text="Casus AB12\nBesluit: delen met huisarts\n",
        markdown="# Casus AB12\n\n**Besluit:** delen met huisarts\n",
        filename="vastlegging-AB12-2026-11-23.txt",
        final=True,
    )
    service = EchoService(script={"klaar": [Say("Klaar."), document]})
    bot, pro, room = await greeted_dm(run_bot, make_user, values, service)
    await pro.send(room, "klaar")
    done, message, attachment = await pro.expect(room, bot.user_id, count=3)
    assert done.body == "Klaar."
    assert message.body == "Vastlegging\n\nCasus AB12\nBesluit: delen met huisarts\n"
    assert "<h2>Casus AB12</h2>" in message.content["formatted_body"]
    assert attachment.content["msgtype"] == "m.file"
    assert attachment.content["body"] == "vastlegging-AB12-2026-11-23.txt"
    assert attachment.content["info"]["mimetype"] == "text/plain"
    assert "url" in attachment.content
    assert await pro.download(attachment.content) == document.text.encode()


async def test_an_unencrypted_room_is_refused_at_once_when_encryption_is_required(
    run_bot: RunBot, make_user: MakeUser, values: DictValues
) -> None:
    document = Document("Vastlegging", "geheim\n", "geheim\n", "v.txt", final=True)
    service = EchoService(script={"klaar": [Say("Overzicht: geheim"), document]})
    bot = await run_bot(service, values, require_encryption=True)
    pro: MatrixUser = await make_user()
    room = await pro.create_dm(bot.user_id, encrypted=False)
    (refusal,) = await pro.expect(room, bot.user_id)  # instead of the greeting
    assert refusal.body == UNENCRYPTED_ROOM_TEXT
    await pro.send(room, "klaar")
    (again,) = await pro.expect(room, bot.user_id)
    assert again.body == UNENCRYPTED_ROOM_TEXT
    assert service.calls == []  # the conversation never started in this room
    await pro.settle(room, bot.user_id, quiet=1.0, at_least=0)
    assert [m.body for m in pro.from_user(room, bot.user_id)] == [UNENCRYPTED_ROOM_TEXT] * 2


async def test_a_refused_room_gets_the_conversation_once_encryption_is_switched_on(
    run_bot: RunBot, make_user: MakeUser, values: DictValues
) -> None:
    service = EchoService()
    bot = await run_bot(service, values, require_encryption=True)
    pro: MatrixUser = await make_user()
    room = await pro.create_dm(bot.user_id, encrypted=False)
    (refusal,) = await pro.expect(room, bot.user_id)
    assert refusal.body == UNENCRYPTED_ROOM_TEXT

    response = await pro.client.room_put_state(
        room, "m.room.encryption", {"algorithm": "m.megolm.v1.aes-sha2"}
    )
    assert isinstance(response, RoomPutStateResponse), response
    deadline = time.monotonic() + 30
    while not pro.client.rooms[room].encrypted:  # the professional's client saw the change
        assert time.monotonic() < deadline, "the room did not become encrypted"
        await asyncio.sleep(0.05)
    await pro.send(room, "hallo")
    (answer,) = await pro.expect(room, bot.user_id)
    assert answer.body == "ontvangen: hallo"
    assert answer.encrypted
    assert service.texts(room) == ["hallo"]
    assert service.calls[-1][2].end_to_end_encrypted is True


async def test_an_unencrypted_room_runs_like_telegram_when_encryption_is_not_required(
    run_bot: RunBot, make_user: MakeUser, values: DictValues
) -> None:
    document = Document("Vastlegging", "Casus AB12\n", "Casus AB12\n", "v.txt", final=False)
    service = EchoService(script={"klaar": [document]})
    bot = await run_bot(service, values, require_encryption=False)
    pro: MatrixUser = await make_user()
    room = await pro.create_dm(bot.user_id, encrypted=False)
    (greeting,) = await pro.expect(room, bot.user_id)
    assert greeting.body == "ontvangen: start"
    await pro.send(room, "klaar")
    (message,) = await pro.expect(room, bot.user_id)
    assert message.body == "Vastlegging\n\nCasus AB12\n"
    assert not message.encrypted
    assert [traits.end_to_end_encrypted for _key, _in, traits in service.calls] == [False, False]


async def test_a_failing_service_gets_a_friendly_error_and_the_bot_goes_on(
    run_bot: RunBot, make_user: MakeUser, values: DictValues, caplog: pytest.LogCaptureFixture
) -> None:
    service = EchoService(fail_on={"boem"})
    bot, pro, room = await greeted_dm(run_bot, make_user, values, service)
    with caplog.at_level(logging.ERROR, logger="bot.channels.matrix"):
        await pro.send(room, "boem")
        (error,) = await pro.expect(room, bot.user_id)
    assert error.body == ERROR_TEXT
    assert any("scripted failure" in r.exc_text for r in caplog.records if r.exc_text)
    await pro.send(room, "nog een")
    (answer,) = await pro.expect(room, bot.user_id)
    assert answer.body == "ontvangen: nog een"


async def test_encrypted_direct_chat_is_read_and_answered_encrypted(
    run_bot: RunBot, make_user: MakeUser, values: DictValues
) -> None:
    document = Document("Vastlegging", "Casus XY9\n", "# Casus XY9\n", "vastlegging.txt", True)
    service = EchoService(script={"klaar": [document]})
    bot = await run_bot(service, values, require_encryption=True)
    pro: MatrixUser = await make_user()
    room = await pro.create_dm(bot.user_id, encrypted=True)
    (greeting,) = await pro.expect(room, bot.user_id)
    assert greeting.encrypted
    await pro.send(room, "geheim antwoord")
    (answer,) = await pro.expect(room, bot.user_id)
    assert answer.body == "ontvangen: geheim antwoord"
    assert answer.encrypted
    assert service.calls[-1][2].end_to_end_encrypted is True

    await pro.send(room, "klaar")
    message, attachment = await pro.expect(room, bot.user_id, count=2)
    assert message.encrypted
    assert attachment.encrypted
    assert message.body == "Vastlegging\n\nCasus XY9\n"
    assert "url" not in attachment.content  # the file itself is encrypted too
    assert attachment.content["file"]["v"] == "v2"
    assert await pro.download(attachment.content) == b"Casus XY9\n"
    assert pro.undecryptable == 0


async def test_invites_from_other_servers_are_declined_when_a_list_is_set(
    run_bot: RunBot, make_user: MakeUser, values: DictValues
) -> None:
    service = EchoService()
    bot = await run_bot(service, values, allowed_servers=frozenset({"example.org"}))
    pro: MatrixUser = await make_user()
    room_id = await pro.create_group([bot.user_id])
    await pro.wait_left(room_id, bot.user_id)  # the invite was rejected
    assert pro.from_user(room_id, bot.user_id) == []
    assert service.calls == []


async def test_failed_syncs_are_retried_with_growing_pauses_and_stop_cuts_them_short(
    run_bot: RunBot, values: DictValues, caplog: pytest.LogCaptureFixture
) -> None:
    bot = await run_bot(EchoService(), values)
    assert bot.channel.client is not None
    with caplog.at_level(logging.WARNING, logger="bot.channels.matrix"):
        await bot.channel.client.logout()  # every sync from now on fails
        deadline = time.monotonic() + 30
        while not any("retrying in 4 s" in r.getMessage() for r in caplog.records):
            assert time.monotonic() < deadline, "no second retry within 30 s"
            assert not bot.task.done(), "a failing sync must not end the bot"
            await asyncio.sleep(0.05)
        failures = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Sync")]
        assert "retrying in 2 s" in failures[0]
        assert "retrying in 4 s" in failures[1]
        stopped = time.monotonic()
        await bot.stop()  # in the middle of the 4 s pause (then 8 s): at once
        assert time.monotonic() - stopped < 3
