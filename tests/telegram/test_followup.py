"""A reminder of an agreed step on Telegram, end to end: the real bot process
sends it through the Bot API emulator when it starts (its scheduler's first
round), with the three answers as buttons; a tap sends the word and the bot
notes it; ``mijn vastleggingen 1`` sends the record again, with "gedaan op",
as a message and a ``.txt`` file."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.org.model import Role
from bot.service.people_port import Enrolment
from bot.service.ports import ConversationKey, Sender
from bot.store.migrate import upgrade
from bot.store.people import SqlPeopleStore
from bot.store.sql import SqlStore
from tests.followup.e2e import STEP, due_step
from tests.peers.telegram.fixture import BotProcess, BotProcesses, Emulator, TelegramUser

pytestmark = pytest.mark.peer

FLOWS = Path(__file__).resolve().parents[2] / "flows"


def test_a_reminder_is_tapped_and_the_record_sent_again_on_telegram(
    telegram_bots: BotProcesses, telegram_emulator: Emulator, tmp_path: Path
) -> None:
    # The professional wrote to the bot before (her chat is known); her step is due.
    url = f"sqlite:///{tmp_path / 'followup.db'}"
    upgrade(url)
    placeholder = BotProcess("0:none", None, tmp_path / "log", telegram_emulator)  # type: ignore[arg-type]
    anna = TelegramUser(placeholder, member=False, first_name="Anna")
    external = str(anna.user["id"])
    now = datetime.now(UTC)
    store = SqlStore(url)
    try:
        people = SqlPeopleStore(store.engine)
        org = people.create_organisation("Jeugdzorg Noord", now=now)
        person = people.enrol(
            Enrolment(
                org.id, "Anna", frozenset({Role.PROFESSIONAL}), identity=("telegram", external)
            ),
            now=now,
        )
        key = ConversationKey("telegram", str(anna.chat["id"]))
        people.seen(Sender("telegram", external, "Anna"), key, now)
        code = due_step(store, key, org.id, person.id, now)
    finally:
        store.close()

    anna.bot = telegram_bots.start(
        FLOWS, main_flow="dilemma", extra_env={"VOORKOMEN_DATABASE_URL": url}
    )
    (reminder,) = anna.expect("Herinnering:")
    assert (
        f"{STEP} (casus E2E-1)" in reminder.text and "Is dit gebeurd? Ja, nog niet" in reminder.text
    )
    keyboard = reminder.raw["reply_markup"]["keyboard"]
    words = [button["text"] for row in keyboard for button in row]
    assert words == [f"ja {code}", f"later {code}", f"vervalt {code}"]

    anna.send(words[0])  # a tap on a reply button sends its text
    today = datetime.now(ZoneInfo("Europe/Amsterdam")).strftime("%d-%m-%Y")
    anna.expect(f"Genoteerd: gedaan op {today}")

    anna.send("mijn vastleggingen 1")
    sent = anna.wait_until(lambda new: any(m.document for m in new), "the record's file")
    assert any(f"{STEP}: gedaan op {today}" in m.text for m in sent)
    (file,) = [m for m in sent if m.document]
    assert file.document is not None and file.document["file_name"].startswith("vastlegging-E2E-1")
    assert f"{STEP}: gedaan op {today}" in anna.document_content(file)
