"""The rules both confirmation stores apply (``bot.store.confirm`` and its memory twin).

What a ``Move`` sets on a request, which requests wait for the colleague, and
what a request counts as in ``overzicht``: stated once here, so the SQL store
and the memory store only say how they keep it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Any

from bot.service.together.confirm import (
    ASKED,
    ASKED_COUNT,
    CONFIRMED,
    GIVEN_COUNT,
    METRIC,
    NOT_QUITE,
    NOT_QUITE_COUNT,
    REMARK,
    REPLACED,
    Move,
)

ANSWERED_STATES = (REMARK, CONFIRMED, NOT_QUITE)
"""A move to one of these keeps the answer's time (``answered_at``)."""
WAITING_FOR_COLLEAGUE = (ASKED, REMARK)
"""A request in one of these waits for the colleague's answer or remark."""
REPLACED_FIELDS: Mapping[str, Any] = MappingProxyType({"state": REPLACED, "remind_at": None})
"""What an open request becomes when its record gets a new one (``ConfirmStore.add``)."""


def moved_fields(change: Move) -> dict[str, Any]:
    """The fields ``change`` sets: the state; the colleague and the remark when given;
    the reminder time when asked (else none); the answer's time when answered. A
    move to ``ASKED`` also uses up the request's code (each store forgets it)."""
    values: dict[str, Any] = {
        "state": change.state,
        "remind_at": change.remind_at if change.state == ASKED else None,
    }
    if change.colleague_id is not None:
        values["colleague_id"] = change.colleague_id
    if change.remark is not None:
        values["remark"] = change.remark
    if change.state in ANSWERED_STATES:
        values["answered_at"] = change.now
    return values


def categories(state: str, colleague_id: int | None) -> list[str]:
    """What one request counts as: asked (a colleague was asked), and how it ended."""
    if colleague_id is None:
        return []
    found = [ASKED_COUNT]
    if state == CONFIRMED:
        found.append(GIVEN_COUNT)
    elif state == NOT_QUITE:
        found.append(NOT_QUITE_COUNT)
    return found


def monthly_counts(
    requests: Iterable[tuple[str, datetime, int | None]],
) -> list[tuple[str, str, str, int]]:
    """(month, metric, category, count) of requests given as (state, asked at, colleague)."""
    counts: dict[tuple[str, str], int] = {}
    for state, asked_at, colleague_id in requests:
        month = asked_at.strftime("%Y-%m")
        for category in categories(state, colleague_id):
            counts[(month, category)] = counts.get((month, category), 0) + 1
    return [(m, METRIC, c, n) for (m, c), n in sorted(counts.items())]
