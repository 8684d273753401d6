"""Plain-text layout of replies, shared by the text-first channels.

The console prints it as is; Matrix uses it for the ``body`` of a message
(next to its HTML ``formatted_body``); Telegram uses its own buttons but can
fall back to it. One layout keeps the bot's voice the same everywhere.
"""

from __future__ import annotations

from bot.engine.messages import Ask, Document, QuestionKind, Reply, Say, Stale

RULE = "─" * 32


def ask_lines(ask: Ask, *, numbered: bool = True) -> list[str]:
    """A question as lines: error, note, question, previous answer, numbered
    choices, hint, and the progress last (a notification preview shows the
    first line, which should be the question, not a counter)."""
    lines: list[str] = []
    if ask.error:
        lines.append(f"⚠ {ask.error}")
    if ask.note:
        lines.append(ask.note)
    lines.append(ask.text)
    if ask.previous:
        lines.append(f"(Eerder: {ask.previous})")
    if numbered and ask.choices:
        for n, choice in enumerate(ask.choices, start=1):
            mark = ""
            if ask.kind is QuestionKind.MULTI:
                mark = "[x] " if choice.key in ask.selected else "[ ] "
            lines.append(f"  {n}. {mark}{choice.label}")
    if ask.hint:
        lines.append(f"({ask.hint})")
    if ask.progress is not None:
        lines.append(f"[{ask.progress}]")
    return lines


def say_lines(say: Say) -> list[str]:
    """A message, and its quick replies as the words to type ("Typ: meer")."""
    lines = [say.text]
    if say.actions:
        lines.append("Typ: " + " of ".join(action.key for action in say.actions))
    return lines


def document_lines(document: Document) -> list[str]:
    """A summary between rules, with its title."""
    return [RULE, document.title, RULE, document.text.rstrip(), RULE]


def reply_text(reply: Reply) -> str:
    """Any reply as plain text."""
    if isinstance(reply, Say):
        return "\n".join(say_lines(reply))
    if isinstance(reply, Ask):
        return "\n".join(ask_lines(reply))
    if isinstance(reply, Document):
        return "\n".join(document_lines(reply))
    if isinstance(reply, Stale):
        return reply.text
    raise TypeError(f"unknown reply {reply!r}")  # pragma: no cover - closed union
