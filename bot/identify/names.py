"""Names of people, places and institutions, found by ``deduce``.

``deduce`` de-identifies Dutch medical text with lookup lists of first names,
surnames, places, streets, hospitals and care institutions. Building its
lookup structures takes minutes the first time (they are then cached on disk,
here in the bot's data folder, not in the package folder) and a loaded
instance holds about a gigabyte, so the bot loads one instance once, off the
hot path, and only the annotator groups it needs: names, locations and
institutions. Numbers, e-mail, dates and ages have their own, stricter
checks in :mod:`bot.identify.numbers` and :mod:`bot.identify.dates`.

Capitalised words that are roles or organisations in this domain ("Veilig
Thuis", "Team", "Raad") and weekday and month names are never reported:
they are in :data:`ALLOWED`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bot.dutch_dates import DAYS, MONTHS
from bot.identify.findings import Finding, Kind

log = logging.getLogger(__name__)

# deduce's annotator groups switched off: only names, locations and institutions run.
_OFF = frozenset(
    {"dates", "ages", "identifiers", "phone_numbers", "email_addresses", "urls", "redactor"}
)

# Words of this domain that deduce may take for a name or a place.
ALLOWED = frozenset(
    {
        "veilig thuis",
        "team",
        "raad",
        "inspectie",
        "gemeente",
        "wijkteam",
        "jeugdwet",
        "wmo",
        "ggd",
        "ggz",
        "calamiteit",
        "koningsdag",
        "leger des heils",
        "zorg en veiligheidshuis",
        "openbaar ministerie",
        *DAYS,
        *MONTHS,
    }
)


def _kind(tag: str) -> Kind | None:
    if tag in ("ziekenhuis", "zorginstelling"):
        return Kind.INSTITUTION
    if tag.startswith(("locatie", "straat")) or "huisnummer" in tag:
        return Kind.PLACE
    if any(part in tag for part in ("naam", "voornaam", "initiaal", "achternaam", "persoon")):
        return Kind.NAME
    return None


class DeduceNames:
    """Names, places and institutions via one loaded ``deduce`` instance."""

    def __init__(self, cache_dir: Path) -> None:
        from deduce import Deduce  # heavy: imported only when a detector is built

        cache_dir.mkdir(parents=True, exist_ok=True)
        self._deduce: Any = Deduce(cache_path=cache_dir)

    def find(self, text: str) -> Iterator[Finding]:
        """Names of people, places and institutions in ``text``."""
        document = self._deduce.deidentify(text, disabled=set(_OFF))
        for annotation in document.annotations:
            kind = _kind(str(annotation.tag))
            found = str(annotation.text)
            if kind is None or found.lower().strip(". ") in ALLOWED:
                continue
            yield Finding(annotation.start_char, annotation.end_char, kind, found)
