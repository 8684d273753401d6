"""The store contract: what every ``ConversationStore``/``KeyValueStore`` must do.

Runs against ``MemoryStore``, ``SqlStore`` on SQLite (with and without its
log cache) and ``SqlStore`` on PostgreSQL (see ``conftest.py``).
"""

from __future__ import annotations

import dataclasses
import math
import re
import uuid
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.engine.state import EntryKind, Frame, LogEntry, State
from bot.service.ports import ConversationKey
from tests.store.conftest import Store
from tests.store.samples import KEY, entry, log, record, state


def test_unknown_conversation_loads_as_none(store: Store) -> None:
    assert store.load(KEY) is None


def test_state_round_trips_exactly(store: Store) -> None:
    saved = state(log(6))
    store.save(KEY, saved)
    loaded = store.load(KEY)
    assert loaded == saved
    assert loaded is not None
    assert loaded.to_json() == saved.to_json()


def test_every_serialised_field_round_trips(store: Store) -> None:
    """Every kind of entry, with its optional fields (an advice entry's note)."""
    saved = state(log(len(list(EntryKind)) * 2))
    store.save(KEY, saved)
    loaded = store.load(KEY)
    assert loaded is not None
    assert [e.to_json() for e in loaded.log] == [e.to_json() for e in saved.log]


def test_idle_state_with_no_log_round_trips(store: Store) -> None:
    store.save(KEY, State())
    assert store.load(KEY) == State()


def test_saving_again_replaces_the_position(store: Store) -> None:
    store.save(KEY, state(log(2)))
    later = state(log(2), mode="paused", serial=9, replay=None, resume_mode="asking")
    store.save(KEY, later)
    assert store.load(KEY) == later


def test_appending_to_the_log(store: Store) -> None:
    entries = log(5)
    for n in range(6):
        store.save(KEY, state(entries[:n]))
        assert store.load(KEY) == state(entries[:n])


def test_truncating_the_log_on_terug(store: Store) -> None:
    entries = log(5)
    store.save(KEY, state(entries))
    store.save(KEY, state(entries[:3]))
    assert store.load(KEY) == state(entries[:3])
    store.save(KEY, state(()))
    assert store.load(KEY) == state(())


def test_replacing_the_tail_on_wijzig(store: Store) -> None:
    old = log(5, "a")
    new = (*old[:2], entry(2, "b"), entry(3, "b"))
    store.save(KEY, state(old))
    store.save(KEY, state(new))
    assert store.load(KEY) == state(new)
    # a longer tail than before
    newer = (*old[:1], *log(7, "c")[1:])
    store.save(KEY, state(newer))
    assert store.load(KEY) == state(newer)


def test_a_changed_entry_in_the_middle_is_saved(store: Store) -> None:
    old = log(4)
    changed = entry(1, "a", value={"keuze": "anders"})
    new = (old[0], changed, old[2], old[3])
    store.save(KEY, state(old))
    store.save(KEY, state(new))
    loaded = store.load(KEY)
    assert loaded is not None
    assert loaded.log[1].value == {"keuze": "anders"}
    assert loaded == state(new)


def test_a_loaded_state_can_be_continued(store: Store) -> None:
    store.save(KEY, state(log(3)))
    loaded = store.load(KEY)
    assert loaded is not None
    grown = dataclasses.replace(loaded, log=(*loaded.log, entry(3)), serial=loaded.serial + 1)
    store.save(KEY, grown)
    assert store.load(KEY) == grown


def test_two_conversations_do_not_mix(store: Store) -> None:
    keys = [
        ConversationKey("telegram", "42"),
        ConversationKey("matrix", "42"),
        ConversationKey("telegram", "43"),
        ConversationKey("matrix", "!kamer:voorbeeld.nl"),
    ]
    states = {k: state(log(i + 1, tag=str(i)), serial=i) for i, k in enumerate(keys)}
    for k, s in states.items():
        store.save(k, s)
    store.save(keys[0], state(log(1, "x"), serial=99))
    states[keys[0]] = state(log(1, "x"), serial=99)
    for k, s in states.items():
        assert store.load(k) == s
    assert store.load(ConversationKey("console", "42")) is None


def test_unserialisable_state_is_refused_and_the_saved_one_kept(store: Store) -> None:
    store.save(KEY, state(log(2)))
    odd = Frame("dilemma", "wie", scope={"niet_json": object()})
    with pytest.raises(TypeError):
        store.save(KEY, state(log(3), stack=[odd.to_json()]))
    assert store.load(KEY) == state(log(2))
    with pytest.raises(ValueError, match="JSON"):
        store.save(KEY, state((*log(2), entry(2, value=math.nan))))
    assert store.load(KEY) == state(log(2))
    store.save(KEY, state(log(4)))  # the store is still usable
    assert store.load(KEY) == state(log(4))


