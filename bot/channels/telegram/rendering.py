"""How the engine's replies look in Telegram (HTML parse mode).

The engine speaks plain text; this module decides the layout on a phone: the
progress line small and on top, the question in bold, the reason a previous
answer was rejected above it, the hint below. Everything is built as spans
(see ``splitting``) so it is escaped exactly once and splits cleanly.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

from bot.channels import oddities
from bot.channels.telegram.splitting import (
    TELEGRAM_CAPTION_LIMIT,
    TELEGRAM_TEXT_LIMIT,
    Span,
    escape,
    plain,
    split_html,
    to_html,
    utf16_len,
)
from bot.engine.messages import Ask, Document, Say

ERROR_MARK = "⚠️ "
ANSWERED_MARK = "✔️ "
UNDONE_MARK = "↩️ "
UNDONE_TEXT = "Opnieuw gevraagd, hieronder."
TXT_SUFFIX = ".txt"

GROUP_NOTICE = (
    "Ik werk alleen in een privégesprek, niet in een groep. "
    "Zo blijft wat je over een casus vertelt tussen jou en mij.\n\n"
    "Open een privégesprek met mij en typ /start. "
    "In deze groep zeg ik verder niets meer."
)
GROUP_TOAST = "Ik werk alleen in een privégesprek."
FORGOTTEN_BUTTON = "Deze knop werkt niet meer. Typ je antwoord of kies /verder."
ERROR_TEXT = "Er ging iets mis aan mijn kant. Probeer het zo nog eens, of typ /verder."
ERROR_TOAST = "Er ging iets mis. Probeer het zo nog eens."
DOCUMENT_CAPTION = "Om te plakken in het dossier (zonder namen)."
DELETE_ADVICE = oddities.DELETE_ADVICE
MEDIA_KINDS = oddities.MEDIA
"""What a user may send that can show or say who someone is (the delete advice)."""

_TAG = re.compile(r"<[^>]*>")


def say_messages(say: Say) -> list[str]:
    """A plain message, escaped and split."""
    return split_html([Span(say.text)])


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def ask_spans(ask: Ask) -> list[Span]:
    """The text of a question, formatted (the keyboard is separate)."""
    spans: list[Span] = []
    if ask.error:
        spans += [Span(ERROR_MARK), Span(ask.error, "i"), Span("\n\n")]
    if ask.note:
        spans += [Span(ask.note, "i"), Span("\n\n")]
    if ask.progress is not None:
        spans += [Span(_capitalised(str(ask.progress)), "i"), Span("\n")]
    spans.append(Span(ask.text, "b"))
    if ask.previous:
        spans += [Span("\n"), Span(f"Eerder gaf je: {ask.previous}", "i")]
    if ask.hint:
        spans += [Span("\n\n"), Span(ask.hint)]
    if ask.help_article:
        spans += [Span("\n"), Span("Meer weten? Typ "), Span("uitleg", "b"), Span(".")]
    return spans


def ask_messages(ask: Ask, lead: Sequence[Say] = ()) -> list[str]:
    """A question as one or more HTML messages (the keyboard goes on the last).

    ``lead`` is what the bot said just before the question ("Eerst: het
    vier-ogen overleg."): it goes on top of the same message, so the phone
    shows one bubble per question, not several.
    """
    spans: list[Span] = []
    for say in lead:
        spans += [Span(say.text), Span("\n\n")]
    return split_html(spans + ask_spans(ask))


def document_messages(document: Document) -> list[str]:
    """A vastlegging in the chat: the title in bold, then the plain text."""
    return split_html([Span(document.title, "b"), Span("\n\n"), Span(document.text)])


def document_filename(document: Document) -> str:
    """The attachment's file name, always ending in ``.txt``."""
    name = document.filename.strip().replace("/", "-").replace("\\", "-") or "vastlegging"
    return name if name.lower().endswith(TXT_SUFFIX) else name + TXT_SUFFIX


def document_file(document: Document) -> bytes:
    """The attachment's content: the plain text, UTF-8, ending in a newline."""
    text = document.text if document.text.endswith("\n") else document.text + "\n"
    return text.encode("utf-8")


def document_caption(document: Document) -> str:
    """A short caption for the attachment, as HTML (within Telegram's caption limit)."""
    caption = f"{document.title}. {DOCUMENT_CAPTION}"
    if utf16_len(caption) > TELEGRAM_CAPTION_LIMIT:
        caption = DOCUMENT_CAPTION
    return escape(caption)


def html_plain(text: str) -> str:
    """What the user sees of an HTML message we built (tags dropped, entities undone)."""
    return html.unescape(_TAG.sub("", text))


def answered_text(question_html: str, question_plain: str, answer: str) -> str | None:
    """The question message as it reads once answered, or None if that is too long."""
    addition = [Span("\n\n"), Span(ANSWERED_MARK), Span(answer, "b")]
    if utf16_len(question_plain) + utf16_len(plain(addition)) > TELEGRAM_TEXT_LIMIT:
        return None
    return question_html + to_html(addition)


def undone_text(question_html: str) -> str | None:
    """An answered question after ``terug``: its answer is no longer the answer."""
    addition = [Span("\n\n"), Span(UNDONE_MARK), Span(UNDONE_TEXT, "i")]
    if utf16_len(html_plain(question_html)) + utf16_len(plain(addition)) > TELEGRAM_TEXT_LIMIT:
        return None
    return question_html + to_html(addition)
