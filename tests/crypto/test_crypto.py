"""Encryption at rest: sealing, per-organisation keys, rotation, the master key."""

from __future__ import annotations

import stat
import threading
from pathlib import Path

import pytest

from bot.crypto import (
    KeyRing,
    MasterKey,
    MasterKeyMissingError,
    MemoryKeyStore,
    SealError,
    is_sealed,
)


@pytest.fixture
def ring() -> KeyRing:
    return KeyRing(MasterKey.generate(), MemoryKeyStore())


def test_a_sealed_value_hides_the_text_and_opens_again(ring: KeyRing) -> None:
    sealed = ring.seal("org-a", "answers.value", "Moeder wil stoppen met de hulp")
    assert is_sealed(sealed)
    assert "Moeder" not in sealed and "hulp" not in sealed
    assert ring.open("org-a", "answers.value", sealed) == "Moeder wil stoppen met de hulp"


def test_the_same_text_seals_differently_each_time(ring: KeyRing) -> None:
    assert ring.seal("org-a", "f", "ja") != ring.seal("org-a", "f", "ja")


def test_a_value_does_not_open_in_another_organisation_or_field(ring: KeyRing) -> None:
    sealed = ring.seal("org-a", "answers.value", "geheim")
    ring.seal("org-b", "answers.value", "iets")  # org-b has its own key
    with pytest.raises(SealError):
        ring.open("org-b", "answers.value", sealed)
    with pytest.raises(SealError):
        ring.open("org-a", "records.text", sealed)


def test_a_damaged_value_is_refused(ring: KeyRing) -> None:
    sealed = ring.seal("org-a", "f", "geheim")
    damaged = sealed[:-2] + ("A" if sealed[-2] != "A" else "B") + sealed[-1]
    with pytest.raises(SealError):
        ring.open("org-a", "f", damaged)


def test_plain_text_from_before_sealing_passes(ring: KeyRing) -> None:
    assert ring.open("org-a", "f", "oud antwoord") == "oud antwoord"


def test_data_keys_are_stored_only_wrapped() -> None:
    store = MemoryKeyStore()
    ring = KeyRing(MasterKey.generate(), store)
    ring.seal("org-a", "f", "x")
    (wrapped,) = store.all_wrapped_keys()
    assert wrapped.org == "org-a" and wrapped.version == 1
    assert is_sealed(wrapped.wrapped)


def test_another_master_key_cannot_open_the_data(ring: KeyRing) -> None:
    store = MemoryKeyStore()
    sealed = KeyRing(MasterKey.generate(), store).seal("org-a", "f", "geheim")
    with pytest.raises(SealError):
        KeyRing(MasterKey.generate(), store).open("org-a", "f", sealed)


def test_rotation_seals_new_values_with_the_new_key_and_old_ones_still_open() -> None:
    store = MemoryKeyStore()
    ring = KeyRing(MasterKey.generate(), store)
    old = ring.seal("org-a", "f", "eerst")
    assert ring.rotate("org-a") == 2
    new = ring.seal("org-a", "f", "daarna")
    assert old.split(".")[1] == "1" and new.split(".")[1] == "2"
    assert ring.open("org-a", "f", old) == "eerst"
    resealed = ring.reseal("org-a", "f", old)
    assert resealed is not None and resealed.split(".")[1] == "2"
    assert ring.open("org-a", "f", resealed) == "eerst"
    assert ring.reseal("org-a", "f", resealed) is None


def test_a_second_process_sees_a_rotation_made_by_the_first() -> None:
    store = MemoryKeyStore()
    master = MasterKey.generate()
    first, second = KeyRing(master, store), KeyRing(master, store)
    first.seal("org-a", "f", "x")
    first.rotate("org-a")
    sealed = first.seal("org-a", "f", "na rotatie")
    assert second.open("org-a", "f", sealed) == "na rotatie"


def test_concurrent_first_use_makes_one_key() -> None:
    store = MemoryKeyStore()
    ring = KeyRing(MasterKey.generate(), store)
    values: list[str] = []
    threads = [
        threading.Thread(target=lambda: values.append(ring.seal("org-a", "f", "x")))
        for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(store.all_wrapped_keys()) == 1
    assert all(ring.open("org-a", "f", v) == "x" for v in values)


def test_master_key_rotation_rewraps_and_keeps_the_data() -> None:
    store = MemoryKeyStore()
    ring = KeyRing(MasterKey.generate(), store)
    sealed = ring.seal("org-a", "f", "blijft leesbaar")
    before = store.all_wrapped_keys()[0].wrapped
    new_master = MasterKey.generate()
    new_ring = ring.rewrap(new_master)
    assert store.all_wrapped_keys()[0].wrapped != before
    assert new_ring.open("org-a", "f", sealed) == "blijft leesbaar"
    assert KeyRing(new_master, store).open("org-a", "f", sealed) == "blijft leesbaar"


def test_master_key_from_the_environment_or_a_file(tmp_path: Path) -> None:
    key = MasterKey.generate()
    assert MasterKey.from_environment({"VOORKOMEN_MASTER_KEY": key.encoded()}).secret == key.secret
    path = tmp_path / "master.key"
    path.write_text(key.encoded() + "\n", "ascii")
    assert MasterKey.from_environment({"VOORKOMEN_KEY_FILE": str(path)}).secret == key.secret


def test_no_master_key_is_a_clear_error() -> None:
    with pytest.raises(MasterKeyMissingError, match="VOORKOMEN_MASTER_KEY"):
        MasterKey.from_environment({})
    with pytest.raises(MasterKeyMissingError, match="32 bytes"):
        MasterKey.from_environment({"VOORKOMEN_MASTER_KEY": "dGVzdA=="})


def test_the_console_key_file_is_created_once_and_readable_by_the_owner_only(
    tmp_path: Path,
) -> None:
    path = tmp_path / "data" / "master.key"
    key, created = MasterKey.local_file(path)
    assert created
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again, created_again = MasterKey.local_file(path)
    assert not created_again and again.secret == key.secret


def test_the_key_never_shows_in_its_repr() -> None:
    key = MasterKey.generate()
    assert key.encoded() not in repr(key)
