"""Bounded, logged retries when the homeserver answers HTTP 429.

matrix-nio can retry rate-limited requests itself, but without a limit on
the wait and without telling us. The channel switches that off
(``max_limit_exceeded=0``) and sends every request through :func:`retry_rate_limited`
(``tenacity``): wait what the server asks (``retry_after_ms``), but never
longer than a configured ceiling, at most a configured number of times, and
log each wait.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from nio import ErrorResponse
from tenacity import AsyncRetrying, RetryCallState, retry_if_result, stop_after_attempt

log = logging.getLogger(__name__)

LIMIT_EXCEEDED = "M_LIMIT_EXCEEDED"

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """How patiently to retry: ``retries`` extra attempts, each wait capped at ``max_wait``."""

    retries: int = 5
    max_wait: float = 30.0
    default_wait: float = 1.0


def is_rate_limited(response: object) -> bool:
    """True for a 429 answer, whichever way nio reports it."""
    if not isinstance(response, ErrorResponse):
        return False
    if response.status_code in (LIMIT_EXCEEDED, 429):
        return True
    transport = getattr(response, "transport_response", None)
    return getattr(transport, "status", None) == 429


def retry_after(response: object, policy: RetryPolicy) -> float:
    """Seconds to wait: the server's ``retry_after_ms`` (or ``Retry-After``), capped."""
    millis = getattr(response, "retry_after_ms", None)
    seconds: float | None = millis / 1000 if isinstance(millis, int | float) else None
    if seconds is None:
        transport = getattr(response, "transport_response", None)
        headers = getattr(transport, "headers", None)
        header = headers.get("Retry-After") if headers is not None else None
        if header is not None:
            try:
                seconds = float(header)
            except ValueError:
                seconds = None
    if seconds is None or seconds < 0:
        seconds = policy.default_wait
    return min(seconds, policy.max_wait)


def _last_answer(state: RetryCallState) -> Any:  # the call's T, as tenacity keeps it
    outcome = state.outcome
    assert outcome is not None
    return outcome.result()


async def retry_rate_limited(
    call: Callable[[], Awaitable[T]],
    policy: RetryPolicy,
    what: str,
    sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
) -> T:
    """Run ``call`` until it is not rate limited or the retries are used up.

    Returns the last response (an ``ErrorResponse`` if the server kept
    refusing); never raises for a 429. The loop is tenacity's: retry on a
    429 answer, wait what the server asked (capped), stop after
    ``policy.retries`` retries and hand back the last answer.
    """

    def wait(state: RetryCallState) -> float:
        return retry_after(_last_answer(state), policy)

    def before_sleep(state: RetryCallState) -> None:
        response = _last_answer(state)
        assert state.next_action is not None
        log.warning(
            "Rate limited on %s (retry_after_ms=%s); waiting %.2f s, retry %d of %d",
            what,
            getattr(response, "retry_after_ms", None),
            state.next_action.sleep,
            state.attempt_number,
            policy.retries,
        )

    def give_up(state: RetryCallState) -> T:
        response: T = _last_answer(state)
        log.error(
            "Rate limited on %s; giving up after %d retries (%s)",
            what,
            state.attempt_number - 1,
            response,
        )
        return response

    retrying = AsyncRetrying(
        retry=retry_if_result(is_rate_limited),
        stop=stop_after_attempt(policy.retries + 1),
        wait=wait,
        sleep=sleep,
        before_sleep=before_sleep,
        retry_error_callback=give_up,
    )

    async def attempt() -> T:  # tenacity awaits only what an ``async def`` returns
        return await call()

    return await retrying(attempt)
