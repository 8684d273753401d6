"""What every channel's ``ChannelSender`` does before its own SDK call.

The notifier hands a sender a conversation key and a notice; each channel
must refuse a key of another channel (a wrongly routed notice is a bug, not
something to send somewhere) and turns the notice into the same ``Say`` its
conversation replies are (text plus quick replies). ``NoticeSender`` does
both once; a channel's sender only says how a ``Say`` reaches one chat.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from bot.engine.messages import Say
from bot.service.ports import ConversationKey, Notice


def notice_say(notice: Notice) -> Say:
    """The notice as a message; its quick replies are the message's actions."""
    return Say(notice.text, actions=notice.actions)


class NoticeSender(ABC):
    """A ``ChannelSender`` for the chats of ``channel`` (named ``label`` in errors)."""

    channel: str
    label: str

    async def send(self, key: ConversationKey, notice: Notice) -> None:
        if key.channel != self.channel:
            msg = f"not a {self.label} chat: {key.channel}"
            raise ValueError(msg)
        await self.deliver(key.chat, notice_say(notice))

    @abstractmethod
    async def deliver(self, chat: str, say: Say) -> None:
        """Send ``say`` into ``chat``; raise when it could not be sent."""
