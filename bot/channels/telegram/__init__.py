"""The Telegram channel (aiogram 3): the only package that imports aiogram.

``TelegramChannel`` (``adapter``) turns updates into the engine's ``Incoming``
values (``updates``) and the service's replies into messages, keyboards and
documents (``delivery``, ``rendering``, ``keyboards``); ``runners`` starts
the bot with long polling or a webhook server. The fakes the tests use at
aiogram's own seam live in ``tests/telegram/botapi.py``.
"""

from bot.channels.telegram.adapter import (
    CHANNEL,
    TELEGRAM_TRAITS,
    TelegramChannel,
)
from bot.channels.telegram.runners import (
    COMMANDS,
    WebhookConfig,
    make_bot,
    run_polling,
    run_webhook,
)

__all__ = [
    "CHANNEL",
    "COMMANDS",
    "TELEGRAM_TRAITS",
    "TelegramChannel",
    "WebhookConfig",
    "make_bot",
    "run_polling",
    "run_webhook",
]
