"""The Telegram channel: aiogram updates in, the service's replies out.

One async catch-all handler per update type (message, edited message,
callback query) turns what aiogram parsed into an ``Incoming`` value
(:mod:`.updates`), hands it to the conversation service and has the replies
delivered (:mod:`.delivery`). No filters and no sync handlers (aiogram runs
those in a thread), no FSM (the engine owns the state).

A turn holds the service's lock for the chat over handling and delivering,
so the replies of one chat go out in the order of its updates (across
workers, a tick's keyboard is checked against what was saved:
:mod:`.settling`). Every
callback query is answered exactly once ("Klaar" with nothing ticked and a
stale button are only a toast), group chats get one explanation and then
silence, and an unexpected error in one update becomes a short Dutch
apology, never a crash. The update's delivery key (set by :mod:`.once`) goes
to the service with the message; a step that finds it handled already
(another worker's) ends the turn without a word or a callback answer, its
``DuplicateDeliveryError`` going up to :mod:`.once`.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Protocol

from aiogram import Bot, Dispatcher
from aiogram.enums import ChatType
from aiogram.exceptions import TelegramAPIError
from aiogram.methods import (
    AnswerCallbackQuery,
    EditMessageReplyMarkup,
    EditMessageText,
    SendDocument,
    SendMessage,
)
from aiogram.methods.base import Response
from aiogram.types import CallbackQuery, Message, User

from bot.channels.oddities import EDITED, OLD_REPLY
from bot.channels.telegram import rendering
from bot.channels.telegram.bounded import BoundedMap
from bot.channels.telegram.callbacks import ActionPress, CallbackCodec, DonePress, OptionPress
from bot.channels.telegram.delivery import Delivery, Pressed
from bot.channels.telegram.settling import settle
from bot.channels.telegram.updates import (
    CHANNEL,
    TELEGRAM_TRAITS,
    command_text,
    sender_of,
    start_code,
    to_incoming,
    typed_answer,
)
from bot.engine.messages import (
    Ask,
    ChannelTraits,
    ChoiceIn,
    DoneIn,
    Incoming,
    Reply,
    Say,
    Stale,
    TextIn,
    Unsupported,
)
from bot.service.locks import KeyedLocks
from bot.service.ports import (
    Arrival,
    ConversationHandler,
    ConversationKey,
    DeliveryKey,
    DuplicateDeliveryError,
    KeyValueStore,
    SelectionReader,
)

__all__ = ["CHANNEL", "TELEGRAM_TRAITS", "TelegramChannel", "command_text", "typed_answer"]

log = logging.getLogger(__name__)

TOAST_LIMIT = 200
"""Telegram shows at most 200 characters in a callback answer."""

# aiogram parses every Bot API answer into ``Response[method.__returning__]``, a
# pydantic generic that pydantic caches only weakly: after a garbage collection
# it is built again (~5 ms each time). Holding the types of the calls this
# adapter makes keeps them cached (bench/README.md: 1,327 -> 1,088 µs per update).
_RESPONSE_TYPES = tuple(
    Response[method.__returning__]  # type: ignore[name-defined]
    for method in (
        SendMessage,
        SendDocument,
        EditMessageText,
        EditMessageReplyMarkup,
        AnswerCallbackQuery,
    )
)


CHATS_REMEMBERED = 2_048
"""Chats whose screen the adapter remembers (see ``TelegramChannel``)."""


class OrderedHandler(ConversationHandler, SelectionReader, Protocol):
    """The service, with the per-conversation locks it orders messages by
    (``ConversationService`` fits): the channel holds the same lock over a
    whole turn, so the replies of one chat go out in the order of its updates.
    Across workers a tick's keyboard edit is checked against what is saved
    (``.settling``)."""

    locks: KeyedLocks


class TelegramChannel:
    """Connects aiogram to the conversation service.

    ``kv`` (optional) keeps which group chats were already told that the bot
    only works in private chats, across restarts.

    ``memory`` bounds what is remembered per chat to keep the screen right
    (the open question, answered questions, quick replies): the most recent
    chats only, a chat beyond them is treated as after a restart. About 2 kB
    a chat, so the default stays near 4 MB however many conversations are in
    progress (issue 15: at 50,000 chats, 10,000 conversations grew the bot
    by 18 MB). Button data (``CallbackCodec``) is per question, not per
    chat, and keeps its own bound.
    """

    def __init__(
        self,
        service: OrderedHandler,
        kv: KeyValueStore | None = None,
        *,
        traits: ChannelTraits = TELEGRAM_TRAITS,
        codec: CallbackCodec | None = None,
        memory: int = CHATS_REMEMBERED,
    ) -> None:
        self._service = service
        self._kv = kv
        self._traits = traits
        self._codec = codec or CallbackCodec()
        self._delivery = Delivery(self._codec, memory)
        self._groups_told: BoundedMap[int, bool] = BoundedMap(memory)

    # ------------------------------------------------------------ wiring

    def dispatcher(self) -> Dispatcher:
        """A dispatcher with one async catch-all handler per update type."""
        dispatcher = Dispatcher(disable_fsm=True, name="voorkomen-telegram")
        dispatcher.message.register(self.on_message)
        dispatcher.edited_message.register(self.on_edited_message)
        dispatcher.callback_query.register(self.on_callback_query)
        return dispatcher

    @staticmethod
    def key(chat_id: int) -> ConversationKey:
        return ConversationKey(CHANNEL, str(chat_id))

    @staticmethod
    async def _username(bot: Bot) -> str | None:
        """The bot's own username (aiogram asks ``getMe`` once and keeps it)."""
        try:
            return (await bot.me()).username
        except Exception:  # no answer to getMe: judge commands by their word alone
            return None

    # ------------------------------------------------------------ handlers

    async def on_message(
        self, message: Message, bot: Bot, delivery_key: DeliveryKey | None = None
    ) -> None:
        """A message in any chat: private chats talk to the service."""
        if message.chat.type != ChatType.PRIVATE:
            await self._tell_group_once(bot, message.chat.id)
            return
        text = message.text or ""
        addressed = text[:1] in "/!" and "@" in text.partition(" ")[0]  # "/start@somebot"
        username = await self._username(bot) if addressed else None
        incoming = start_code(message) or to_incoming(message, username)
        if self._delivery.replies_to_an_old_question(message):
            incoming = Unsupported(OLD_REPLY)
        await self._turn(bot, self._arrival(message, incoming, message.from_user, delivery_key))

    async def on_edited_message(
        self, message: Message, bot: Bot, delivery_key: DeliveryKey | None = None
    ) -> None:
        """An edited message cannot change an answer already given."""
        if message.chat.type == ChatType.PRIVATE:
            edited = Unsupported(EDITED)
            await self._turn(bot, self._arrival(message, edited, message.from_user, delivery_key))

    async def on_callback_query(
        self, query: CallbackQuery, bot: Bot, delivery_key: DeliveryKey | None = None
    ) -> None:
        """A button press. The query is always answered, exactly once."""
        answered = False

        async def answer(text: str | None = None) -> None:
            nonlocal answered
            if answered:
                return
            answered = True
            toast = text[:TOAST_LIMIT] if text else None
            try:
                await bot.answer_callback_query(query.id, text=toast)
            except TelegramAPIError as error:  # e.g. the query is too old
                log.info("telegram: could not answer a callback query: %s", error)

        try:
            message = query.message
            if not isinstance(message, Message):  # missing or inaccessible (too old)
                await answer(rendering.FORGOTTEN_BUTTON)
                return
            if message.chat.type != ChatType.PRIVATE:
                await answer(rendering.GROUP_TOAST)
                return
            press = self._codec.decode(message.chat.id, query.data)
            if press is None or query.data is None:
                await answer(rendering.FORGOTTEN_BUTTON)
                return
            if (
                isinstance(press, ActionPress)
                and self._delivery.quick_replies_of(message.chat.id) != message.message_id
            ):
                await answer(Stale().text)  # quick replies of an older message
                return
            incoming: Incoming = (
                ChoiceIn(press.question_id, press.key)
                if isinstance(press, OptionPress)
                else DoneIn(press.question_id)
                if isinstance(press, DonePress)
                else TextIn(press.key)
            )
            arrival = self._arrival(message, incoming, query.from_user, delivery_key)
            await self._turn(bot, arrival, Pressed(message, press, query.data), answer)
        except DuplicateDeliveryError:
            answered = True  # the worker that handled the press answers it
            raise
        finally:
            await answer()

    # ------------------------------------------------------------ one turn

    def _arrival(
        self, message: Message, incoming: Incoming, user: User | None, delivery: DeliveryKey | None
    ) -> Arrival:
        """What the service is handed for ``incoming`` in ``message``'s private
        chat, written (or pressed) by ``user``."""
        key = self.key(message.chat.id)
        return Arrival(key, incoming, self._traits, sender_of(user), delivery)

    async def _turn(
        self,
        bot: Bot,
        arrival: Arrival,
        pressed: Pressed | None = None,
        answer: _Answer | None = None,
    ) -> None:
        """Ask the service and deliver its replies; never raise for one update.

        For a button press (``answer`` given) a ``Stale`` reply becomes the
        toast and nothing else on screen changes for it.
        """
        chat_id, incoming = int(arrival.key.chat), arrival.incoming
        # The service's lock for this chat, held over handling *and* delivering
        # (the service's own hold inside is reentrant): one place orders a chat.
        async with self._service.locks.hold(arrival.key):
            try:
                if pressed is not None and isinstance(pressed.press, DonePress):
                    pressed = await self._with_saved_ticks(arrival.key, pressed, pressed.press)
                replies = await self._service.handle(arrival)
                if answer is not None:
                    toast, replies, pressed = self._toast(replies, pressed)
                    await answer(toast)
                toggled = await self._delivery.deliver(bot, chat_id, replies, pressed, incoming)
                if toggled is not None and pressed is not None:
                    await self._settle(bot, arrival.key, pressed, toggled)
            except DuplicateDeliveryError:
                raise  # handled already, by another worker: nothing is sent (see .once)
            except Exception:
                # Log the failure, never the user's text (it may describe a case).
                log.exception("telegram: an update failed (%s)", type(incoming).__name__)
                if answer is not None:
                    await answer(rendering.ERROR_TOAST)
                await self._send_quietly(bot, chat_id, rendering.ERROR_TEXT)

    async def _with_saved_ticks(
        self, key: ConversationKey, pressed: Pressed, done: DonePress
    ) -> Pressed:
        """The press of "Klaar" with the ticks as saved, for the "✔️ answer" line: the keyboard
        the press came from can be a tick behind (a tap just before, whose edit
        had not reached the phone yet, or another worker's)."""
        try:
            now = await self._service.open_selection(key)
        except Exception as error:  # the step itself will say the database is away
            log.info("telegram: could not read the saved ticks: %s", error)
            return pressed
        if now is None or now.question_id != done.question_id:
            return pressed
        return replace(pressed, ticked=now.selected)

    async def _settle(self, bot: Bot, key: ConversationKey, pressed: Pressed, toggled: Ask) -> None:
        """Another worker may have edited the same keyboard meanwhile: make sure
        it ends on the saved ticks (``.settling``). The tick itself was handled;
        a failed check only leaves the keyboard as the edit left it."""
        try:
            await settle(
                toggled,
                lambda: self._service.open_selection(key),
                lambda ask: self._delivery.reshow(bot, pressed, ask),
            )
        except Exception as error:  # the database away for a moment: the next tick shows it
            log.warning("telegram: could not check a keyboard against the saved ticks: %s", error)

    @staticmethod
    def _toast(
        replies: list[Reply], pressed: Pressed | None
    ) -> tuple[str | None, list[Reply], Pressed | None]:
        """The answer to a button press, and what is left to show on screen.

        A stale press is only a toast. So is "Klaar" with nothing ticked: the
        engine asks the same question again with the reason, and the
        keyboard that is on screen already is the right one.
        """
        stale = [r for r in replies if isinstance(r, Stale)]
        if stale:
            return stale[0].text, [r for r in replies if not isinstance(r, Stale)], None
        if pressed is not None and isinstance(pressed.press, DonePress):
            again = [
                r
                for r in replies
                if isinstance(r, Ask) and r.question_id == pressed.press.question_id and r.error
            ]
            if again and len(replies) == 1:
                return again[0].error, [], None
        return None, replies, pressed

    # ------------------------------------------------------------ groups and errors

    async def _tell_group_once(self, bot: Bot, chat_id: int) -> None:
        """Say once, per group, why the bot does not talk there; then stay silent."""
        if self._groups_told.get(chat_id):
            return
        name = f"telegram.group_told.{chat_id}"
        told = self._kv is not None and self._kv.get_value(name) is not None
        self._groups_told.put(chat_id, True)
        if told:
            return
        if self._kv is not None:
            self._kv.set_value(name, "1")
        await self._send_quietly(bot, chat_id, rendering.GROUP_NOTICE)

    async def _send_quietly(self, bot: Bot, chat_id: int, text: str) -> None:
        try:
            await self._delivery.send(bot, chat_id, rendering.say_messages(Say(text)))
        except Exception as error:  # blocked by the user, chat gone, Telegram down
            log.warning("telegram: could not send a message: %s", error)


class _Answer(Protocol):
    async def __call__(self, text: str | None = None) -> None: ...
