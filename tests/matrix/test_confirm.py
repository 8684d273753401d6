"""A colleague confirms the vier-ogen overleg, end to end, across two channels:
the professional on Telegram (the real bot process against the Bot API
emulator), the colleague on Matrix (the real app in this process, against a
real Synapse, in an encrypted direct chat), one SQLite database between them.

Anna taps "bevestigen" and picks Bram from the buttons; the Telegram process
puts the question in the outbox, the Matrix process delivers it (with the
vier-ogen part: the room is encrypted); Bram types "klopt b1"; the Telegram
process tells Anna on its next scheduler round, and ``mijn vastleggingen 1``
shows "Bevestigd door Bram".
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.app import App
from bot.channels.matrix.sender import MatrixSender
from bot.org.model import Role
from bot.service.followup import RecordIndex
from bot.service.people_port import Enrolment
from bot.service.ports import ConversationKey, NewRecord, Sender
from bot.store.followup import SqlFollowupStore
from tests.matrix.conftest import FIXED_NOW, MakeUser, RunBot
from tests.peers.telegram.fixture import BotProcess, BotProcesses, Emulator, TelegramUser

pytestmark = [pytest.mark.peer, pytest.mark.timeout(300)]

FLOWS = Path(__file__).resolve().parents[2] / "flows"
RECORD = (
    "Vastlegging: Vier-ogen overleg\n"
    "Casus E2E-7 · {day}\n"
    "Dilemma (informatie delen): School vraagt hoe het thuis gaat.\n"
    "Leeftijd: 12 tot 16 jaar\n"
    "Besproken met: een teamlid, op {day}\n"
    "Zelfde inschatting: Ja, eens\n"
    "Besluit: Eerst de jongere vragen wat zij wil delen.\n"
    "\n"
    "Plak dit in het dossier; dat wordt ten minste 20 jaar bewaard.\n"
)
TOLD_WAIT = 45.0
"""The Telegram process delivers the outbox every 30 s (bot.app.SCHEDULER_EVERY)."""


async def test_a_professional_on_telegram_has_a_colleague_on_matrix_confirm(
    run_bot: RunBot,
    make_user: MakeUser,
    make_app: Callable[..., App],
    telegram_bots: BotProcesses,
    telegram_emulator: Emulator,
) -> None:
    app = make_app(FLOWS, "confirm.db")  # the Matrix process; it migrated the database
    url = app.settings.database_url
    now = datetime.now(UTC)
    org = app.people.create_organisation("Jeugdzorg Noord", now=now)

    placeholder = BotProcess("0:none", None, Path("/dev/null"), telegram_emulator)  # type: ignore[arg-type]
    anna = TelegramUser(placeholder, member=False, first_name="Anna")
    external = str(anna.user["id"])
    ann = app.people.enrol(
        Enrolment(org.id, "Anna", frozenset({Role.PROFESSIONAL}), identity=("telegram", external)),
        now=now,
    )
    key = ConversationKey("telegram", str(anna.chat["id"]))
    app.people.seen(Sender("telegram", external, "Anna"), key, now)  # she wrote here before
    day = now.strftime("%d-%m-%Y")
    record_id = app.store.add_record(
        NewRecord(
            key=key,
            flow_id="vier-ogen",
            flow_version="2",
            flow_hash="e2e",
            case_code="E2E-7",
            answers={},
            text=RECORD.format(day=day),
            created_at=now,
            org_id=org.id,
            person_id=ann.id,
            record_id="e2e0000000000000000000000000007",
        )
    )
    SqlFollowupStore(app.store.engine).write_planned(
        [RecordIndex(record_id, org.id, ann.id, key, "vier-ogen", now)]
    )

    bram = await make_user("bram")
    app.people.enrol(
        Enrolment(
            org.id, "Bram", frozenset({Role.PROFESSIONAL}), identity=("matrix", bram.user_id)
        ),
        now=now,
    )
    bot = await run_bot(app.service, app.kv)
    app.notifier.add_sender(MatrixSender(bot.channel))
    room = await bram.create_dm(bot.user_id, encrypted=True)
    await bram.settle(room, bot.user_id)  # the greeting: the bot now knows his chat

    anna.bot = telegram_bots.start(
        FLOWS, main_flow="dilemma", extra_env={"VOORKOMEN_DATABASE_URL": url}
    )
    anna.send("bevestigen")
    choices = await asyncio.to_thread(anna.expect_question, "Welke collega bevestigt")
    assert "1. Bram" in choices.text and "Anna" not in choices.text
    assert [b.text for b in choices.buttons] == ["Bram", "Code voor naast je"]
    anna.press(choices, "Bram")
    await asyncio.to_thread(anna.expect, "Ik heb Bram gevraagd")

    # The Matrix process delivers what the Telegram process queued for Bram (a
    # moment ahead: the Telegram process may have looked at it and left it).
    for _ in range(50):
        if await app.notifier.deliver_waiting(datetime.now(UTC) + timedelta(minutes=3)):
            break
        await asyncio.sleep(0.2)
    (question,) = await bram.expect(room, bot.user_id)
    assert question.encrypted
    assert question.body.startswith(
        "Anna vraagt je het vier-ogen overleg van casus E2E-7 te bevestigen."
    )
    assert "Besluit: Eerst de jongere vragen wat zij wil delen." in question.body
    assert "klopt b1" in question.body and "klopt niet b1" in question.body

    await bram.send(room, "klopt b1")
    (thanks,) = await bram.expect(room, bot.user_id)
    assert thanks.body == "Dank je. Anna hoort dat het klopt."

    confirmed = FIXED_NOW.strftime("%d-%m-%Y")  # the Matrix process's clock
    (told,) = [
        m
        for m in await asyncio.to_thread(
            anna.expect, "Bram heeft het vier-ogen overleg van casus E2E-7 bevestigd", TOLD_WAIT
        )
        if "Bram heeft" in m.text
    ]
    assert f"Bevestigd door Bram, {confirmed}" in told.text

    anna.send("mijn vastleggingen 1")
    sent = await asyncio.to_thread(
        anna.wait_until, lambda new: any(m.document for m in new), "the record's file"
    )
    (file,) = [m for m in sent if m.document]
    content = anna.document_content(file)
    lines = content.splitlines()
    at = lines.index(f"Bevestigd door Bram, {confirmed}")
    assert lines[at - 1].startswith("Besluit:")  # at the end of the vier-ogen part
