"""Search, lookup and plain-text rendering of the pure knowledge base."""

from __future__ import annotations

from datetime import date

import pytest

from bot.knowledge import Article, KnowledgeBase, count_words, normalise

DAY = date(2026, 11, 23)


def make(
    id: str, title: str, tags: tuple[str, ...] = (), body: str = "Tekst.", sources: int = 1
) -> Article:
    return Article(
        id=id,
        title=title,
        tags=tags,
        sources=tuple(f"Bron {i} – Organisatie – z.j." for i in range(1, sources + 1)),
        peildatum=DAY,
        body=body,
    )


@pytest.fixture
def kb() -> KnowledgeBase:
    return KnowledgeBase(
        [
            make("toestemming", "Toestemming vragen", ("privacy", "gezag")),
            make("delen-zonder-toestemming", "Delen zonder toestemming", ("meldrecht",)),
            make("beroepsgeheim", "Beroepsgeheim", ("zwijgplicht",), "Soms vraag je toestemming."),
            make("meldcode", "De meldcode", ("melden",), "Bespreek het met de cliënt."),
            make("acuut", "Acuut gevaar", ("112",), "Bel 112. Geïnformeerd handelen."),
        ]
    )


def ids(articles: list[Article]) -> list[str]:
    return [a.id for a in articles]


def test_exact_id_first_then_id_title_tag_matches_then_body_matches(kb: KnowledgeBase) -> None:
    assert ids(kb.search("toestemming")) == [
        "toestemming",
        "delen-zonder-toestemming",
        "beroepsgeheim",
    ]


def test_an_id_typed_with_spaces_is_an_exact_match(kb: KnowledgeBase) -> None:
    assert ids(kb.search("Delen zonder toestemming"))[0] == "delen-zonder-toestemming"


def test_a_tag_finds_its_article(kb: KnowledgeBase) -> None:
    assert ids(kb.search("gezag")) == ["toestemming"]
    assert ids(kb.search("ZWIJGPLICHT")) == ["beroepsgeheim"]


def test_accents_and_case_do_not_matter(kb: KnowledgeBase) -> None:
    assert ids(kb.search("client")) == ["meldcode"]
    assert ids(kb.search("CLIËNT")) == ["meldcode"]
    assert ids(kb.search("geinformeerd")) == ["acuut"]
    assert normalise("Cliënt Geïnformeerd") == "client geinformeerd"


def test_a_word_prefix_and_a_compound_part_match(kb: KnowledgeBase) -> None:
    assert ids(kb.search("meld")) == ["meldcode", "delen-zonder-toestemming"]
    assert ids(kb.search("geheim")) == ["beroepsgeheim"]


def test_all_words_in_title_or_tags_beat_some_words(kb: KnowledgeBase) -> None:
    # "toestemming privacy": both words only in toestemming's title/tags
    assert ids(kb.search("toestemming privacy")) == [
        "toestemming",
        "delen-zonder-toestemming",
        "beroepsgeheim",
    ]


def test_function_words_are_ignored(kb: KnowledgeBase) -> None:
    assert ids(kb.search("wat is de meldcode")) == ["meldcode"]
    assert ids(kb.search("wie")) == []


def test_nothing_found_and_empty_queries(kb: KnowledgeBase) -> None:
    assert kb.search("xyzzy") == []
    assert kb.search("") == []
    assert kb.search("  ?! ") == []


def test_get_ids_all_and_len(kb: KnowledgeBase) -> None:
    article = kb.get(" Toestemming ")
    assert article is not None
    assert article.title == "Toestemming vragen"
    assert kb.get("bestaat-niet") is None
    assert kb.ids() == frozenset(
        {"toestemming", "delen-zonder-toestemming", "beroepsgeheim", "meldcode", "acuut"}
    )
    assert len(kb) == 5
    assert [a.title for a in kb.all()] == [
        "Acuut gevaar",
        "Beroepsgeheim",
        "De meldcode",
        "Delen zonder toestemming",
        "Toestemming vragen",
    ]


