"""Each Telegram update is handled once, however often it is delivered.

Telegram delivers a webhook update again when it got no answer in time; with
several webhook workers behind one address (or on one port with
``SO_REUSEPORT``), the same ``update_id`` can reach two of them, and a long
poll after a crash offers unconfirmed updates again. :class:`HandleOnce` (an
aiogram outer middleware on the dispatcher's updates) names each update
``<bot id>:<update_id>`` (a ``DeliveryKey``) and:

- skips it when the :class:`UpdateLedger` (the database's, in
  ``bot.store.seen``, wired by the command line) has it recorded already;
- otherwise hands it to the handlers with the key in ``data["delivery_key"]``:
  the adapter passes it to the service, whose step records it in the step's
  own transaction. The answer and the key are committed together or not at
  all, so a worker killed before its commit loses nothing (the redelivery is
  handled), and one killed after it does not apply the update again. Of two
  workers handling it at once, the second one's step finds the key taken, is
  rolled back, and that worker sends nothing (replies go out after the
  commit);
- records the key after handling too, for updates that made no step (a
  menu, help, a refusal); a repeat of those is harmless.

If the ledger cannot be reached (a database outage) the update is handled all
the same: the service then tells the user the bot is briefly unreachable,
which beats silence.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from aiogram import BaseMiddleware, Dispatcher
from aiogram.types import TelegramObject, Update

from bot.service.ports import DeliveryKey, DuplicateDeliveryError

log = logging.getLogger(__name__)

#: Where the delivery key travels in aiogram's handler data.
DELIVERY_KEY = "delivery_key"


class UpdateLedger(Protocol):
    """Where workers record updates (``bot.store.seen.SqlUpdateLedger``)."""

    @property
    def channel(self) -> str:
        """The ledger's name for the channel (the ``DeliveryKey.channel``)."""
        ...

    def recorded(self, delivery: DeliveryKey) -> bool:
        """Whether ``delivery`` was handled already, in any process."""
        ...

    def record(self, delivery: DeliveryKey) -> None:
        """Mark ``delivery`` handled; repeatable."""
        ...


class HandleOnce(BaseMiddleware):
    """Skips an update some worker already handled; hands on its key otherwise."""

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
        delivery = DeliveryKey(
            self._ledger.channel, f"{bot.id if bot is not None else 0}:{event.update_id}"
        )
        try:
            seen = await asyncio.to_thread(self._ledger.recorded, delivery)
        except Exception:
            log.exception("telegram: could not look up update %s; handling it", delivery.key)
            seen = False
        if seen:
            log.info("telegram: update %s was already handled; skipped", delivery.key)
            return None
        data[DELIVERY_KEY] = delivery
        try:
            return await handler(event, data)
        except DuplicateDeliveryError:  # another worker's step won: it replies
            log.info("telegram: update %s was already handled; skipped (its step)", delivery.key)
            return None
        finally:
            try:
                await asyncio.to_thread(self._ledger.record, delivery)
            except Exception:
                log.exception("telegram: could not record update %s", delivery.key)


def handle_once(dispatcher: Dispatcher, ledger: UpdateLedger) -> Dispatcher:
    """Make ``dispatcher`` skip updates already recorded in ``ledger``."""
    dispatcher.update.outer_middleware(HandleOnce(ledger))
    return dispatcher
