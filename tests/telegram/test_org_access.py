"""Organisations on Telegram, end to end: the real bot process, the Bot API
emulator, and several people. Joining with a code (``/start CODE`` and as a
first message), one refusal for an outsider (also for crafted button data),
and a removed member cut off at once while the others carry on."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.org.model import Role
from bot.service import access_texts
from bot.service.access import make_invite
from bot.store.people import SqlPeopleStore
from bot.store.sql import make_engine
from tests.peers.telegram.fixture import BotProcess, BotProcesses, TelegramUser
from tests.telegram.conftest import flow_set

pytestmark = pytest.mark.peer

MENU = "Waarmee wil je aan de slag?"


class Admin:
    """What a beheerder does on the command line, on the bot's own database."""

    def __init__(self, url: str) -> None:
        self.engine = make_engine(url)
        self.people = SqlPeopleStore(self.engine)

    def org(self, name: str) -> int:
        found = self.people.organisation(name)
        return (found or self.people.create_organisation(name, now=datetime.now(UTC))).id

    def invite(self, name: str, role: Role = Role.PROFESSIONAL, uses: int = 1) -> str:
        org = self.people.organisation(name)
        assert org is not None
        return make_invite(self.people, org, role, now=datetime.now(UTC), uses=uses)

    def remove(self, org_name: str, person_name: str) -> None:
        org = self.people.organisation(org_name)
        assert org is not None
        (member,) = [m for m in self.people.members(org.id) if m.person.name == person_name]
        assert self.people.remove_member(org.id, member.person.id, now=datetime.now(UTC))


@pytest.fixture(scope="module")
def closed_bot(telegram_bots: BotProcesses, tmp_path_factory: pytest.TempPathFactory) -> BotProcess:
    """A bot whose test users are nobody's members until they join."""
    flows = flow_set(tmp_path_factory.mktemp("flows") / "flows", free_text=True)
    return telegram_bots.start(flows, main_flow="gesprek", members_by_default=False)


@pytest.fixture(scope="module")
def admin(closed_bot: BotProcess) -> Admin:
    made = Admin(closed_bot.database_url)
    made.org("Jeugdzorg Noord")
    made.org("Wijkteam Zuid")
    return made


def test_people_join_with_a_code_and_an_outsider_is_refused_once(
    closed_bot: BotProcess, admin: Admin, tmp_path: Path
) -> None:
    anna = TelegramUser(closed_bot, first_name="Anna")
    bram = TelegramUser(closed_bot, first_name="Bram")
    eva = TelegramUser(closed_bot, first_name="Eva")  # nobody invited her

    anna.send(f"/start {admin.invite('Jeugdzorg Noord')}")  # the deep link
    joined = anna.expect(MENU)
    welcome = access_texts.JOINED.format(org="Jeugdzorg Noord", roles="professional", name="Anna")
    assert joined[0].text.startswith(welcome)
    question = anna.expect_question(MENU) if not joined[-1].buttons else joined[-1]
    assert question.buttons

    bram.send(admin.invite("Jeugdzorg Noord", Role.BEHEERDER))  # as a first message
    assert bram.expect(MENU)[0].text.startswith("Welkom bij Jeugdzorg Noord!")

    eva.send("/start")
    refused = eva.expect(access_texts.REFUSAL)
    assert [m.text for m in refused] == [access_texts.REFUSAL]
    # A crafted button press (another chat's callback data) and more messages: silence.
    pressed = eva.press(question, "Testgesprek")
    eva.callback_answer(pressed)
    eva.send("hallo?")
    eva.send("AAAA-BBBB-CCCC-DDDD")  # a wrong code is answered, nothing more
    eva.expect(access_texts.WRONG_CODE)
    assert not [m for m in eva.messages() if "Testgesprek" in m.text or "Welkom" in m.text]


def test_a_removed_member_is_cut_off_at_once_while_others_carry_on(
    closed_bot: BotProcess, admin: Admin
) -> None:
    carla = TelegramUser(closed_bot, first_name="Carla")
    dirk = TelegramUser(closed_bot, first_name="Dirk")
    carla.send(admin.invite("Wijkteam Zuid"))
    menu = carla.expect_question(MENU)
    dirk.send(admin.invite("Wijkteam Zuid"))
    dirk.expect(MENU)

    admin.remove("Wijkteam Zuid", "Carla")
    carla.callback_answer(carla.press(menu, "Testgesprek"))  # a button from before
    carla.send("verder")
    carla.expect(access_texts.REFUSAL)
    dirk.send("/start")
    dirk.expect(MENU)  # Dirk is still a member
    assert not any("Testgesprek" in m.text for m in carla.new_messages())
