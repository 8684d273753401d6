"""What a professional on a phone meets: dates that mean what they typed,
forgiving choices, a ``hulp`` that explains the question, short replies at the
menu and after the end, a review in sections, articles in pages, and a
progress hint that does not jump."""

from __future__ import annotations

from datetime import date, datetime
from itertools import pairwise

from bot.channels.text import reply_text
from bot.engine import texts
from bot.engine.messages import Ask, Say
from bot.engine.runner import REVIEW_STEP
from bot.engine.state import EntryKind, Mode
from bot.engine.walker import SECTION_STEP
from bot.flowspec.compile import compile_book
from bot.flowspec.graph import FlowBook
from bot.knowledge.base import Article, KnowledgeBase
from tests.support.chat import EngineChat

NOW = datetime(2026, 12, 2, 10, 0)  # a Wednesday

MAIN = """
id: main
version: "1"
title: Hoofdflow
case_code: code
steps:
  - id: welkom
    say: Welkom bij de test.
  - id: code
    ask: text
    text: Wat is je casuscode?
    max_length: 20
    why: Zo vind je de vastlegging terug in het dossier.
    example: C-1234
  - id: deel_a
    call: deel-a
  - id: deel_b
    call: deel-b
  - id: einde
    end: demo
"""

PART_A = """
id: deel-a
version: "1"
title: Het overleg
menu: false
steps:
  - id: kop
    say: Eerst het overleg.
  - id: eens
    ask: choice
    text: Zijn jullie het eens?
    choices:
      eens: Ja, we zijn het eens
      deels: Deels
      oneens: Nee, we zijn het niet eens
  - id: advies
    when: eens == 'oneens'
    advise: Bespreek het verschil met een derde.
    record: Verschil besproken met een derde.
  - id: wanneer
    ask: date
    prefer: past
    text: Wanneer hebben jullie overlegd?
  - id: wat
    ask: text
    text: Wat is het dilemma?
  - id: einde
    end: demo
"""

PART_B = """
id: deel-b
version: "1"
title: Toestemming
menu: false
steps:
  - id: leeftijd
    ask: choice
    text: Hoe oud is de jongere?
    help: toestemming
    choices:
      onder-12: Jonger dan 12 jaar
      12-15: 12 tot en met 15 jaar
      16-17: 16 of 17 jaar
      18+: 18 jaar of ouder
  - id: soort
    ask: choice
    text: Welke hulp?
    choices:
      ambulant: Ambulante hulp thuis
      ambulant_school: Ambulante hulp op school
      residentieel: Residentiële hulp
  - id: vragen
    ask: date
    text: Wanneer vraag je toestemming?
  - id: einde
    end: demo
"""

TEMPLATE = "Vastlegging {{ answers.code }}\n"


def book() -> FlowBook:
    return compile_book(
        {
            "main.yaml": MAIN,
            "deel-a.yaml": PART_A,
            "deel-b.yaml": PART_B,
            "templates/demo.txt.j2": TEMPLATE,
            "templates/demo.md.j2": TEMPLATE,
        }
    )


BOOK = book()
LONG_BODY = "\n\n".join(
    f"Alinea {n}. " + " ".join(["Dit is een zin over toestemming vragen."] * 6) for n in range(6)
)
KNOWLEDGE = KnowledgeBase(
    [
        Article(
            "toestemming",
            "Toestemming vragen",
            ("toestemming",),
            ("Bron – z.j.",),
            date(2026, 11, 23),
            LONG_BODY,
            summary="Vraag eerst toestemming. Zeg wat je deelt, met wie en waarom.",
        ),
        Article(
            "privacy",
            "Privacy",
            ("privacy",),
            ("Bron – z.j.",),
            date(2026, 11, 23),
            LONG_BODY,
        ),
    ]
)


def chat() -> EngineChat:
    c = EngineChat(BOOK, now=NOW, knowledge=KNOWLEDGE)
    c.start("main")
    return c


def to_date(c: EngineChat) -> None:
    c.say("C-1", "1")
    assert c.ask.step == "wanneer"


