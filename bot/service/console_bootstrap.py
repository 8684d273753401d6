"""The console works with no set-up: a first organisation and the local user as its member.

The console is a channel like the others, except that on a database with no
organisation (or only the one migration 0002 made for older data, without
members) it makes the local user a member with every role, so ``voorkomen
chat`` runs at once on a fresh machine.
"""

from __future__ import annotations

from datetime import datetime

from bot.org.model import ALL_ROLES
from bot.service.people_port import Enrolment, PeopleStore

DEMO_ORGANISATION = "Demo"
MIGRATED_ORGANISATION = "Standaard"  # made by migration 0002 for older data
CONSOLE = "console"


def console_bootstrap(people: PeopleStore, name: str, now: datetime) -> str | None:
    """The console is the embedded default: make it work with no set-up.

    On a database with no organisation, make "Demo" with the local user as a
    member with every role; on one whose only organisation is the one migration
    0002 made for data from before organisations, with no members yet, make the
    local user its member. Returns
    the one line that says so, or None when nothing was done (then the local
    user must be a member like anyone else).
    """
    orgs = people.organisations()
    if not orgs:
        org = people.create_organisation(DEMO_ORGANISATION, now=now)
    elif [o.name for o in orgs] == [MIGRATED_ORGANISATION] and not people.members(orgs[0].id):
        org = orgs[0]
    else:
        return None
    person = people.enrol(Enrolment(org.id, name, ALL_ROLES, identity=(CONSOLE, name)), now=now)
    return (
        f"Organisatie {org.name} klaar voor gebruik: {person.name} is lid met alle rollen "
        "(uitnodigen van collega's: voorkomen invite)."
    )
