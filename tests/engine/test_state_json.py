"""The stored JSON form of a conversation's state stays what it was.

``Frame``, ``LogEntry``, ``Replay`` and ``State`` share one codec
(``bot.engine.json_form``) instead of hand-written ``to_json``/``from_json``.
The JSON below was written by the hand-written methods (before the codec):
it must load to the same state and be written back byte for byte, so every
stored conversation goes on where it was.
"""

from __future__ import annotations

import json

import pytest

from bot.engine.state import EntryKind, Frame, LogEntry, Mode, Replay, State

WRITTEN_BEFORE = (
    '{"mode": "paused", "flow": "dilemma", "book": "abc123", "stack": [{"block": "dilemma", "'
    'step": "wie", "ns": ["dilemma"], "scope": {"partner": "huisarts"}, "items": ["huisarts",'
    ' "school"], "index": 1, "barrier": false}, {"block": "dilemma#per_partner", "step": "wee'
    't_al", "ns": [], "scope": {}, "items": [], "index": 0, "barrier": true}], "log": [{"path'
    '": ["wie"], "value": ["huisarts", "school"], "kind": "answer", "stack": [{"block": "dile'
    'mma", "step": "wie", "ns": ["dilemma"], "scope": {"partner": "huisarts"}, "items": ["hui'
    'sarts", "school"], "index": 1, "barrier": false}], "at": "2026-11-23T10:00:00+01:00", "n'
    'ote": null}, {"path": ["per_partner", "huisarts", "weet_al"], "value": null, "kind": "sk'
    'ip", "stack": [{"block": "dilemma", "step": "wie", "ns": ["dilemma"], "scope": {"partner'
    '": "huisarts"}, "items": ["huisarts", "school"], "index": 1, "barrier": false}, {"block"'
    ': "dilemma#per_partner", "step": "weet_al", "ns": [], "scope": {}, "items": [], "index":'
    ' 0, "barrier": true}], "at": "2026-11-23T10:01:00+01:00", "note": "niet gevraagd"}], "se'
    'rial": 7, "replay": {"pool": {"wie": ["huisarts"]}, "changed": ["wie"]}, "resume_mode": '
    '"review", "confirm": "ja", "selection": ["wie"], "previous": {"zorg": "ja"}, "started_at'
    '": "2026-11-23T09:59:00+01:00", "ended": false, "section": 2, "reading": "meldcode", "sh'
    'own_total": 5, "base_total": 3, "redacted": "[naam] belt", "redacted_for": 6}'
)

EMPTY_BEFORE = (
    '{"mode": "idle", "flow": null, "book": null, "stack": [], "log": [], "serial": 0, '
    '"replay": null, "resume_mode": null, "confirm": null, "selection": [], "previous": {}, '
    '"started_at": null, "ended": false, "section": 0, "reading": null, "shown_total": 0, '
    '"base_total": 0, "redacted": null, "redacted_for": -1}'
)

WHO = Frame(
    "dilemma", "wie", ("dilemma",), {"partner": "huisarts"}, ("huisarts", "school"), 1, False
)
PER = Frame("dilemma#per_partner", "weet_al")
EXPECTED = State(
    mode=Mode.PAUSED,
    flow="dilemma",
    book="abc123",
    stack=(WHO, PER),
    log=(
        LogEntry(
            ("wie",), ["huisarts", "school"], EntryKind.ANSWER, (WHO,), "2026-11-23T10:00:00+01:00"
        ),
        LogEntry(
            ("per_partner", "huisarts", "weet_al"),
            None,
            EntryKind.SKIP,
            (WHO, PER),
            "2026-11-23T10:01:00+01:00",
            "niet gevraagd",
        ),
    ),
    serial=7,
    replay=Replay({"wie": ["huisarts"]}, ("wie",)),
    resume_mode=Mode.REVIEW,
    confirm="ja",
    selection=("wie",),
    previous={"zorg": "ja"},
    started_at="2026-11-23T09:59:00+01:00",
    ended=False,
    section=2,
    reading="meldcode",
    shown_total=5,
    base_total=3,
    redacted="[naam] belt",
    redacted_for=6,
)


def _dumps(state: State) -> str:
    return json.dumps(state.to_json(), ensure_ascii=False)


def test_json_written_before_loads_to_the_same_state_and_writes_back_the_same_bytes() -> None:
    loaded = State.from_json(json.loads(WRITTEN_BEFORE))
    assert loaded == EXPECTED
    assert isinstance(loaded.mode, Mode) and isinstance(loaded.log[1].kind, EntryKind)
    assert isinstance(loaded.stack, tuple) and isinstance(loaded.log[0].stack[0].ns, tuple)
    assert _dumps(loaded) == WRITTEN_BEFORE
    assert _dumps(EXPECTED) == WRITTEN_BEFORE


def test_the_empty_state_is_written_as_before() -> None:
    assert _dumps(State()) == EMPTY_BEFORE
    assert State.from_json(json.loads(EMPTY_BEFORE)) == State()


def test_json_of_an_older_version_takes_the_defaults_of_keys_it_lacks() -> None:
    older = {"mode": "asking", "flow": "intake", "stack": [{"block": "intake", "step": "wie"}]}
    loaded = State.from_json(older)
    assert loaded == State(mode=Mode.ASKING, flow="intake", stack=(Frame("intake", "wie"),))
    assert loaded.redacted_for == -1 and loaded.stack[0].barrier is True
    entry = LogEntry.from_json(
        {"path": ["a"], "value": 1, "kind": "answer", "stack": [], "at": "t"}
    )
    assert entry == LogEntry(("a",), 1, EntryKind.ANSWER, (), "t", None)


def test_a_log_entry_without_a_required_key_is_refused() -> None:
    with pytest.raises(KeyError):
        LogEntry.from_json({"path": ["a"], "value": 1, "kind": "answer", "stack": []})
