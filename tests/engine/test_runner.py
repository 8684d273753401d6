"""The engine, driven like a user would, over the small fixture flows."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from bot.engine.messages import (
    Ask,
    ChannelTraits,
    ChoiceIn,
    DoneIn,
    QuestionKind,
    Stale,
    Unsupported,
)
from bot.engine.state import Mode
from tests.support.chat import EngineChat, fixture_book

BOOK = fixture_book()


def chat(**kwargs: object) -> EngineChat:
    c = EngineChat(BOOK, **kwargs)  # type: ignore[arg-type]
    c.start("demo")
    return c


def to_besproken(c: EngineChat, soort: str = "1") -> None:
    c.say("C-12", soort)
    if c.ask.step == "toelichting":
        c.say("ruzie over school")
    assert c.ask.step == "besproken"


def finish_default(c: EngineChat) -> None:
    to_besproken(c)
    c.say("ja", "1 2", "ja", "ja", "ja")
    assert c.state.mode is Mode.REVIEW


def test_start_says_welcome_then_asks_the_first_question() -> None:
    c = chat()
    assert c.texts == ["Welkom bij de demo."]
    assert c.ask.step == "code"
    assert str(c.ask.progress).startswith("vraag 1 van ongeveer ")


@pytest.mark.parametrize("answer", ["2", "Informatie delen", "  informatie   DELEN. ", "delen"])
def test_choices_by_number_label_or_key_case_and_space_insensitive(answer: str) -> None:
    c = chat()
    c.say("C-1", answer)
    assert [e.value for e in c.state.log if e.path == ("soort",)] == ["delen"]


def test_a_wrong_choice_gets_the_error_and_the_choices_in_one_message() -> None:
    c = chat()
    c.say("C-1")
    before = c.ask.question_id
    replies = c.send("7")
    assert len(replies) == 1
    ask = replies[0]
    assert isinstance(ask, Ask)
    assert ask.error and ask.step == "soort"
    assert [ch.label for ch in ask.choices] == [
        "Ingrijpen of niet",
        "Informatie delen",
        "Iets anders",
    ]
    assert ask.question_id == before


def test_yaml_words_like_no_stay_words() -> None:
    c = chat()
    c.say("C-1", "3")
    assert c.state.log[-1].value == "no"
    assert c.ask.step == "toelichting"


def test_when_skips_a_question_and_records_it_empty() -> None:
    c = chat()
    c.say("C-1", "1")
    assert c.ask.step == "besproken"
    skipped = [e for e in c.state.log if e.path == ("toelichting",)]
    assert skipped and skipped[0].value is None


def test_branching_on_an_answer() -> None:
    c = chat()
    to_besproken(c)
    c.say("nee")
    assert c.ask.step == "wanneer"
    c2 = chat()
    to_besproken(c2)
    c2.say("ja")
    assert c2.ask.step == "partners"


def test_terug_goes_back_along_the_real_history_not_the_file_order() -> None:
    c = chat()
    c.say("C-1", "3", "iets anders")
    assert c.ask.step == "besproken"
    c.say("terug")
    assert c.ask.step == "toelichting"
    assert c.ask.previous == "iets anders"
    c.say("terug")
    assert c.ask.step == "soort"
    c.say("1")  # now toelichting is not on the path
    assert c.ask.step == "besproken"
    c.say("terug")
    assert c.ask.step == "soort"


def test_terug_at_the_first_question_says_so() -> None:
    c = chat()
    c.say("terug")
    assert c.ask.step == "code"
    assert any("eerste vraag" in t for t in c.texts)


def test_terug_out_of_a_foreach_item_and_a_sub_flow() -> None:
    c = chat()
    to_besproken(c)
    c.say("ja", "1 2", "ja")
    assert c.ask.text == "Weet School het al?"
    c.say("terug")
    assert c.ask.text == "Weet Huisarts het al?"
    c.say("ja", "ja")
    assert c.ask.step == "akkoord"
    c.say("terug")
    assert c.ask.text == "Weet School het al?"


def test_opnieuw_asks_for_confirmation_first() -> None:
    c = chat()
    c.say("C-1", "opnieuw")
    assert c.ask.kind is QuestionKind.YESNO and c.state.mode is Mode.CONFIRM_RESTART
    c.say("nee")
    assert c.ask.step == "soort"
    c.say("opnieuw", "ja")
    assert c.ask.step == "code"
    assert c.state.log == ()


def test_stop_keeps_everything_and_verder_resumes() -> None:
    c = chat()
    c.say("C-1", "stop")
    assert c.state.mode is Mode.PAUSED
    c.say("iets")
    assert "gestopt" in c.ask.text.lower()
    c.say("verder")
    assert c.ask.step == "soort"
    assert c.state.log[-1].value == "C-1"


def test_nood_gives_numbers_and_asks_the_same_question_again() -> None:
    c = chat()
    c.say("C-1")
    qid = c.ask.question_id
    c.say("nood")
    joined = " ".join(c.texts)
    assert "112" in joined and "0800-2000" in joined and "achterwacht" in joined.lower()
    assert c.ask.step == "soort" and c.ask.question_id == qid


def test_hulp_says_what_can_be_typed_here() -> None:
    c = chat()
    c.say("C-1", "hulp")
    joined = " ".join(c.texts)
    assert "nummer" in joined and "terug" in joined and "stop" in joined
    assert c.ask.step == "soort"


@dataclass(frozen=True)
class FakeArticle:
    id: str
    title: str
    body: str

    def as_message(self) -> str:
        return f"{self.title}\n\n{self.body}"

    def pages(self) -> tuple[str, ...]:
        return (self.as_message(),)


class FakeKnowledge:
    def __init__(self) -> None:
        self.articles = [
            FakeArticle("uitleg-soort", "Soorten dilemma's", "Er zijn twee klassiekers.")
        ]

    def get(self, article_id: str) -> FakeArticle | None:
        return next((a for a in self.articles if a.id == article_id), None)

    def all(self) -> list[FakeArticle]:
        return self.articles

    def search(self, query: str) -> list[FakeArticle]:
        return [a for a in self.articles if query in a.id or query in a.body.lower()]


def test_uitleg_shows_the_steps_article_and_kennis_searches() -> None:
    c = chat(knowledge=FakeKnowledge())
    c.say("C-1", "uitleg")
    assert c.texts == ["Soorten dilemma's\n\nEr zijn twee klassiekers."]
    c.say("kennis")
    assert "kennis uitleg-soort" in c.texts[0]
    c.say("kennis klassiekers")
    assert c.texts[0].startswith("Soorten dilemma's")
    c.say("kennis onbekendwoord")
    assert "Geen artikel" in c.texts[0]
    assert c.ask.step == "soort"


def test_uitleg_without_an_article_says_so() -> None:
    c = chat()
    c.say("uitleg")
    assert "geen uitleg" in c.texts[0]


def test_foreach_asks_per_item_with_its_label() -> None:
    c = chat()
    to_besproken(c)
    c.say("ja", "huisarts, veilig thuis")
    assert c.ask.text == "Weet Huisarts het al?"
    c.say("nee")
    assert c.ask.text == "Waarom moet Huisarts het weten?"
    c.say("Zorgen over slaap", "ja")
    assert c.ask.step == "akkoord"
    tree = c.last and c.state.log
    assert tree


def test_a_sub_flow_input_is_not_asked_again() -> None:
    c = chat()
    to_besproken(c, "2")
    c.say("ja", "1", "ja")
    assert c.ask.step == "akkoord"
    assert c.ask.text == "Is de cliënt akkoord (delen)?"


def test_progress_counts_up() -> None:
    c = chat()
    first = c.ask.progress
    c.say("C-1")
    second = c.ask.progress
    assert first is not None and second is not None
    assert (first.current, second.current) == (1, 2)
    assert second.total >= second.current


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("vrijdag", "2026-11-27"),
        ("morgen", "2026-11-24"),
        ("12-3", "2027-03-12"),
        ("12 maart", "2027-03-12"),
    ],
)
def test_dutch_dates(typed: str, stored: str) -> None:
    c = chat()
    to_besproken(c)
    c.say("nee", typed)
    assert [e.value for e in c.state.log if e.path == ("wanneer",)] == [stored]


def test_a_date_that_is_not_a_date_is_refused() -> None:
    c = chat()
    to_besproken(c)
    c.say("nee", "als de zon schijnt")
    assert c.ask.step == "wanneer" and "datum" in c.ask.error


def test_free_text_limits_and_identifiers() -> None:
    c = chat()
    c.say("C" * 21)
    assert c.ask.step == "code" and "21 tekens" in c.ask.error
    c.say("111222333")
    assert "BSN" in c.ask.error
    c.say("jan@example.nl")
    assert "e-mailadres" in c.ask.error
    c.say("   ")
    assert c.ask.error


def test_unsupported_input_gets_help_not_a_crash() -> None:
    c = chat()
    c.send(Unsupported("sticker"))
    assert "alleen tekst" in c.texts[0]
    assert c.ask.step == "code"


def test_buttons_toggle_a_multiple_choice_and_stale_buttons_are_refused() -> None:
    c = chat(traits=ChannelTraits("telegram", buttons=True))
    to_besproken(c)
    c.say("ja")
    qid = c.ask.question_id
    c.send(ChoiceIn(qid, "huisarts"))
    assert c.ask.selected == ("huisarts",) and c.ask.question_id == qid
    c.send(ChoiceIn(qid, "vt"))
    c.send(ChoiceIn(qid, "huisarts"))
    assert c.ask.selected == ("vt",)
    c.send(DoneIn(qid))
    current = c.ask
    assert current.text == "Weet Veilig Thuis het al?"
    replies = c.send(ChoiceIn(qid, "school"))
    assert replies == [Stale()]
    c.send(ChoiceIn(current.question_id, "ja"))
    assert c.ask.step == "akkoord"


def test_typed_numbers_wait_for_klaar_when_the_channel_confirms() -> None:
    c = chat(traits=ChannelTraits("matrix", confirm_multi=True))
    to_besproken(c)
    c.say("ja", "1 3")
    assert c.ask.step == "partners" and c.ask.selected == ("huisarts", "vt")
    assert (
        c.ask.note == "Gekozen: Huisarts, Veilig Thuis. Typ klaar om door te gaan, of kies opnieuw."
    )
    assert not c.ask.error
    c.say("klaar")
    assert c.ask.text == "Weet Huisarts het al?"


def test_finishing_shows_a_short_review_then_the_vastlegging_once() -> None:
    c = chat()
    finish_default(c)
    assert c.documents == []  # no draft: the vastlegging comes once, at klaar
    assert [ch.label for ch in c.ask.choices] == [
        "Klaar, maak vastlegging",
        "Algemeen (1/2)",
        "Algemeen (2/2)",
        "Deelflow (1)",
    ]
    c.say("klaar")
    assert [d.final for d in c.documents] == [True]
    (record,) = c.records
    assert (record.flow_id, record.flow_version, record.flow_hash) == ("demo", "1", BOOK.hash)
    assert record.case_code == "C-12"
    assert record.answers["partners"] == ["huisarts", "school"]
    assert c.state.mode is Mode.IDLE and c.state.log == ()


def test_advice_records_the_answers_that_led_to_it() -> None:
    c = chat()
    to_besproken(c)
    c.say("nee", "vrijdag")
    assert "binnen een week" in c.texts[0]
    c.say("3", "nee", "nvt", "ja", "klaar")
    data = c.documents[0].data
    assert data["advice"] == [
        {
            "text": "Bespreek binnen een week met een collega.",
            "because": ["Heb je het met een collega besproken? Nee"],
        }
    ]


def test_wijzig_only_asks_the_questions_that_depend_on_the_change() -> None:
    c = chat()
    finish_default(c)
    asked: list[str] = []
    c.say("wijzig 2")  # soort
    assert c.ask.step == "soort" and c.ask.previous == "Ingrijpen of niet"
    c.say("2")
    asked.append(c.ask.step)
    # soort changed: toelichting stays skipped, besproken/partners/per-partner kept,
    # and only the sub-flow question that reads the changed input is asked again.
    assert asked == ["akkoord"]
    assert c.ask.text == "Is de cliënt akkoord (delen)?"
    c.say("nee")
    assert c.state.mode is Mode.REVIEW
    values = {"/".join(e.path): e.value for e in c.state.log}
    assert values["soort"] == "delen"
    assert values["besproken"] == "ja"
    assert values["per_partner/school/weet_al"] == "ja"
    assert values["sub/akkoord"] == "nee"


def test_wijzig_a_list_asks_only_for_the_new_item() -> None:
    c = chat()
    finish_default(c)
    c.say("wijzig 4")
    assert c.ask.step == "partners"
    c.say("1 2 3")
    assert c.ask.text == "Weet Veilig Thuis het al?"
    c.say("ja")
    assert c.state.mode is Mode.REVIEW


def test_wijzig_with_the_same_answer_changes_nothing_else() -> None:
    c = chat()
    finish_default(c)
    c.say("wijzig 3", "ja")
    assert c.state.mode is Mode.REVIEW


def test_wijzig_rejects_a_number_out_of_range_and_works_only_in_review() -> None:
    c = chat()
    c.say("wijzig 1")
    assert "aan het eind" in c.texts[0]
    finish_default(c)
    c.say("wijzig 99")
    assert "nummer" in c.ask.error


def test_start_shows_the_menu_and_a_choice_starts_the_flow() -> None:
    c = EngineChat(BOOK)
    c.say("start")
    assert c.ask.step == "menu"
    assert [ch.key for ch in c.ask.choices] == ["demo"]
    c.say("1")
    assert c.ask.step == "code"


def test_control_characters_never_reach_the_answer_log() -> None:
    c = chat()
    c.say("C-\x001\x07")
    assert [e.value for e in c.state.log if e.path == ("code",)] == ["C-1"]


def test_a_set_step_computes_once_and_is_recomputed_after_wijzig() -> None:
    c = EngineChat(BOOK)
    c.start("reken")
    c.say("1 2 3", "ja", "nee", "nee")
    values = {"/".join(e.path): e.value for e in c.state.log}
    assert values["nog_niet"] == ["school", "vt"]
    assert c.ask.text == "Heb je toestemming gevraagd om school te informeren?"
    c.say("ja", "nee")
    assert c.state.mode is Mode.REVIEW
    c.say("wijzig 3")  # school: does it know already?
    c.say("ja")
    # nog_niet is recomputed; only vt is left, and its answer is kept
    assert c.state.mode is Mode.REVIEW
    values = {"/".join(e.path): e.value for e in c.state.log}
    assert values["nog_niet"] == ["vt"]
    assert values["toestemming/vt/gevraagd"] == "nee"
    assert "toestemming/school/gevraagd" not in values