def to_review(c: EngineChat) -> None:
    to_date(c)
    c.say("gisteren", "Moeder wil stoppen met de hulp", "14", "1", "morgen")
    assert c.state.mode is Mode.REVIEW


def answer(c: EngineChat, step: str) -> object:
    return next(e.value for e in c.state.log if e.path[-1] == step and e.answered)


# ---------------------------------------------------------------- dates


def test_a_past_date_question_refuses_a_future_date_and_says_why() -> None:
    c = chat()
    to_date(c)
    c.say("morgen")
    assert c.ask.step == "wanneer"
    assert "donderdag 3 december 2026" in c.ask.error
    assert "vandaag of eerder" in c.ask.error
    assert "vandaag of eerder" in c.ask.hint


def test_a_future_date_question_refuses_a_past_date() -> None:
    c = chat()
    to_date(c)
    c.say("gisteren", "Moeder wil stoppen", "14", "1", "vorige week vrijdag")
    assert c.ask.step == "vragen"
    assert "vrijdag 27 november 2026 is al voorbij" in c.ask.error


def test_today_is_fine_for_both_kinds() -> None:
    c = chat()
    to_date(c)
    c.say("vandaag", "Moeder wil stoppen", "14", "1", "vandaag")
    assert c.state.mode is Mode.REVIEW


def test_numbers_alone_impossible_and_ambiguous_dates_are_asked_again() -> None:
    c = chat()
    to_date(c)
    for typed, error in [
        ("99", texts.ERR_DATE_NUMBER),
        ("5", texts.ERR_DATE_NUMBER),
        ("31-2", texts.ERR_DATE_IMPOSSIBLE),
        ("5 1", texts.ERR_DATE_AMBIGUOUS),
        ("geen idee", texts.ERR_DATE),
    ]:
        c.say(typed)
        assert c.ask.step == "wanneer", typed
        assert c.ask.error == error, typed


def test_the_date_understood_is_echoed_in_the_next_message() -> None:
    c = chat()
    to_date(c)
    c.say("vorige week vrijdag")
    assert answer(c, "wanneer") == "2026-11-27"
    assert c.ask.step == "wat"
    assert c.ask.note.startswith("Genoteerd: vrijdag 27 november 2026.")
    assert reply_text(c.ask).startswith("Genoteerd: vrijdag 27 november 2026.")


def test_the_echo_opens_a_text_said_after_the_date() -> None:
    c = chat()
    c.say("C-1", "1", "gisteren", "Moeder wil stoppen", "14", "1")
    replies = c.say("volgende week dinsdag")
    assert c.state.mode is Mode.REVIEW
    first = replies[0]
    assert isinstance(first, Ask) and first.note.startswith("Genoteerd: dinsdag 8 december 2026.")


# ---------------------------------------------------------------- choices


def test_the_first_word_of_an_option_picks_it() -> None:
    c = chat()
    c.say("C-1", "ja")
    assert answer(c, "eens") == "eens"
    c = chat()
    c.say("C-1", "nee")
    assert answer(c, "eens") == "oneens"


def test_a_close_typo_picks_the_option() -> None:
    c = chat()
    c.say("C-1", "deesl")
    assert answer(c, "eens") == "deels"


def test_two_options_that_fit_are_asked_back() -> None:
    c = chat()
    to_date(c)
    c.say("gisteren", "Moeder wil stoppen", "14", "ambulante hulp")
    assert c.ask.step == "soort"
    assert "Welke bedoel je" in c.ask.error
    assert "1. Ambulante hulp thuis" in c.ask.error and "2. Ambulante hulp op school" in c.ask.error


def test_an_age_picks_the_range_but_an_option_number_stays_an_option() -> None:
    for typed, key in [
        ("14", "12-15"),
        ("14 jaar", "12-15"),
        ("veertien", "12-15"),
        ("16", "16-17"),
        ("23 jaar", "18+"),
        ("7 jaar", "onder-12"),
        ("3", "16-17"),  # option 3, not an age of 3
        ("1", "onder-12"),
    ]:
        c = chat()
        to_date(c)
        c.say("gisteren", "Moeder wil stoppen", typed)
        assert answer(c, "leeftijd") == key, typed


