"""The shipped articles in ``knowledge/``: complete, short, safe, sourced and findable.

Besides the format, these tests guard the facts that can put a child or a
professional at risk when they are wrong (issue "Safe and right"): Veilig
Thuis and the Raad voor de Kinderbescherming are never a consent question,
reporting acute or structural unsafety is the norm (not an option), consent
and gezag follow the law, and a calamity is reported within 3 working days
with every suicide reported. The checks look for the fact, not for one exact
sentence, so a careful rewording keeps them green and a broken fact does not.
"""

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
# The note on how and when every article's facts were checked.
SOURCES_NOTE = "bronnen"
PEILDATUM = date(2026, 12, 2)
MAX_SUMMARY = 600

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
    assert kb.ids() == REQUIRED_IDS | {SOURCES_NOTE}


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
    assert article.peildatum == PEILDATUM
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


# ------------------------------------------------------------------ safe and right
#
# Everything below reads the text a professional sees: the samenvatting (shown
# first on a phone) and the body. Matching is done on normalise()d text, so
# case and accents do not matter ("Suïcide" ~ "suicide", "én" ~ "en").


def _read(article: Article) -> str:
    return normalise(f"{article.summary}\n\n{article.body}")


def _lines(article: Article) -> list[str]:
    """Every line of the summary and body: a bullet, a numbered step or a paragraph."""
    return [line.strip() for line in _read(article).splitlines() if line.strip()]


def _paragraphs(article: Article) -> list[str]:
    return [" ".join(p.split()) for p in re.split(r"\n\s*\n", _read(article)) if p.strip()]


def _sentences(article: Article) -> list[str]:
    return [s for line in _lines(article) for s in re.split(r"(?<=[.?!:])\s+", line) if s]


def _article(kb: KnowledgeBase, article_id: str) -> Article:
    article = kb.get(article_id)
    assert article is not None, article_id
    return article


VEILIG_THUIS_OR_RAAD = re.compile(r"veilig thuis|raad voor de kinderbescherming")
NEGATION = re.compile(r"\b(?:geen|zonder|nooit|niet)\b")
# "no consent" said about Veilig Thuis or the Raad, in one line, in either order.
NO_CONSENT_FOR_VT = re.compile(
    r"(?:veilig thuis|raad voor de kinderbescherming)[^\n]{0,200}"
    r"\b(?:geen|zonder|nooit)\b[^\n]{0,40}toestemming"
    r"|\b(?:geen|zonder|nooit)\b[^\n]{0,40}toestemming[^\n]{0,200}"
    r"(?:veilig thuis|raad voor de kinderbescherming)"
)
# Words that make reporting sound optional; next to them the norm must be named.
OPTIONAL_REPORTING = re.compile(
    r"\bgeen (?:meld)?plicht\b|\bmag (?:je )?(?:\w+ ){0,3}melden\b|\bje mag (?:\w+ ){0,3}melden\b"
    r"|\brecht,? geen plicht\b|\bvrijblijvend\b"
)
# Sources that speak with authority: the law, the ministry, the inspectorates,
# the register, Veilig Thuis and the privacy regulator.
PRIMARY_PUBLISHER = re.compile(
    r"wetten\.overheid\.nl|EUR-Lex|\bVWS\b|Rijksoverheid|Inspectie Gezondheidszorg en Jeugd"
    r"|\bIGJ\b|Kwaliteitsregister Jeugd|\bSKJ\b|Veilig Thuis|Toezicht Sociaal Domein"
    r"|Autoriteit Persoonsgegevens"
)
# Sources the fact-check found not to support their claim.
REJECTED_SOURCE = re.compile(r"HM Government|Lexboost|Informatie delen – meldcode\.nu")


def _publisher(source: str) -> str:
    parts = source.split(" – ")
    return " – ".join(parts[1:-1])


@pytest.mark.parametrize("article", articles(), ids=lambda a: a.id)
def test_article_opens_with_a_phone_sized_summary(article: Article) -> None:
    assert article.summary, "add 'samenvatting:' to the front matter"
    assert len(article.summary) <= MAX_SUMMARY
    assert "\n" not in article.summary.strip()


@pytest.mark.parametrize("article_id", ["meldcode", "veilig-thuis", "acute-onveiligheid"])
def test_safety_summaries_give_the_number_of_veilig_thuis(
    kb: KnowledgeBase, article_id: str
) -> None:
    assert "0800-2000" in _article(kb, article_id).summary


@pytest.mark.parametrize("article", articles(), ids=lambda a: a.id)
def test_article_cites_a_primary_source(article: Article) -> None:
    primary = [s for s in article.sources if PRIMARY_PUBLISHER.search(_publisher(s))]
    assert primary, article.sources
    for source in article.sources:
        assert not REJECTED_SOURCE.search(source), source
        if "wetten.overheid.nl" in _publisher(source) and article.id != SOURCES_NOTE:
            title = source.split(" – ")[0]
            assert re.search(r"\bartikel|\bonderdeel", title), f"name the article: {source}"


