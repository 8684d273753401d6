"""The notifier: the bot speaks first, to a person, on the channel they last used.

Later issues (confirmation, escalation, reminders) need to tell someone
something who did not just write. :meth:`Notifier.send` looks up where the
person was last seen (``AddressBook``, kept by the organisation model) and
sends there through that channel's ``ChannelSender``. A message that cannot
be delivered now (the person never opened a chat, the channel is down, the
send fails) goes into the durable outbox, and :meth:`Notifier.deliver_waiting`
(a scheduler tick in every bot process) tries again until it is delivered.
The console has no live connection: its messages wait until that person next
starts ``voorkomen chat``, which shows them (:meth:`Notifier.take_waiting`).

Delivery is at least once: a process that dies between sending and marking a
message delivered sends it again after the lease. Messages are short plain
Dutch (<= 600 characters) and never hold client names.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from bot.service.ports import (
    AddressBook,
    ChannelSender,
    ConversationKey,
    Notice,
    OutboxStore,
    QueuedMessage,
)
from bot.service.scheduler import StoreCaller, retry_delay

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)
"""How long a message being delivered is held by one process."""
ELSEWHERE = timedelta(minutes=1)
"""When a message for a channel this process does not serve is looked at again."""
BATCH = 50
MAX_TEXT = 600


class Notifier(StoreCaller):
    """Sends notices to people, now or (through the outbox) later."""

    def __init__(
        self,
        outbox: OutboxStore,
        addresses: AddressBook,
        clock: Callable[[], datetime],
        senders: Iterable[ChannelSender] = (),
        *,
        offload: bool = False,
    ) -> None:
        super().__init__(clock, offload=offload)
        self.outbox = outbox
        self.addresses = addresses
        self.senders: dict[str, ChannelSender] = {s.channel: s for s in senders}

    def add_sender(self, sender: ChannelSender) -> None:
        """Deliver to chats of ``sender.channel`` from this process."""
        self.senders[sender.channel] = sender

    async def send(self, org_id: str, person_id: str, notice: Notice) -> bool:
        """Send ``notice`` to ``person_id`` now if possible, else keep it in the outbox.

        True if it was delivered now. Raises ``ValueError`` for a text over
        600 characters (a programming error: the texts are the bot's own).
        """
        if len(notice.text) > MAX_TEXT:
            msg = f"a notice is at most {MAX_TEXT} characters, got {len(notice.text)}"
            raise ValueError(msg)
        address = await self.call_store(self.addresses.last_address, person_id)
        if address is not None and await self._try(address, notice):
            return True
        await self.call_store(self.outbox.queue_message, org_id, person_id, notice, self.clock())
        return False

    async def deliver_waiting(self, now: datetime | None = None) -> int:
        """Try the outbox's due messages for the channels of this process; how many went."""
        moment = self.clock() if now is None else now
        delivered = 0
        claimed: list[QueuedMessage] = await self.call_store(
            self.outbox.claim_messages, moment, moment + LEASE, BATCH
        )
        for message in claimed:
            address = await self.call_store(self.addresses.last_address, message.person_id)
            if address is None:
                retry, why = moment + retry_delay(message.attempts), "no address"
            elif address.channel not in self.senders:
                retry, why = moment + ELSEWHERE, f"no {address.channel} sender here"
            elif await self._try(address, message.notice):
                await self.call_store(self.outbox.message_delivered, message.id, moment)
                delivered += 1
                continue
            else:
                retry, why = moment + retry_delay(message.attempts), "send failed"
            await self.call_store(self.outbox.message_failed, message.id, why, retry)
        return delivered

    def take_waiting(self, person_id: str, now: datetime | None = None) -> list[Notice]:
        """The person's waiting messages, marked delivered (the console shows them)."""
        moment = self.clock() if now is None else now
        # Also what waits for a retry later: the person is here now.
        later = moment + timedelta(days=3650)
        claimed = self.outbox.claim_messages(later, later, BATCH, person_id=person_id)
        for message in claimed:
            self.outbox.message_delivered(message.id, moment)
        return [m.notice for m in claimed]

    async def _try(self, address: ConversationKey, notice: Notice) -> bool:
        sender = self.senders.get(address.channel)
        if sender is None:
            return False
        try:
            await sender.send(address, notice)
        except Exception as error:
            log.warning("could not deliver a notice on %s: %r", address.channel, error)
            return False
        return True
