"""Telegram's ``ChannelSender``: the bot speaks first (a notice from the outbox).

Uses the channel's own rendering (``rendering.say_messages``: escaped HTML,
split to Telegram's limits). Quick replies go on a one-time reply keyboard
whose buttons carry the reply word itself, so a tap sends exactly what typing
it would (the engine's universal words and flow commands), and a tap on an
old keyboard is just text. Errors (the Bot API is unreachable, the user
blocked the bot) propagate: the notifier keeps the notice in the outbox.
"""

from __future__ import annotations

from aiogram import Bot
from aiogram.types import KeyboardButton, ReplyKeyboardMarkup

from bot.channels.notices import NoticeSender
from bot.channels.telegram import rendering
from bot.engine.messages import Choice, Say

CHANNEL = "telegram"


def actions_keyboard(actions: tuple[Choice, ...]) -> ReplyKeyboardMarkup | None:
    """A one-time keyboard with one button per quick reply (its word), or None."""
    if not actions:
        return None
    return ReplyKeyboardMarkup(
        keyboard=[[KeyboardButton(text=choice.key)] for choice in actions],
        resize_keyboard=True,
        one_time_keyboard=True,
    )


class TelegramSender(NoticeSender):
    """Sends notices with ``bot.send_message`` (the same ``Bot`` the channel polls with)."""

    channel, label = CHANNEL, "Telegram"

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def deliver(self, chat: str, say: Say) -> None:
        chat_id = int(chat)
        parts = rendering.say_messages(say)
        keyboard = actions_keyboard(say.actions)
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            await self.bot.send_message(chat_id, part, reply_markup=keyboard if last else None)
