"""Voorkomen under benchmark: the real app over Telegram, and a user who walks a flow.

``VoorkomenBot`` is what ``voorkomen telegram`` runs, built by the composition
root (``bot.app.create_app``: flows and knowledge loaded and checked, the
database migrated, the SQL store, the service) with the Telegram channel's
own dispatcher, minus the network: the Bot API is a ``LocalSession``.

``walk_flow`` is a user who starts a flow from the menu and answers every
question until the vastlegging arrives: the first button of a question with
buttons (for a multiple-choice question: the first option, then Klaar), a
short text for a typed question, a date where a date is asked. It reads the
flows that are there, so it keeps working when their texts change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from aiogram import Bot, Dispatcher

from bench.driver import TelegramUser, Timer
from bench.session import TOKEN, LocalSession
from bot.app import App, create_app
from bot.channels.telegram import TelegramChannel, make_bot
from bot.channels.telegram.keyboards import DONE_LABEL, SELECTED_MARK
from bot.engine import texts
from bot.org.model import Role
from bot.service.people_port import Enrolment
from bot.settings import Settings

MAX_UPDATES = 400
TEXT_ANSWERS = ("Test", "morgen", "-", "nee", "1")
# Both date hints start alike ("Typ een datum van vandaag of ..."); "vandaag" suits
# a question about the past and one about the future.
DATE_HINT = "Typ een datum van vandaag of"
assert texts.HINT_DATE_PAST.startswith(DATE_HINT) and texts.HINT_DATE_FUTURE.startswith(DATE_HINT)


@dataclass
class VoorkomenBot:
    """The app, its Telegram channel and a bot on a local session."""

    app: App
    channel: TelegramChannel
    dispatcher: Dispatcher
    bot: Bot
    session: LocalSession

    @classmethod
    def create(cls, database_url: str) -> VoorkomenBot:
        # The name check (deduce: ~1 GB and seconds of loading in a thread, which
        # would run through the first rounds) is off, as in the tests: see README.
        settings = Settings.from_env({}).model_copy(
            update={"database_url": database_url, "name_check": False}
        )
        app = create_app(settings)
        channel = TelegramChannel(app.service, app.kv)
        session = LocalSession()
        return cls(app, channel, channel.dispatcher(), make_bot(TOKEN, session=session), session)

    def admit(self, chat_id: int, org_name: str = "Bench") -> None:
        """Only members get past the access gate: enrol this user as a beheerder would."""
        people, now = self.app.people, datetime.now(UTC)
        org = people.organisation(org_name) or people.create_organisation(org_name, now=now)
        people.enrol(
            Enrolment(
                org.id, "Bench", frozenset({Role.PROFESSIONAL}), identity=("telegram", str(chat_id))
            ),
            now=now,
        )

    def user(self, chat_id: int, timer: Timer, org_name: str = "Bench") -> TelegramUser:
        self.admit(chat_id, org_name)
        return TelegramUser(self.dispatcher, self.bot, self.session, chat_id, timer)

    def flow_title(self, flow_id: str) -> str:
        return self.app.book.flows[flow_id].title

    async def close(self) -> None:
        await self.bot.session.close()
        self.app.close()


async def start_flow(user: TelegramUser, title: str) -> None:
    """``/start`` and a press on the flow's menu button."""
    await user.send("/start")
    await user.press(title)


async def answer_one(user: TelegramUser, tries: dict[str, int]) -> bool:
    """Answer the question the bot just asked; False once the vastlegging came."""
    if user.sent("sendDocument"):
        return False
    sent = [c for c in user.calls if c.method == "sendMessage"]
    shown = user.shown
    if shown is not None and (not sent or "reply_markup" in sent[-1].fields):
        labels = [b.text for b in shown.buttons]
        if DONE_LABEL in labels:  # multiple choice: tick the first option, then Klaar
            ticked = any(label.startswith(SELECTED_MARK) for label in labels)
            await user.press(DONE_LABEL if ticked else None)
        else:
            await user.press()
        return True
    question = str(sent[-1].fields.get("text", "")) if sent else ""
    attempt = tries.get(question, 0)
    tries[question] = attempt + 1
    if attempt >= len(TEXT_ANSWERS):
        msg = f"stuck at a question:\n{question}"
        raise AssertionError(msg)
    first = "vandaag" if DATE_HINT in question else "Test"
    answers = (first, *(a for a in TEXT_ANSWERS if a != first))
    await user.send(answers[attempt])
    return True


async def walk_flow(user: TelegramUser, title: str) -> None:
    """One whole conversation: start the flow, answer until the vastlegging."""
    await start_flow(user, title)
    tries: dict[str, int] = {}
    for _ in range(MAX_UPDATES):
        if not await answer_one(user, tries):
            return
    msg = f"no vastlegging after {MAX_UPDATES} updates"
    raise AssertionError(msg)


def sqlite_url(folder: Path, name: str = "voorkomen.db") -> str:
    return f"sqlite:///{folder / name}"
