"""Sample conversation states and records for the store tests.

States are built with ``from_json`` from plain dicts that set every field the
engine knows of (and a few it may not know yet: ``from_json`` ignores those),
so a field added to ``State`` or ``LogEntry`` is round-tripped by these tests
without changing them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from bot.engine.state import EntryKind, LogEntry, State
from bot.service.ports import ConversationKey, NewRecord

KEY = ConversationKey("telegram", "123456789")
#: When the sample record was made (Dutch winter time; stores keep it in UTC).
MADE = datetime(2024, 3, 1, 11, 0, tzinfo=timezone(timedelta(hours=1)))
assert MADE.astimezone(UTC).hour == 10

MAIN_FRAME: dict[str, Any] = {
    "block": "dilemma",
    "step": "wie",
    "ns": [],
    "scope": {},
    "items": [],
    "index": 0,
    "barrier": True,
}

LOOP_FRAME: dict[str, Any] = {
    "block": "dilemma#per_partner",
    "step": "weet_al",
    "ns": ["wie", "per_partner", "huisarts"],
    "scope": {
        "partner": "huisarts",
        "geneste": {"lijst": [1, 2.5, {"leeg": None, "waar": True}], "tekst": "één"},
    },
    "items": ["huisarts", "school", "wijkteam"],
    "index": 1,
    "barrier": False,
}

CALLED_FRAME: dict[str, Any] = {
    "block": "toestemming",
    "step": "gevraagd",
    "ns": ["toestemming"],
    "scope": {"leeftijd": 15},
    "items": [],
    "index": 0,
    "barrier": True,
}


def entry(i: int, tag: str = "a", *, value: Any = None, stack_depth: int = 2) -> LogEntry:
    """Log entry number ``i``; a different ``tag`` makes a different entry."""
    kinds = list(EntryKind)
    kind = kinds[i % len(kinds)]
    frames = [MAIN_FRAME, LOOP_FRAME, CALLED_FRAME][:stack_depth]
    return LogEntry.from_json(
        {
            "path": ["wie", "per_partner", f"vraag_{i}"],
            "value": (
                value
                if value is not None
                else (None if kind == EntryKind.SKIP else {"keuze": f"{tag}{i}", "extra": [i]})
            ),
            "kind": kind.value,
            "stack": frames,
            "at": f"2024-03-0{1 + i % 9}T10:{i % 60:02d}:00+01:00",
            "note": f"advies {tag}{i}" if kind.value == "advice" else None,
        }
    )


def log(n: int, tag: str = "a") -> tuple[LogEntry, ...]:
    return tuple(entry(i, tag) for i in range(n))


def state(entries: tuple[LogEntry, ...] = (), **changes: Any) -> State:
    """An asking state deep in a loop, with ``entries`` as its answer log."""
    data: dict[str, Any] = {
        "mode": "asking",
        "flow": "dilemma",
        "book": "b" * 64,
        "stack": [MAIN_FRAME, LOOP_FRAME, CALLED_FRAME],
        "log": [e.to_json() for e in entries],
        "serial": 7,
        "replay": {"pool": {"wie/zorg": "ja", "wie/lijst": ["a", "b"]}, "changed": ["wie/zorg"]},
        "resume_mode": "review",
        "confirm": "opnieuw",
        "selection": ["huisarts", "school"],
        "previous": {"wie/zorg": "nee"},
        "started_at": "2024-03-01T09:59:00+01:00",
    }
    data.update(changes)
    return State.from_json(data)


def record(key: ConversationKey = KEY, created_at: datetime = MADE) -> NewRecord:
    return NewRecord(
        key=key,
        flow_id="dilemma",
        flow_version="3",
        flow_hash="f" * 64,
        case_code="ZK-2024-017",
        answers={"wie": {"per_partner": {"huisarts": {"weet_al": "ja"}}}, "leeftijd": 15},
        text="Vastlegging: overleg met de huisarts.\nReden: zorgen over veiligheid.",
        created_at=created_at,
    )