def test_the_primary_source_check_tells_law_from_secondary_sources() -> None:
    def primary(source: str) -> bool:
        return PRIMARY_PUBLISHER.search(_publisher(source)) is not None

    assert primary("Jeugdwet, artikel 4.1.8 – wetten.overheid.nl – 2026")
    assert primary("Melden calamiteit – Inspectie Gezondheidszorg en Jeugd – z.j.")
    assert not primary("Signalenkaart – signalenkaart.nl – z.j.")
    assert not primary("Voorkomen is beter – Stichting Learning Together – z.j.")
    assert not primary("Wat zegt de Jeugdwet? – een blog – z.j.")  # the title is not the publisher


@pytest.mark.parametrize("article", articles(), ids=lambda a: a.id)
def test_consent_is_never_asked_for_veilig_thuis_or_the_raad(article: Article) -> None:
    for sentence in _sentences(article):
        if VEILIG_THUIS_OR_RAAD.search(sentence) and "toestemming" in sentence:
            assert NEGATION.search(sentence), sentence


@pytest.mark.parametrize(
    "article_id",
    [
        "toestemming",
        "wie-weten",
        "veilig-thuis",
        "delen-zonder-toestemming",
        "beroepsgeheim",
        "conflict-van-plichten",
    ],
)
def test_consent_and_sharing_articles_say_veilig_thuis_needs_no_consent(
    kb: KnowledgeBase, article_id: str
) -> None:
    assert NO_CONSENT_FOR_VT.search(_read(_article(kb, article_id)))


@pytest.mark.parametrize("article_id", ["toestemming", "wie-weten", "veilig-thuis"])
def test_the_client_is_told_beforehand_when_that_is_safe(
    kb: KnowledgeBase, article_id: str
) -> None:
    lines = _lines(_article(kb, article_id))
    assert any("vooraf" in line and "veilig" in line for line in lines)


def test_the_consent_checks_catch_what_they_should() -> None:
    bad = "Vraag de client dan om toestemming om te delen met Veilig Thuis."
    assert VEILIG_THUIS_OR_RAAD.search(normalise(bad)) and not NEGATION.search(normalise(bad))
    assert NO_CONSENT_FOR_VT.search("voor veilig thuis vraag je geen toestemming")
    assert NO_CONSENT_FOR_VT.search("melden bij veilig thuis kan zonder toestemming")
    assert not NO_CONSENT_FOR_VT.search("vraag dan toestemming. vaak is dat de eenvoudigste weg")


@pytest.mark.parametrize("article", articles(), ids=lambda a: a.id)
def test_reporting_never_sounds_optional_without_the_norm(article: Article) -> None:
    for paragraph in _paragraphs(article):
        if OPTIONAL_REPORTING.search(paragraph):
            assert re.search(r"\bnorm\b", paragraph), paragraph


def test_the_optional_reporting_check_catches_what_it_should() -> None:
    for phrase in (
        "het is een recht, geen plicht",
        "bij een vermoeden mag je melden",
        "de meldcode is geen meldplicht",
        "je mag ook zonder toestemming melden",
    ):
        assert OPTIONAL_REPORTING.search(phrase), phrase


@pytest.mark.parametrize(
    "article_id",
    ["meldcode", "acute-onveiligheid", "veilig-thuis", "delen-zonder-toestemming", "beroepsgeheim"],
)
def test_reporting_acute_or_structural_unsafety_is_the_norm(
    kb: KnowledgeBase, article_id: str
) -> None:
    assert any(
        "acute" in p and "structurele" in p and re.search(r"\bnorm\b", p)
        for p in _paragraphs(_article(kb, article_id))
    )


def test_meldcode_names_every_reason_to_report_and_doubt_leads_to_veilig_thuis(
    kb: KnowledgeBase,
) -> None:
    text = _read(_article(kb, "meldcode"))
    assert "geen goede hulp" in text  # you cannot offer or organise effective help
    assert re.search(r"niet aan(?:neemt|vaardt)", text)  # the family does not accept it
    assert re.search(r"niet stopt|terugkomt", text)  # unsafety goes on despite help
    for article_id in ("meldcode", "acute-onveiligheid"):
        assert re.search(r"twijfel[^\n]{0,80}veilig thuis", _read(_article(kb, article_id)))


def test_meldcode_step_3_says_when_to_skip_the_talk(kb: KnowledgeBase) -> None:
    body = normalise(_article(kb, "meldcode").body)
    step3 = re.search(r"^3\.(.*?)^4\.", body, re.MULTILINE | re.DOTALL)
    assert step3 is not None
    assert re.search(r"gevaar|onveilig", step3.group(1))
    assert re.search(r"\bover(?:slaan)?\b", step3.group(1))


def test_acute_unsafety_includes_trafficking_and_fgm(kb: KnowledgeBase) -> None:
    text = _read(_article(kb, "acute-onveiligheid"))
    assert "mensenhandel" in text
    assert re.search(r"besnijdenis|genitale verminking", text)
    assert "disclosure" not in text or "vaktaal" in text


