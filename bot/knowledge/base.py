"""The knowledge base as plain data: articles and a small, ranked search.

At any question a professional can type ``uitleg`` (the step's article) or
``kennis <id or keyword>``. The engine needs to look articles up without any
I/O, so this module holds only frozen data types and pure functions; reading
the ``knowledge/*.md`` files is :mod:`bot.knowledge.loader`'s job.

Articles are "Markdown-light" so that they read well as plain text on a phone:
paragraphs separated by a blank line, ``- `` bullets, numbered lines and
``## `` subheadings ("In de praktijk", "Wie bel ik?"), nothing else.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from bot.dutch_dates import day_month_year

MAX_WORDS = 300
"""The longest an article body may be, in words (see :func:`count_words`)."""

PAGE_CHARS = 600
"""The longest a chat message may be: an article is shown in pages of at most this."""

MORE_ROOM = 20
"""Room left on the first page for the channel's "meer" button or "Typ: meer" line."""

_SENTENCE_END = re.compile(r"(?<=[.!?:])\s+")

_WORD = re.compile(r"[^\W_]+(?:[-'’.][^\W_]+)*")
_TOKEN = re.compile(r"[^\W_]+")


# Dutch function words that say nothing about which article is meant
# ("wat is de meldcode" should find the meldcode, not every article with "de").
_STOPWORDS = frozenset(
    [
        "aan",
        "al",
        "als",
        "bij",
        "dan",
        "dat",
        "de",
        "deze",
        "die",
        "dit",
        "door",
        "een",
        "en",
        "er",
        "geen",
        "het",
        "hoe",
        "hun",
        "ik",
        "in",
        "is",
        "je",
        "jij",
        "kan",
        "kun",
        "kunnen",
        "maar",
        "me",
        "met",
        "mij",
        "mijn",
        "moet",
        "moeten",
        "mag",
        "na",
        "naar",
        "niet",
        "nog",
        "of",
        "om",
        "op",
        "over",
        "te",
        "tot",
        "u",
        "uw",
        "van",
        "voor",
        "waar",
        "wanneer",
        "wat",
        "we",
        "wel",
        "welke",
        "wie",
        "wij",
        "zijn",
        "ze",
        "zich",
        "zo",
    ]
)


def normalise(text: str) -> str:
    """Case- and accent-insensitive form of ``text``: "Cliënt" -> "client"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def count_words(text: str) -> int:
    """Words as a reader counts them: "0800-2000", "7.3.11" and "cliënt's" are
    one word each; bullets, dashes and ``##`` are not words."""
    return len(_WORD.findall(text))


def format_date(day: date) -> str:
    """A date the way a Dutch reader writes it: ``23 november 2026``."""
    return day_month_year(day)


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(normalise(text))


