"""The shipped articles in ``knowledge/``: complete, short, safe and findable."""

from __future__ import annotations

import re
from datetime import date

import pytest

from bot.knowledge import MAX_WORDS, Article, KnowledgeBase, normalise
from bot.knowledge.loader import load_knowledge
from bot.settings import PROJECT_ROOT

KNOWLEDGE_DIR = PROJECT_ROOT / "knowledge"

# Flows link to these ids; renaming one breaks a flow.
REQUIRED_IDS = frozenset(
    {
        "vier-ogen",
        "wie-weten",
        "toestemming",
        "delen-zonder-toestemming",
        "conflict-van-plichten",
        "beroepsgeheim",
        "opschalen",
        "leerreview",
        "calamiteiten",
        "incidentenbeleid",
        "meldcode",
        "acute-onveiligheid",
        "veilig-thuis",
        "kindcheck",
        "dilemmas",
        "regelreflex",
        "goed-vastleggen",
        "privacy",
        "nazorg",
        "veilig-communiceren",
    }
)

# The bot never tells a professional not to report (safety rule).
FORBIDDEN = re.compile(
    r"\bniet\s+(?:te\s+)?melden\b|\bmeld\s+(?:het\s+)?niet\b|\bniet\s+gemeld\s+(?:te\s+)?worden\b"
    r"|\bhoeft\s+(?:het\s+)?niet\s+(?:te\s+)?(?:worden\s+)?gemeld\b"
)


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_knowledge(KNOWLEDGE_DIR)


def articles() -> list[Article]:
    return load_knowledge(KNOWLEDGE_DIR).all()


def test_every_shipped_article_loads_and_every_required_id_exists(kb: KnowledgeBase) -> None:
    assert kb.ids() == REQUIRED_IDS


@pytest.mark.parametrize("article", articles(), ids=lambda a: a.id)
def test_article_is_short_enough_for_a_phone(article: Article) -> None:
    assert 0 < article.word_count <= MAX_WORDS


@pytest.mark.parametrize("article", articles(), ids=lambda a: a.id)
def test_article_never_says_do_not_report(article: Article) -> None:
    text = " ".join(normalise(f"{article.title}\n{article.body}").split())
    assert "niet melden" not in text
    assert "meld niet" not in text
    assert FORBIDDEN.search(text) is None


def test_the_forbidden_pattern_catches_what_it_should() -> None:
    for phrase in ("je hoeft niet te melden", "meld het niet", "dit hoeft niet gemeld te worden"):
        assert FORBIDDEN.search(phrase), phrase
    assert FORBIDDEN.search("leg ook vast als je besluit om niets te delen") is None


@pytest.mark.parametrize("article", articles(), ids=lambda a: a.id)
def test_article_is_checked_and_sourced(article: Article) -> None:
    assert article.peildatum == date(2026, 11, 23)
    assert article.sources
    assert article.path.endswith(f"{article.id}.md")


@pytest.mark.parametrize("article", articles(), ids=lambda a: a.id)
def test_article_uses_only_light_markup(article: Article) -> None:
    for line in article.body.splitlines():
        assert not line.startswith("#") or line.startswith("## "), line
        assert "**" not in line, line
        assert "](" not in line, line
        assert "<" not in line, line


def test_links_to_other_articles_resolve(kb: KnowledgeBase) -> None:
    links = {
        link for article in kb.all() for link in re.findall(r"\bkennis ([a-z0-9-]+)", article.body)
    }
    assert links
    assert links <= kb.ids()


@pytest.mark.parametrize("article_id", ["meldcode", "veilig-thuis", "acute-onveiligheid"])
def test_safety_articles_give_the_emergency_numbers(kb: KnowledgeBase, article_id: str) -> None:
    article = kb.get(article_id)
    assert article is not None
    assert "0800-2000" in article.body
    assert "112" in article.body


def test_search_finds_toestemming_by_id_tag_and_body_word(kb: KnowledgeBase) -> None:
    assert kb.search("toestemming")[0].id == "toestemming"
    assert kb.search("gezag")[0].id == "toestemming"
    body_only = "slaapproblemen"
    toestemming = kb.get("toestemming")
    assert toestemming is not None
    assert body_only in toestemming.body
    assert body_only not in normalise(" ".join([toestemming.title, *toestemming.tags]))
    assert [a.id for a in kb.search(body_only)] == ["toestemming"]


def test_search_matches_with_or_without_accents(kb: KnowledgeBase) -> None:
    with_accent = [a.id for a in kb.search("cliënt")]
    assert with_accent
    assert [a.id for a in kb.search("client")] == with_accent
    assert [a.id for a in kb.search("geinformeerd")] == [a.id for a in kb.search("geïnformeerd")]
    assert "toestemming" in [a.id for a in kb.search("geinformeerd")]


def test_common_questions_lead_to_the_right_article(kb: KnowledgeBase) -> None:
    expectations = {
        "vier ogen": "vier-ogen",
        "wie behoort dit te weten": "wie-weten",
        "wat is de meldcode": "meldcode",
        "anoniem advies": "veilig-thuis",
        "whatsapp": "veilig-communiceren",
        "uithuisplaatsing": "dilemmas",
        "LIZ": "incidentenbeleid",
        "calamiteit": "calamiteiten",
        "BSN": "privacy",
    }
    for query, expected in expectations.items():
        assert kb.search(query)[0].id == expected, query
