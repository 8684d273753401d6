"""Inline keyboards for questions with choices.

One numbered button per option (two per row when the labels are short; the
engine's hints say "typ het nummer"), ✅ before the
selected options of a multiple-choice question and a "Klaar" button under
them. Keyboards are pure values of the question, so they are cached: a
question asked again (or the same question in many chats) costs nothing.
"""

from __future__ import annotations

import re
from functools import lru_cache

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.channels.telegram.callbacks import CallbackCodec
from bot.engine.messages import Ask, QuestionKind

SELECTED_MARK = "✅ "
DONE_LABEL = "Klaar"
_SHORT_LABEL = 16
_NUMBERED = re.compile(r"^\d+\. ")


@lru_cache(maxsize=4096)
def _keyboard(
    labels: tuple[str, ...], data: tuple[str, ...], done: str | None
) -> InlineKeyboardMarkup:
    buttons = [
        InlineKeyboardButton(text=label, callback_data=d)
        for label, d in zip(labels, data, strict=True)
    ]
    per_row = 2 if all(len(label) <= _SHORT_LABEL for label in labels) else 1
    rows = [buttons[i : i + per_row] for i in range(0, len(buttons), per_row)]
    if done is not None:
        rows.append([InlineKeyboardButton(text=DONE_LABEL, callback_data=done)])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def ask_keyboard(ask: Ask, codec: CallbackCodec, chat_id: int) -> InlineKeyboardMarkup | None:
    """The keyboard for a question, or None for questions answered by typing."""
    if not ask.choices:
        return None
    data = codec.buttons(chat_id, ask.question_id, [c.key for c in ask.choices])
    labels = [c.label for c in ask.choices]
    if ask.kind is not QuestionKind.YESNO and len(labels) > 1:
        # The engine's hints say "typ het nummer": the buttons show the numbers.
        labels = [f"{i}. {label}" for i, label in enumerate(labels, start=1)]
    if ask.kind is QuestionKind.MULTI:
        chosen = frozenset(ask.selected)
        labels = [
            SELECTED_MARK + label if c.key in chosen else label
            for c, label in zip(ask.choices, labels, strict=True)
        ]
        return _keyboard(tuple(labels), tuple(data), codec.done(ask.question_id))
    return _keyboard(tuple(labels), tuple(data), None)


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


def button_label(markup: InlineKeyboardMarkup | None, callback_data: str | None) -> str | None:
    """The label of the button that carries ``callback_data`` in a sent keyboard."""
    if markup is None or callback_data is None:
        return None
    for row in markup.inline_keyboard:
        for button in row:
            if button.callback_data == callback_data:
                return _bare(str(button.text))
    return None
