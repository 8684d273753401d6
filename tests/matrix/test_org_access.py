"""Organisations on Matrix, end to end against a real Synapse: several people,
joining with a code as the first message in the direct chat, one refusal for
an outsider (also for crafted events), and a removed member cut off at once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from bot.app import App
from bot.org.model import Role
from bot.service import access_texts
from bot.service.access import make_invite
from tests.matrix.conftest import MakeUser, RunBot

MakeApp = Callable[..., App]

pytestmark = pytest.mark.peer

NOW = datetime.now(UTC)


async def test_join_refuse_isolate_and_remove_on_matrix(
    run_bot: RunBot, make_user: MakeUser, make_app: MakeApp
) -> None:
    app = make_app()
    people = app.people
    a = people.create_organisation("Jeugdzorg Noord", now=NOW)
    b = people.create_organisation("Wijkteam Zuid", now=NOW)
    bot = await run_bot(app.service, app.kv)

    # Anna is not invited yet: the bot's greeting of her new chat is the refusal.
    anna = await make_user("anna")
    room_a = await anna.create_dm(bot.user_id, encrypted=False)
    (refused,) = await anna.expect(room_a, bot.user_id)
    assert refused.body == access_texts.REFUSAL
    await anna.send(room_a, make_invite(people, a, Role.PROFESSIONAL, now=NOW).lower())
    joined = await anna.settle(room_a, bot.user_id, at_least=2)  # welcome, then the menu
    assert joined[0].body.startswith("Welkom bij Jeugdzorg Noord! Je doet mee als professional.")
    assert len(joined) >= 2  # and the conversation starts

    # Bo is a beheerder of the other organisation.
    bo = await make_user("bo")
    room_b = await bo.create_dm(bot.user_id, encrypted=False)
    await bo.expect(room_b, bot.user_id)
    await bo.send(room_b, make_invite(people, b, Role.BEHEERDER, now=NOW))
    assert (await bo.settle(room_b, bot.user_id))[0].body.startswith("Welkom bij Wijkteam Zuid!")
    await bo.send(room_b, "leden")
    (members,) = await bo.expect(room_b, bot.user_id)
    assert members.body.startswith("Leden van Wijkteam Zuid:")
    assert "anna" not in members.body.lower()

    # Eva is nobody's member: one refusal, then crafted events get nothing.
    eva = await make_user("eva")
    room_e = await eva.create_dm(bot.user_id, encrypted=False)
    (told,) = await eva.expect(room_e, bot.user_id)
    assert told.body == access_texts.REFUSAL
    await eva.send(room_e, "leden")
    await eva.send_content(room_e, {"msgtype": "m.notice", "body": "1"})
    await eva.send_content(
        room_e,
        {
            "msgtype": "m.text",
            "body": "2",  # a reply to a question of Anna's chat, as a stale button would be
            "m.relates_to": {"m.in_reply_to": {"event_id": joined[-1].event_id}},
        },
    )
    await eva.send(room_e, "klaar")
    later = await eva.settle(room_e, bot.user_id, quiet=2.0, at_least=0)
    assert all("Jeugdzorg" not in m.body and "Leden" not in m.body for m in later)
    assert all(m.body != access_texts.REFUSAL for m in later)  # told once

    # Anna is removed: her very next message is refused; Bo carries on.
    (anna_member,) = people.members(a.id)
    people.remove_member(a.id, anna_member.person.id, now=NOW)
    await anna.send(room_a, "verder")
    (cut,) = await anna.expect(room_a, bot.user_id)
    assert cut.body == access_texts.REFUSAL
    await bo.send(room_b, "naam Bo")
    (named,) = await bo.expect(room_b, bot.user_id)
    assert named.body == access_texts.NAME_SET.format(name="Bo")
