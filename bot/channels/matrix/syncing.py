"""Reading the homeserver's stream: ``/sync`` long polls and the gaps between them.

Synapse sends at most ``timeline.limit`` events per room per sync and marks
the rest as a gap (``limited``); :meth:`Syncer.fill_gap` pages back with
``/messages`` from ``prev_batch`` to the previous sync token, so no message
of a burst is missed. A long poll is abandoned harmlessly on stop (the token
is saved only after a batch was handled).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from nio import (
    AsyncClient,
    MessageDirection,
    RoomMessagesError,
    RoomMessagesResponse,
    SyncError,
    SyncResponse,
)
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, wait_exponential

from bot.channels.matrix.config import MatrixConfig
from bot.channels.matrix.parse import TimelineEvent, event_id_of
from bot.channels.matrix.ratelimit import retry_rate_limited

log = logging.getLogger(__name__)


class SyncFailedError(RuntimeError):
    """The homeserver answered a sync with an error (it is tried again)."""


def sync_filter(timeline_limit: int) -> dict[str, Any]:
    """Only what the bot reads: timelines (up to the limit), no presence or typing."""
    return {
        "presence": {"not_types": ["*"]},
        "room": {
            "timeline": {"limit": timeline_limit},
            "ephemeral": {"not_types": ["*"]},
        },
    }


class Syncer:
    """The sync and paging requests of one logged-in client."""

    def __init__(self, client: AsyncClient, config: MatrixConfig) -> None:
        self._client = client
        self._config = config

    async def sync(
        self,
        since: str | None,
        timeout_ms: int,
        *,
        full_state: bool = False,
        timeline_limit: int | None = None,
    ) -> SyncResponse | SyncError:
        """One ``/sync`` (429s retried): a ``SyncResponse`` or nio's error response."""
        client = self._client
        limit = self._config.timeline_limit if timeline_limit is None else timeline_limit
        return await retry_rate_limited(
            lambda: client.sync(
                timeout=timeout_ms,
                sync_filter=sync_filter(limit),
                since=since,
                full_state=full_state or None,
            ),
            self._config.retry,
            "sync",
        )

    async def sync_or_stop(
        self, since: str | None, timeout_ms: int, stopping: asyncio.Event
    ) -> SyncResponse | SyncError | None:
        """One long poll, or ``None`` when ``stopping`` is set first."""
        sync = asyncio.ensure_future(self.sync(since, timeout_ms))
        stop = asyncio.ensure_future(stopping.wait())
        try:
            done, _ = await asyncio.wait({sync, stop}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stop.cancel()
        if sync in done:
            return sync.result()
        sync.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sync
        return None

    async def next_batch(
        self, since: str | None, timeout_ms: Callable[[], int], stopping: asyncio.Event
    ) -> SyncResponse | None:
        """The next sync batch, or ``None`` on stop. A failed sync (an error answer or
        a broken connection must not end the bot) is tried again after a growing
        pause, 2, 4, 8 … 60 s (tenacity), which ``stopping`` cuts short."""

        async def attempt() -> SyncResponse | None:
            if stopping.is_set():
                return None
            response = await self.sync_or_stop(since, timeout_ms(), stopping)
            if response is None or isinstance(response, SyncResponse):
                return response
            raise SyncFailedError(response)

        async def pause(seconds: float) -> None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), seconds)

        def before_sleep(state: RetryCallState) -> None:
            outcome = state.outcome
            assert outcome is not None and state.next_action is not None
            log.warning(
                "Sync failed (%r); retrying in %.0f s", outcome.exception(), state.next_action.sleep
            )

        retrying = AsyncRetrying(
            retry=retry_if_exception_type(Exception),
            wait=wait_exponential(multiplier=2, max=60),
            sleep=pause,
            before_sleep=before_sleep,
        )
        result: SyncResponse | None = await retrying(attempt)
        return result

    async def fill_gap(
        self,
        room_id: str,
        prev_batch: str,
        since: str,
        timeline: list[TimelineEvent],
        marker: str | None,
    ) -> list[TimelineEvent]:
        """The events Synapse left out of a ``limited`` timeline, oldest first,
        followed by ``timeline``; paging stops at ``marker`` (the last handled event)."""
        config = self._config
        seen = {event_id_of(event) for event in timeline}
        missing: list[TimelineEvent] = []
        start: str | None = prev_batch
        while start is not None and len(missing) < config.max_gap_events:
            page = await retry_rate_limited(
                self._page_back(room_id, start, since), config.retry, "room_messages"
            )
            if not isinstance(page, RoomMessagesResponse):
                log.warning("Could not fetch the gap in %s: %s", room_id, page)
                break
            reached_marker = False
            for event in page.chunk:
                event_id = event_id_of(event)
                if marker is not None and event_id == marker:
                    reached_marker = True
                    break
                if event_id not in seen:
                    seen.add(event_id)
                    missing.append(event)
            if reached_marker or not page.chunk or not page.end or page.end == start:
                break
            start = page.end
        if len(missing) >= config.max_gap_events:
            log.warning(
                "Gap in %s is larger than %d events; older ones are skipped", room_id, len(missing)
            )
        log.info("Filled a gap of %d events in %s", len(missing), room_id)
        missing.reverse()
        return missing + timeline

    def _page_back(
        self, room_id: str, start: str, end: str
    ) -> Callable[[], Awaitable[RoomMessagesResponse | RoomMessagesError]]:
        async def call() -> RoomMessagesResponse | RoomMessagesError:
            return await self._client.room_messages(
                room_id,
                start=start,
                end=end,
                direction=MessageDirection.back,
                limit=self._config.gap_page_size,
            )

        return call
