"""Turn the service's replies into Matrix message contents.

Pure functions, no network: every reply becomes an ``m.room.message``
content with a plain ``body`` (what notifications and simple clients show)
and an ``org.matrix.custom.html`` ``formatted_body`` (what Element shows).
Matrix has no buttons here, so choices are a numbered list and the user types
a number or a label; Element's reactions are offered as quick answers to
yes/no questions and "klaar" (``QUICK_REACTIONS``). A question's plain body
starts with the question itself (what a notification preview shows), the
progress after it. Phone numbers in said texts are ``tel:`` links, quick
replies (``Say.actions``) a short "Typ: meer" line. All reply texts are
plain; they are escaped for HTML. A vastlegging's Markdown becomes HTML with
``markdown-it-py`` and is sanitised with ``nh3``.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence
from typing import Any

import nh3
from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict

from bot.engine.messages import Ask, Choice, Document, QuestionKind, Say, Stale

HTML_FORMAT = "org.matrix.custom.html"
SELECTED_MARK = "✅"

Content = dict[str, Any]

# Shown when the engine gave no hint of its own (it usually does).
DEFAULT_HINTS: dict[QuestionKind, str] = {
    QuestionKind.SINGLE: "Typ het nummer of het antwoord.",
    QuestionKind.MULTI: "Typ een of meer nummers, bijvoorbeeld: 1 3",
    QuestionKind.YESNO: "Typ ja of nee.",
}

HELP_ARTICLE_HINT = "Typ uitleg voor meer uitleg."

YES_REACTION = "👍"
NO_REACTION = "👎"
DONE_REACTION = "✅"
QUICK_REACTIONS: dict[QuestionKind, tuple[tuple[str, str], ...]] = {
    QuestionKind.YESNO: ((YES_REACTION, "ja"), (NO_REACTION, "nee")),
    QuestionKind.MULTI: ((DONE_REACTION, "klaar"),),
}
"""Reactions that answer a question of this kind, and the word each one stands for."""
REACTION_HINTS: dict[QuestionKind, str] = {
    QuestionKind.YESNO: f"Of tik {YES_REACTION} (ja) of {NO_REACTION} (nee) onder deze vraag.",
    QuestionKind.MULTI: f"Klaar met kiezen? Typ klaar of tik {DONE_REACTION} onder deze vraag.",
}

# Dutch phone numbers as the texts write them: 112, 0800-2000, 010-1234567, 06-12345678.
_PHONE = re.compile(r"(?<![\w-])(112|0800-?\d{4}|0900-?\d{4}|0\d{1,3}-?\d{6,8})(?![\w-])")


def _escape(text: str) -> str:
    """Escape plain text for HTML and keep its line breaks."""
    return html.escape(text, quote=False).replace("\n", "<br>")


def message(body: str, formatted: str, msgtype: str = "m.text") -> Content:
    """An ``m.room.message`` content with both a plain and an HTML body."""
    return {
        "msgtype": msgtype,
        "body": body,
        "format": HTML_FORMAT,
        "formatted_body": formatted,
    }


def _linked(text: str) -> str:
    """Escaped HTML with every phone number a ``tel:`` link (one tap to call)."""
    out: list[str] = []
    last = 0
    for match in _PHONE.finditer(text):
        out.append(_escape(text[last : match.start()]))
        number = match.group(1)
        digits = number.replace("-", "")
        out.append(f'<a href="tel:{digits}">{_escape(number)}</a>')
        last = match.end()
    out.append(_escape(text[last:]))
    return "".join(out)


def actions_line(say: Say) -> str:
    """The quick replies of a message as one line to type from: ``Typ: meer``."""
    return "Typ: " + " · ".join(action.key for action in say.actions) if say.actions else ""


def render_say(say: Say) -> Content:
    """A plain message; line breaks survive in both bodies, phone numbers are links."""
    body, formatted = say.text, _linked(say.text)
    line = actions_line(say)
    if line:
        keys = " · ".join(f"<b>{_escape(a.key)}</b>" for a in say.actions)
        body += f"\n\n{line}"
        formatted += f"<br><br><i>Typ: {keys}</i>"
    return message(body, formatted)


def render_stale(stale: Stale) -> Content:
    """Matrix has no buttons, so this is rare; show it as a quiet notice."""
    return message(stale.text, f"<i>{_escape(stale.text)}</i>", msgtype="m.notice")


def _choice_label(ask: Ask, choice: Choice) -> str:
    if ask.kind is QuestionKind.MULTI and choice.key in ask.selected:
        return f"{SELECTED_MARK} {choice.label}"
    return choice.label


def _hint(ask: Ask) -> str:
    return ask.hint or DEFAULT_HINTS.get(ask.kind, "")


def render_ask(ask: Ask, *, reactions: bool = False) -> Content:
    """A question: question, numbered choices, error, note, progress, hints.

    The plain body starts with the question, so a notification preview shows
    it (not a counter). The numbers are explicit in the plain body (``1. Ja``)
    and an ordered list in HTML, so "typ het nummer" works in every client.
    ``reactions``: the bot offers reactions as quick answers under it (say so).
    """
    plain: list[str] = [ask.text]
    rich: list[str] = [f"<p><b>{_escape(ask.text)}</b></p>"]
    if ask.kind is QuestionKind.SINGLE and len(ask.choices) == 1:
        # One option (e.g. "Klaar, maak de vastlegging" under a numbered overview,
        # where a number means "wijzig N"): no number of its own.
        plain += ["", f"→ {ask.choices[0].label}"]
        rich.append(f"<p>→ {_escape(ask.choices[0].label)}</p>")
    elif ask.choices:
        plain.append("")
        items: list[str] = []
        for number, choice in enumerate(ask.choices, start=1):
            label = _choice_label(ask, choice)
            plain.append(f"{number}. {label}")
            items.append(f"<li>{_escape(label)}</li>")
        rich.append("<ol>" + "".join(items) + "</ol>")
    if ask.error:
        plain += ["", f"⚠️ {ask.error}"]
        rich.append(f"<p>⚠️ <b>{_escape(ask.error)}</b></p>")
    if ask.note:
        # e.g. the selection so far ("Gekozen: ... Typ klaar"): a note, not a warning
        plain += ["", ask.note]
        rich.append(f"<p><b>{_escape(ask.note)}</b></p>")
    notes: list[str] = []
    if ask.progress is not None:
        notes.append(f"({ask.progress})")
    if ask.previous is not None and ask.previous != "":
        notes.append(f"Eerder antwoord: {ask.previous}")
    hint = _hint(ask)
    if hint:
        notes.append(hint)
    if ask.help_article and HELP_ARTICLE_HINT not in hint:
        notes.append(HELP_ARTICLE_HINT)
    if reactions and _single_option(ask):
        notes.append(f"Of tik {DONE_REACTION} onder deze vraag.")
    elif reactions and ask.kind in REACTION_HINTS:
        notes.append(REACTION_HINTS[ask.kind])
    if notes:
        plain.append("")
        plain += notes
        rich.append("<p><i>" + "<br>".join(_escape(n) for n in notes) + "</i></p>")
    return message("\n".join(plain), "".join(rich))


MATRIX_HTML_TAGS = frozenset(
    {"h2", "h3", "h4", "h5", "h6", "p", "b", "i", "del", "ul", "ol", "li", "br", "blockquote", "hr"}
)
"""What a vastlegging's HTML may contain (a subset of what Matrix allows)."""

