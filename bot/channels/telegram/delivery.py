"""Delivering the service's replies in a Telegram chat, and keeping the screen right.

Telegram shows a question with buttons; what is on screen must keep
matching the conversation: a multiple-choice keyboard is edited in place, an
answered question shows "✔️ answer" and loses its keyboard (whether the answer
was pressed or typed), a question asked again after ``terug`` marks its old
answer as undone, quick replies (``Say.actions``) are buttons that act as
typing their word and go away when the conversation moves on, what was said
just before a question goes with it in one message, and a photo or file
gets the advice to delete it (the chat is not end-to-end encrypted).

``Delivery`` remembers per chat (bounded, least recently used first) which
message carries the open keyboard, how the open question read, the answered
questions (for ``terug``) and the last quick replies.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import BufferedInputFile, InlineKeyboardMarkup, Message

from bot.channels.oddities import COMMAND_WORDS, explained
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
    labels_of,
    selected_labels,
)
from bot.channels.telegram.updates import first_word, typed_answer
from bot.engine.messages import (
    Ask,
    Document,
    Incoming,
    QuestionKind,
    Reply,
    Say,
    Stale,
    TextIn,
)

log = logging.getLogger(__name__)

ANSWERED_MEMORY = 40
"""Answered questions remembered per chat (for marking them undone after ``terug``)."""


@dataclass(frozen=True, slots=True)
class Shown:
    """A question that was sent with a keyboard: where it is and how it read."""

    message_id: int
    html: str
    ask: Ask


@dataclass(frozen=True, slots=True)
class Pressed:
    """The message whose button was pressed, and what was pressed. For "Klaar":
    ``ticked``, the options ticked as saved just before (the keyboard the press
    came from may be a tick behind); None when that is not known."""

    message: Message
    press: Press
    data: str
    ticked: tuple[str, ...] | None = None


class Delivery:
    """Renders replies into one bot's chats and edits what they replace."""

    def __init__(self, codec: CallbackCodec, memory: int) -> None:
        self._codec = codec
        # chat id -> message id of the last question sent with a keyboard
        self._keyboards: BoundedMap[int, int] = BoundedMap(memory)
        # chat id -> the question with a keyboard that is open (to mark a typed answer)
        self._shown: BoundedMap[int, Shown] = BoundedMap(memory)
        # chat id -> step -> an answered question's message (to undo it after ``terug``)
        self._answered: BoundedMap[int, dict[str, tuple[int, str]]] = BoundedMap(memory)
        # chat id -> message id of the last message with quick-reply buttons
        self._actions: BoundedMap[int, int] = BoundedMap(memory)
        # chat id -> message id of the (first part of the) last question asked
        self._asked: BoundedMap[int, int] = BoundedMap(memory)

    def replies_to_an_old_question(self, message: Message) -> bool:
        """A typed reply (Telegram's "Beantwoorden") to a message of the bot from
        before the open question: it must not silently answer the open one.
        After a restart nothing is known, and a reply counts as typed text."""
        target = message.reply_to_message
        asked = self._asked.get(message.chat.id)
        if target is None or asked is None or message.text is None:
            return False
        from_bot = target.from_user is not None and target.from_user.is_bot
        return from_bot and target.message_id < asked

    def quick_replies_of(self, chat_id: int) -> int | None:
        """The message whose quick-reply buttons still apply in the chat."""
        return self._actions.get(chat_id)

    async def deliver(
        self,
        bot: Bot,
        chat_id: int,
        replies: Sequence[Reply],
        pressed: Pressed | None,
        incoming: Incoming | None = None,
    ) -> Ask | None:
        """Show ``replies`` in the chat; the multiple-choice question whose
        keyboard was edited in place for ``pressed`` (a tick), if any."""
        pending = list(replies)
        toggled: Ask | None = None
        if incoming is not None:
            # Say what was sent instead of text (and, for a photo or file, how to
            # delete it: Telegram keeps it on its servers).
            pending = explained(incoming, pending, encrypted=False)
        asks = [r for r in pending if isinstance(r, Ask)]
        last = self._keyboards.get(chat_id)
        word = first_word(incoming)
        if pending:
            await self._drop_actions(bot, chat_id, pressed)
        if pressed is not None:
            pressed_id = pressed.message.message_id
            toggled = self._toggle_reply(pressed, asks)
            if toggled is not None:
                pending.remove(toggled)
                asks.remove(toggled)
                await self.reshow(bot, pressed, toggled)
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
        return toggled

    async def reshow(self, bot: Bot, pressed: Pressed, ask: Ask | None) -> None:
        """Edit the pressed message's keyboard to show ``ask``'s ticks (None: take
        the keyboard away), and remember it as the open question's."""
        chat_id, pressed_id = pressed.message.chat.id, pressed.message.message_id
        keyboard = None if ask is None else ask_keyboard(ask, self._codec, chat_id)
        await self._edit_keyboard(bot, pressed.message, keyboard)
        if ask is None and self._keyboards.get(chat_id) == pressed_id:
            self._keyboards.drop(chat_id)
        shown = self._shown.get(chat_id)
        if shown is not None and shown.message_id == pressed_id:
            if ask is None:
                self._shown.drop(chat_id)
            else:
                self._shown.put(chat_id, Shown(pressed_id, shown.html, ask))

    @staticmethod
    def _toggle_reply(pressed: Pressed, asks: Sequence[Ask]) -> Ask | None:
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
            await self.send(bot, chat_id, rendering.say_messages(reply))
        elif isinstance(reply, Ask):
            await self._render_ask(bot, chat_id, reply, ())
        elif isinstance(reply, Document):
            await self.send(bot, chat_id, rendering.document_messages(reply))
            if reply.final:
                await bot.send_document(
                    chat_id,
                    BufferedInputFile(
                        rendering.document_file(reply), rendering.document_filename(reply)
                    ),
                    caption=rendering.document_caption(reply),
                )
        elif isinstance(reply, Stale):
            await self.send(bot, chat_id, rendering.say_messages(Say(reply.text)))

    async def _render_ask(self, bot: Bot, chat_id: int, ask: Ask, lead: Sequence[Say]) -> None:
        """A question, with what was said just before it in the same message."""
        keyboard = ask_keyboard(ask, self._codec, chat_id)
        parts = rendering.ask_messages(ask, lead)
        sent = await self.send(bot, chat_id, parts, keyboard)
        if sent is not None:
            self._asked.put(chat_id, sent.message_id - (len(parts) - 1))
        if keyboard is not None and sent is not None:
            self._keyboards.put(chat_id, sent.message_id)
            self._shown.put(chat_id, Shown(sent.message_id, parts[-1], ask))

    async def _render_actions(self, bot: Bot, chat_id: int, says: Sequence[Say]) -> None:
        """Said texts, the last with quick-reply buttons (a press types the word)."""
        spans_text = "\n\n".join(say.text for say in says)
        actions = says[-1].actions
        keyboard = actions_keyboard(
            tuple(a.key for a in actions), tuple(a.label for a in actions), self._codec
        )
        sent = await self.send(bot, chat_id, rendering.say_messages(Say(spans_text)), keyboard)
        if keyboard is not None and sent is not None:
            self._actions.put(chat_id, sent.message_id)

    async def _drop_actions(self, bot: Bot, chat_id: int, pressed: Pressed | None) -> None:
        """New messages are coming: older quick replies no longer apply."""
        message_id = self._actions.get(chat_id)
        if message_id is None:
            return
        self._actions.drop(chat_id)
        if pressed is not None and pressed.message.message_id == message_id:
            return  # taken away with the press itself
        await self._remove_keyboard(bot, chat_id, message_id)

    async def send(
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

    async def _mark_answered(self, bot: Bot, pressed: Pressed) -> None:
        """Show the answer under the question and take its keyboard away."""
        message = pressed.message
        if isinstance(pressed.press, DonePress):
            chat_id = message.chat.id
            saved = None
            if pressed.ticked is not None:
                saved = labels_of(message.reply_markup, pressed.ticked, self._codec, chat_id)
            labels = selected_labels(message.reply_markup) if saved is None else saved
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

    async def _mark_typed(self, bot: Bot, chat_id: int, shown: Shown, answer: str) -> None:
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
        while len(answered) > ANSWERED_MEMORY:
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
