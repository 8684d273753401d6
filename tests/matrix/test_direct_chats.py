"""A direct chat is recognised by ``is_direct`` on the invite, not only by member count.

A team room ("Teamoverleg") that so far holds only the professional and the
bot is not a direct chat: whoever joins later would read the case. The bot
says why and leaves, even though the member count alone would pass. The same
room, invited into with ``is_direct``, is a direct chat. What the invite said
is kept in the database, so a restart judges the room the same way.
"""

from __future__ import annotations

import pytest
from nio import RoomCreateResponse

from bot.channels.matrix.texts import GROUP_REFUSAL_TEXT
from tests.matrix.conftest import DictValues, EchoService, MakeUser, RunBot
from tests.matrix.test_channel import invite_as_direct

pytestmark = [pytest.mark.peer, pytest.mark.timeout(120)]


async def test_a_two_person_room_not_marked_direct_is_a_group_and_is_left(
    run_bot: RunBot, make_user: MakeUser, values: DictValues
) -> None:
    service = EchoService()
    bot = await run_bot(service, values)
    pro = await make_user()
    response = await pro.client.room_create(name="Teamoverleg", invite=[bot.user_id])
    assert isinstance(response, RoomCreateResponse), response
    room = response.room_id
    (refusal,) = await pro.expect(room, bot.user_id)
    assert refusal.body == GROUP_REFUSAL_TEXT
    await pro.wait_left(room, bot.user_id)
    assert service.calls == []  # no conversation started there
    assert values.get_value(f"matrix:{bot.user_id}:direct:{room}") == "0"

    await invite_as_direct(pro, room, bot.user_id)  # now invited as a direct chat
    (greeting,) = await pro.expect(room, bot.user_id)
    assert greeting.body == "ontvangen: start"
    assert values.get_value(f"matrix:{bot.user_id}:direct:{room}") == "1"


async def test_a_direct_chat_stays_direct_after_a_restart(
    run_bot: RunBot, make_user: MakeUser, values: DictValues
) -> None:
    first = await run_bot(EchoService(), values)
    pro = await make_user()
    room = await pro.create_dm(first.user_id, encrypted=False)
    await pro.expect(room, first.user_id)
    await first.stop()
    service = EchoService()
    second = await run_bot(service, values)
    await pro.send(room, "verder")
    (answer,) = await pro.expect(room, second.user_id)
    assert answer.body == "ontvangen: verder"
