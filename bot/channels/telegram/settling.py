"""A multiple-choice keyboard that stays true when several workers edit it.

With several webhook workers the taps at one question can be handled by
different processes. The database orders their *steps*, but not the keyboard
edits sent after them: a slower worker's edit can land after a newer one, and
the keyboard then shows a tick less than was saved (or a keyboard comes back
on a question that was answered meanwhile). Holding a lock over the call to
Telegram would make every chat wait behind one slow request, so the worker
checks after its own edit instead:

- the question is still open and the saved ticks differ from what it showed:
  it shows the saved ticks (and checks again);
- the question is no longer open: it takes the keyboard away (the answer's
  own edit may have landed before its stale one).

Every worker checks only after its own edit went through, so the edit that
lands last is followed by a check that sees the newest step: the screen ends
on what was saved. With one worker the check finds what was shown and does
nothing more.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace

from bot.engine.messages import Ask
from bot.service.ports import OpenSelection

ROUNDS = 5
"""Checks after one edit at most; a chat still changing after that is being
tapped by its user right now, and each of those taps checks again itself."""

ReadSelection = Callable[[], Awaitable[OpenSelection | None]]
"""What is ticked now, as saved (``SelectionReader.open_selection`` for one chat)."""

ShowKeyboard = Callable[[Ask | None], Awaitable[None]]
"""Edits the pressed message's keyboard to show this question (None: no keyboard)."""


async def settle(shown: Ask, read: ReadSelection, show: ShowKeyboard) -> None:
    """After ``shown`` went on screen: edit until the screen matches what is saved."""
    for _round in range(ROUNDS):
        now = await read()
        if now is None or now.question_id != shown.question_id:
            await show(None)  # answered (or left) meanwhile: no keyboard to press
            return
        if now.selected == shown.selected:
            return
        shown = replace(shown, selected=now.selected)
        await show(shown)
