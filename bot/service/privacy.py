"""Chat words about privacy, for every member on every channel: ``privacy`` and ``vergeet mij``.

``privacy`` sends the plain Dutch privacy page (``docs/privacy.md``: what the
bot keeps, where, how it is encrypted, for how long, who sees it), in
messages of at most 600 characters, paged as knowledge articles are
(``bot.knowledge.base.Article.pages``).

``vergeet mij`` is the right to erasure: it says what will be erased and
asks to confirm (``vergeet mij zeker``); then everything of that member goes
(the people store's ``erase_member``) and the reply says what was erased.
The access gate calls :func:`privacy_word` before its own words.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Protocol

from bot.engine.messages import Reply, Say
from bot.knowledge.base import Article
from bot.org.model import Membership

PRIVACY_PAGE = Path(__file__).resolve().parent.parent.parent / "docs" / "privacy.md"

FORGET_WORD = "vergeet"
CONFIRM = "zeker"
FORGET_ASK = (
    "Met 'vergeet mij' wis je alles van jou bij deze bot: je gesprekken, je vastleggingen, "
    "berichten die nog op je wachten, je gekoppelde apps, je lidmaatschap en je naam. "
    "Dit kan niet terug. Weet je het zeker? Typ dan: vergeet mij zeker"
)
FORGET_DONE = "{erased} Wil je de bot later weer gebruiken? Vraag dan een nieuwe uitnodiging."
FORGET_UNAVAILABLE = "Wissen kan hier niet. Vraag je beheerder om je gegevens te wissen."
SOURCES = ("AVG (Algemene verordening gegevensbescherming), artikel 5, 15 en 17",)
CHECKED = date(2026, 12, 2)
NO_PAGE = "De privacyuitleg staat in docs/privacy.md bij de bot. Vraag je beheerder ernaar."


class Erases(Protocol):
    """A people store that can erase a person (``SqlPeopleStore`` can)."""

    def erase_member(self, person_id: int, now: datetime) -> Mapping[str, int]:
        """Erase everything of ``person_id``; how many of each kind went."""


def privacy_word(
    people: object, word: str, rest: str, member: Membership, now: datetime
) -> list[Reply] | None:
    """The replies to ``privacy`` or ``vergeet mij`` (None: not one of these words)."""
    if word == "privacy" and not rest:
        return [Say(page) for page in privacy_pages()]
    words = rest.lower().split()
    if word != FORGET_WORD or not words or words[0] != "mij" or len(words) > 2:
        return None
    if words[1:] != [CONFIRM]:
        return [Say(FORGET_ASK)]
    erase = getattr(people, "erase_member", None)
    if erase is None:
        return [Say(FORGET_UNAVAILABLE)]
    counts: Mapping[str, int] = erase(member.person.id, now)
    return [Say(FORGET_DONE.format(erased=erased_text(counts)))]


def erased_text(counts: Mapping[str, int]) -> str:
    """What was erased, in one short Dutch sentence."""
    parts = [
        f"{counts.get('conversations', 0)} gesprek(ken)",
        f"{counts.get('records', 0)} vastlegging(en)",
        f"{counts.get('outbox', 0)} wachtend(e) bericht(en)",
        f"{counts.get('identities', 0)} gekoppelde app(s)",
    ]
    if actions := counts.get("actions", 0):
        parts.insert(2, f"{actions} {'afspraak' if actions == 1 else 'afspraken'}")
    orgs = counts.get("memberships", 0)
    return (
        "Gewist: " + ", ".join(parts) + f", je lidmaatschap van {orgs} organisatie(s) en je naam."
    )


@cache
def privacy_pages(path: Path = PRIVACY_PAGE) -> tuple[str, ...]:
    """``docs/privacy.md`` as chat messages of at most 600 characters."""
    if not path.is_file():
        return (NO_PAGE,)
    text = path.read_text("utf-8")
    title, _, body = text.partition("\n")
    article = Article(
        id="privacy",
        title=title.lstrip("# ").strip(),
        tags=(),
        sources=SOURCES,
        peildatum=CHECKED,
        body=body.strip(),
    )
    return article.pages()