def test_all_sorts_accents_like_plain_letters() -> None:
    kb = KnowledgeBase([make("b", "Ezel"), make("a", "Éénhoorn"), make("c", "Appel")])
    assert [a.title for a in kb.all()] == ["Appel", "Éénhoorn", "Ezel"]


def test_duplicate_ids_are_refused() -> None:
    with pytest.raises(ValueError, match="duplicate article id 'a'"):
        KnowledgeBase([make("a", "Een"), make("a", "Twee")])


def test_knowledge_base_is_immutable_and_accepts_any_sequence(kb: KnowledgeBase) -> None:
    assert isinstance(kb.articles, tuple)
    with pytest.raises(AttributeError):
        kb.articles = ()  # type: ignore[misc]


def test_count_words_counts_what_a_reader_sees() -> None:
    assert count_words("## Wie bel ik?\n\n- Veilig Thuis: 0800-2000 – dag en nacht") == 9
    assert count_words("Jeugdwet artikel 7.3.11, cliënt's dossier") == 5
    assert count_words("") == 0


def test_plain_body_and_message_for_channels_without_markup() -> None:
    article = make(
        "vb",
        "Voorbeeld",
        body="Eerste alinea.\n\n## In de praktijk\n\n- een punt\n- nog een punt",
        sources=2,
    )
    assert article.plain_body() == "Eerste alinea.\n\nIn de praktijk\n\n• een punt\n• nog een punt"
    assert article.as_message() == (
        "Voorbeeld\n\n"
        "Eerste alinea.\n\nIn de praktijk\n\n• een punt\n• nog een punt\n\n"
        "Bronnen:\n• Bron 1 – Organisatie – z.j.\n• Bron 2 – Organisatie – z.j.\n"
        "Gecontroleerd op 23 november 2026."
    )
    assert make("een", "Een").source_note().startswith("Bron:\n")
    assert article.as_message(with_sources=False).endswith("• nog een punt")


LONG = "\n\n".join(
    f"Alinea {n}. " + " ".join(f"Zin {n}.{m} gaat over delen." for m in range(30)) for n in range(4)
)


def test_pages_open_with_the_summary_and_hold_the_whole_body_then_the_sources() -> None:
    article = Article(
        id="a",
        title="Titel",
        tags=(),
        sources=("Bron – z.j.",),
        peildatum=DAY,
        body=LONG,
        summary="Kort gezegd: vraag toestemming.",
    )
    pages = article.pages()
    assert pages[0] == "Titel\n\nKort gezegd: vraag toestemming."
    assert all(len(page) <= 600 for page in pages)
    rest = "\n\n".join(pages[1:])
    for n in range(4):
        for m in range(30):
            assert f"Zin {n}.{m} gaat over delen." in rest
    assert pages[-1].endswith("Gecontroleerd op 23 november 2026.")


def test_without_a_summary_the_opening_is_the_first_whole_sentences() -> None:
    article = make("b", "Titel", body=LONG)
    opening, rest = article.opening()
    assert opening.startswith("Alinea 0. Zin 0.0")
    assert opening.endswith(".")  # cut at a sentence, not in a word
    assert len("Titel\n\n" + opening) <= 580  # room left for "meer"
    assert (opening + " " + rest.split("\n\n")[0]).startswith("Alinea 0.")
    assert rest.startswith("Zin 0.")
    pages = article.pages()
    assert all(len(page) <= 600 for page in pages)
    joined = " ".join(page.replace("\n\n", " ") for page in pages)
    for n in range(4):
        for m in range(30):
            assert f"Zin {n}.{m} gaat over delen." in joined


def test_a_short_article_is_one_page_with_its_sources() -> None:
    article = make("c", "Titel", body="Kort.")
    assert article.pages() == ("Titel\n\nKort.", article.source_note())
