"""Telegram's flood control and passing network faults: retried, with the server's delay, bounded.

Telegram answers HTTP 429 with ``retry_after`` seconds when a bot sends too
fast (about one message a second per chat); aiogram raises
``TelegramRetryAfter``. A network error (``TelegramNetworkError``) is often a
passing fault. Every Bot API call goes through :class:`FloodControl`, a
request middleware on the bot's session: it waits what Telegram asks (or a
growing pause after a network error) and tries again, at most
``FloodPolicy.attempts`` times in all (tenacity, which takes over only
after a first failure: a call that succeeds costs no more than before). A
wait longer than ``max_wait`` is not attempted: the error goes up and the
adapter apologises.

The call is retried where it was made, inside the turn that holds the chat's
lock (:mod:`bot.service.locks`), so the chat's later messages wait behind
it: the order per chat holds, and other chats go on meanwhile. Long polling
(``getUpdates``) has aiogram's own back-off and is left alone. A network
error after Telegram received a message can make it arrive twice; a lost
reply is worse for someone in the middle of a case.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.exceptions import TelegramNetworkError, TelegramRetryAfter
from aiogram.methods import GetUpdates, TelegramMethod
from aiogram.methods.base import TelegramType
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt

if TYPE_CHECKING:
    from aiogram import Bot
    from aiogram.methods import Response

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FloodPolicy:
    """``attempts`` calls in all; Telegram's ``retry_after`` is waited up to
    ``max_wait`` seconds; after a network error ``network_wait``, doubling."""

    attempts: int = 5
    max_wait: float = 30.0
    network_wait: float = 0.5


class FloodControl(BaseRequestMiddleware):
    """Retries a Bot API call on 429 and network errors (see the module)."""

    def __init__(
        self,
        policy: FloodPolicy | None = None,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        self.policy = policy or FloodPolicy()
        self._sleep = sleep

    def _retryable(self, error: BaseException) -> bool:
        if isinstance(error, TelegramRetryAfter):
            return error.retry_after <= self.policy.max_wait
        return isinstance(error, TelegramNetworkError)

    def _wait(self, state: RetryCallState) -> float:
        outcome = state.outcome
        error = outcome.exception() if outcome is not None else None
        if isinstance(error, TelegramRetryAfter):
            return float(error.retry_after)
        return float(min(self.policy.network_wait * 2 ** (state.attempt_number - 1), 30.0))

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        polling = isinstance(method, GetUpdates)
        try:
            return await make_request(bot, method)  # the usual case, without tenacity's cost
        except (TelegramRetryAfter, TelegramNetworkError) as error:
            if polling or not self._retryable(error):
                raise
            first_failure: list[BaseException] = [error]
        name = type(method).__name__

        def before_sleep(state: RetryCallState) -> None:
            outcome = state.outcome
            assert outcome is not None and state.next_action is not None
            log.warning(
                "telegram: %s failed (%s); waiting %.1f s, attempt %d of %d",
                name,
                type(outcome.exception()).__name__,
                state.next_action.sleep,
                state.attempt_number + 1,
                self.policy.attempts,
            )

        retrying = AsyncRetrying(
            retry=retry_if_exception(self._retryable),
            stop=stop_after_attempt(self.policy.attempts),
            wait=self._wait,
            sleep=self._sleep,
            before_sleep=before_sleep,
            reraise=True,
        )

        async def attempt() -> Response[TelegramType]:  # tenacity awaits an ``async def``
            if first_failure:  # the call above was tenacity's first attempt
                raise first_failure.pop()
            return await make_request(bot, method)

        return await retrying(attempt)
