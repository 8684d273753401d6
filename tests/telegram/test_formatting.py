"""Splitting, escaping, callback data and keyboards: the pure parts of the channel."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.channels.telegram import rendering
from bot.channels.telegram.adapter import typed_answer
from bot.channels.telegram.bounded import BoundedMap
from bot.channels.telegram.callbacks import (
    CALLBACK_DATA_LIMIT,
    ActionPress,
    CallbackCodec,
    DonePress,
    OptionPress,
)
from bot.channels.telegram.keyboards import (
    actions_keyboard,
    ask_keyboard,
    button_label,
    selected_labels,
)
from bot.channels.telegram.splitting import (
    TELEGRAM_TEXT_LIMIT,
    Span,
    split_html,
    split_ranges,
    utf16_len,
)
from bot.engine.messages import Ask, Choice, Document, Progress, QuestionKind, Say
from tests.telegram.botapi import TelegramHtmlError, parse_html, visible_text

TRICKY = st.sampled_from(["<", ">", "&", "&amp;", "<b>", "😀", "👩‍👧", "é", " ", "\n", "\n\n", "x"])
TEXTS = st.lists(st.one_of(TRICKY, st.text(max_size=30)), max_size=200).map("".join)


def squash(text: str) -> str:
    return "".join(text.split())


# ---------------------------------------------------------------- splitting


def test_utf16_len_counts_emoji_twice() -> None:
    assert utf16_len("abc") == 3
    assert utf16_len("é") == 1
    assert utf16_len("😀") == 2
    assert utf16_len("👩‍👧") == 5  # woman, zero-width joiner, girl


def test_short_text_is_one_part() -> None:
    assert split_html([Span("Hallo <wereld> & 😀")]) == ["Hallo &lt;wereld&gt; &amp; 😀"]


def test_splits_prefer_paragraphs_then_lines_then_spaces() -> None:
    text = "a" * 60 + "\n\n" + "b" * 30 + "\n" + "c" * 30
    parts = split_ranges(text, limit=100)
    assert [text[s:e] for s, e in parts] == ["a" * 60, "b" * 30 + "\n" + "c" * 30]
    words = " ".join(["woord"] * 40)
    for s, e in split_ranges(words, limit=50):
        assert not text[s:e].startswith(" ")
        assert words[s:e].split() == words[s:e].split(" ")


def test_text_without_spaces_is_cut_hard_but_never_inside_an_emoji() -> None:
    text = "😀" * 3000  # 6,000 UTF-16 units
    parts = split_ranges(text)
    assert [utf16_len(text[s:e]) for s, e in parts] == [4096, 1904]


def test_limit_too_small_is_refused() -> None:
    with pytest.raises(ValueError, match="limit"):
        split_ranges("abc", limit=1)


@settings(max_examples=150, deadline=None)
@given(TEXTS, st.integers(min_value=2, max_value=300))
def test_split_never_loses_text_or_breaks_html(text: str, limit: int) -> None:
    spans = [Span(text[:10], "b"), Span(text[10:50]), Span(text[50:], "i")]
    parts = split_html(spans, limit=limit)
    seen = []
    for part in parts:
        visible, _ = parse_html(part)
        assert utf16_len(visible) <= limit
        seen.append(visible)
    assert squash("".join(seen)) == squash(text)


def test_full_size_message_with_escapes_fits() -> None:
    text = "<&>" * 2000  # 6,000 visible characters, 24,000 in HTML
    parts = split_html([Span(text)])
    assert len(parts) == 2
    assert [utf16_len(visible_text(p)) for p in parts] == [TELEGRAM_TEXT_LIMIT, 6000 - 4096]


# ---------------------------------------------------------------- the HTML checker


@pytest.mark.parametrize(
    "bad", ["a < b", "a & b", "<b>open", "</i>", "<script>x</script>", "<b><i>x</b></i>", " "]
)
def test_the_html_checker_refuses_what_telegram_refuses(bad: str) -> None:
    with pytest.raises(TelegramHtmlError):
        parse_html(bad)


def test_the_html_checker_gives_text_and_utf16_entities() -> None:
    text, entities = parse_html("😀 <b>vet &amp; zo</b>")
    assert text == "😀 vet & zo"
    assert [(e.type, e.offset, e.length) for e in entities] == [("bold", 3, 8)]


# ---------------------------------------------------------------- rendering


def test_ask_layout() -> None:
    ask = Ask(
        question_id="3",
        step="s",
        kind=QuestionKind.TEXT,
        text="Wat <speelt> er?",
        hint="Kort is goed.",
        error="Te lang & te veel.",
        progress=Progress(4, 12),
        help_article="uitleg",
        previous="Iets & zo",
    )
    (html,) = rendering.ask_messages(ask)
    assert html.startswith("⚠️ <i>Te lang &amp; te veel.</i>\n\n<i>Vraag 4 van ongeveer 12</i>\n")
    assert "<b>Wat &lt;speelt&gt; er?</b>" in html
    assert visible_text(html).splitlines()[4:] == [
        "Eerder gaf je: Iets & zo",
        "",
        "Kort is goed.",
        "Meer weten? Typ uitleg.",
    ]


def test_say_is_plain_and_escaped() -> None:
    assert rendering.say_messages(Say("1 < 2 & 3 > 2\nja")) == ["1 &lt; 2 &amp; 3 &gt; 2\nja"]


@pytest.mark.parametrize(
    ("given_name", "expected"),
    [
        ("vastlegging-2026-11-23.txt", "vastlegging-2026-11-23.txt"),
        ("vastlegging", "vastlegging.txt"),
        ("../../etc/passwd", "..-..-etc-passwd.txt"),
        ("  ", "vastlegging.txt"),
    ],
)
def test_document_filename(given_name: str, expected: str) -> None:
    doc = Document(title="T", text="x", markdown="x", filename=given_name, final=True)
    assert rendering.document_filename(doc) == expected


def test_document_caption_is_escaped() -> None:
    doc = Document(title="A <&> B", text="x", markdown="x", filename="v.txt", final=True)
    assert visible_text(rendering.document_caption(doc)).startswith("A <&> B.")


# ---------------------------------------------------------------- callback data


def test_short_keys_travel_in_the_button() -> None:
    codec = CallbackCodec()
    data = codec.buttons(1, "7", ["ja", "nee"])
    assert data == ["k|7|ja", "k|7|nee"]
    # a fresh codec (after a restart) still understands them
    assert CallbackCodec().decode(1, data[1]) == OptionPress("7", "nee")
    assert CallbackCodec().decode(1, codec.done("7")) == DonePress("7")


def test_long_keys_travel_as_an_index_per_chat() -> None:
    codec = CallbackCodec()
    long_key = "een-heel-lange-sleutel-" * 4
    data = codec.buttons(1, "7", ["kort", long_key])
    assert data == ["k|7|kort", "i|7|1"]
    assert codec.decode(1, "i|7|1") == OptionPress("7", long_key)
    assert codec.decode(2, "i|7|1") is None  # another chat's question 7 is another question
    assert codec.decode(1, "i|7|5") is None


def test_long_question_ids_become_tokens() -> None:
    codec = CallbackCodec()
    qid = "q" * 80
    data = codec.buttons(1, qid, ["a"])
    assert data[0].startswith("k|~")
    assert codec.decode(1, data[0]) == OptionPress(qid, "a")
    assert codec.decode(1, codec.done(qid)) == DonePress(qid)
    assert CallbackCodec().decode(1, data[0]) is None  # forgotten after a restart


@settings(max_examples=200, deadline=None)
@given(
    st.text(min_size=1, max_size=100),
    st.lists(st.text(min_size=1, max_size=80), min_size=1, max_size=8),
)
def test_callback_data_always_fits_and_round_trips(qid: str, keys: list[str]) -> None:
    codec = CallbackCodec()
    for index, data in enumerate(codec.buttons(9, qid, keys)):
        assert len(data.encode()) <= CALLBACK_DATA_LIMIT
        assert codec.decode(9, data) == OptionPress(qid, keys[index])
    done = codec.done(qid)
    assert len(done.encode()) <= CALLBACK_DATA_LIMIT
    assert codec.decode(9, done) == DonePress(qid)


def test_bounded_map_forgets_the_oldest() -> None:
    m: BoundedMap[int, str] = BoundedMap(2)
    m.put(1, "a")
    m.put(2, "b")
    assert m.get(1) == "a"  # 1 is now the most recent
    m.put(3, "c")
    assert (m.get(1), m.get(2), m.get(3)) == ("a", None, "c")
    assert len(m) == 2
    with pytest.raises(ValueError, match="size"):
        BoundedMap(0)


# ---------------------------------------------------------------- keyboards


def _multi(selected: tuple[str, ...]) -> Ask:
    return Ask(
        question_id="4",
        step="wie",
        kind=QuestionKind.MULTI,
        text="Wie?",
        choices=(Choice("a", "Huisarts"), Choice("b", "Een hele lange naam van een partner")),
        selected=selected,
    )


def test_multi_keyboard_marks_selection_and_has_klaar() -> None:
    codec = CallbackCodec()
    markup = ask_keyboard(_multi(("b",)), codec, 1)
    assert markup is not None
    rows = [[b.text for b in row] for row in markup.inline_keyboard]
    assert rows == [["Huisarts"], ["✅ Een hele lange naam van een partner"], ["Klaar"]]
    assert selected_labels(markup) == ["Een hele lange naam van een partner"]
    assert button_label(markup, "k|4|a") == "Huisarts"
    assert button_label(markup, "nope") is None


def test_yes_no_buttons_side_by_side_without_numbers() -> None:
    ask = Ask(
        question_id="5",
        step="ok",
        kind=QuestionKind.YESNO,
        text="Ok?",
        choices=(Choice("ja", "Ja"), Choice("nee", "Nee")),
    )
    markup = ask_keyboard(ask, CallbackCodec(), 1)
    assert markup is not None
    assert [[b.text for b in row] for row in markup.inline_keyboard] == [["Ja", "Nee"]]


def test_short_options_pair_up_and_long_ones_get_a_row() -> None:
    labels = ["Huisarts", "School", "Opschalen naar het Team complexe problematiek", "Politie"]
    labels += ["Wijkteam", "Kinderopvang", "Iets anders"]
    ask = Ask(
        question_id="7",
        step="wie",
        kind=QuestionKind.SINGLE,
        text="Wie?",
        choices=tuple(Choice(f"k{i}", label) for i, label in enumerate(labels)),
    )
    markup = ask_keyboard(ask, CallbackCodec(), 1)
    assert markup is not None
    rows = [[b.text for b in row] for row in markup.inline_keyboard]
    assert rows == [
        ["Huisarts", "School"],
        ["Opschalen naar het Team complexe problematiek"],
        ["Politie", "Wijkteam"],
        ["Kinderopvang", "Iets anders"],
    ]
    assert not any(label[0].isdigit() for row in rows for label in row)


def test_quick_reply_buttons_type_their_word() -> None:
    codec = CallbackCodec()
    markup = actions_keyboard(("meer", "x" * 80), ("Lees meer", "Lang"), codec)
    assert markup is not None
    buttons = [b for row in markup.inline_keyboard for b in row]
    assert [b.text for b in buttons] == ["Lees meer", "Lang"]
    for button, key in zip(buttons, ("meer", "x" * 80), strict=True):
        assert button.callback_data is not None
        assert len(button.callback_data.encode()) <= CALLBACK_DATA_LIMIT
        assert codec.decode(1, button.callback_data) == ActionPress(key)
    assert codec.decode(1, "a|~ffff") is None  # a forgotten long key
    assert actions_keyboard((), (), codec) is None


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("2", "School"),
        ("1 3", "Huisarts, Veilig Thuis"),
        ("school", "School"),
        ("veilig", "Veilig Thuis"),
        ("klaar", "Huisarts"),
        ("iets wat ik zelf typ", "iets wat ik zelf typ"),
        ("9", "9"),
    ],
)
def test_a_typed_answer_is_named_like_the_button(typed: str, shown: str) -> None:
    ask = Ask(
        question_id="8",
        step="wie",
        kind=QuestionKind.MULTI,
        text="Wie?",
        choices=(Choice("h", "Huisarts"), Choice("s", "School"), Choice("v", "Veilig Thuis")),
        selected=("h",),
    )
    assert typed_answer(ask, typed) == shown


def test_keyboards_are_built_once() -> None:
    codec = CallbackCodec()
    assert ask_keyboard(_multi(()), codec, 1) is ask_keyboard(_multi(()), codec, 2)
    text_question = Ask(question_id="6", step="t", kind=QuestionKind.TEXT, text="Wat?")
    assert ask_keyboard(text_question, codec, 1) is None
