"""Inline keyboards for questions with choices.

One button per option with the option's own short label and no number
(a phone shows about 20 characters per button; the full wording stays in the
question). Short options go two per row, longer ones one per row. ✅ marks the
selected options of a multiple-choice question, with a "Klaar" button under
them. Quick replies (``Say.actions``, e.g. "meer") are buttons too. Keyboards
are pure values of the question, so they are cached: a question asked again
(or the same question in many chats) costs nothing.
"""

from __future__ import annotations

import re
from functools import lru_cache

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.channels.telegram.callbacks import CallbackCodec, OptionPress
from bot.engine.messages import Ask, QuestionKind

SELECTED_MARK = "✅ "
DONE_LABEL = "Klaar"
SHORT_LABEL = 14
"""Options of at most this many characters go two per row."""
_NUMBERED = re.compile(r"^\d+\. ")


@lru_cache(maxsize=4096)
def _keyboard(
    labels: tuple[str, ...], data: tuple[str, ...], done: str | None
) -> InlineKeyboardMarkup:
    buttons = [
        InlineKeyboardButton(text=label, callback_data=d)
        for label, d in zip(labels, data, strict=True)
    ]
    rows = _rows(buttons)
    if done is not None:
        rows.append([InlineKeyboardButton(text=DONE_LABEL, callback_data=done)])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def _rows(buttons: list[InlineKeyboardButton]) -> list[list[InlineKeyboardButton]]:
    """Short buttons pair up in twos, in order; a long one gets a row of its own."""
    rows: list[list[InlineKeyboardButton]] = []
    pending: InlineKeyboardButton | None = None
    for button in buttons:
        if len(_bare(button.text)) > SHORT_LABEL:
            if pending is not None:
                rows.append([pending])
                pending = None
            rows.append([button])
        elif pending is None:
            pending = button
        else:
            rows.append([pending, button])
            pending = None
    if pending is not None:
        rows.append([pending])
    return rows


def ask_keyboard(ask: Ask, codec: CallbackCodec, chat_id: int) -> InlineKeyboardMarkup | None:
    """The keyboard for a question, or None for questions answered by typing."""
    if not ask.choices:
        return None
    data = codec.buttons(chat_id, ask.question_id, [c.key for c in ask.choices])
    labels = [c.label for c in ask.choices]
    if ask.kind is QuestionKind.MULTI:
        chosen = frozenset(ask.selected)
        labels = [
            SELECTED_MARK + label if c.key in chosen else label
            for c, label in zip(ask.choices, labels, strict=True)
        ]
        return _keyboard(tuple(labels), tuple(data), codec.done(ask.question_id))
    return _keyboard(tuple(labels), tuple(data), None)


def actions_keyboard(
    keys: tuple[str, ...], labels: tuple[str, ...], codec: CallbackCodec
) -> InlineKeyboardMarkup | None:
    """Buttons for quick replies; a press acts as typing the key."""
    data = [codec.action(key) for key in keys]
    if not data:
        return None
    return _keyboard(labels, tuple(data), None)


def _bare(text: str) -> str:
    """A button's label without the ✅ and the number."""
    return _NUMBERED.sub("", text.removeprefix(SELECTED_MARK), count=1)


def selected_labels(markup: InlineKeyboardMarkup | None) -> list[str]:
    """The labels marked ✅ in a keyboard that was sent (for "your answer" lines)."""
    if markup is None:
        return []
    return [
        _bare(button.text)
        for row in markup.inline_keyboard
        for button in row
        if button.text.startswith(SELECTED_MARK)
    ]


def labels_of(
    markup: InlineKeyboardMarkup | None, keys: tuple[str, ...], codec: CallbackCodec, chat_id: int
) -> list[str] | None:
    """The labels of the options ``keys`` in a keyboard that was sent, in its
    order; None when one of them is not on it (or its button data is forgotten)."""
    if markup is None:
        return None
    found: dict[str, str] = {}
    for row in markup.inline_keyboard:
        for button in row:
            press = codec.decode(chat_id, button.callback_data)
            if isinstance(press, OptionPress) and press.key in keys:
                found[press.key] = _bare(str(button.text))
    return list(found.values()) if len(found) == len(set(keys)) else None


def button_label(markup: InlineKeyboardMarkup | None, callback_data: str | None) -> str | None:
    """The label of the button that carries ``callback_data`` in a sent keyboard."""
    if markup is None or callback_data is None:
        return None
    for row in markup.inline_keyboard:
        for button in row:
            if button.callback_data == callback_data:
                return _bare(str(button.text))
    return None