def test_tuples_come_back_as_lists(store: Store) -> None:
    """JSON has no tuples: a store that kept them would hide a bug the database shows."""
    saved = state((entry(0, value={"paar": ("a", "b")}),))
    store.save(KEY, saved)
    loaded = store.load(KEY)
    assert loaded is not None
    assert loaded.log[0].value == {"paar": ["a", "b"]}


def test_records_are_kept_per_chat_oldest_first(store: Store) -> None:
    other = ConversationKey("matrix", "!kamer:voorbeeld.nl")
    late = store.add_record(record(KEY, datetime.fromisoformat("2024-03-02T09:00:00+01:00")))
    early = store.add_record(record(KEY, datetime.fromisoformat("2024-03-01T09:00:00+01:00")))
    elsewhere = store.add_record(record(other))
    assert len({late, early, elsewhere}) == 3
    assert all(re.fullmatch(r"[0-9a-f]{32}", i) for i in (late, early, elsewhere))

    mine = store.records(KEY)
    assert [r.id for r in mine] == [early, late]
    first = mine[0]
    expected = record(KEY, datetime.fromisoformat("2024-03-01T09:00:00+01:00"))
    assert first.key == KEY
    assert (first.flow_id, first.flow_version, first.flow_hash, first.case_code) == (
        expected.flow_id,
        expected.flow_version,
        expected.flow_hash,
        expected.case_code,
    )
    assert first.answers == expected.answers
    assert first.text == expected.text
    assert first.created_at == expected.created_at
    assert [r.id for r in store.records(other)] == [elsewhere]
    assert store.records(ConversationKey("console", "1")) == []


def test_a_record_without_case_code(store: Store) -> None:
    rid = store.add_record(dataclasses.replace(record(), case_code=None, answers={}))
    (stored,) = store.records(KEY)
    assert stored.id == rid
    assert stored.case_code is None
    assert stored.answers == {}


def test_flow_snapshots_are_kept_once(store: Store) -> None:
    sources = {"flows/dilemma.yaml": "id: dilemma\n# één\n", "flows/sjablonen/samenvatting.md": "x"}
    assert store.get_flow_snapshot("h1") is None
    store.put_flow_snapshot("h1", sources)
    store.put_flow_snapshot("h1", sources)
    assert store.get_flow_snapshot("h1") == sources
    store.put_flow_snapshot("h1", {"anders.yaml": "y"})  # same hash: the first one stays
    assert store.get_flow_snapshot("h1") == sources
    store.put_flow_snapshot("h2", {"flows/dilemma.yaml": "id: dilemma\n"})
    assert store.get_flow_snapshot("h2") == {"flows/dilemma.yaml": "id: dilemma\n"}
    assert store.get_flow_snapshot("h1") == sources


def test_settings_get_set_replace(store: Store) -> None:
    assert store.get_value("matrix.next_batch") is None
    store.set_value("matrix.next_batch", "s72594_4483_1934")
    store.set_value("telegram.offset", "17")
    assert store.get_value("matrix.next_batch") == "s72594_4483_1934"
    store.set_value("matrix.next_batch", "s72595_4484_1935")
    assert store.get_value("matrix.next_batch") == "s72595_4484_1935"
    assert store.get_value("telegram.offset") == "17"
    store.set_value("leeg", "")
    assert store.get_value("leeg") == ""


# A log evolves by appending, cutting the tail (terug) and replacing it (wijzig).
_ops = st.lists(
    st.tuples(st.sampled_from(["append", "cut", "replace"]), st.integers(0, 4)),
    min_size=1,
    max_size=12,
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(ops=_ops, chat=st.uuids())
def test_any_history_of_log_edits_round_trips(
    store: Store, ops: list[tuple[str, int]], chat: uuid.UUID
) -> None:
    key = ConversationKey("telegram", chat.hex)
    current: tuple[LogEntry, ...] = ()
    for step, (op, n) in enumerate(ops):
        if op == "append":
            current = current + tuple(entry(len(current) + i, f"s{step}") for i in range(n))
        elif op == "cut":
            current = current[: max(0, len(current) - n)]
        else:
            keep = max(0, len(current) - n)
            current = current[:keep] + tuple(entry(keep + i, f"r{step}") for i in range(n))
        saved = state(current, serial=step)
        store.save(key, saved)
        assert store.load(key) == saved


def test_purge_deletes_what_is_older_than_the_retention(store: Store) -> None:
    from datetime import timedelta

    store.save(KEY, state(log(3)))
    old = record(KEY, created_at=datetime(2020, 1, 1, tzinfo=UTC))
    new = record(KEY, created_at=datetime(2999, 1, 1, tzinfo=UTC))
    store.add_record(old)
    store.add_record(new)
    assert store.purge(datetime(2000, 1, 1, tzinfo=UTC)) == (0, 0)
    assert store.load(KEY) is not None
    conversations, records = store.purge(datetime.now(UTC) + timedelta(days=1))
    assert (conversations, records) == (1, 1)
    assert store.load(KEY) is None
    assert [r.created_at for r in store.records(KEY)] == [new.created_at]
