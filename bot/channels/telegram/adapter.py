"""The Telegram channel: aiogram updates in, the service's replies out.

One async catch-all handler per update type (message, edited message,
callback query) turns what aiogram parsed into an ``Incoming`` value, hands it
to the conversation service and renders the replies. No filters and no sync
handlers (aiogram runs those in a thread), no FSM (the engine owns the state).

Telegram-specific behaviour lives here: commands become words, buttons carry
the question they belong to, a multiple-choice keyboard is edited in place,
an answered question shows "✔️ answer" and loses its keyboard (whether the
answer was pressed or typed), a question asked again after ``terug`` marks its
old answer as undone, "Klaar" with nothing ticked is a toast, quick replies
(``Say.actions``) are buttons that act as typing their word, a photo or file
gets the advice to delete it (the chat is not end-to-end encrypted), every
callback query is answered, group chats get one explanation and then silence,
and an unexpected error in one update becomes a short Dutch apology, never a
crash.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
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
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardMarkup,
    Message,
    User,
)

from bot.channels.telegram import rendering
from bot.channels.telegram.bounded import BoundedMap
from bot.channels.telegram.callbacks import (
    ActionPress,
    CallbackCodec,
    DonePress,
    OptionPress,
    Press,
)
from bot.channels.telegram.keyboards import (
    actions_keyboard,
    ask_keyboard,
    button_label,
    selected_labels,
)
from bot.engine.messages import (
    Ask,
    ChannelTraits,
    ChoiceIn,
    Document,
    DoneIn,
    Incoming,
    QuestionKind,
    Reply,
    Say,
    Stale,
    TextIn,
    Unsupported,
)
from bot.service.locks import KeyedLocks
from bot.service.ports import ConversationHandler, ConversationKey, KeyValueStore, Sender

log = logging.getLogger(__name__)

CHANNEL = "telegram"
TELEGRAM_TRAITS = ChannelTraits(name=CHANNEL, buttons=True, end_to_end_encrypted=False)
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


# Words for what a message holds when it is not text, as the service may show
# them to the user ("een foto kan ik niet lezen").
_CONTENT_NAMES = {
    "photo": "foto",
    "sticker": "sticker",
    "voice": "spraakbericht",
    "audio": "geluidsbestand",
    "video": "video",
    "video_note": "videobericht",
    "animation": "gif",
    "document": "bestand",
    "location": "locatie",
    "venue": "locatie",
    "contact": "contact",
    "poll": "peiling",
    "dice": "dobbelsteen",
}


def content_name(message: Message) -> str:
    """A Dutch word for what a non-text message holds."""
    kind = message.content_type
    return _CONTENT_NAMES.get(kind.value if isinstance(kind, Enum) else str(kind), "bericht")


def command_text(text: str) -> str:
    """``/kennis@VoorkomenBot meldcode`` -> ``kennis meldcode``; ``/start x`` -> ``start``.

    The payload of ``/start`` (a deep link) is dropped: it is not a command word.
    """
    head, _, rest = text[1:].partition(" ")
    head, _, rest2 = head.partition("\n")
    rest = f"{rest2} {rest}".strip()
    word = head.partition("@")[0].lower()
    if not word:
        return text
    if word == "start":
        return word
    return f"{word} {rest}".strip()


def to_incoming(message: Message) -> Incoming:
    """What the user sent, as the engine understands it."""
    text = message.text
    if text is None:
        return Unsupported(content_name(message))
    if text.startswith("/"):
        return TextIn(command_text(text))
    return TextIn(text)


def start_code(message: Message) -> Incoming | None:
    """``/start CODE`` (an invitation deep link) as ``start CODE`` for the access gate."""
    head, _, payload = (message.text or "").partition(" ")
    if head.partition("@")[0].lower() == "/start" and payload.strip():
        return TextIn(f"start {payload.strip()}")
    return None


def sender_of(user: User | None) -> Sender:
    """Who wrote: the Telegram user id and first name (never a phone number);
    an update without a user is a stranger to the access gate."""
    if user is None:
        return Sender(CHANNEL, "")
    return Sender(CHANNEL, str(user.id), user.first_name)


COMMAND_WORDS = frozenset(
    {
        "start",
        "nieuw",
        "opnieuw",
        "verder",
        "terug",
        "wijzig",
        "hulp",
        "uitleg",
        "kennis",
        "nood",
        "stop",
        "menu",
    }
)
"""Words that are no answer to a question (a typed one does not get "✔️")."""

_NUMBERS = re.compile(r"^\s*\d+(?:[\s,;]+\d+)*\s*$")
_ANSWERED_MEMORY = 40
"""Answered questions remembered per chat (for marking them undone after ``terug``)."""


def typed_answer(ask: Ask, text: str) -> str:
    """What a typed answer to a question with buttons chose, as the "✔️" line shows it.

    The engine accepted the text (the question was not asked again), so this
    only has to name it: numbers become their options, a label or the first
    word of one becomes that option, ``klaar`` the options ticked so far, and
    anything else is shown as typed.
    """
    typed = text.strip()
    word = typed.casefold()
    labels = [c.label for c in ask.choices]
    if _NUMBERS.match(typed):
        picked = [int(n) for n in re.findall(r"\d+", typed)]
        if all(1 <= n <= len(labels) for n in picked):
            return ", ".join(labels[n - 1] for n in dict.fromkeys(picked))
    if ask.kind is QuestionKind.MULTI and word == "klaar":
        chosen = [c.label for c in ask.choices if c.key in ask.selected]
        return ", ".join(chosen) if chosen else "geen"
    for choice in ask.choices:
        label = choice.label.casefold()
        if word in (label, choice.key.casefold()) or label.split(" ")[0].strip(",.") == word:
            return choice.label
    return typed if len(typed) <= 60 else typed[:59] + "…"


def _first_word(incoming: Incoming | None) -> str:
    if not isinstance(incoming, TextIn):
        return ""
    words = incoming.text.strip().lstrip("/").split(maxsplit=1)
    return words[0].casefold() if words else ""


@dataclass(frozen=True, slots=True)
class _Shown:
    """A question that was sent with a keyboard: where it is and how it read."""

    message_id: int
    html: str
    ask: Ask


@dataclass(frozen=True, slots=True)
class _Pressed:
    """The message whose button was pressed, and what was pressed."""

    message: Message
    press: Press
    data: str


class OrderedHandler(ConversationHandler, Protocol):
    """The service, with the per-conversation locks it orders messages by
    (``ConversationService`` fits): the channel holds the same lock over a
    whole turn, so the replies of one chat go out in the order of its updates."""

    locks: KeyedLocks


class TelegramChannel:
    """Connects aiogram to the conversation service.

    ``kv`` (optional) keeps which group chats were already told that the bot
    only works in private chats, across restarts.
    """

    def __init__(
        self,
        service: OrderedHandler,
        kv: KeyValueStore | None = None,
        *,
        traits: ChannelTraits = TELEGRAM_TRAITS,
        codec: CallbackCodec | None = None,
        memory: int = 50_000,
    ) -> None:
        self._service = service
        self._kv = kv
        self._traits = traits
        self._codec = codec or CallbackCodec(memory)
        # chat id -> message id of the last question sent with a keyboard
        self._keyboards: BoundedMap[int, int] = BoundedMap(memory)
        self._groups_told: BoundedMap[int, bool] = BoundedMap(memory)
        # chat id -> the question with a keyboard that is open (to mark a typed answer)
        self._shown: BoundedMap[int, _Shown] = BoundedMap(memory)
        # chat id -> step -> an answered question's message (to undo it after ``terug``)
        self._answered: BoundedMap[int, dict[str, tuple[int, str]]] = BoundedMap(memory)
        # chat id -> message id of the last message with quick-reply buttons
        self._actions: BoundedMap[int, int] = BoundedMap(memory)

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

    # ------------------------------------------------------------ handlers

    async def on_message(self, message: Message, bot: Bot) -> None:
        """A message in any chat: private chats talk to the service."""
        if message.chat.type != ChatType.PRIVATE:
            await self._tell_group_once(bot, message.chat.id)
            return
        incoming = start_code(message) or to_incoming(message)
        await self._turn(bot, message.chat.id, incoming, sender=sender_of(message.from_user))

    async def on_edited_message(self, message: Message, bot: Bot) -> None:
        """An edited message cannot change an answer already given."""
        if message.chat.type != ChatType.PRIVATE:
            return
        edited = Unsupported("bewerkt bericht")
        await self._turn(bot, message.chat.id, edited, sender=sender_of(message.from_user))

    async def on_callback_query(self, query: CallbackQuery, bot: Bot) -> None:
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
                and self._actions.get(message.chat.id) != message.message_id
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
            await self._turn(
                bot,
                message.chat.id,
                incoming,
                _Pressed(message, press, query.data),
                answer,
                sender=sender_of(query.from_user),
            )
        finally:
            await answer()

    # ------------------------------------------------------------ one turn

    async def _turn(
        self,
        bot: Bot,
        chat_id: int,
        incoming: Incoming,
        pressed: _Pressed | None = None,
        answer: _Answer | None = None,
        *,
        sender: Sender | None = None,
    ) -> None:
        """Ask the service and deliver its replies; never raise for one update.

        For a button press (``answer`` given) a ``Stale`` reply becomes the
        toast and nothing else on screen changes for it.
        """
        # The service's lock for this chat, held over handling *and* delivering
        # (the service's own hold inside is reentrant): one place orders a chat.
        async with self._service.locks.hold(self.key(chat_id)):
            try:
                replies = await self._service.handle(
                    self.key(chat_id), incoming, self._traits, sender
                )
                if answer is not None:
                    toast, replies, pressed = self._toast(replies, pressed)
                    await answer(toast)
                await self._deliver(bot, chat_id, replies, pressed, incoming)
            except Exception:
                # Log the failure, never the user's text (it may describe a case).
                log.exception("telegram: an update failed (%s)", type(incoming).__name__)
                if answer is not None:
                    await answer(rendering.ERROR_TOAST)
                await self._send_quietly(bot, chat_id, rendering.ERROR_TEXT)

    @staticmethod
    def _toast(
        replies: list[Reply], pressed: _Pressed | None
    ) -> tuple[str | None, list[Reply], _Pressed | None]:
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

    async def _deliver(
        self,
        bot: Bot,
        chat_id: int,
        replies: Sequence[Reply],
        pressed: _Pressed | None,
        incoming: Incoming | None = None,
    ) -> None:
        pending = list(replies)
        if isinstance(incoming, Unsupported) and incoming.what in rendering.MEDIA_KINDS:
            # Telegram keeps what was sent on its servers: say how to take it away.
            at = next((i for i, r in enumerate(pending) if isinstance(r, Say)), None)
            if at is None:
                pending.insert(0, Say(rendering.DELETE_ADVICE))
            else:
                said = pending[at]
                assert isinstance(said, Say)
                pending[at] = Say(f"{said.text}\n\n{rendering.DELETE_ADVICE}", said.article)
        asks = [r for r in pending if isinstance(r, Ask)]
        last = self._keyboards.get(chat_id)
        word = _first_word(incoming)
        if pending:
            await self._drop_actions(bot, chat_id, pressed)
        if pressed is not None:
            pressed_id = pressed.message.message_id
            toggled = self._toggle_reply(pressed, asks)
            if toggled is not None:
                pending.remove(toggled)
                asks.remove(toggled)
                await self._edit_keyboard(
                    bot, pressed.message, ask_keyboard(toggled, self._codec, chat_id)
                )
                shown = self._shown.get(chat_id)
                if shown is not None and shown.message_id == pressed_id:
                    self._shown.put(chat_id, _Shown(pressed_id, shown.html, toggled))
            elif isinstance(pressed.press, ActionPress):
                await self._edit_keyboard(bot, pressed.message, None)
            elif asks or any(isinstance(r, Document) for r in pending):
                # (when nothing moved on, the step failed: the keyboard stays, to press again)
                if any(a.question_id == pressed.press.question_id for a in asks):
                    await self._edit_keyboard(bot, pressed.message, None)  # asked again below
                else:
                    await self._mark_answered(bot, pressed)
                if last == pressed_id:
                    self._keyboards.drop(chat_id)
                    self._shown.drop(chat_id)
                    last = None
            if last == pressed_id:
                last = None  # the keyboard that stays is the one just edited
        moved_on = bool(asks) or any(isinstance(r, Document) for r in pending)
        if moved_on and last is not None:
            # A new question (or the end) is coming: the previous keyboard cannot answer it.
            shown = self._shown.get(chat_id)
            if (
                shown is not None
                and shown.message_id == last
                and isinstance(incoming, TextIn)
                and word not in COMMAND_WORDS
                and not any(a.question_id == shown.ask.question_id for a in asks)
            ):
                # A typed answer to a question with buttons: shown as a press is.
                await self._mark_typed(bot, chat_id, shown, typed_answer(shown.ask, incoming.text))
            else:
                await self._remove_keyboard(bot, chat_id, last)
            self._keyboards.drop(chat_id)
            self._shown.drop(chat_id)
        if word in ("terug", "wijzig"):
            await self._undo_answers(bot, chat_id, asks)
        lead: list[Say] = []
        for reply in pending:
            if isinstance(reply, Say) and reply.actions:
                await self._render_actions(bot, chat_id, [*lead, reply])
                lead = []
                continue
            if isinstance(reply, Say):
                lead.append(reply)  # said with the question that follows, in one message
                continue
            if isinstance(reply, Ask):
                await self._render_ask(bot, chat_id, reply, lead)
            else:
                for say in lead:
                    await self._render(bot, chat_id, say)
                await self._render(bot, chat_id, reply)
            lead = []
        for say in lead:
            await self._render(bot, chat_id, say)

    @staticmethod
    def _toggle_reply(pressed: _Pressed, asks: Sequence[Ask]) -> Ask | None:
        """The reply that re-shows a multiple-choice question after a toggle."""
        if not isinstance(pressed.press, OptionPress):
            return None
        for ask in asks:
            if (
                ask.question_id == pressed.press.question_id
                and ask.kind is QuestionKind.MULTI
                and not ask.error
            ):
                return ask
        return None

    async def _render(self, bot: Bot, chat_id: int, reply: Reply) -> None:
        if isinstance(reply, Say):
            await self._send(bot, chat_id, rendering.say_messages(reply))
        elif isinstance(reply, Ask):
            await self._render_ask(bot, chat_id, reply, ())
        elif isinstance(reply, Document):
            await self._send(bot, chat_id, rendering.document_messages(reply))
            if reply.final:
                await bot.send_document(
                    chat_id,
                    BufferedInputFile(
                        rendering.document_file(reply), rendering.document_filename(reply)
                    ),
                    caption=rendering.document_caption(reply),
                )
        elif isinstance(reply, Stale):
            await self._send(bot, chat_id, rendering.say_messages(Say(reply.text)))

    async def _render_ask(self, bot: Bot, chat_id: int, ask: Ask, lead: Sequence[Say]) -> None:
        """A question, with what was said just before it in the same message."""
        keyboard = ask_keyboard(ask, self._codec, chat_id)
        parts = rendering.ask_messages(ask, lead)
        sent = await self._send(bot, chat_id, parts, keyboard)
        if keyboard is not None and sent is not None:
            self._keyboards.put(chat_id, sent.message_id)
            self._shown.put(chat_id, _Shown(sent.message_id, parts[-1], ask))

    async def _render_actions(self, bot: Bot, chat_id: int, says: Sequence[Say]) -> None:
        """Said texts, the last with quick-reply buttons (a press types the word)."""
        spans_text = "\n\n".join(say.text for say in says)
        actions = says[-1].actions
        keyboard = actions_keyboard(
            tuple(a.key for a in actions), tuple(a.label for a in actions), self._codec
        )
        sent = await self._send(bot, chat_id, rendering.say_messages(Say(spans_text)), keyboard)
        if keyboard is not None and sent is not None:
            self._actions.put(chat_id, sent.message_id)

    async def _drop_actions(self, bot: Bot, chat_id: int, pressed: _Pressed | None) -> None:
        """New messages are coming: older quick replies no longer apply."""
        message_id = self._actions.get(chat_id)
        if message_id is None:
            return
        self._actions.drop(chat_id)
        if pressed is not None and pressed.message.message_id == message_id:
            return  # taken away with the press itself
        await self._remove_keyboard(bot, chat_id, message_id)

    async def _send(
        self,
        bot: Bot,
        chat_id: int,
        parts: Sequence[str],
        keyboard: InlineKeyboardMarkup | None = None,
    ) -> Message | None:
        """Send the parts in order; the keyboard goes with the last one."""
        sent: Message | None = None
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            sent = await bot.send_message(chat_id, part, reply_markup=keyboard if last else None)
        return sent

    # ------------------------------------------------------------ old keyboards

    async def _mark_answered(self, bot: Bot, pressed: _Pressed) -> None:
        """Show the answer under the question and take its keyboard away."""
        message = pressed.message
        if isinstance(pressed.press, DonePress):
            labels = selected_labels(message.reply_markup)
            answer = ", ".join(labels) if labels else "geen"
        else:
            answer = button_label(message.reply_markup, pressed.data) or ""
        chat_id = message.chat.id
        shown = self._shown.get(chat_id)
        question_html = (
            shown.html
            if shown is not None and shown.message_id == message.message_id
            else message.html_text
        )
        if shown is not None and shown.message_id == message.message_id:
            self._remember_answered(chat_id, shown.ask.step, message.message_id, question_html)
        if not await self._edit_answered(bot, chat_id, message.message_id, question_html, answer):
            await self._edit_keyboard(bot, message, None)

    async def _mark_typed(self, bot: Bot, chat_id: int, shown: _Shown, answer: str) -> None:
        """A typed answer to a question with buttons: "✔️ answer", buttons gone."""
        self._remember_answered(chat_id, shown.ask.step, shown.message_id, shown.html)
        if not await self._edit_answered(bot, chat_id, shown.message_id, shown.html, answer):
            await self._remove_keyboard(bot, chat_id, shown.message_id)

    async def _edit_answered(
        self, bot: Bot, chat_id: int, message_id: int, question_html: str, answer: str
    ) -> bool:
        edited = (
            rendering.answered_text(question_html, rendering.html_plain(question_html), answer)
            if answer
            else None
        )
        if edited is None:
            return False
        try:
            await bot.edit_message_text(text=edited, chat_id=chat_id, message_id=message_id)
        except TelegramAPIError as error:
            log.info("telegram: could not edit an answered question: %s", error)
            return False
        return True

    def _remember_answered(self, chat_id: int, step: str, message_id: int, html: str) -> None:
        answered = self._answered.get(chat_id) or {}
        answered.pop(step, None)
        answered[step] = (message_id, html)
        while len(answered) > _ANSWERED_MEMORY:
            answered.pop(next(iter(answered)))
        self._answered.put(chat_id, answered)

    async def _undo_answers(self, bot: Bot, chat_id: int, asks: Sequence[Ask]) -> None:
        """After ``terug``: the old "✔️ answer" of a question asked again is undone."""
        answered = self._answered.get(chat_id)
        if not answered:
            return
        for ask in asks:
            old = answered.pop(ask.step, None)
            if old is None:
                continue
            message_id, question_html = old
            edited = rendering.undone_text(question_html)
            if edited is None:
                continue
            try:
                await bot.edit_message_text(text=edited, chat_id=chat_id, message_id=message_id)
            except TelegramAPIError as error:
                log.info("telegram: could not mark an answer as undone: %s", error)

    async def _edit_keyboard(
        self, bot: Bot, message: Message, keyboard: InlineKeyboardMarkup | None
    ) -> None:
        try:
            await bot.edit_message_reply_markup(
                chat_id=message.chat.id, message_id=message.message_id, reply_markup=keyboard
            )
        except TelegramAPIError as error:  # "message is not modified", too old, deleted
            log.info("telegram: could not edit a keyboard: %s", error)

    async def _remove_keyboard(self, bot: Bot, chat_id: int, message_id: int) -> None:
        try:
            await bot.edit_message_reply_markup(chat_id=chat_id, message_id=message_id)
        except TelegramAPIError as error:
            log.info("telegram: could not remove an old keyboard: %s", error)

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
            await self._send(bot, chat_id, rendering.say_messages(Say(text)))
        except Exception as error:  # blocked by the user, chat gone, Telegram down
            log.warning("telegram: could not send a message: %s", error)


class _Answer(Protocol):
    async def __call__(self, text: str | None = None) -> None: ...
