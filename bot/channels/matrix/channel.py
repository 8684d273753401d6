"""The Matrix channel: a thin async shell around matrix-nio and the conversation service.

It logs the bot account in (:mod:`.login`), long-polls ``/sync``
(:mod:`.syncing`), keeps the end-to-end keys in order (:mod:`.crypto`),
accepts invites to direct chats (:mod:`.rooms`), feeds every message of a
room in order to the service and sends the replies back (:mod:`.sending`),
encrypted where the room is. What was handled is saved as it goes
(:mod:`.handled`; a message's step records its event id in the same
transaction), so after a crash nothing is applied twice.

Rooms are handled concurrently, the events of one room strictly in order.
An unencrypted room, while the configuration requires encryption, never
reaches the service: it gets one refusal per batch with a message in it.

What Element offers is used where it helps, while typed answers keep working
in every client: the professional's own reaction on the open question
answers it (👍, 👎, ✅), and an edited answer gets advice and the open
question again. HTTP 429 is retried with the server's ``retry_after_ms``,
bounded and logged (:mod:`.ratelimit`); a failed sync is tried again after a
growing pause (both with ``tenacity``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence

from nio import AsyncClient, MatrixRoom, MegolmEvent, RoomInfo, SyncResponse

from bot.channels.matrix.config import MatrixConfig
from bot.channels.matrix.crypto import keep_keys
from bot.channels.matrix.handled import Handled
from bot.channels.matrix.keywait import KeyWait
from bot.channels.matrix.login import CHANNEL, MatrixLoginError, login
from bot.channels.matrix.parse import (
    Edited,
    Ignore,
    Parsed,
    Reaction,
    TimelineEvent,
    Undecryptable,
    event_id_of,
    parse_event,
    reply_target,
)
from bot.channels.matrix.ratelimit import retry_rate_limited
from bot.channels.matrix.render import render_say
from bot.channels.matrix.rooms import answer_invite, others, sender_in
from bot.channels.matrix.sending import RoomWriter, forbidden
from bot.channels.matrix.syncing import Syncer
from bot.channels.matrix.texts import (
    EDITED_TEXT,
    ERROR_TEXT,
    GROUP_REFUSAL_TEXT,
    UNDECRYPTABLE_TEXT,
    UNENCRYPTED_ROOM_TEXT,
)
from bot.channels.oddities import EDITED, OLD_REPLY, explained
from bot.engine.messages import Ask, ChannelTraits, Incoming, Say, TextIn, Unsupported
from bot.service.ports import (
    Arrival,
    ConversationHandler,
    ConversationKey,
    DeliveryLedger,
    DuplicateDeliveryError,
    KeyValueStore,
)

log = logging.getLogger(__name__)


__all__ = ["CHANNEL", "MatrixChannel", "MatrixLoginError"]


class MatrixChannel:
    """Runs the bot account: ``await channel.run()`` until :meth:`stop`."""

    def __init__(
        self,
        config: MatrixConfig,
        service: ConversationHandler,
        kv: KeyValueStore,
        ledger: DeliveryLedger | None = None,
    ) -> None:
        self.config = config
        self.service = service
        self.kv = kv
        self.client: AsyncClient | None = None
        self._handled = Handled(config, kv, ledger)
        self._syncer: Syncer | None = None
        self._writer: RoomWriter | None = None
        self._keys: KeyWait | None = None
        self._since: str | None = None
        self._stopping = asyncio.Event()
        self._started = asyncio.Event()
        self._left: set[str] = set()
        # direct chats joined but not greeted yet (in the database: survives a crash)
        self._greet: set[str] = self._handled.owed_greetings()

    @property
    def device_id(self) -> str | None:
        """The bot's device id (after login)."""
        return self.client.device_id if self.client is not None else None

    def waiting_for_keys(self, room_id: str) -> int:
        """How many of the room's messages wait for a room key (0 before the start)."""
        return self._keys.held(room_id) if self._keys is not None else 0

    @property
    def started(self) -> asyncio.Event:
        """Set once the bot is logged in and has done its first sync."""
        return self._started

    @property
    def _client(self) -> AsyncClient:
        if self.client is None:
            raise RuntimeError("The Matrix channel is not started")
        return self.client

    @property
    def _out(self) -> RoomWriter:
        if self._writer is None:
            raise RuntimeError("The Matrix channel is not started")
        return self._writer

    # ------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Log in, upload keys and do the first sync (skipping the backlog on a first start)."""
        self.client = await login(self.config, self.kv)
        self._syncer = Syncer(self.client, self.config)
        self._writer = RoomWriter(self.client, self.config)
        self._keys = KeyWait(self.client, self.config.retry, self.config.key_patience)
        await keep_keys(self.client, self.config.retry)
        self._since = self._handled.since()
        first_start = self._since is None
        response = await self._syncer.sync(
            self._since,
            0,
            full_state=True,
            timeline_limit=1 if first_start else self.config.timeline_limit,
        )
        if not isinstance(response, SyncResponse):
            raise MatrixLoginError(f"The first sync failed: {response}")
        await self._process(response, handle_timelines=not first_start)
        self._started.set()

    def stop(self) -> None:
        """Ask :meth:`run` to finish the batch it is handling and return."""
        self._stopping.set()

    async def run(self) -> None:
        """Start, then sync and answer until :meth:`stop` is called."""
        try:
            if self.client is None:
                await self.start()
            while not self._stopping.is_set():
                response = await self._next_batch()
                if response is None:
                    break
                await self._process(response, handle_timelines=True)
        finally:
            await self.close()

    async def _next_batch(self) -> SyncResponse | None:
        """The next sync batch, or ``None`` on stop (failed syncs are retried)."""
        assert self._syncer is not None
        return await self._syncer.next_batch(self._since, self._sync_timeout, self._stopping)

    def _sync_timeout(self) -> int:
        """The long poll's timeout: shorter while a message waits for its room
        key, so the user is told in time when it does not come."""
        left = self._keys.seconds_left() if self._keys is not None else None
        if left is None:
            return self.config.sync_timeout_ms
        return min(self.config.sync_timeout_ms, int(left * 1000) + 100)

    async def close(self) -> None:
        """Close the HTTP session (the E2E store is saved as it goes)."""
        if self.client is not None:
            await self.client.close()

    # ------------------------------------------------------------ one batch

    async def _process(self, response: SyncResponse, handle_timelines: bool) -> None:
        """Handle one sync batch completely, then save its token."""
        since = self._since
        await keep_keys(self._client, self.config.retry)
        for room_id, invite in response.rooms.invite.items():
            try:
                direct = await answer_invite(
                    self._client, self.config, room_id, invite.invite_state
                )
                if direct is not None:
                    self._handled.mark_direct(room_id, direct)
                    self._left.discard(room_id)  # invited back after the bot left
                    self._greet.add(room_id)
                    self._handled.owe_greeting(room_id)
            except Exception:
                log.exception("Could not handle the invite to %s", room_id)
        if handle_timelines:
            joined: dict[str, RoomInfo | None] = dict(response.rooms.join)
            waiting = self._keys.rooms() if self._keys is not None else []
            for room_id in waiting:  # messages waiting for a room key: try them again
                joined.setdefault(room_id, None)
            await asyncio.gather(
                *(self._process_room(room_id, info, since) for room_id, info in joined.items())
            )
        self._since = response.next_batch
        if self._keys is None or not self._keys.rooms():
            # While a message waits for its room key the saved token stays
            # behind it: after a crash the next start reads it again (what was
            # handled is skipped by its room's mark), so it is never lost.
            self._handled.batch_done(response.next_batch)

    async def _process_room(self, room_id: str, info: RoomInfo | None, since: str | None) -> None:
        try:
            room = self._client.rooms.get(room_id)
            if room is None or room_id in self._left:
                return
            members = others(room, self._client.user_id)
            if len(members) > 1 or self._handled.direct(room_id) is False:
                await self._refuse_group(room_id)
                return
            events: list[TimelineEvent] = list(info.timeline.events) if info else []
            if info and info.timeline.limited and info.timeline.prev_batch and since:
                assert self._syncer is not None
                events = await self._syncer.fill_gap(
                    room_id, info.timeline.prev_batch, since, events, self._handled.last(room_id)
                )
            events = self._handled.unhandled(room_id, events, self._client.user_id)
            if self._keys is not None:
                events = self._keys.resume(room_id, events)
            if forbidden(self.config, room):
                await self._refuse_unencrypted(room, events)
            else:
                if room_id in self._greet:
                    self._greet.discard(room_id)
                    if not any(self._is_user_message(event) for event in events):
                        await self._converse(room, TextIn("start"), None)
                    self._handled.greeted(room_id)
                for index, event in enumerate(events):
                    if await self._wait_for_key(room_id, event, events[index:]):
                        events = events[:index]
                        break
                    await self._handle_event(room, event)
            if events:
                await self._mark_read(room_id, events[-1])
            if not members:
                log.info("The other person left %s; leaving too", room_id)
                await self._leave(room_id)
        except Exception:
            log.exception("Could not handle the events of %s", room_id)

    # ------------------------------------------------------------ room policy

    async def _refuse_group(self, room_id: str) -> None:
        if room_id in self._left:
            return
        self._left.add(room_id)
        log.info("Leaving group room %s", room_id)
        await self._out.send(room_id, render_say(Say(GROUP_REFUSAL_TEXT)))
        await self._leave(room_id)

    async def _leave(self, room_id: str) -> None:
        self._left.add(room_id)
        client = self._client
        await retry_rate_limited(
            lambda: client.room_leave(room_id), self.config.retry, "room_leave"
        )

    async def _refuse_unencrypted(self, room: MatrixRoom, events: Sequence[TimelineEvent]) -> None:
        """One refusal instead of the conversation: on joining, and for each batch
        with a message in it. Nothing of a case is asked or sent here; once the
        room is encrypted, the next message starts the conversation."""
        room_id = room.room_id
        greeting = room_id in self._greet
        self._greet.discard(room_id)
        wrote = any(self._is_user_message(event) for event in events)
        for event in events:
            self._handled.mark(room_id, event_id_of(event))
        if greeting or wrote:
            log.info("Refusing a conversation in unencrypted room %s", room_id)
            await self._out.send(room_id, render_say(Say(UNENCRYPTED_ROOM_TEXT)))

    async def _mark_read(self, room_id: str, event: TimelineEvent) -> None:
        event_id = event_id_of(event)
        if not event_id:
            return
        with contextlib.suppress(Exception):
            await self._client.room_read_markers(room_id, event_id, event_id)

    # ------------------------------------------------------------ events

    async def _wait_for_key(
        self, room_id: str, event: TimelineEvent, rest: Sequence[TimelineEvent]
    ) -> bool:
        """Whether ``event`` cannot be read yet and waits (with ``rest``) for its key."""
        if not isinstance(event, MegolmEvent) or self._keys is None:
            return False
        if event.sender == self._client.user_id or self._keys.out_of_patience(event):
            return False  # handled now: the user is asked to send it again
        log.info("Waiting for the room key of %s in %s", event.event_id, room_id)
        await self._keys.hold(room_id, rest)
        return True

    def _traits(self, room: MatrixRoom) -> ChannelTraits:
        return ChannelTraits(
            name=CHANNEL,
            buttons=False,
            end_to_end_encrypted=bool(room.encrypted),
            confirm_multi=True,
        )

    def _is_user_message(self, event: TimelineEvent) -> bool:
        parsed = parse_event(event, self._client.user_id)
        return not isinstance(parsed, Ignore)

    async def _handle_event(self, room: MatrixRoom, event: TimelineEvent) -> None:
        parsed: Parsed = parse_event(event, self._client.user_id)
        event_id = event_id_of(event)
        sender = getattr(event, "sender", None)
        if isinstance(parsed, Ignore):
            log.debug("Ignoring %s in %s: %s", event_id, room.room_id, parsed.reason)
            self._handled.mark(room.room_id, event_id)
        elif isinstance(parsed, Undecryptable):
            log.warning("Could not decrypt %s in %s (no room key in time)", event_id, room.room_id)
            self._handled.mark(room.room_id, event_id)
            await self._out.send_replies(room, [Say(UNDECRYPTABLE_TEXT)])
        elif isinstance(parsed, Edited):
            await self._answer_edit(room, event_id, sender)
        elif isinstance(parsed, Reaction):
            word = self._out.reaction_word(room.room_id, parsed)
            if word is None:
                log.debug("Ignoring a reaction in %s: not on the open question", room.room_id)
                self._handled.mark(room.room_id, event_id)
            else:
                await self._converse(room, TextIn(word), event_id, sender)
        else:
            target = reply_target(event)
            if target is not None and self._out.is_old_question(room.room_id, target):
                parsed = Unsupported(OLD_REPLY)  # it must not answer the open question
            await self._converse(room, parsed, event_id, sender)

    def _arrival(
        self, room: MatrixRoom, incoming: Incoming, event_id: str | None, user_id: str | None
    ) -> Arrival:
        """What the service is handed for ``incoming``, the event ``event_id`` in ``room``."""
        key, delivery = ConversationKey(CHANNEL, room.room_id), self._handled.delivery(event_id)
        sender = sender_in(room, self._client.user_id, user_id)
        return Arrival(key, incoming, self._traits(room), sender, delivery)

    async def _answer_edit(
        self, room: MatrixRoom, event_id: str | None, user_id: str | None
    ) -> None:
        """An edited answer changes nothing: say so, and ask the open question again."""
        try:
            arrival = self._arrival(room, Unsupported(EDITED), event_id, user_id)
            replies = await self.service.handle(arrival)
        except DuplicateDeliveryError:
            self._handled.mark(room.room_id, event_id)
            return
        except Exception:
            log.exception("The service failed on %s in %s", event_id, room.room_id)
            replies = []
        self._handled.mark(room.room_id, event_id)
        asks = [reply for reply in replies if isinstance(reply, Ask)]
        await self._out.send_replies(room, [Say(EDITED_TEXT), *asks[-1:]])

    async def _converse(
        self,
        room: MatrixRoom,
        incoming: Incoming,
        event_id: str | None,
        user_id: str | None = None,
    ) -> None:
        """Hand one message to the service and send its replies."""
        try:
            replies = await self.service.handle(self._arrival(room, incoming, event_id, user_id))
            replies = explained(incoming, replies, encrypted=bool(room.encrypted))
        except DuplicateDeliveryError:
            log.info("%s in %s was handled before; nothing sent", event_id, room.room_id)
            self._handled.mark(room.room_id, event_id)
            return
        except Exception:
            log.exception("The service failed on %s in %s", event_id, room.room_id)
            replies = [Say(ERROR_TEXT)]
        # Marked (as the step recorded it) before sending: after a crash right here
        # the user misses a reply (and can type "verder"), but nothing is applied twice.
        self._handled.mark(room.room_id, event_id)
        await self._out.send_replies(room, replies)
