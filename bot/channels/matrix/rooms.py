"""Which rooms the bot talks in: direct chats with one person, nothing else.

An invite is accepted when the inviter's server is allowed; whether the room
really is a one-to-one chat is checked on every sync, when its members are
known (a group is told why and left). A direct chat is recognised by the
``is_direct`` flag of the invite, as Element sets it, not only by its member
count: a room the invite did not mark as direct (a team room with only the
bot in it so far) is a group, because whoever joins it later would read the
case. What the invite said is kept (:class:`bot.channels.matrix.handled.Handled`).
Who wrote a message is the other person of the direct chat when the event
does not say (:func:`sender_in`).
Whether a room may carry case content at all (encrypted, or the configuration
does not require it) is :func:`bot.channels.matrix.sending.forbidden`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from nio import AsyncClient, ErrorResponse, Event, InviteMemberEvent, MatrixRoom

from bot.channels.matrix.config import MatrixConfig
from bot.channels.matrix.login import CHANNEL
from bot.channels.matrix.ratelimit import retry_rate_limited
from bot.service.ports import Sender

log = logging.getLogger(__name__)


def others(room: MatrixRoom, own_user_id: str) -> set[str]:
    """The members of the room besides the bot."""
    return {user for user in room.users if user != own_user_id}


def sender_in(room: MatrixRoom, own_user_id: str, user_id: str | None) -> Sender:
    """Who wrote (the other person of a direct chat when no event says so);
    an unknown sender is a stranger to the access gate, never trusted."""
    if user_id is None:
        members = sorted(others(room, own_user_id))
        user_id = members[0] if len(members) == 1 else None
    if user_id is None:
        return Sender(CHANNEL, "")
    name = room.user_name(user_id)
    return Sender(CHANNEL, user_id, name or user_id.partition(":")[0].lstrip("@"))


def inviter_of(invite_state: Sequence[Event], own_user_id: str) -> tuple[str | None, bool]:
    """Who invited the bot, and whether they marked the room as a direct chat."""
    inviter: str | None = None
    is_direct = False
    for event in invite_state:
        if (
            isinstance(event, InviteMemberEvent)
            and event.state_key == own_user_id
            and event.membership == "invite"
        ):
            inviter = event.sender
            is_direct = bool(event.content.get("is_direct", False))
    return inviter, is_direct


async def answer_invite(
    client: AsyncClient, config: MatrixConfig, room_id: str, invite_state: Sequence[Event]
) -> bool | None:
    """Join the room, or decline it (an inviter from a server not allowed):
    ``None`` when the bot did not join, else whether the invite marked the
    room as a direct chat."""
    inviter, is_direct = inviter_of(invite_state, client.user_id)
    if inviter is None:
        return None
    if not config.inviter_allowed(inviter):
        log.info("Declining an invite from %s (not an allowed server)", inviter)
        await retry_rate_limited(lambda: client.room_leave(room_id), config.retry, "room_leave")
        return None
    joined = await retry_rate_limited(lambda: client.join(room_id), config.retry, "join")
    if isinstance(joined, ErrorResponse):
        log.warning("Could not join %s: %s", room_id, joined)
        return None
    # Whether this is really a one-to-one chat is checked on the next
    # sync, when the room's members are known (and again whenever they change).
    log.info("Joined %s (invited by %s, direct: %s)", room_id, inviter, is_direct)
    return is_direct