def test_a_single_emoji_or_character_is_not_a_description() -> None:
    c = chat()
    to_date(c)
    c.say("gisteren")
    for typed in ("👍", "x", "?!"):
        c.say(typed)
        assert c.ask.step == "wat"
        assert c.ask.error == texts.ERR_TEXT_TOO_SHORT


# ---------------------------------------------------------------- hulp, menu, end


def test_hulp_explains_the_question_then_lists_the_commands() -> None:
    c = chat()
    c.say("hulp")
    help_text = c.texts[0]
    assert "Zo vind je de vastlegging terug in het dossier." in help_text
    assert "Bijvoorbeeld: C-1234" in help_text
    for word in ("nieuw", "verder", "terug", "wijzig", "uitleg", "kennis", "nood", "stop"):
        assert f"{word} –" in help_text or f"; {word} –" in help_text, word
    assert "opnieuw –" not in help_text
    assert len(help_text) <= 600
    assert c.ask.step == "code"


def test_hulp_without_why_says_how_to_answer() -> None:
    c = chat()
    c.say("C-1", "hulp")
    assert c.texts[0].startswith("Zo antwoord je:")


def test_opnieuw_and_nieuw_both_restart() -> None:
    for word in ("nieuw", "opnieuw"):
        c = chat()
        c.say(word)
        assert c.ask.text == texts.CONFIRM_RESTART


def test_an_unknown_answer_at_the_menu_gets_a_short_line() -> None:
    c = EngineChat(BOOK, now=NOW)
    c.say("start")
    replies = c.say("hoi daar")
    assert len(replies) == 1
    assert c.ask.error == "Kies 1 tot en met 1."
    assert c.texts == []


def test_after_the_end_any_message_gets_one_short_line() -> None:
    c = chat()
    to_review(c)
    c.say("klaar")
    replies = c.say("dankjewel")
    assert replies == [Say(texts.ENDED)]
    replies = c.say("1")
    assert replies == [Say(texts.ENDED)]
    c.say("nieuw")
    assert c.ask.step == "menu"
    assert not any("Welkom" in t for t in c.texts)


def test_the_welcome_names_the_emergency_numbers_once() -> None:
    c = EngineChat(BOOK, now=NOW)
    c.say("start")
    (welcome,) = c.texts
    assert welcome.count("112") == 1 and welcome.count("0800-2000") == 1
    assert len(welcome) <= 600


# ---------------------------------------------------------------- review


def test_the_review_is_a_short_list_of_sections_then_the_vastlegging_once() -> None:
    c = chat()
    to_review(c)
    review = c.ask
    assert review.step == REVIEW_STEP
    assert [ch.label for ch in review.choices] == [
        texts.REVIEW_DONE_LABEL,
        "Algemeen (1)",
        "Het overleg (3)",
        "Toestemming (3)",
    ]
    assert c.documents == []
    assert len(reply_text(review)) <= 600
    c.say("3")
    section = c.ask
    assert section.step == SECTION_STEP
    assert section.text.startswith("Het overleg.")
    labels = [ch.label for ch in section.choices]
    assert "1. Zijn jullie het eens? → Ja, we zijn het eens" in section.text
    assert labels[0] == "Wijzig 1"
    assert all(len(label) <= 24 for label in labels)
    assert labels[-1] == texts.REVIEW_BACK_LABEL
    c.say("terug")
    assert c.ask.step == REVIEW_STEP
    c.say("klaar")
    assert [d.final for d in c.documents] == [True]
    assert len(c.records) == 1


