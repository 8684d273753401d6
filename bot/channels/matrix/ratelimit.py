"""Bounded, logged retries when the homeserver answers HTTP 429.

matrix-nio can retry rate-limited requests itself, but without a limit on
the wait and without telling us. The channel switches that off
(``max_limit_exceeded=0``) and sends every request through :func:`retry_rate_limited`:
wait what the server asks (``retry_after_ms``), but never longer than a
configured ceiling, at most a configured number of times, and log each wait.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from nio import ErrorResponse

log = logging.getLogger(__name__)

LIMIT_EXCEEDED = "M_LIMIT_EXCEEDED"


@dataclass(frozen=True)
class RetryPolicy:
    """How patiently to retry: ``retries`` extra attempts, each wait capped at ``max_wait``."""

    retries: int = 5
    max_wait: float = 30.0
    default_wait: float = 1.0


def is_rate_limited(response: Any) -> bool:
    """True for a 429 answer, whichever way nio reports it."""
    if not isinstance(response, ErrorResponse):
        return False
    if response.status_code in (LIMIT_EXCEEDED, 429):
        return True
    transport = getattr(response, "transport_response", None)
    return getattr(transport, "status", None) == 429


def retry_after(response: Any, policy: RetryPolicy) -> float:
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


async def retry_rate_limited(
    call: Callable[[], Awaitable[Any]],
    policy: RetryPolicy,
    what: str,
    sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
) -> Any:
    """Run ``call`` until it is not rate limited or the retries are used up.

    Returns the last response (an ``ErrorResponse`` if the server kept
    refusing); never raises for a 429.
    """
    response = await call()
    attempt = 0
    while is_rate_limited(response):
        if attempt >= policy.retries:
            log.error(
                "Rate limited on %s; giving up after %d retries (%s)", what, attempt, response
            )
            return response
        attempt += 1
        wait = retry_after(response, policy)
        log.warning(
            "Rate limited on %s (retry_after_ms=%s); waiting %.2f s, retry %d of %d",
            what,
            getattr(response, "retry_after_ms", None),
            wait,
            attempt,
            policy.retries,
        )
        await sleep(wait)
        response = await call()
    return response
