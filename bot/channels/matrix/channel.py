"""The Matrix channel: a thin async shell around matrix-nio and the conversation service.

It logs the bot account in (keeping one device, so its end-to-end keys
survive restarts), long-polls ``/sync``, accepts invites to direct chats,
feeds every message of a room in order to the service and sends the replies
back, encrypted where the room is.

Delivery guarantees, because a professional must never get an answer twice
or none at all:

- The sync token is saved (``KeyValueStore``) only after a whole batch was
  handled, and per room the id of the last handled event, so a restart after
  a crash resumes where it stopped and never applies a message twice (a crash
  in the middle of sending loses, at worst, the replies to one message). On
  the very first start the backlog is skipped.
- Synapse sends at most ``timeline.limit`` events per room per sync and marks
  the rest as a gap (``limited``); the channel pages back with ``/messages``
  from ``prev_batch`` to the previous sync token, so no message of a burst is
  missed.
- HTTP 429 is retried with the server's ``retry_after_ms``, bounded and
  logged (see :mod:`bot.channels.matrix.ratelimit`).

Rooms are handled concurrently, the events of one room strictly in order.

What Element offers is used where it helps, while typed answers keep working
in every client: the bot reacts to a yes/no question with 👍 and 👎 (and to a
multiple-choice question with ✅ for "klaar"), and the professional's own
reaction on the open question answers it; a multiple-choice question whose
selection changed is edited in place (``m.replace``) instead of being sent
again; the further pages of a knowledge article go in a thread under its
first page (``m.thread``); an edited answer gets advice and the open question
again.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

from nio import (
    AsyncClient,
    AsyncClientConfig,
    ErrorResponse,
    InviteMemberEvent,
    LoginResponse,
    MessageDirection,
    RoomMemberEvent,
    RoomMessagesResponse,
    SyncResponse,
    UploadResponse,
    WhoamiResponse,
)

from bot.channels.matrix.config import MatrixConfig
from bot.channels.matrix.parse import (
    Edited,
    Ignore,
    Parsed,
    Reaction,
    Undecryptable,
    parse_event,
)
from bot.channels.matrix.ratelimit import retry_rate_limited
from bot.channels.matrix.render import (
    Content,
    document_file,
    edit_content,
    file_content,
    in_thread,
    reactions_for,
    render_ask,
    render_document,
    render_say,
    render_stale,
)
from bot.engine.messages import (
    Ask,
    ChannelTraits,
    Document,
    Incoming,
    QuestionKind,
    Reply,
    Say,
    Stale,
    TextIn,
    Unsupported,
)
from bot.service.ports import ConversationHandler, ConversationKey, KeyValueStore, Sender

log = logging.getLogger(__name__)

CHANNEL = "matrix"

# Texts the user reads (plain Dutch, short enough for a phone screen).
ERROR_TEXT = (
    "Sorry, er ging bij mij iets mis. Probeer het zo nog eens. "
    "Typ verder om door te gaan waar je was."
)
UNDECRYPTABLE_TEXT = (
    "Ik kon je laatste bericht niet lezen: de sleutel van de versleuteling ontbrak. "
    "Stuur het nog een keer."
)
GROUP_REFUSAL_TEXT = (
    "Hallo! Ik praat alleen in een privégesprek met één persoon, "
    "omdat het over gevoelige situaties gaat. "
    "Start een direct gesprek met mij. Ik verlaat deze groep nu."
)
EDITED_TEXT = (
    "Een aangepast bericht kan ik niet verwerken. Typ je antwoord opnieuw. "
    "Een eerder antwoord wijzigen kan aan het eind, bij het overzicht."
)
UNENCRYPTED_ROOM_TEXT = (
    "Dit gesprek is niet versleuteld. Over een casus praat ik alleen in een versleuteld gesprek, "
    "dus hier stel ik geen vragen. Start een nieuw privégesprek met mij met versleuteling aan, "
    "of zet versleuteling aan in dit gesprek."
)


ARTICLE_MEMORY = 20
"""Articles per room whose thread is remembered (for their further pages)."""


def edits_in_place(previous: Ask | None, ask: Ask) -> bool:
    """Whether ``ask`` updates the question already on screen (an ``m.replace``).

    Only a multiple-choice question whose selection changed: anything else
    (a rejected answer, the question asked again after ``hulp``) is new.
    """
    return (
        previous is not None
        and previous.question_id == ask.question_id
        and previous.step == ask.step
        and ask.kind is QuestionKind.MULTI
        and not ask.error
        and ask.selected != previous.selected
    )


class _Posted:
    """The open question in a room: its event, and the question as it reads now."""

    __slots__ = ("ask", "event_id")

    def __init__(self, event_id: str, ask: Ask) -> None:
        self.event_id = event_id
        self.ask = ask


class MatrixLoginError(RuntimeError):
    """The homeserver refused the bot's credentials."""