@dataclass(frozen=True)
class Article:
    """One knowledge-base article, as read from ``knowledge/<id>.md``.

    ``body`` is Markdown-light (see the module docstring); ``peildatum`` is
    the date its facts were last checked; ``path`` is where it was loaded
    from (empty for articles built in code, e.g. in tests).
    """

    id: str
    title: str
    tags: tuple[str, ...]
    sources: tuple[str, ...]
    peildatum: date
    body: str
    path: str = ""
    summary: str = ""
    """The front matter's ``samenvatting``: what a phone shows first (at most 600 characters)."""

    @property
    def word_count(self) -> int:
        """The number of words in the body (the limit is :data:`MAX_WORDS`)."""
        return count_words(self.body)

    def plain_body(self) -> str:
        """The body as plain text for channels without markup.

        ``## Kop`` becomes ``Kop`` and ``- punt`` becomes ``• punt``; line
        breaks and blank lines stay as written.
        """
        lines = []
        for line in self.body.splitlines():
            stripped = line.lstrip()
            indent = line[: len(line) - len(stripped)]
            if stripped.startswith("#"):
                lines.append(stripped.lstrip("#").strip())
            elif stripped.startswith("- "):
                lines.append(f"{indent}• {stripped[2:]}")
            else:
                lines.append(line.rstrip())
        return "\n".join(lines).strip()

    def source_note(self) -> str:
        """Where the facts come from and when they were checked, in Dutch."""
        label = "Bron" if len(self.sources) == 1 else "Bronnen"
        sources = "\n".join(f"• {source}" for source in self.sources)
        return f"{label}:\n{sources}\nGecontroleerd op {format_date(self.peildatum)}."

    def opening(self, limit: int = PAGE_CHARS) -> tuple[str, str]:
        """What a phone shows first, and the rest of the body for "meer".

        The opening is the ``samenvatting`` if there is one (then the rest is
        the whole body), else the first paragraphs of the body, cut at a
        sentence boundary so the title and opening fit in ``limit``.
        """
        body = self.plain_body()
        room = limit - len(self.title) - 2 - MORE_ROOM
        if self.summary:
            first, more = _cut(self.summary.strip(), room)
            return first, f"{more}\n\n{body}" if more else body
        first, rest = _cut(body, room)
        return first, rest

    def pages(self, limit: int = PAGE_CHARS) -> tuple[str, ...]:
        """The article as chat messages of at most ``limit`` characters each:
        the title and opening first, then the rest of the body, then the sources."""
        opening, rest = self.opening(limit)
        pages = [f"{self.title}\n\n{opening}"]
        chunks = _split(rest, limit) if rest.strip() else []
        note = self.source_note()
        if chunks and len(chunks[-1]) + 2 + len(note) <= limit:
            chunks[-1] = f"{chunks[-1]}\n\n{note}"
        else:
            chunks.extend(_split(note, limit))
        pages.extend(chunks)
        return tuple(pages)

    def as_message(self, *, with_sources: bool = True) -> str:
        """The whole article as one plain-text chat message: title, body and
        (unless ``with_sources`` is false) the sources and peildatum."""
        parts = [self.title, self.plain_body()]
        if with_sources:
            parts.append(self.source_note())
        return "\n\n".join(parts)


def _sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE_END.split(text) if s]


def _cut(text: str, limit: int) -> tuple[str, str]:
    """The longest start of ``text`` of whole paragraphs (or, failing that, whole
    sentences) that fits in ``limit``, and the rest."""
    text = text.strip()
    if len(text) <= limit:
        return text, ""
    paragraphs = text.split("\n\n")
    taken: list[str] = []
    for n, paragraph in enumerate(paragraphs):
        candidate = "\n\n".join([*taken, paragraph])
        if len(candidate) <= limit:
            taken.append(paragraph)
            continue
        if taken:
            return "\n\n".join(taken), "\n\n".join(paragraphs[n:])
        # The first paragraph alone is too long: whole sentences of it.
        words: list[str] = []
        sentences = _sentences(paragraph)
        for m, sentence in enumerate(sentences):
            if len(" ".join([*words, sentence])) > limit:
                if not words:  # one sentence longer than a page: cut at a space
                    head = sentence[: limit - 1].rsplit(" ", 1)[0]
                    rest = sentence[len(head) :].strip()
                    tail = " ".join([rest, *sentences[m + 1 :]])
                    return head + "…", "\n\n".join([tail, *paragraphs[1:]])
                tail = " ".join(sentences[m:])
                return " ".join(words), "\n\n".join([tail, *paragraphs[1:]])
            words.append(sentence)
    return text, ""  # pragma: no cover - the whole text fitted after all


def _split(text: str, limit: int) -> list[str]:
    """``text`` in pages of at most ``limit`` characters, cut between paragraphs or sentences."""
    pages = []
    rest = text.strip()
    while rest:
        page, rest = _cut(rest, limit)
        pages.append(page)
        rest = rest.strip()
    return pages


@dataclass(frozen=True)
class _Index:
    """Pre-normalised words of one article, built once per knowledge base."""

    id: str
    title: str
    meta_words: frozenset[str]
    tags: frozenset[str]
    body_words: Mapping[str, int]

    @classmethod
    def of(cls, article: Article) -> _Index:
        meta = [*_tokens(article.id), *_tokens(article.title)]
        for tag in article.tags:
            meta.extend(_tokens(tag))
        return cls(
            id=normalise(article.id),
            title=" ".join(_tokens(article.title)),
            meta_words=frozenset(meta),
            tags=frozenset(" ".join(_tokens(tag)) for tag in article.tags),
            body_words=Counter(_tokens(article.body)),
        )


