"""What the access gate's word handlers share: follow-up, confirmation, escalation.

Each part answers its own chat words before the conversation sees a member's
text (``AccessGate.word_handlers``). All of them read the text the same way
(lower case, one space between words; an empty text is never theirs) and
answer with short messages, so ``ChatWords`` reads the words once and hands
them to the part's ``answer``, and ``say`` makes an answer of texts cut to
the 600 characters a message may have. ``PATTERNS`` is the pattern-only
name check a part uses until the conversation's own is loaded.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import datetime

from bot.engine.messages import Reply, Say
from bot.identify import PatternDetector
from bot.org.model import Membership
from bot.service.access import Answered

MAX_TEXT = 600
PATTERNS = PatternDetector()


def say(*texts: str) -> Answered:
    """The gate's answer: one message a text, each at most ``MAX_TEXT`` characters."""
    replies: list[Reply] = [Say(text[:MAX_TEXT]) for text in texts]
    return Answered(replies)


class ChatWords(ABC):
    """A word handler of the gate: ``handler(text, member, now)``, None when not its words."""

    def __call__(self, text: str, member: Membership, now: datetime) -> Answered | None:
        words = " ".join(text.lower().split())
        if not words:
            return None
        return self.answer(words, text, member, now)

    @abstractmethod
    def answer(self, words: str, text: str, member: Membership, now: datetime) -> Answered | None:
        """Answer ``words`` (``text`` as typed, for free text such as a remark or a date)."""