def _is_error(response: Any) -> bool:
    return isinstance(response, ErrorResponse)


class MatrixChannel:
    """Runs the bot account: ``await channel.run()`` until :meth:`stop`."""

    def __init__(
        self,
        config: MatrixConfig,
        service: ConversationHandler,
        kv: KeyValueStore,
    ) -> None:
        self.config = config
        self.service = service
        self.kv = kv
        self.client: AsyncClient | None = None
        self._since: str | None = None
        self._stopping = asyncio.Event()
        self._started = asyncio.Event()
        self._left: set[str] = set()
        self._greet: set[str] = set()  # direct chats just joined: say hello first
        self._questions: dict[str, _Posted] = {}  # room -> the open question
        # room -> article -> (first page's event, last page's event)
        self._threads: dict[str, dict[str, tuple[str, str]]] = {}

    # ------------------------------------------------------------ kv names

    def _kv_name(self, *parts: str) -> str:
        return ":".join((CHANNEL, self.config.user_id, *parts))

    @property
    def device_id(self) -> str | None:
        """The bot's device id (after login)."""
        return self.client.device_id if self.client is not None else None

    @property
    def started(self) -> asyncio.Event:
        """Set once the bot is logged in and has done its first sync."""
        return self._started

    # ------------------------------------------------------------ lifecycle

    def _new_client(self, device_id: str | None) -> AsyncClient:
        store = Path(self.config.store_path)
        store.mkdir(parents=True, exist_ok=True)
        client_config = AsyncClientConfig(
            max_limit_exceeded=0,  # 429s are retried by us: bounded and logged
            max_timeouts=None,
            encryption_enabled=True,
            store_sync_tokens=False,  # the token lives in our database
            request_timeout=60,
        )
        return AsyncClient(
            self.config.homeserver,
            self.config.user_id,
            device_id=device_id or "",
            store_path=str(store),
            config=client_config,
        )

    def _store_file(self, device_id: str) -> Path:
        return Path(self.config.store_path) / f"{self.config.user_id}_{device_id}.db"

    async def _login(self) -> AsyncClient:
        device_key = self._kv_name("device_id")
        device_id = self.kv.get_value(device_key)
        if self.config.access_token:
            client = self._new_client(None)
            client.access_token = self.config.access_token
            who = await client.whoami()
            if not isinstance(who, WhoamiResponse) or not who.device_id:
                await client.close()
                raise MatrixLoginError(f"The access token was refused: {who}")
            if who.user_id != self.config.user_id:
                await client.close()
                raise MatrixLoginError(
                    f"The access token belongs to {who.user_id}, not {self.config.user_id}"
                )
            client.restore_login(who.user_id, who.device_id, self.config.access_token)
            device_id = who.device_id
        else:
            if device_id and not self._store_file(device_id).exists():
                # The keys of that device are gone; a fresh device avoids
                # uploading new keys over the old ones.
                log.warning("No E2E store for device %s; logging in as a new device", device_id)
                device_id = None
            client = self._new_client(device_id)
            response = await retry_rate_limited(
                lambda: client.login(self.config.password, device_name=self.config.device_name),
                self.config.retry,
                "login",
            )
            if not isinstance(response, LoginResponse):
                await client.close()
                raise MatrixLoginError(f"Login failed: {response}")
            device_id = response.device_id
        assert device_id is not None
        self.kv.set_value(device_key, device_id)
        log.info(
            "Logged in to %s as %s (device %s)", self.config.homeserver, client.user_id, device_id
        )
        return client

    def _filter(self, timeline_limit: int) -> dict[str, Any]:
        return {
            "presence": {"not_types": ["*"]},
            "room": {
                "timeline": {"limit": timeline_limit},
                "ephemeral": {"not_types": ["*"]},
            },
        }

    async def start(self) -> None:
        """Log in, upload keys and do the first sync (skipping the backlog on a first start)."""
        self.client = await self._login()
        await self._crypto_housekeeping()
        self._since = self.kv.get_value(self._kv_name("next_batch"))
        first_start = self._since is None
        response = await self._sync(
            timeout_ms=0,
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
            failures = 0
            while not self._stopping.is_set():
                try:
                    response = await self._sync_or_stop(self.config.sync_timeout_ms)
                except Exception as exc:  # a broken connection must not end the bot
                    response = exc
                if response is None:
                    break
                if not isinstance(response, SyncResponse):
                    failures += 1
                    wait = min(2.0**failures, 60.0)
                    log.warning("Sync failed (%r); retrying in %.0f s", response, wait)
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._stopping.wait(), wait)
                    continue
                failures = 0
                await self._process(response, handle_timelines=True)
        finally:
            await self.close()

    async def close(self) -> None:
        """Close the HTTP session (the E2E store is saved as it goes)."""
        if self.client is not None:
            await self.client.close()

    # ------------------------------------------------------------ syncing

    async def _sync(
        self, timeout_ms: int, full_state: bool = False, timeline_limit: int | None = None
    ) -> Any:
        client = self._client
        limit = self.config.timeline_limit if timeline_limit is None else timeline_limit
        return await retry_rate_limited(
            lambda: client.sync(
                timeout=timeout_ms,
                sync_filter=self._filter(limit),
                since=self._since,
                full_state=full_state or None,
            ),
            self.config.retry,
            "sync",
        )

    async def _sync_or_stop(self, timeout_ms: int) -> Any:
        """One long poll, abandoned (harmlessly: the token is not saved) on stop."""
        sync = asyncio.ensure_future(self._sync(timeout_ms))
        stop = asyncio.ensure_future(self._stopping.wait())
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

    @property
    def _client(self) -> AsyncClient:
        if self.client is None:
            raise RuntimeError("The Matrix channel is not started")
        return self.client

    async def _crypto_housekeeping(self) -> None:
        """What nio's ``sync_forever`` does between syncs: keys and to-device messages."""
        try:
            await self._crypto_steps()
        except Exception:
            log.exception("E2E key maintenance failed; retrying after the next sync")

    async def _crypto_steps(self) -> None:
        client = self._client
        if client.olm is None:
            return
        if client.outgoing_to_device_messages:
            await client.send_to_device_messages()
        if client.should_upload_keys:
            await retry_rate_limited(client.keys_upload, self.config.retry, "keys_upload")
        if client.should_query_keys:
            await retry_rate_limited(client.keys_query, self.config.retry, "keys_query")
        if client.should_claim_keys:
            users = client.get_users_for_key_claiming()
            await retry_rate_limited(
                lambda: client.keys_claim(users), self.config.retry, "keys_claim"
            )

    async def _process(self, response: Any, handle_timelines: bool) -> None:
        """Handle one sync batch completely, then save its token."""
        since = self._since
        await self._crypto_housekeeping()
        for room_id, info in response.rooms.invite.items():
            try:
                await self._on_invite(room_id, info.invite_state)
            except Exception:
                log.exception("Could not handle the invite to %s", room_id)
        if handle_timelines:
            await asyncio.gather(
                *(
                    self._process_room(room_id, info, since)
                    for room_id, info in response.rooms.join.items()
                )
            )
        self._since = response.next_batch
        self.kv.set_value(self._kv_name("next_batch"), response.next_batch)

    # ------------------------------------------------------------ rooms

    async def _on_invite(self, room_id: str, invite_state: Sequence[Any]) -> None:
        own = self._client.user_id
        inviter: str | None = None
        is_direct = False
        for event in invite_state:
            if (
                isinstance(event, InviteMemberEvent)
                and event.state_key == own
                and event.membership == "invite"
            ):
                inviter = event.sender
                is_direct = bool(event.content.get("is_direct", False))
        if inviter is None:
            return
        if not self.config.inviter_allowed(inviter):
            log.info("Declining an invite from %s (not an allowed server)", inviter)
            await retry_rate_limited(
                lambda: self._client.room_leave(room_id), self.config.retry, "room_leave"
            )
            return
        joined = await retry_rate_limited(
            lambda: self._client.join(room_id), self.config.retry, "join"
        )
        if _is_error(joined):
            log.warning("Could not join %s: %s", room_id, joined)
            return
        # Whether this is really a one-to-one chat is checked on the next
        # sync, when the room's members are known (and again whenever they change).
        log.info("Joined %s (invited by %s, direct: %s)", room_id, inviter, is_direct)
        self._left.discard(room_id)  # invited back after the bot left
        self._greet.add(room_id)

    async def _refuse_group(self, room_id: str) -> None:
        if room_id in self._left:
            return
        self._left.add(room_id)
        log.info("Leaving group room %s", room_id)
        await self._send(room_id, render_say(Say(GROUP_REFUSAL_TEXT)))
        await self._leave(room_id)

    async def _leave(self, room_id: str) -> None:
        self._left.add(room_id)
        await retry_rate_limited(
            lambda: self._client.room_leave(room_id), self.config.retry, "room_leave"
        )

    def _others(self, room: Any) -> set[str]:
        own = self._client.user_id
        return {user for user in room.users if user != own}

    async def _process_room(self, room_id: str, info: Any, since: str | None) -> None:
        try:
            room = self._client.rooms.get(room_id)
            if room is None or room_id in self._left:
                return
            others = self._others(room)
            if len(others) > 1:
                await self._refuse_group(room_id)
                return
            events = list(info.timeline.events)
            if info.timeline.limited and info.timeline.prev_batch and since:
                events = await self._fill_gap(room_id, info.timeline.prev_batch, since, events)
            events = self._unhandled(room_id, events)
            if self._forbidden(room):
                await self._refuse_unencrypted(room, events)
            else:
                if room_id in self._greet:
                    self._greet.discard(room_id)
                    if not any(self._is_user_message(event) for event in events):
                        await self._converse(room, TextIn("start"), None)
                for event in events:
                    await self._handle_event(room, event)
            if events:
                await self._mark_read(room_id, events[-1])
            if not others:
                log.info("The other person left %s; leaving too", room_id)
                await self._leave(room_id)
        except Exception:
            log.exception("Could not handle the events of %s", room_id)

    def _forbidden(self, room: Any) -> bool:
        """Whether case content may not go into this room: it is unencrypted and the
        configuration requires encryption. Such a room never reaches the service."""
        return self.config.require_encryption and not room.encrypted

    async def _refuse_unencrypted(self, room: Any, events: list[Any]) -> None:
        """One refusal instead of the conversation: on joining, and for each batch
        with a message in it. Nothing of a case is asked or sent here; once the
        room is encrypted, the next message starts the conversation."""
        room_id = room.room_id
        greeting = room_id in self._greet
        self._greet.discard(room_id)
        wrote = any(self._is_user_message(event) for event in events)
        for event in events:
            self._mark(room_id, getattr(event, "event_id", None))
        if greeting or wrote:
            log.info("Refusing a conversation in unencrypted room %s", room_id)
            await self._send(room_id, render_say(Say(UNENCRYPTED_ROOM_TEXT)))

    async def _fill_gap(
        self, room_id: str, prev_batch: str, since: str, timeline: list[Any]
    ) -> list[Any]:
        """The events Synapse left out of a ``limited`` timeline, oldest first."""
        marker = self.kv.get_value(self._kv_name("last", room_id))
        seen = {getattr(event, "event_id", None) for event in timeline}
        missing: list[Any] = []
        start: str | None = prev_batch
        while start is not None and len(missing) < self.config.max_gap_events:
            page = await retry_rate_limited(
                self._page_back(room_id, start, since), self.config.retry, "room_messages"
            )
            if not isinstance(page, RoomMessagesResponse):
                log.warning("Could not fetch the gap in %s: %s", room_id, page)
                break
            reached_marker = False
            for event in page.chunk:
                event_id = getattr(event, "event_id", None)
                if marker is not None and event_id == marker:
                    reached_marker = True
                    break
                if event_id not in seen:
                    seen.add(event_id)
                    missing.append(event)
            if reached_marker or not page.chunk or not page.end or page.end == start:
                break
            start = page.end
        if len(missing) >= self.config.max_gap_events:
            log.warning(
                "Gap in %s is larger than %d events; older ones are skipped", room_id, len(missing)
            )
        log.info("Filled a gap of %d events in %s", len(missing), room_id)
        missing.reverse()
        return missing + timeline

    def _page_back(self, room_id: str, start: str, end: str) -> Callable[[], Awaitable[Any]]:
        async def call() -> Any:
            return await self._client.room_messages(
                room_id,
                start=start,
                end=end,
                direction=MessageDirection.back,
                limit=self.config.gap_page_size,
            )

        return call

    def _unhandled(self, room_id: str, events: list[Any]) -> list[Any]:
        """Drop what was handled before a crash, and history from before the bot's invite."""
        own = self._client.user_id
        marker = self.kv.get_value(self._kv_name("last", room_id))
        start = 0
        for index, event in enumerate(events):
            event_id = getattr(event, "event_id", None)
            if marker is not None and event_id == marker:
                start = index + 1
            elif (
                isinstance(event, RoomMemberEvent)
                and event.state_key == own
                and event.membership == "invite"
            ):
                # A chat the bot was just invited to: older messages were not for it.
                start = max(start, index + 1)
        return events[start:]

    async def _mark_read(self, room_id: str, event: Any) -> None:
        event_id = getattr(event, "event_id", None)
        if not event_id:
            return
        with contextlib.suppress(Exception):
            await self._client.room_read_markers(room_id, event_id, event_id)

    # ------------------------------------------------------------ events

    def _traits(self, room: Any) -> ChannelTraits:
        return ChannelTraits(
            name=CHANNEL,
            buttons=False,
            end_to_end_encrypted=bool(room.encrypted),
            confirm_multi=True,
        )

    def _is_user_message(self, event: Any) -> bool:
        parsed = parse_event(event, self._client.user_id)
        return not isinstance(parsed, Ignore)

    async def _handle_event(self, room: Any, event: Any) -> None:
        parsed: Parsed = parse_event(event, self._client.user_id)
        event_id = getattr(event, "event_id", None)
        if isinstance(parsed, Ignore):
            log.debug("Ignoring %s in %s: %s", event_id, room.room_id, parsed.reason)
            self._mark(room.room_id, event_id)
        elif isinstance(parsed, Undecryptable):
            log.warning("Could not decrypt %s in %s", event_id, room.room_id)
            with contextlib.suppress(Exception):
                await self._client.request_room_key(event)
            self._mark(room.room_id, event_id)
            await self._send_replies(room, [Say(UNDECRYPTABLE_TEXT)])
        elif isinstance(parsed, Edited):
            await self._answer_edit(room, event_id, getattr(event, "sender", None))
        elif isinstance(parsed, Reaction):
            word = self._reaction_word(room.room_id, parsed)
            if word is None:
                log.debug("Ignoring a reaction in %s: not on the open question", room.room_id)
                self._mark(room.room_id, event_id)
            else:
                await self._converse(room, TextIn(word), event_id, getattr(event, "sender", None))
        else:
            await self._converse(room, parsed, event_id, getattr(event, "sender", None))

    def _sender(self, room: Any, user_id: str | None) -> Sender:
        """Who wrote (the other person of a direct chat when no event says so);
        an unknown sender is a stranger to the access gate, never trusted."""
        if user_id is None:
            others = sorted(self._others(room))
            user_id = others[0] if len(others) == 1 else None
        if user_id is None:
            return Sender(CHANNEL, "")
        name = room.user_name(user_id) if hasattr(room, "user_name") else None
        return Sender(CHANNEL, user_id, name or user_id.partition(":")[0].lstrip("@"))

    def _reaction_word(self, room_id: str, reaction: Reaction) -> str | None:
        """The word a reaction on the open question stands for (``👍`` -> ``ja``)."""
        posted = self._questions.get(room_id)
        if posted is None or posted.event_id != reaction.reacts_to:
            return None
        return dict(reactions_for(posted.ask)).get(reaction.key)

    async def _answer_edit(self, room: Any, event_id: str | None, user_id: str | None) -> None:
        """An edited answer changes nothing: say so, and ask the open question again."""
        key = ConversationKey(CHANNEL, room.room_id)
        try:
            replies = await self.service.handle(
                key,
                Unsupported("bewerkt bericht"),
                self._traits(room),
                self._sender(room, user_id),
            )
        except Exception:
            log.exception("The service failed on %s in %s", event_id, room.room_id)
            replies = []
        self._mark(room.room_id, event_id)
        asks = [reply for reply in replies if isinstance(reply, Ask)]
        await self._send_replies(room, [Say(EDITED_TEXT), *asks[-1:]])

    async def _converse(
        self, room: Any, incoming: Incoming, event_id: str | None, user_id: str | None = None
    ) -> None:
        """Hand one message to the service and send its replies."""
        key = ConversationKey(CHANNEL, room.room_id)
        try:
            sender = self._sender(room, user_id)
            replies = await self.service.handle(key, incoming, self._traits(room), sender)
        except Exception:
            log.exception("The service failed on %s in %s", event_id, room.room_id)
            replies = [Say(ERROR_TEXT)]
        # Marked before sending: after a crash right here the user misses a
        # reply (and can type "verder"), but an answer is never applied twice.
        self._mark(room.room_id, event_id)
        await self._send_replies(room, replies)

    def _mark(self, room_id: str, event_id: str | None) -> None:
        if event_id:
            self.kv.set_value(self._kv_name("last", room_id), event_id)

    # ------------------------------------------------------------ sending

    async def _send_replies(self, room: Any, replies: Sequence[Reply]) -> None:
        if self._forbidden(room):  # never case content into a room the setting forbids
            log.warning("Not sending %d replies into unencrypted %s", len(replies), room.room_id)
            return
        for reply in replies:
            try:
                if isinstance(reply, Document):
                    self._questions.pop(room.room_id, None)  # the flow ended
                    await self._send_document(room, reply)
                elif isinstance(reply, Ask):
                    await self._send_ask(room.room_id, reply)
                elif isinstance(reply, Stale):
                    await self._send(room.room_id, render_stale(reply))
                else:
                    await self._send_say(room.room_id, reply)
            except Exception:
                log.exception("Could not send a reply to %s", room.room_id)

    async def _send_ask(self, room_id: str, ask: Ask) -> None:
        """A question: edited in place when only its selection changed; else sent,
        with the bot's own reactions under it as quick answers."""
        posted = self._questions.get(room_id)
        quick = reactions_for(ask)
        if posted is not None and edits_in_place(posted.ask, ask):
            content = render_ask(ask, reactions=bool(quick))
            await self._send(room_id, edit_content(posted.event_id, content))
            posted.ask = ask
            return
        response = await self._send(room_id, render_ask(ask, reactions=bool(quick)))
        event_id = getattr(response, "event_id", None)
        if not isinstance(event_id, str):
            self._questions.pop(room_id, None)
            return
        self._questions[room_id] = _Posted(event_id, ask)
        for emoji, _word in quick:
            await self._send(
                room_id,
                {
                    "m.relates_to": {
                        "rel_type": "m.annotation",
                        "event_id": event_id,
                        "key": emoji,
                    }
                },
                event_type="m.reaction",
            )

    async def _send_say(self, room_id: str, say: Say) -> None:
        """A said text; the further pages of an article go in its thread."""
        content = render_say(say)
        threads = self._threads.setdefault(room_id, {})
        if say.article is not None and say.article in threads:
            root, last = threads[say.article]
            content = in_thread(content, root, last)
        response = await self._send(room_id, content)
        event_id = getattr(response, "event_id", None)
        if say.article is None or not isinstance(event_id, str):
            return
        root = threads[say.article][0] if say.article in threads else event_id
        threads.pop(say.article, None)
        threads[say.article] = (root, event_id)
        while len(threads) > ARTICLE_MEMORY:
            threads.pop(next(iter(threads)))

    async def _send(
        self, room_id: str, content: Content, event_type: str = "m.room.message"
    ) -> Any:
        """Send one event (nio encrypts a message if the room is encrypted)."""
        tx_id = str(uuid.uuid4())  # the same id on every retry: sent at most once
        response = await retry_rate_limited(
            lambda: self._client.room_send(
                room_id,
                event_type,
                content,
                tx_id=tx_id,
                ignore_unverified_devices=True,
            ),
            self.config.retry,
            "room_send",
        )
        if _is_error(response):
            log.error("Could not send to %s: %s", room_id, response)
        return response

    async def _send_document(self, room: Any, document: Document) -> None:
        encrypted = bool(room.encrypted)
        await self._send(room.room_id, render_document(document))
        if not document.final:
            return
        filename, data = document_file(document)

        async def upload() -> Any:
            response, keys = await self._client.upload(
                lambda _got_429, _got_timeouts: io.BytesIO(data),
                content_type="text/plain",
                filename=filename,
                encrypt=encrypted,
                filesize=len(data),
            )
            # A failed upload goes back bare, so the 429 check can see it.
            return response if _is_error(response) else (response, keys)

        result = await retry_rate_limited(upload, self.config.retry, "upload")
        if not isinstance(result, tuple) or not isinstance(result[0], UploadResponse):
            log.error("Could not upload the vastlegging to %s: %s", room.room_id, result)
            await self._send(room.room_id, render_say(Say(ERROR_TEXT)))
            return
        response, keys = result
        file_info = None
        if keys is not None:
            # An encrypted attachment: the key travels inside the (encrypted) event.
            file_info = {**keys, "url": response.content_uri, "mimetype": "text/plain"}
        await self._send(
            room.room_id, file_content(filename, len(data), response.content_uri, file_info)
        )
