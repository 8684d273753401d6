"""Sending the service's replies into a room, the way Element shows them best.

A question gets the bot's own reactions under it as quick answers (👍/👎, ✅);
a multiple-choice question whose selection changed is edited in place
(``m.replace``) instead of being sent again; the further pages of a knowledge
article go in a thread under its first page (``m.thread``); the vastlegging
is a message and a ``.txt`` file (encrypted in an encrypted room). Every
request goes through the bounded 429 retry with one transaction id, so it is
sent at most once. Nothing is sent into a room the configuration forbids
(unencrypted while encryption is required).
"""

from __future__ import annotations

import io
import logging
import uuid
from collections.abc import Sequence
from typing import Any

from nio import (
    AsyncClient,
    ErrorResponse,
    MatrixRoom,
    RoomSendError,
    RoomSendResponse,
    UploadResponse,
)

from bot.channels.matrix.config import MatrixConfig
from bot.channels.matrix.parse import Reaction
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
from bot.channels.matrix.texts import ERROR_TEXT
from bot.engine.messages import Ask, Document, QuestionKind, Reply, Say, Stale

log = logging.getLogger(__name__)

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


def forbidden(config: MatrixConfig, room: MatrixRoom) -> bool:
    """Whether case content may not go into this room: it is unencrypted and the
    configuration requires encryption."""
    return config.require_encryption and not room.encrypted


class _Posted:
    """The open question in a room: its event, and the question as it reads now."""

    __slots__ = ("ask", "event_id")

    def __init__(self, event_id: str, ask: Ask) -> None:
        self.event_id = event_id
        self.ask = ask


class RoomWriter:
    """Sends into rooms for one logged-in client and remembers what is on screen."""

    def __init__(self, client: AsyncClient, config: MatrixConfig) -> None:
        self._client = client
        self._config = config
        self._questions: dict[str, _Posted] = {}  # room -> the open question
        # room -> article -> (first page's event, last page's event)
        self._threads: dict[str, dict[str, tuple[str, str]]] = {}

    def reaction_word(self, room_id: str, reaction: Reaction) -> str | None:
        """The word a reaction on the open question stands for (``👍`` -> ``ja``)."""
        posted = self._questions.get(room_id)
        if posted is None or posted.event_id != reaction.reacts_to:
            return None
        return dict(reactions_for(posted.ask)).get(reaction.key)

    def is_old_question(self, room_id: str, event_id: str) -> bool:
        """Whether ``event_id`` is not the open question (while one is known)."""
        posted = self._questions.get(room_id)
        return posted is not None and posted.event_id != event_id

    async def send_replies(self, room: MatrixRoom, replies: Sequence[Reply]) -> None:
        """The replies in order; one that cannot be sent is logged, the rest go on."""
        if forbidden(self._config, room):  # never case content into a room the setting forbids
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
                    await self.send(room.room_id, render_stale(reply))
                else:
                    await self._send_say(room.room_id, reply)
            except Exception:
                log.exception("Could not send a reply to %s", room.room_id)

    async def send(
        self, room_id: str, content: Content, event_type: str = "m.room.message"
    ) -> RoomSendResponse | RoomSendError:
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
            self._config.retry,
            "room_send",
        )
        if isinstance(response, ErrorResponse):
            log.error("Could not send to %s: %s", room_id, response)
        return response

    async def _send_ask(self, room_id: str, ask: Ask) -> None:
        """A question: edited in place when only its selection changed; else sent,
        with the bot's own reactions under it as quick answers."""
        posted = self._questions.get(room_id)
        quick = reactions_for(ask)
        if posted is not None and edits_in_place(posted.ask, ask):
            content = render_ask(ask, reactions=bool(quick))
            await self.send(room_id, edit_content(posted.event_id, content))
            posted.ask = ask
            return
        response = await self.send(room_id, render_ask(ask, reactions=bool(quick)))
        event_id = getattr(response, "event_id", None)
        if not isinstance(event_id, str):
            self._questions.pop(room_id, None)
            return
        self._questions[room_id] = _Posted(event_id, ask)
        for emoji, _word in quick:
            await self.send(
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
        response = await self.send(room_id, content)
        event_id = getattr(response, "event_id", None)
        if say.article is None or not isinstance(event_id, str):
            return
        root = threads[say.article][0] if say.article in threads else event_id
        threads.pop(say.article, None)
        threads[say.article] = (root, event_id)
        while len(threads) > ARTICLE_MEMORY:
            threads.pop(next(iter(threads)))

    async def _send_document(self, room: MatrixRoom, document: Document) -> None:
        encrypted = bool(room.encrypted)
        await self.send(room.room_id, render_document(document))
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
            return response if isinstance(response, ErrorResponse) else (response, keys)

        result = await retry_rate_limited(upload, self._config.retry, "upload")
        if not isinstance(result, tuple) or not isinstance(result[0], UploadResponse):
            log.error("Could not upload the vastlegging to %s: %s", room.room_id, result)
            await self.send(room.room_id, render_say(Say(ERROR_TEXT)))
            return
        response, keys = result
        file_info = None
        if keys is not None:
            # An encrypted attachment: the key travels inside the (encrypted) event.
            file_info = {**keys, "url": response.content_uri, "mimetype": "text/plain"}
        await self.send(
            room.room_id, file_content(filename, len(data), response.content_uri, file_info)
        )