def test_wijzig_in_a_section_replays_no_text_or_advice_already_seen() -> None:
    c = chat()
    c.say("C-1", "nee")  # advice shown
    assert any("derde" in t for t in c.texts)
    c.say("gisteren", "Moeder wil stoppen", "14", "1", "morgen")
    c.say("3", "3")  # section "Het overleg", its third answer: wat
    assert c.ask.step == "wat"
    assert c.ask.note == texts.CHANGED_KEPT
    replies = c.say("Vader wil stoppen met de hulp")
    assert c.state.mode is Mode.REVIEW
    assert [r for r in replies if isinstance(r, Say)] == []
    advice = [e for e in c.state.log if e.kind is EntryKind.ADVICE]
    assert len(advice) == 1


def test_wijzig_that_changes_what_an_advice_reads_shows_it() -> None:
    c = chat()
    to_review(c)
    c.say("3", "1", "nee")  # eens -> oneens: the advice is new
    assert any("derde" in t for t in c.texts)


# ---------------------------------------------------------------- articles


def test_uitleg_opens_with_the_summary_and_meer_pages_the_rest() -> None:
    c = chat()
    to_date(c)
    c.say("gisteren", "Moeder wil stoppen")
    before = c.state
    c.say("uitleg")
    assert c.state == before  # uitleg changes nothing; meer finds the article again
    first = next(r for r in c.last.replies if isinstance(r, Say))  # type: ignore[union-attr]
    assert first.text.startswith("Toestemming vragen\n\nVraag eerst toestemming.")
    assert first.article == "toestemming"
    assert [a.key for a in first.actions] == ["meer"]
    assert reply_text(first).endswith("Typ: meer")
    c.say("meer")
    rest = [r for r in c.last.replies if isinstance(r, Say)]  # type: ignore[union-attr]
    assert len(rest) > 1
    assert all(len(r.text) <= 600 and r.article == "toestemming" for r in rest)
    assert "Gecontroleerd op" in rest[-1].text
    joined = "\n\n".join(r.text for r in rest)
    for n in range(6):
        assert f"Alinea {n}." in joined
    assert c.ask.step == "leeftijd"
    c.say("14")  # an answer, not a page
    assert answer(c, "leeftijd") == "12-15"


def test_kennis_then_meer_reads_that_article() -> None:
    c = chat()
    c.say("kennis privacy")
    assert c.state.reading == "privacy"
    c.say("meer")
    rest = c.texts
    assert rest and all(len(t) <= 600 for t in rest)
    assert "Alinea 5." in "\n".join(rest)
    assert c.state.reading is None
    assert c.ask.step == "code"


def test_an_article_without_summary_opens_with_its_first_paragraphs() -> None:
    c = chat()
    c.say("kennis privacy")
    first = c.texts[0]
    assert first.startswith("Privacy\n\nAlinea 0.")
    assert len(first) <= 600
    assert first.rstrip().endswith(".")


# ---------------------------------------------------------------- progress


def test_a_flow_of_parts_names_the_part_after_the_question() -> None:
    c = chat()
    assert str(c.ask.progress) == "Hoofdflow"
    c.say("C-1")
    assert str(c.ask.progress) == "deel 1 van 2: Het overleg"
    text = reply_text(c.ask)
    assert text.index("Zijn jullie het eens?") < text.index("deel 1 van 2")
    c.say("1", "gisteren", "Moeder wil stoppen")
    assert str(c.ask.progress) == "deel 2 van 2: Toestemming"


def test_hulp_with_a_long_why_still_fits_a_phone() -> None:
    long_main = MAIN.replace(
        "why: Zo vind je de vastlegging terug in het dossier.",
        "why: " + "Zo vind je de vastlegging terug in het dossier. " * 12,
    )
    long_book = compile_book(
        {
            "main.yaml": long_main,
            "deel-a.yaml": PART_A,
            "deel-b.yaml": PART_B,
            "templates/demo.txt.j2": TEMPLATE,
            "templates/demo.md.j2": TEMPLATE,
        }
    )
    c = EngineChat(long_book, now=NOW)
    c.start("main")
    c.say("hulp")
    (help_text,) = c.texts
    assert len(help_text) <= 600
    assert "Bijvoorbeeld: C-1234" in help_text
    for word in ("nieuw", "verder", "terug", "wijzig", "uitleg", "kennis", "nood", "stop"):
        assert word in help_text


