"""Exactly-once bookkeeping: what of the homeserver's stream was handled already.

A professional must never get an answer twice or none at all. The sync token
is saved (``KeyValueStore``) only after a whole batch was handled, and per
room the id of the last handled event, so a restart after a crash resumes
where it stopped and never applies a message twice. Events from before the
bot's invite to a room were not meant for it and are skipped. Also kept: the
direct chats joined but not greeted yet (so a crash in between still greets,
once), and whether the invite to a room marked it as a direct chat.

The marker is written after a message was handled; a crash between the
message's step and its marker would apply it again after a restart. So a
message's event id is also its delivery key (:meth:`Handled.delivery`): the
step records it in its own transaction, and :meth:`Handled.unhandled` drops
events a ledger (``bot.store.seen``) has recorded, whatever the marker says.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from nio import RoomMemberEvent

from bot.channels.matrix.config import MatrixConfig
from bot.channels.matrix.login import CHANNEL, kv_name
from bot.channels.matrix.parse import TimelineEvent, event_id_of
from bot.service.ports import DeliveryKey, DeliveryLedger, KeyValueStore


class Handled:
    """The sync token and, per room, the last handled event, in the database;
    with a ``ledger``, the events whose steps recorded them."""

    def __init__(
        self, config: MatrixConfig, kv: KeyValueStore, ledger: DeliveryLedger | None = None
    ) -> None:
        self._config = config
        self._kv = kv
        self._ledger = ledger

    def delivery(self, event_id: str | None) -> DeliveryKey | None:
        """The key a message's step records (None without a ledger to look it up)."""
        return DeliveryKey(CHANNEL, event_id) if event_id and self._ledger is not None else None

    def since(self) -> str | None:
        """The token of the last batch handled completely (``None`` on a first start)."""
        return self._kv.get_value(kv_name(self._config, "next_batch"))

    def batch_done(self, next_batch: str) -> None:
        self._kv.set_value(kv_name(self._config, "next_batch"), next_batch)

    def owed_greetings(self) -> set[str]:
        """Direct chats the bot joined but has not greeted yet (kept across a crash)."""
        raw = self._kv.get_value(kv_name(self._config, "greet"))
        rooms = json.loads(raw) if raw else []
        return {room for room in rooms if isinstance(room, str)}

    def owe_greeting(self, room_id: str) -> None:
        self._set_greetings(self.owed_greetings() | {room_id})

    def greeted(self, room_id: str) -> None:
        owed = self.owed_greetings()
        if room_id in owed:
            self._set_greetings(owed - {room_id})

    def _set_greetings(self, rooms: set[str]) -> None:
        self._kv.set_value(kv_name(self._config, "greet"), json.dumps(sorted(rooms)))

    def mark_direct(self, room_id: str, is_direct: bool) -> None:
        """What the invite to the room said: a direct chat or not."""
        self._kv.set_value(kv_name(self._config, "direct", room_id), "1" if is_direct else "0")

    def direct(self, room_id: str) -> bool | None:
        """Whether the invite marked the room as direct (``None``: joined before this was kept)."""
        value = self._kv.get_value(kv_name(self._config, "direct", room_id))
        return None if value is None else value == "1"

    def last(self, room_id: str) -> str | None:
        """The id of the last event handled in the room."""
        return self._kv.get_value(kv_name(self._config, "last", room_id))

    def mark(self, room_id: str, event_id: str | None) -> None:
        if event_id:
            self._kv.set_value(kv_name(self._config, "last", room_id), event_id)

    def unhandled(
        self, room_id: str, events: Sequence[TimelineEvent], own_user_id: str
    ) -> list[TimelineEvent]:
        """Drop what was handled before a crash (by the marker, then by the ledger),
        and history from before the bot's invite."""
        marker = self.last(room_id)
        start = 0
        for index, event in enumerate(events):
            if marker is not None and event_id_of(event) == marker:
                start = index + 1
            elif (
                isinstance(event, RoomMemberEvent)
                and event.state_key == own_user_id
                and event.membership == "invite"
            ):
                # A chat the bot was just invited to: older messages were not for it.
                start = max(start, index + 1)
        return [event for event in events[start:] if not self._recorded(room_id, event)]

    def _recorded(self, room_id: str, event: TimelineEvent) -> bool:
        """Whether a committed step recorded ``event`` (its marker may be missing)."""
        delivery = self.delivery(event_id_of(event))
        if delivery is None or self._ledger is None or not self._ledger.recorded(delivery):
            return False
        self.mark(room_id, delivery.key)
        return True
