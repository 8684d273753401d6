"""The terminal channel: ``voorkomen chat``.

Interactive in a terminal (a prompt, a little colour) and scriptable through
a pipe: one answer per line on standard input, every reply on standard
output, no colour codes when output is not a terminal. End of input leaves
the conversation saved (it was saved after every answer) and exits cleanly.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from typing import TextIO

from bot.channels.oddities import KNOWN_WORDS, explained, typed
from bot.channels.text import reply_text
from bot.engine.messages import Ask, ChannelTraits, Document, Incoming, Reply
from bot.service.ports import ConversationKey

# Nothing typed in the console leaves this machine, so it counts as a private channel.
CONSOLE_TRAITS = ChannelTraits(name="console", buttons=False, end_to_end_encrypted=True)

Handler = Callable[[Incoming], list[Reply]]

_BOLD = "\033[1m"
_DIM = "\033[2m"
_RESET = "\033[0m"


class ConsoleChannel:
    """Reads lines, hands them to the service, prints the replies."""

    def __init__(self, out: TextIO, *, colour: bool) -> None:
        self.out = out
        self.colour = colour

    def show(self, replies: Iterable[Reply]) -> None:
        for reply in replies:
            text = reply_text(reply)
            if self.colour and isinstance(reply, Ask):
                text = f"{_BOLD}{text}{_RESET}"
            elif self.colour and isinstance(reply, Document):
                text = f"{_DIM}{text}{_RESET}"
            self.out.write(text + "\n\n")
        self.out.flush()

    def run(self, lines: Iterable[str], handle: Handler, *, prompt: bool) -> None:
        """Feed ``lines`` to ``handle`` until they run out (or the user types exit)."""
        iterator = iter(lines)
        while True:
            if prompt:
                self.out.write("> ")
                self.out.flush()
            try:
                line = next(iterator)
            except StopIteration:
                break
            text = line.rstrip("\r\n")
            if prompt and text.strip().lower() in ("exit", "quit", "afsluiten"):
                break
            # Control characters are stripped, a text of over 4,000 characters or
            # a command for another bot gets an explanation (bot.channels.oddities).
            incoming = typed(text, KNOWN_WORDS, own_name="")
            self.show(explained(incoming, handle(incoming), encrypted=True))


def console_key(user: str) -> ConversationKey:
    """The conversation key of a console user."""
    return ConversationKey("console", user)


def stdin_lines() -> Iterable[str]:
    """Standard input, line by line (works for pipes and terminals)."""
    return iter(sys.stdin.readline, "")
