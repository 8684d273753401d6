"""The pure parts of the Matrix channel: replies to message contents, events to ``Incoming``.

Events are built by nio's own parser from the JSON a homeserver sends, so
these tests see exactly the objects the channel sees.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from nio import Event, MegolmEvent

from bot.channels.matrix.parse import (
    Edited,
    Ignore,
    Reaction,
    Undecryptable,
    parse_event,
    strip_reply_fallback,
    text_to_incoming,
)
from bot.channels.matrix.render import (
    HTML_FORMAT,
    document_file,
    edit_content,
    file_content,
    in_thread,
    markdown_html,
    reactions_for,
    render_ask,
    render_document,
    render_say,
)
from bot.channels.matrix.sending import edits_in_place
from bot.engine.messages import (
    Ask,
    Choice,
    Document,
    Progress,
    QuestionKind,
    Say,
    TextIn,
    Unsupported,
)

BOT = "@voorkomen:localhost"
PRO = "@anna:localhost"


def _event(content: dict[str, Any], sender: str = PRO, kind: str = "m.room.message") -> Any:
    return Event.parse_event(
        {
            "type": kind,
            "event_id": "$e1",
            "sender": sender,
            "origin_server_ts": 1,
            "content": content,
        }
    )


# ------------------------------------------------------------ render


def test_say_keeps_line_breaks_and_escapes_html() -> None:
    content = render_say(Say("Regel 1 <b>\nRegel 2 & meer"))
    assert content == {
        "msgtype": "m.text",
        "body": "Regel 1 <b>\nRegel 2 & meer",
        "format": HTML_FORMAT,
        "formatted_body": "Regel 1 &lt;b&gt;<br>Regel 2 &amp; meer",
    }


def test_ask_starts_with_the_question_then_the_error_and_progress() -> None:
    ask = Ask(
        question_id="q7",
        step="soort",
        kind=QuestionKind.SINGLE,
        text="Wat voor dilemma is het?",
        choices=(Choice("ingrijpen", "Ingrijpen of niet"), Choice("delen", "Informatie delen")),
        error="Dat antwoord ken ik niet.",
        progress=Progress(2, 9),
        help_article="uitleg-soort",
        previous="Informatie delen",
    )
    content = render_ask(ask)
    assert content["body"].splitlines() == [
        "Wat voor dilemma is het?",
        "",
        "1. Ingrijpen of niet",
        "2. Informatie delen",
        "",
        "⚠️ Dat antwoord ken ik niet.",
        "",
        "(vraag 2 van ongeveer 9)",
        "Eerder antwoord: Informatie delen",
        "Typ het nummer of het antwoord.",
        "Typ uitleg voor meer uitleg.",
    ]
    html = content["formatted_body"]
    assert html.startswith("<p><b>Wat voor dilemma is het?</b></p>")
    assert html.index("Wat voor dilemma") < html.index("vraag 2 van ongeveer 9")
    assert "<ol><li>Ingrijpen of niet</li><li>Informatie delen</li></ol>" in html


def test_yes_no_offers_reactions_and_they_stand_for_words() -> None:
    ask = Ask(
        "q2",
        "ok",
        QuestionKind.YESNO,
        "Is het besproken?",
        choices=(Choice("ja", "Ja"), Choice("nee", "Nee")),
        hint="Typ ja of nee.",
    )
    assert dict(reactions_for(ask)) == {"👍": "ja", "👎": "nee"}
    assert render_ask(ask, reactions=True)["body"].endswith(
        "Of tik 👍 (ja) of 👎 (nee) onder deze vraag."
    )
    assert "👍" not in render_ask(ask)["body"]
    multi = Ask("q3", "wie", QuestionKind.MULTI, "Wie?", choices=(Choice("a", "A"),))
    assert dict(reactions_for(multi)) == {"✅": "klaar"}
    text = Ask("q4", "code", QuestionKind.TEXT, "Code?")
    assert reactions_for(text) == ()


def test_phone_numbers_are_tel_links_and_actions_a_typ_line() -> None:
    say = Say(
        "Bel 112 of Veilig Thuis: 0800-2000. Achterwacht: 010-1234567. Op 12-3 om 10.30 uur.",
        actions=(Choice("meer", "Lees verder"),),
    )
    content = render_say(say)
    html = content["formatted_body"]
    assert '<a href="tel:112">112</a>' in html
    assert '<a href="tel:08002000">0800-2000</a>' in html
    assert '<a href="tel:0101234567">010-1234567</a>' in html
    assert html.count("tel:") == 3  # dates and times are no phone numbers
    assert content["body"].endswith("\n\nTyp: meer")
    assert html.endswith("<i>Typ: <b>meer</b></i>")


def test_an_edit_and_a_thread_reply_carry_their_relations() -> None:
    content = render_say(Say("Deel 2"))
    edited = edit_content("$q", content)
    assert edited["body"] == "* Deel 2"
    assert edited["m.new_content"] == content
    assert edited["m.relates_to"] == {"rel_type": "m.replace", "event_id": "$q"}
    threaded = in_thread(content, "$root", "$last")
    assert threaded["m.relates_to"]["rel_type"] == "m.thread"
    assert threaded["m.relates_to"]["event_id"] == "$root"
    assert threaded["m.relates_to"]["m.in_reply_to"] == {"event_id": "$last"}


def test_only_a_changed_selection_edits_a_question_in_place() -> None:
    multi = Ask("4", "wie", QuestionKind.MULTI, "Wie?", choices=(Choice("a", "A"),))
    ticked = replace(multi, selected=("a",))
    assert edits_in_place(multi, ticked)
    assert not edits_in_place(None, ticked)
    assert not edits_in_place(ticked, ticked)  # asked again (hulp): a new message
    assert not edits_in_place(multi, replace(ticked, error="Kies er een."))
    assert not edits_in_place(multi, replace(ticked, question_id="5"))


def test_a_single_option_has_no_number_and_a_tick_reaction() -> None:
    review = Ask(
        "9",
        "overzicht",
        QuestionKind.SINGLE,
        "Klopt alles?",
        choices=(Choice("klaar", "Klaar, maak de vastlegging"),),
        hint="Typ klaar, of wijzig en een nummer.",
    )
    body = render_ask(review, reactions=True)["body"]
    assert body.splitlines()[:3] == ["Klopt alles?", "", "→ Klaar, maak de vastlegging"]
    assert "1." not in body  # under a numbered overview a number means "wijzig N"
    assert body.endswith("Of tik ✅ onder deze vraag.")
    assert "<ol>" not in render_ask(review)["formatted_body"]
    assert reactions_for(review) == (("✅", "klaar"),)


def test_free_text_question_has_no_list() -> None:
    ask = Ask("q1", "code", QuestionKind.TEXT, "Wat is je casuscode?", hint="Kort is goed.")
    content = render_ask(ask)
    assert content["body"] == "Wat is je casuscode?\n\nKort is goed."
    assert "<ol>" not in content["formatted_body"]


def test_document_body_is_the_plain_text_and_the_html_comes_from_markdown() -> None:
    document = Document(
        title="Vastlegging",
        text="Casus AB12\nBesluit: delen\n",
        markdown="# Casus AB12\n\n**Besluit:** delen <script>\n\n- huisarts\n- school\n",
        filename="vastlegging-AB12-2026-11-23.txt",
        final=True,
    )
    content = render_document(document)
    assert content["body"] == "Vastlegging\n\nCasus AB12\nBesluit: delen\n"
    assert content["formatted_body"] == (
        "<p><b>Vastlegging</b></p><h2>Casus AB12</h2>"
        "<p><b>Besluit:</b> delen &lt;script&gt;</p><ul><li>huisarts</li><li>school</li></ul>"
    )
    assert document_file(document) == (
        "vastlegging-AB12-2026-11-23.txt",
        b"Casus AB12\nBesluit: delen\n",
    )


def test_markdown_nested_bullets_and_backslash_escapes() -> None:
    markdown = "Casus **AB\\_12**\n\n- School\n  - Grond: toestemming\n- 3\\*4 \\# \\\\"
    assert markdown_html(markdown) == (
        "<p>Casus <b>AB_12</b></p>"
        "<ul><li>School<ul><li>Grond: toestemming</li></ul></li><li>3*4 # \\</li></ul>"
    )


def test_markdown_subset_leaves_other_characters_alone() -> None:
    assert markdown_html("3*4*5 en snake_case_naam") == "<p>3*4*5 en snake_case_naam</p>"
    assert markdown_html("*nadruk* en _ook_") == "<p><i>nadruk</i> en <i>ook</i></p>"


def test_file_content_puts_an_encrypted_file_in_file_and_a_plain_one_in_url() -> None:
    plain = file_content("v.txt", 10, "mxc://localhost/x", None)
    assert plain["url"] == "mxc://localhost/x"
    assert "file" not in plain
    encrypted = file_content("v.txt", 10, "mxc://localhost/x", {"url": "mxc://localhost/x"})
    assert encrypted["file"] == {"url": "mxc://localhost/x"}
    assert "url" not in encrypted


# ------------------------------------------------------------ parse


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("  1 3 4 ", "1 3 4"),
        ("/start", "start"),
        ("/Terug", "terug"),
        ("!verder", "verder"),
        ("/kennis meldcode", "kennis meldcode"),
        ("/nood@voorkomen", "nood"),
        ("/ niet een commando", "/ niet een commando"),
        ("wijzig 3", "wijzig 3"),
    ],
)
def test_text_and_commands(typed: str, expected: str) -> None:
    assert text_to_incoming(typed) == TextIn(expected)


def test_text_message_becomes_text_in() -> None:
    assert parse_event(_event({"msgtype": "m.text", "body": "ja"}), BOT) == TextIn("ja")


def test_a_reply_loses_its_quoted_fallback() -> None:
    event = _event(
        {
            "msgtype": "m.text",
            "body": "> <@voorkomen:localhost> Heb je het besproken?\n\nnee",
            "m.relates_to": {"m.in_reply_to": {"event_id": "$q"}},
        }
    )
    assert parse_event(event, BOT) == TextIn("nee")
    assert strip_reply_fallback("gewoon tekst") == "gewoon tekst"


@pytest.mark.parametrize(
    ("content", "kind", "what"),
    [
        ({"msgtype": "m.image", "body": "x.jpg", "url": "mxc://l/x"}, "m.room.message", "foto"),
        (
            {"msgtype": "m.audio", "body": "x.ogg", "url": "mxc://l/x"},
            "m.room.message",
            "geluidsbericht",
        ),
        ({"msgtype": "m.file", "body": "x.pdf", "url": "mxc://l/x"}, "m.room.message", "bestand"),
        (
            {"msgtype": "m.location", "body": "hier", "geo_uri": "geo:1,2"},
            "m.room.message",
            "locatie",
        ),
        ({"msgtype": "m.emote", "body": "zwaait"}, "m.room.message", "/me-bericht"),
        ({"body": "sticker", "url": "mxc://l/x", "info": {}}, "m.sticker", "sticker"),
    ],
)
def test_media_and_other_messages_are_unsupported(
    content: dict[str, Any], kind: str, what: str
) -> None:
    assert parse_event(_event(content, kind=kind), BOT) == Unsupported(what)


def test_what_needs_no_answer_is_ignored() -> None:
    assert isinstance(parse_event(_event({"msgtype": "m.text", "body": "ik"}, BOT), BOT), Ignore)
    notice = _event({"msgtype": "m.notice", "body": "andere bot"})
    assert isinstance(parse_event(notice, BOT), Ignore)
    own_reaction = _event(
        {"m.relates_to": {"rel_type": "m.annotation", "event_id": "$q", "key": "👍"}},
        BOT,
        kind="m.reaction",
    )
    assert isinstance(parse_event(own_reaction, BOT), Ignore)  # the bot's quick answers
    assert isinstance(parse_event(_event({"msgtype": "m.text", "body": "  "}), BOT), Ignore)


def test_a_reaction_is_recognised_without_its_variation_selector() -> None:
    reaction = _event(
        {"m.relates_to": {"rel_type": "m.annotation", "event_id": "$q", "key": "👍\ufe0f"}},
        kind="m.reaction",
    )
    assert parse_event(reaction, BOT) == Reaction("$q", "👍")


def test_an_edit_is_recognised() -> None:
    event = _event(
        {
            "msgtype": "m.text",
            "body": "* 2",
            "m.new_content": {"msgtype": "m.text", "body": "2"},
            "m.relates_to": {"rel_type": "m.replace", "event_id": "$q"},
        }
    )
    assert parse_event(event, BOT) == Edited()


def test_a_malformed_message_is_unsupported_not_an_exception() -> None:
    broken = _event({"msgtype": "m.text"})  # no body
    assert parse_event(broken, BOT) == Unsupported("bericht")


def test_an_undecryptable_message_is_reported() -> None:
    event = Event.parse_encrypted_event(
        {
            "type": "m.room.encrypted",
            "event_id": "$e2",
            "sender": PRO,
            "origin_server_ts": 1,
            "content": {
                "algorithm": "m.megolm.v1.aes-sha2",
                "ciphertext": "AwgAEn...",
                "device_id": "ABC",
                "sender_key": "key",
                "session_id": "session",
            },
        }
    )
    assert isinstance(event, MegolmEvent)
    assert parse_event(event, BOT) == Undecryptable()
