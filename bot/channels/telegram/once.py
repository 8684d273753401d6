"""Each Telegram update is handled once, however often it is delivered.

Telegram delivers a webhook update again when it got no answer in time; with
several webhook workers behind one address, the same ``update_id`` can reach
two of them. Before the handlers run, :class:`HandleOnce` (an aiogram outer
middleware on the dispatcher's updates) claims ``<bot id>:<update_id>`` in an
:class:`UpdateLedger` shared by the workers (the database's, in
``bot.store.seen``, wired by the command line); a delivery whose claim fails
is skipped. If the ledger cannot be reached (a database outage) the update is
handled all the same: the service then tells the user the bot is briefly
unreachable, which beats silence.

Claiming comes before handling, so a worker killed in between loses that one
update (Telegram's retry is then skipped too); answering Telegram only after
handling would close that gap at the cost of holding Telegram's connection.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from aiogram import BaseMiddleware, Dispatcher
from aiogram.types import TelegramObject, Update

log = logging.getLogger(__name__)


class UpdateLedger(Protocol):
    """Where workers claim updates (``bot.store.seen.SqlUpdateLedger``)."""

    def first_time(self, key: str) -> bool:
        """True for exactly one claim of ``key``, in any process."""
        ...


class HandleOnce(BaseMiddleware):
    """Skips an update some worker already claimed."""

    def __init__(self, ledger: UpdateLedger) -> None:
        self._ledger = ledger

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        if not isinstance(event, Update):
            return await handler(event, data)
        bot = data.get("bot")
        key = f"{bot.id if bot is not None else 0}:{event.update_id}"
        try:
            first = await asyncio.to_thread(self._ledger.first_time, key)
        except Exception:
            log.exception("telegram: could not claim update %s; handling it anyway", key)
            first = True
        if not first:
            log.info("telegram: update %s was already handled; skipped", key)
            return None
        return await handler(event, data)


def handle_once(dispatcher: Dispatcher, ledger: UpdateLedger) -> Dispatcher:
    """Make ``dispatcher`` skip updates already claimed in ``ledger``."""
    dispatcher.update.outer_middleware(HandleOnce(ledger))
    return dispatcher