def _match_quality(term: str, word: str) -> int:
    """How well a query term matches one word: 3 exact, 2 prefix
    ("client" ~ "clienten"), 1 inside or around a compound
    ("geheim" ~ "beroepsgeheim", "meldcodes" ~ "meldcode"), 0 not at all."""
    if term == word:
        return 3
    if len(term) >= 3 and word.startswith(term):
        return 2
    if len(term) >= 4 and term in word:
        return 1
    if len(word) >= 4 and term.startswith(word):
        return 1
    return 0


def _best(term: str, words: Iterable[str]) -> int:
    return max((_match_quality(term, word) for word in words), default=0)


def _body_hits(term: str, words: Mapping[str, int]) -> int:
    return sum(count for word, count in words.items() if _match_quality(term, word))


# Ranking tiers, best first.
_EXACT_ID = 0
_EXACT_TITLE_OR_TAG = 1
_ALL_IN_META = 2
_ALL_ANYWHERE = 3
_SOME = 4


@dataclass(frozen=True)
class KnowledgeBase:
    """All articles, looked up by id or searched by keyword. Pure: no I/O.

    Build it from :func:`bot.knowledge.loader.load_knowledge`, or directly
    from ``Article`` values in tests. Ids must be unique (``ValueError``).
    """

    articles: Sequence[Article]
    _by_id: Mapping[str, Article] = field(init=False, repr=False, compare=False)
    _index: Mapping[str, _Index] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        articles = tuple(self.articles)
        by_id: dict[str, Article] = {}
        for article in articles:
            if article.id in by_id:
                raise ValueError(f"duplicate article id {article.id!r}")
            by_id[article.id] = article
        object.__setattr__(self, "articles", articles)
        object.__setattr__(self, "_by_id", by_id)
        object.__setattr__(self, "_index", {a.id: _Index.of(a) for a in articles})

    def __len__(self) -> int:
        return len(self._by_id)

    def get(self, article_id: str) -> Article | None:
        """The article with this id (surrounding spaces and case ignored), or None."""
        return self._by_id.get(article_id.strip().lower())

    def ids(self) -> frozenset[str]:
        """Every article id, e.g. to check that flows only link to real articles."""
        return frozenset(self._by_id)

    def all(self) -> list[Article]:
        """Every article, sorted by title (case and accents ignored): the ``kennis`` list."""
        return sorted(self.articles, key=lambda a: (normalise(a.title), a.id))

    def search(self, query: str) -> list[Article]:
        """Articles matching ``query``, best first; case and accents are ignored.

        Order: the article whose id is the query ("delen zonder toestemming"
        finds ``delen-zonder-toestemming``); then an exact title or tag; then
        articles whose id, title or tags hold every word; then articles that
        hold every word somewhere, including the body; then articles that
        hold some of the words. Within a group, more and better matches in
        the id/title/tags come first, then more hits in the body, then the
        title alphabetically. Dutch function words ("de", "wat", "mag") are
        ignored unless the query has nothing else. An empty query finds nothing.
        """
        words = _tokens(query)
        if not words:
            return []
        phrase = " ".join(words)
        terms = [w for w in words if w not in _STOPWORDS] or words
        ranked: list[tuple[tuple[int, int, int, int, str, str], Article]] = []
        for article in self.articles:
            rank = self._rank(self._index[article.id], phrase, terms)
            if rank is not None:
                ranked.append(((*rank, normalise(article.title), article.id), article))
        ranked.sort(key=lambda item: item[0])
        return [article for _, article in ranked]

    @staticmethod
    def _rank(index: _Index, phrase: str, terms: list[str]) -> tuple[int, int, int, int] | None:
        meta = [_best(term, index.meta_words) for term in terms]
        body = [_body_hits(term, index.body_words) for term in terms]
        found = sum(1 for m, b in zip(meta, body, strict=True) if m or b)
        if found == 0:
            return None
        if phrase.replace(" ", "-") == index.id:
            tier = _EXACT_ID
        elif phrase == index.title or phrase in index.tags:
            tier = _EXACT_TITLE_OR_TAG
        elif all(meta):
            tier = _ALL_IN_META
        elif found == len(terms):
            tier = _ALL_ANYWHERE
        else:
            tier = _SOME
        return (tier, -found, -sum(meta), -sum(body))
