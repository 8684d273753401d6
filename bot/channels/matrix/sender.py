"""Matrix's ``ChannelSender``: the bot speaks first (a notice from the outbox).

Sends through the running channel's logged-in client (``room_send``, so nio
encrypts for an encrypted room), with the channel's own rendering
(``render.render_say``). Matrix has no buttons here, so quick replies are
listed as words to type. When the channel is not running, or the server
refuses, or the room is unencrypted while the configuration requires
encryption, ``send`` raises and the notifier keeps the notice in the outbox.
"""

from __future__ import annotations

import uuid

from nio import ErrorResponse, RoomSendError, RoomSendResponse

from bot.channels.matrix.channel import CHANNEL, MatrixChannel
from bot.channels.matrix.ratelimit import retry_rate_limited
from bot.channels.matrix.render import render_say
from bot.channels.notices import NoticeSender
from bot.engine.messages import Say


class MatrixSender(NoticeSender):
    """Sends notices into a direct chat (``key.chat`` is the room id)."""

    channel, label = CHANNEL, "Matrix"

    def __init__(self, matrix: MatrixChannel) -> None:
        self.matrix = matrix

    async def deliver(self, chat: str, say: Say) -> None:
        client = self.matrix.client
        if client is None or client.client_session is None or not self.matrix.started.is_set():
            msg = "the Matrix channel is not running"
            raise ConnectionError(msg)
        room = client.rooms.get(chat)
        if self.matrix.config.require_encryption and (room is None or not room.encrypted):
            # A reminder names agreed steps: never into a room the setting forbids.
            msg = "the Matrix chat is not (known to be) encrypted"
            raise ConnectionError(msg)
        content = render_say(say)
        tx_id = str(uuid.uuid4())  # the same id on every retry: sent at most once
        response: RoomSendResponse | RoomSendError = await retry_rate_limited(
            lambda: client.room_send(
                chat,
                "m.room.message",
                content,
                tx_id=tx_id,
                ignore_unverified_devices=True,
            ),
            self.matrix.config.retry,
            "room_send",
        )
        if isinstance(response, ErrorResponse):
            msg = f"Matrix refused the notice: {response}"
            raise ConnectionError(msg)
