"""The overview: what an organisation can learn across cases, without exposing one.

``overzicht`` (for a ``teamleider`` or ``beheerder``) and ``voorkomen overzicht
--org NAME`` (CSV) show counts per month: dilemmas per kind, consent refused
per partner type, agreed steps done on time, and whatever other parts count
(escalations and their outcomes, confirmations: ``CountSource``). Counts only,
never free text or case codes, and k-anonymity: a cell under :data:`K` is
shown as "<5", never as its number (and no totals are shown, so a hidden cell
can not be worked out by subtraction).
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Iterable, Sequence

from bot.service.followup import CountSource, FollowupStore

log = logging.getLogger(__name__)

K = 5
"""The smallest count that is shown."""
HIDDEN = "<5"
MAX_TEXT = 600
CSV_HEADER = ("maand", "onderwerp", "categorie", "aantal")

Row = tuple[str, str, str, int]


def cell(count: int) -> str:
    """A count as shown: the number from :data:`K` up, else ``<5``."""
    return str(count) if count >= K else HIDDEN


def overview_rows(
    org_id: int, store: FollowupStore, sources: Iterable[CountSource] = ()
) -> list[Row]:
    """Every (month, metric, category, count) of an organisation, sorted.

    A source that fails is left out (logged): the rest is still worth seeing.
    """
    rows: list[Row] = list(store.facts(org_id))
    for source in sources:
        try:
            rows += [(m, w, c, int(n)) for m, w, c, n in source.monthly_counts(org_id)]
        except Exception:
            log.exception("a count source of the overview failed")
    return sorted(rows)


def overview_csv(rows: Sequence[Row]) -> str:
    """The overview as CSV (hidden cells as ``<5``)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for month, metric, category, count in rows:
        writer.writerow((month, metric, category, cell(count)))
    return out.getvalue()


def overview_text(org_name: str, rows: Sequence[Row], months: int = 3) -> str:
    """The last ``months`` months for the chat, at most 600 characters."""
    recent = sorted({r[0] for r in rows})[-months:]
    lines = [f"Overzicht van {org_name}: aantallen per maand. Onder de {K} staat er <5."]
    if not recent:
        lines.append("Nog niets te tellen.")
    for month in reversed(recent):
        lines.append(f"\n{month}")
        for _, metric, category, count in (r for r in rows if r[0] == month):
            lines.append(f"• {metric}, {category}: {cell(count)}")
    more = "\n… Alles als CSV: voorkomen overzicht --org NAAM"
    text = "\n".join(lines)
    if len(text) > MAX_TEXT:
        text = text[: MAX_TEXT - len(more)].rsplit("\n", 1)[0] + more
    return text