def test_a_photo_on_a_chat_without_encryption_gets_advice_to_delete_it() -> None:
    from bot.engine.messages import ChannelTraits, Unsupported

    c = EngineChat(BOOK, now=NOW, traits=ChannelTraits("telegram", buttons=True))
    c.start("main")
    c.send(Unsupported("photo"))
    assert c.texts == [texts.UNSUPPORTED_NOT_ENCRYPTED]
    assert "verwijder" in c.texts[0]
    private = EngineChat(BOOK, now=NOW, traits=ChannelTraits("matrix", end_to_end_encrypted=True))
    private.start("main")
    private.send(Unsupported("photo"))
    assert private.texts == [texts.UNSUPPORTED]


def test_a_flow_started_from_the_menu_does_not_welcome_twice() -> None:
    c = EngineChat(BOOK, now=NOW)
    c.say("start")
    assert len(c.texts) == 1 and "112" in c.texts[0]
    c.say("1")
    assert c.texts == []  # the flow's own "welkom" is left out
    assert c.ask.step == "code"
    direct = chat()  # started directly (chat --new, a link): the flow welcomes
    assert direct.texts == ["Welkom bij de test."]


LIST_FLOW = """
id: lijst
version: "1"
title: Lijst
steps:
  - id: wie
    ask: multi
    text: Wie moet dit weten?
    choices: {a: A, b: B, c: C, d: D, e: E, f: F}
  - id: per
    foreach: wie
    as: p
    steps:
      - id: weet
        ask: yesno
        text: Weet {{ p_label }} het al?
      - id: doel
        ask: text
        text: Waarom moet {{ p_label }} het weten?
      - id: wat
        ask: text
        text: Wat deel je met {{ p_label }}?
  - id: einde
    end: demo
"""


def test_the_count_never_goes_up_by_more_than_2_when_a_list_grows_the_flow() -> None:
    from bot.engine.walker import Walker

    list_book = compile_book(
        {
            "lijst.yaml": LIST_FLOW,
            "templates/demo.txt.j2": TEMPLATE,
            "templates/demo.md.j2": TEMPLATE,
        }
    )
    c = EngineChat(list_book, now=NOW)
    c.start("lijst")
    honest = Walker(list_book, c.ctx)
    assert c.ask.progress is not None
    shown = [c.ask.progress.total]
    estimates = [honest.counted_progress(c.state).total]
    c.say("1 2 3 4 5 6")
    while c.state.mode is Mode.ASKING:
        progress = c.ask.progress
        assert progress is not None and progress.counted
        shown.append(progress.total)
        estimates.append(honest.counted_progress(c.state).total)
        c.say("nee" if c.ask.kind.value == "yesno" else "een reden")
    assert max(b - a for a, b in pairwise(estimates)) > 2  # it would jump
    assert all(b <= a + 2 for a, b in pairwise(shown)), shown
    assert all(s >= n for n, s in enumerate(shown, start=1))  # never below the question number


def test_hulp_at_the_review_says_how_to_go_on() -> None:
    c = chat()
    to_review(c)
    c.say("hulp")
    assert texts.REVIEW_HINT in c.texts[0]
    assert c.ask.step == REVIEW_STEP


def test_the_review_works_with_buttons_too() -> None:
    from bot.engine.messages import ChoiceIn

    c = chat()
    to_review(c)
    c.send(ChoiceIn(c.ask.question_id, "deel-3"))
    assert c.ask.step == SECTION_STEP and c.ask.text.startswith("Toestemming.")
    key = c.ask.choices[0].key
    c.send(ChoiceIn(c.ask.question_id, key))
    assert c.ask.step == "leeftijd"
    c.say("16")
    assert c.state.mode is Mode.REVIEW
    c.send(ChoiceIn(c.ask.question_id, "klaar"))
    assert [d.final for d in c.documents] == [True]