# An asterisk between two letters or digits is a character, not emphasis
# ("3*4*5" stays as typed, as an answer in a template means it).
_INTRAWORD_STAR = re.compile(r"(?<=[^\W_])\*(?=[^\W_])")
_BETWEEN_TAGS = re.compile(r"\n+(?=<)|(?<=>)\n+")


def _rule(html_for: Callable[[Token], str]) -> Callable[..., str]:
    """A markdown-it render rule that writes ``html_for(token)``."""

    def render(
        renderer: RendererHTML,
        tokens: Sequence[Token],
        idx: int,
        options: OptionsDict,
        env: EnvType,
    ) -> str:
        return html_for(tokens[idx])

    return render


def _fixed(html_tag: str) -> Callable[[Token], str]:
    return lambda _token: html_tag


def _heading_level(token: Token) -> int:
    return min(int(token.tag[1:]) + 1, 6)  # h1 is too loud in a chat


def _markdown_parser() -> MarkdownIt:
    """CommonMark without raw HTML, links, images or code (the templates need none of
    them, and an answer in a template must not become one), Matrix's tags."""
    parser = MarkdownIt("commonmark", {"html": False, "breaks": True})
    parser.disable(
        [
            "code",
            "fence",
            "reference",
            "html_block",
            "backticks",
            "link",
            "image",
            "autolink",
            "html_inline",
            "entity",
        ]
    )
    for name, html_tag in (
        ("strong_open", "<b>"),
        ("strong_close", "</b>"),
        ("em_open", "<i>"),
        ("em_close", "</i>"),
        ("softbreak", "<br>"),
        ("hardbreak", "<br>"),
    ):
        parser.add_render_rule(name, _rule(_fixed(html_tag)))
    parser.add_render_rule("heading_open", _rule(lambda t: f"<h{_heading_level(t)}>"))
    parser.add_render_rule("heading_close", _rule(lambda t: f"</h{_heading_level(t)}>"))
    return parser


