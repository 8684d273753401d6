"""Messages that waited for a console user: shown when they next start ``voorkomen chat``.

The console has no live connection, so what the bot had to tell its user
while they were away (``Notifier``: outbox) is shown at the start of the next
session, before the conversation continues. The call site is the console's
start (``bot.cli.chat``): ``show_waiting(out, app.notifier.take_waiting(person))``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TextIO

from bot.channels.text import reply_text
from bot.engine.messages import Say
from bot.service.ports import Notice

HEADER_ONE = "Terwijl je weg was, kwam er een bericht voor je:"
HEADER_MANY = "Terwijl je weg was, kwamen er {n} berichten voor je:"


def waiting_lines(notices: Sequence[Notice]) -> list[str]:
    """The waiting messages as plain text blocks (nothing if there are none)."""
    if not notices:
        return []
    header = HEADER_ONE if len(notices) == 1 else HEADER_MANY.format(n=len(notices))
    blocks = [header]
    for notice in notices:
        blocks.append(reply_text(Say(notice.text, actions=notice.actions)))
    return blocks


def show_waiting(out: TextIO, notices: Sequence[Notice]) -> None:
    """Print the waiting messages (if any) before the conversation continues."""
    blocks = waiting_lines(notices)
    if blocks:
        out.write("\n\n".join(blocks) + "\n\n")
        out.flush()
