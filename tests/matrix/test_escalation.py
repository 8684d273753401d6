"""An escalation end to end, across two real channels: the team lead on
Telegram (the bot as its own process against the Bot API emulator) and a
member of the Team complexe problematiek on Matrix (the real app against a
real Synapse, encrypted direct chat), one SQLite database between them.

The team lead starts it with ``opschalen`` (the calamity route comes first,
then one question per message), the tcp member gets the call on Matrix with
the learning-review principles and answers "ik doe mee"; the team lead sees
that with ``status`` and sets a date; the day before, the reminder reaches
both, each on their own channel.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.app import create_app
from bot.channels.matrix.sender import MatrixSender
from bot.org.model import Role
from bot.service.people_port import Enrolment
from bot.service.ports import ConversationKey, Sender
from bot.service.together.escalation import CALAMITY_ROUTE, PRINCIPLES
from bot.settings import PROJECT_ROOT, Settings
from bot.store.migrate import upgrade
from bot.store.people import SqlPeopleStore
from bot.store.sql import SqlStore
from tests.matrix.conftest import MakeUser, RunBot
from tests.peers.telegram.fixture import BotProcess, BotProcesses, Emulator, TelegramUser

pytestmark = [pytest.mark.peer, pytest.mark.timeout(300)]

FLOWS = PROJECT_ROOT / "flows"
AMSTERDAM = ZoneInfo("Europe/Amsterdam")


async def test_a_team_lead_on_telegram_escalates_and_a_tcp_member_on_matrix_joins(
    telegram_bots: BotProcesses,
    telegram_emulator: Emulator,
    run_bot: RunBot,
    make_user: MakeUser,
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'together.db'}"
    upgrade(url)
    now = datetime.now(UTC)
    placeholder = BotProcess("0:none", None, tmp_path / "log", telegram_emulator)  # type: ignore[arg-type]
    tom = TelegramUser(placeholder, member=False, first_name="Tom")
    cas_client = await make_user("cas")
    store = SqlStore(url)
    try:
        people = SqlPeopleStore(store.engine)
        org = people.create_organisation("Jeugdzorg Noord", now=now)
        telegram_id = str(tom.user["id"])
        people.enrol(
            Enrolment(
                org.id, "Tom", frozenset({Role.TEAMLEIDER}), identity=("telegram", telegram_id)
            ),
            now=now,
        )
        people.seen(
            Sender("telegram", telegram_id, "Tom"),
            ConversationKey("telegram", str(tom.chat["id"])),
            now,
        )
        people.enrol(
            Enrolment(
                org.id, "Cas", frozenset({Role.TCP}), identity=("matrix", cas_client.user_id)
            ),
            now=now,
        )
    finally:
        store.close()

    # The Matrix side: the real app in this process, on the same database.
    app = create_app(
        Settings(
            name_check=False,
            database_url=url,
            flows_dir=FLOWS,
            knowledge_dir=PROJECT_ROOT / "knowledge",
            main_flow="dilemma",
        )
    )
    try:
        bot = await run_bot(app.service, app.kv)
        app.notifier.add_sender(MatrixSender(bot.channel))
        room = await cas_client.create_dm(bot.user_id, encrypted=True)
        await cas_client.settle(room, bot.user_id)  # the greeting: the bot knows her chat

        # The Telegram side: the bot as its own process.
        tom.bot = telegram_bots.start(
            FLOWS, main_flow="dilemma", extra_env={"VOORKOMEN_DATABASE_URL": url}
        )

        async def lead_says(text: str, expected: str, timeout: float = 15.0) -> str:
            await asyncio.to_thread(tom.send, text)
            new = await asyncio.to_thread(tom.expect, expected, timeout)
            return "\n".join(m.text for m in new)

        first = await lead_says("opschalen", "Wat is de casuscode?")
        assert first.index("Inspectie (IGJ)") < first.index("Wat is de casuscode?")
        assert CALAMITY_ROUTE.split(". ")[1] in first
        # Telegram has no end-to-end encryption: no question typed here.
        skipped = await lead_says("T-11", "1. Gedragswetenschapper")
        assert "De vraag voor het team typ je hier niet" in skipped
        await lead_says("1", "Typ 1 (normaal) of 2 (spoed)")
        summary = await lead_says("2", "Versturen naar het Team complexe problematiek?")
        assert "Gevraagd: Gedragswetenschapper" in summary
        assert (
            await cas_client.settle(room, bot.user_id, quiet=0.5, at_least=0) == []
        )  # nothing sent yet
        await lead_says("ja", "Verstuurd aan 1 lid van")

        # The call waits in the outbox; the Matrix process delivers it (a Telegram
        # process that saw it first left it for another channel's process).
        await app.notifier.deliver_waiting(datetime.now(UTC) + timedelta(minutes=5))
        (call,) = await cas_client.expect(room, bot.user_id)
        assert call.encrypted
        assert call.body.startswith("Opschalen e1: Tom vraagt het Team complexe problematiek")
        assert PRINCIPLES in call.body and "Urgentie: spoed" in call.body
        assert "Vraag voor het team: volgt in het overleg" in call.body
        assert "ik doe mee e1" in call.body and "kan niet e1" in call.body

        await cas_client.send(room, "ik doe mee e1")
        (joined,) = await cas_client.expect(room, bot.user_id)
        assert joined.body.startswith("Genoteerd: je doet mee aan opschalen e1.")
        status = await lead_says("status e1", "Doet mee: Cas")
        assert "Nog geen antwoord: niemand" in status

        meeting = datetime.now(AMSTERDAM).date() + timedelta(days=30)
        typed = meeting.strftime("%d-%m-%Y")
        await lead_says(f"datum e1 {typed}", f"is op {_day(meeting)}")
        await app.notifier.deliver_waiting(datetime.now(UTC) + timedelta(minutes=10))
        (told,) = await cas_client.expect(room, bot.user_id)
        assert f"is op {_day(meeting)}" in told.body

        # The day before at 09:00: the job (added by the Telegram process) runs here.
        eve = datetime.combine(meeting - timedelta(days=1), time(9, 1), AMSTERDAM)
        await app.scheduler.run_due(eve)
        (reminder,) = await cas_client.expect(room, bot.user_id)
        assert reminder.body.startswith(f"Herinnering: morgen, {_day(meeting)}")
        await app.scheduler.run_due(eve + timedelta(hours=1))
        assert await cas_client.settle(room, bot.user_id, quiet=0.5, at_least=0) == []  # once
        await lead_says("status e1", "Doet mee: Cas")
        # Tom's reminder waits in the outbox for the Telegram process's next round.
        await asyncio.to_thread(tom.expect, "Herinnering: morgen", 45.0)
    finally:
        app.close()


def _day(day: date) -> str:
    names = ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag")
    return f"{names[day.weekday()]} {day.strftime('%d-%m-%Y')}"