_MARKDOWN = _markdown_parser()


def markdown_html(markdown: str) -> str:
    """A summary template's Markdown as Matrix HTML: ``markdown-it-py`` renders it
    (raw HTML off, so a template or an answer in it cannot inject markup) and
    ``nh3`` keeps only :data:`MATRIX_HTML_TAGS`, without attributes."""
    rendered = _MARKDOWN.render(_INTRAWORD_STAR.sub(r"\\*", markdown))
    return nh3.clean(
        _BETWEEN_TAGS.sub("", rendered), tags=set(MATRIX_HTML_TAGS), attributes={}, link_rel=None
    )


def _single_option(ask: Ask) -> bool:
    return ask.kind is QuestionKind.SINGLE and len(ask.choices) == 1


def reactions_for(ask: Ask) -> tuple[tuple[str, str], ...]:
    """The reactions that answer this question (emoji, word), if any: 👍/👎 for yes or
    no, ✅ for "klaar" under a multiple choice, ✅ for the only option of a question."""
    if _single_option(ask):
        return ((DONE_REACTION, ask.choices[0].key),)
    return QUICK_REACTIONS.get(ask.kind, ())


def edit_content(original_event_id: str, content: Content) -> Content:
    """An ``m.replace`` edit of one of the bot's messages (Element shows it in place).

    The outer ``body`` is the fallback for clients without edits: ``* `` and
    the new text, as the spec suggests.
    """
    new = dict(content)
    fallback = dict(content)
    fallback["body"] = f"* {content['body']}"
    if "formatted_body" in content:
        fallback["formatted_body"] = f"* {content['formatted_body']}"
    fallback["m.new_content"] = new
    fallback["m.relates_to"] = {"rel_type": "m.replace", "event_id": original_event_id}
    return fallback


def in_thread(content: Content, root_event_id: str, last_event_id: str) -> Content:
    """``content`` as a message in the thread under ``root_event_id`` (an article's pages)."""
    threaded = dict(content)
    threaded["m.relates_to"] = {
        "rel_type": "m.thread",
        "event_id": root_event_id,
        "is_falling_back": True,
        "m.in_reply_to": {"event_id": last_event_id},
    }
    return threaded


def render_document(document: Document) -> Content:
    """A vastlegging (or its draft) as one formatted message.

    The plain ``text`` is what a professional pastes into a client file, so it
    is the body; Element shows the Markdown version as HTML under the title.
    """
    body = f"{document.title}\n\n{document.text}"
    rich = markdown_html(document.markdown) if document.markdown.strip() else ""
    if not rich:
        rich = f"<p>{_escape(document.text.rstrip())}</p>"
    formatted = f"<p><b>{_escape(document.title)}</b></p>{rich}"
    return message(body, formatted)


def document_file(document: Document) -> tuple[str, bytes]:
    """The attachment for a final vastlegging: a ``.txt`` name and UTF-8 bytes."""
    filename = document.filename if document.filename.endswith(".txt") else "vastlegging.txt"
    text = document.text if document.text.endswith("\n") else document.text + "\n"
    return filename, text.encode("utf-8")


def file_content(filename: str, size: int, url: str | None, file: dict[str, Any] | None) -> Content:
    """An ``m.file`` message; an encrypted upload goes in ``file``, a plain one in ``url``."""
    content: Content = {
        "msgtype": "m.file",
        "body": filename,
        "filename": filename,
        "info": {"mimetype": "text/plain", "size": size},
    }
    if file is not None:
        content["file"] = file
    else:
        content["url"] = url
    return content
