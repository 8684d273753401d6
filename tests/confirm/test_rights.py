"""The rights and key rotation cover the confirmations (SQLite and PostgreSQL):
``export --member`` lists them with the remark opened, a key rotation
re-seals the remark, ``case erase`` and ``vergeet mij`` delete them."""

from __future__ import annotations

import sqlalchemy as sa

from bot.org.model import Role
from bot.store.rekey import rotate
from bot.store.rights import SqlRights
from bot.store.sql import SqlStore
from tests.confirm.support import ConfirmWorld, Person
from tests.confirm.test_confirm import made_record
from tests.support.worlds import T0

PRO = frozenset({Role.PROFESSIONAL})
REMARK = "Het besluit was anders verwoord."


def confirmations(store: SqlStore) -> list[tuple[int, str | None]]:
    with store.engine.connect() as conn:
        query = sa.text("SELECT asker_id, remark FROM confirmations ORDER BY id")
        return [(int(r[0]), r[1]) for r in conn.execute(query)]


def test_export_rotation_and_erasure_cover_confirmations(sql_world: ConfirmWorld) -> None:
    world = sql_world
    ann, bram = Person(world, "Ann", PRO), Person(world, "Bram", PRO, channel="matrix")
    made_record(ann)
    ann.say("bevestigen bram")
    bram.say("klopt niet")
    bram.say(REMARK)
    made_record(bram)
    bram.say("bevestigen ann")  # Bram's own record, asked of Ann
    store = world.processes[-1].conversations
    assert isinstance(store, SqlStore)
    rights = SqlRights(store)

    exported = rights.export_member(bram.id, T0)
    assert exported is not None
    mine = exported["bevestigingen"]
    assert [(c["gevraagd_door_mij"], c["stand"]) for c in mine] == [
        (False, "not_quite"),
        (True, "asked"),
    ]
    assert mine[0]["opmerking"] == REMARK and mine[0]["casuscode"] == "V-1"

    (_, before), _ = confirmations(store)
    assert before is not None and REMARK not in before
    done = rotate(store, settle=0)
    assert sum(r.counts["confirmations"] for r in done.values()) == 1
    (_, after), _ = confirmations(store)
    assert after is not None and after != before and REMARK not in after
    assert rights.export_member(ann.id, T0)["bevestigingen"][0]["opmerking"] == REMARK  # type: ignore[index]

    assert world.org is not None
    rights.erase_case(world.org.id, "V-1", T0)  # both records have case V-1
    assert confirmations(store) == []

    made_record(ann)
    ann.say("bevestigen bram")
    assert [a for a, _ in confirmations(store)] == [ann.id]
    rights.erase_member(bram.id, T0)  # the colleague asked: gone too
    assert confirmations(store) == []


def test_the_people_store_erases_a_forgotten_members_confirmations(world: ConfirmWorld) -> None:
    """``PeopleStore.erase_member`` (``vergeet mij``) on memory and SQL alike: the
    confirmations the person asked or was asked go."""
    ann, bram = Person(world, "Ann", PRO), Person(world, "Bram", PRO, channel="matrix")
    made_record(ann)
    ann.say("bevestigen bram")
    confirm = world.confirms[-1]
    assert world.org is not None
    assert [c.colleague_id for c in confirm.open_of(world.org.id, ann.id)] == [bram.id]
    world.processes[-1].people.erase_member(bram.id, T0)
    assert confirm.open_of(world.org.id, ann.id) == []
