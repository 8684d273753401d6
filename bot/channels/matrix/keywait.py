"""Encrypted messages whose room key has not arrived yet: held, retried, never dropped.

Megolm keys travel separately from the messages they open (a to-device
event from the sender's device), and the key may come a little after the
message, or only after the bot asked for it. So a message the bot cannot
decrypt is not answered "I could not read that" at once: the room waits at
that message (later messages of the room wait behind it, so the order holds),
the bot asks the sender's devices for the key (an ``m.room_key_request``,
retried on HTTP 429), and every sync tries again with the keys that came in.
Only when the key is still missing after ``patience`` seconds is the user
told to send the message again, and the room goes on.

While anything is held the channel does not save the sync token, so after a
crash the next start syncs from before the held message and reads it again
(messages handled meanwhile are skipped by their room's mark).
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Sequence

from nio import AsyncClient, EncryptionError, MegolmEvent

from bot.channels.matrix.parse import TimelineEvent, event_id_of
from bot.channels.matrix.ratelimit import RetryPolicy, retry_rate_limited

log = logging.getLogger(__name__)


class KeyWait:
    """Per room, the events waiting behind one that could not be decrypted yet."""

    def __init__(
        self,
        client: AsyncClient,
        retry: RetryPolicy,
        patience: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._retry = retry
        self._patience = patience
        self._clock = clock
        self._held: dict[str, list[TimelineEvent]] = {}
        self._first_seen: dict[str, float] = {}  # event id -> when it was first undecryptable

    def rooms(self) -> list[str]:
        """Rooms with events waiting (handled on every sync, even without new events)."""
        return list(self._held)

    def held(self, room_id: str) -> int:
        """How many events of the room wait (the first for its key, the rest behind it)."""
        return len(self._held.get(room_id, ()))

    def seconds_left(self) -> float | None:
        """Until the earliest held message runs out of patience (``None``: nothing held)."""
        waiting = [
            self._first_seen[event_id]
            for events in self._held.values()
            if (event_id := event_id_of(events[0])) in self._first_seen
        ]
        if not waiting:
            return None
        return max(0.0, min(waiting) + self._patience - self._clock())

    def resume(self, room_id: str, new_events: Sequence[TimelineEvent]) -> list[TimelineEvent]:
        """The room's held events and then ``new_events``, each encrypted one
        decrypted now if its key has arrived in the meantime."""
        held = self._held.pop(room_id, [])
        return [self._decrypted(event) for event in [*held, *new_events]]

    def _decrypted(self, event: TimelineEvent) -> TimelineEvent:
        if not isinstance(event, MegolmEvent) or self._client.olm is None:
            return event
        try:
            decrypted = self._client.decrypt_event(event)
        except EncryptionError:
            return event
        log.info("The room key for %s arrived; reading it now", event.event_id)
        self._first_seen.pop(event.event_id, None)
        return decrypted

    def out_of_patience(self, event: MegolmEvent) -> bool:
        """Whether ``event`` has waited long enough for its key (the clock starts now)."""
        first = self._first_seen.setdefault(event.event_id, self._clock())
        if self._clock() - first < self._patience:
            return False
        self._first_seen.pop(event.event_id, None)
        return True

    async def hold(self, room_id: str, events: Sequence[TimelineEvent]) -> None:
        """Keep ``events`` (an undecryptable one first) for the next sync; ask for its key."""
        self._held[room_id] = list(events)
        first = events[0]
        if isinstance(first, MegolmEvent):
            await self.request_key(first)

    async def request_key(self, event: MegolmEvent) -> None:
        """Ask the sender's devices for the room key (once per session; 429 retried)."""
        client = self._client
        with contextlib.suppress(Exception):  # e.g. already asked for this session
            await retry_rate_limited(
                lambda: client.request_room_key(event), self._retry, "request_room_key"
            )
