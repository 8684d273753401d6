"""The Telegram channel (aiogram 3): the only package that imports aiogram.

``TelegramChannel`` turns updates into the engine's ``Incoming`` values and the
service's replies into messages, keyboards and documents; ``runners`` starts
the bot with long polling or a webhook server; ``testing`` ships the fakes
the tests (and benchmarks) use at aiogram's own seam.
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
