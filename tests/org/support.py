"""Test helpers for organisations: make someone a member the way a beheerder would.

Channel tests that are not about access use ``enrol`` to let their test user
in (an organisation "Test" is made on first use); the access tests themselves
join with real invitation codes.
"""

from __future__ import annotations

from datetime import UTC, datetime

from bot.org.model import Role
from bot.service.people_port import Enrolment
from bot.store.migrate import upgrade
from bot.store.people import SqlPeopleStore
from bot.store.sql import make_engine

TEST_ORGANISATION = "Test"


def enrol(
    url: str,
    channel: str,
    external_id: str,
    *,
    name: str = "Prof",
    org: str = TEST_ORGANISATION,
    roles: frozenset[Role] = frozenset({Role.PROFESSIONAL}),
) -> None:
    """Make the sender ``(channel, external_id)`` a member of ``org`` in the database at ``url``."""
    upgrade(url)
    engine = make_engine(url)
    try:
        people = SqlPeopleStore(engine)
        now = datetime.now(UTC)
        found = people.organisation(org) or people.create_organisation(org, now=now)
        people.enrol(Enrolment(found.id, name, roles, identity=(channel, external_id)), now=now)
    finally:
        engine.dispose()