def test_veilig_thuis_and_the_professional_follow_up_together(kb: KnowledgeBase) -> None:
    for article in kb.all():
        assert "neemt de aanpak" not in _read(article), article.id
    text = _read(_article(kb, "veilig-thuis"))
    assert re.search(r"\bsamen\b", text)
    assert re.search(r"eigen hulp gaat door", text)


def test_calamities_are_reported_within_3_working_days_and_every_suicide(
    kb: KnowledgeBase,
) -> None:
    article = _article(kb, "calamiteiten")
    text = _read(article)
    assert re.search(r"\b(?:3|drie) werkdagen\b", text)
    assert "onverwijld" in text
    assert re.search(r"\b(?:elke|iedere|alle)\s+(?:suicide|zelfdoding)", text)
    assert re.search(r"\b(?:3|drie) werkdagen\b", normalise(article.summary))
    assert re.search(r"suicide|zelfdoding", normalise(article.summary))
    for line in _lines(article):
        if re.search(r"\b(?:6|zes) weken\b", line):
            assert re.search(r"onduidelijk|twijfel", line), line
    violence = next(line for line in _lines(article) if line.startswith("- geweld"))
    for kind in ("dreiging", "psychisch", "seksueel"):
        assert kind in violence


def test_consent_ages_and_gezag_follow_the_law(kb: KnowledgeBase) -> None:
    article = _article(kb, "toestemming")
    text = _read(article)
    lines = _lines(article)
    # From 12 the young person decides; "the young person and the parents" is the old rule.
    assert not re.search(r"12 tot en met 15[^\n]*\ben de ouders", text)
    assert any(re.search(r"\b12\b", line) and "jongere zelf" in line for line in lines)
    assert any("ouder" in line and "dat deel" in line for line in lines)  # about the parent
    assert any("ouder" in line and "dreiging" in line for line in lines)
    assert any(
        re.search(r"\b16\b", line) and "gezag" in line and "informatie" in line for line in lines
    )
    assert any("zonder gezag" in line and "toestemming" in line for line in lines)
    assert any("scheiding" in line and "gezag" in line for line in lines)
    assert any("2023" in line and "erken" in line for line in lines)


def test_tuchtrecht_follows_registration_not_a_diploma(kb: KnowledgeBase) -> None:
    text = _read(_article(kb, "beroepsgeheim"))
    assert "skj" in text
    assert re.search(r"\bbig\b", text)
    assert not re.search(r"opleiding[^.\n]*tuchtrecht", text)


def test_the_worked_example_does_not_let_a_school_stop_a_parent_with_gezag(
    kb: KnowledgeBase,
) -> None:
    text = _read(_article(kb, "conflict-van-plichten"))
    assert "niet met haar vader mee mag" not in text
    assert "rechter" in text
    assert "acute onveiligheid" in text


def test_external_members_of_the_team_see_no_names_or_give_consent(kb: KnowledgeBase) -> None:
    paragraphs = _paragraphs(_article(kb, "opschalen"))
    assert any("buiten" in p and "zonder namen" in p and "toestemming" in p for p in paragraphs)


def test_sharing_needs_an_avg_ground_and_a_way_past_the_beroepsgeheim(
    kb: KnowledgeBase,
) -> None:
    text = _read(_article(kb, "delen-zonder-toestemming"))
    assert "vitaal belang" in text
    assert "beroepsgeheim" in text and "avg" in text


def test_an_incident_is_reported_internally(kb: KnowledgeBase) -> None:
    for article_id in ("incidentenbeleid", "calamiteiten"):
        assert re.search(r"\bintern|interne melding", _read(_article(kb, article_id))), article_id


def test_retention_of_the_bot_and_of_the_client_file(kb: KnowledgeBase) -> None:
    privacy = _read(_article(kb, "privacy"))
    assert re.search(r"\b20 jaar\b", privacy)  # the client file (Jeugdwet art. 7.3.8)
    assert re.search(r"\bdagen\b", privacy)  # the bot: a number of days, set by the organisation
    assert "niet langer dan nodig" not in privacy


@pytest.mark.parametrize("article", articles(), ids=lambda a: a.id)
def test_jargon_is_explained_or_replaced(article: Article) -> None:
    text = _read(article)
    assert not re.search(r"\breview\b", text)  # English; say leerreview or terugblik
    assert not re.search(r"doelbinding|proportionaliteit|subsidiariteit|beroepsnorm", text)
    if "disclosure" in text:
        assert any("disclosure" in line and "vaktaal" in line for line in _lines(article))
    if "afwegingskader" in text and article.id != SOURCES_NOTE:
        assert any("afwegingskader" in line and "vragen" in line for line in _lines(article)), (
            "say what the afwegingskader is where it is named"
        )


def test_the_sources_note_covers_every_article_with_the_same_peildatum(
    kb: KnowledgeBase,
) -> None:
    note = _article(kb, SOURCES_NOTE)
    listed = set(re.findall(r"^- ([a-z0-9-]+):", note.body, re.MULTILINE))
    assert listed == REQUIRED_IDS
    assert {a.peildatum for a in kb.all()} == {note.peildatum}
