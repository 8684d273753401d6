"""A reminder of an agreed step on Matrix, end to end against a real Synapse:
the scheduler's job sends it into the professional's encrypted direct chat,
the typed answer is taken by the real app, and ``mijn vastleggingen 1`` sends
the record again, with "gedaan op", as a message and a ``.txt`` file."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bot.app import App
from bot.channels.matrix.sender import MatrixSender
from bot.org.model import Role
from bot.service.people_port import Enrolment
from bot.service.ports import ConversationKey
from tests.followup.e2e import STEP, due_step
from tests.matrix.conftest import FIXED_NOW, MakeUser, RunBot

pytestmark = [pytest.mark.peer, pytest.mark.timeout(240)]


async def test_a_reminder_is_answered_and_the_record_sent_again_on_matrix(
    run_bot: RunBot, make_user: MakeUser, make_app: Callable[..., App]
) -> None:
    app = make_app()
    org = app.people.create_organisation("Jeugdzorg Noord", now=FIXED_NOW)
    pro = await make_user("anna")
    person = app.people.enrol(
        Enrolment(org.id, "Anna", frozenset({Role.PROFESSIONAL}), identity=("matrix", pro.user_id)),
        now=FIXED_NOW,
    )
    bot = await run_bot(app.service, app.kv)
    app.notifier.add_sender(MatrixSender(bot.channel))
    room = await pro.create_dm(bot.user_id, encrypted=True)
    await pro.settle(room, bot.user_id)  # the greeting; the bot now knows her chat
    code = due_step(app.store, ConversationKey("matrix", room), org.id, person.id, FIXED_NOW)

    await app.scheduler.run_due(FIXED_NOW)
    (reminder,) = await pro.expect(room, bot.user_id)
    assert reminder.encrypted
    assert f"Herinnering: {STEP} (casus E2E-1)" in reminder.body
    assert f"ja {code}" in reminder.body and f"later {code}" in reminder.body

    await pro.send(room, f"ja {code}")
    (done,) = await pro.expect(room, bot.user_id)
    assert done.body.startswith("Genoteerd: gedaan op 23-11-2026.")
    await app.scheduler.run_due(FIXED_NOW)
    assert await pro.settle(room, bot.user_id, quiet=0.5, at_least=0) == []  # reminded once

    await pro.send(room, "mijn vastleggingen 1")
    message, attachment = await pro.expect(room, bot.user_id, count=2)
    assert f"{STEP}: gedaan op 23-11-2026" in message.body
    assert attachment.content["msgtype"] == "m.file"
    assert attachment.content["body"] == "vastlegging-E2E-1-2026-11-23.txt"
    text = (await pro.download(attachment.content)).decode()
    assert text.startswith("Vastlegging: Vier-ogen overleg") and "gedaan op 23-11-2026" in text
