"""Bring a database's schema up to date: ``alembic upgrade head``, from code.

The Alembic configuration is built here, with ``script_location`` pointing at
the ``migrations`` directory inside this package, so it works from an
installed package and from any working directory (no ``alembic.ini``).

Every bot process runs ``upgrade`` at start-up, so several workers started at
once on one PostgreSQL would race each other through the same migrations (two
``CREATE TABLE alembic_version``, one fails). On PostgreSQL the run therefore
first takes a transaction-level advisory lock with a fixed key
(:data:`MIGRATION_LOCK`): the first process migrates, the others wait, then
find the schema at ``head`` and do nothing. The lock ends with the migration's
transaction, also when the process dies. SQLite needs none: its writers are
serialised by the file lock, and one SQLite database serves one process.

Alembic itself (with Mako and Pygments) is a tenth of ``voorkomen chat``'s
start-up (issue 15), and on nearly every start there is nothing to migrate. So
``upgrade`` to head first reads the database's ``alembic_version`` and the
revisions the migration files name (:func:`head_revision`, plain text, no
import); Alembic is imported only when they differ.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError

from bot.store.sql import make_engine

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

_REVISION = re.compile(r"^revision = [\"']([^\"']+)[\"']$", re.MULTILINE)
_DOWN_REVISION = re.compile(r"^down_revision = (?:None|[\"']([^\"']+)[\"'])$", re.MULTILINE)

#: The advisory lock around a migration run: PostgreSQL's two-key form, which
#: lives apart from the one-key (bigint) locks ``run_step`` takes per conversation.
#: The first key names Voorkomen's lock space ("VK" in ASCII), the second this lock.
MIGRATION_LOCK = (0x564B, 1)


def alembic_config() -> Config:
    """An Alembic configuration for this package's migrations (no file behind it)."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def upgrade(url: str | URL, revision: str = "head") -> None:
    """Migrate the database at ``url`` to ``revision`` (the newest by default)."""
    if revision == "head" and at_head(url):
        return
    from alembic import command

    _migrate(url, command.upgrade, revision)


def downgrade(url: str | URL, revision: str) -> None:
    """Migrate the database at ``url`` back to ``revision`` (``"base"``: empty)."""
    from alembic import command

    _migrate(url, command.downgrade, revision)


def head_revision(folder: Path = MIGRATIONS_DIR / "versions") -> str | None:
    """The newest revision, read from the migration files' ``revision =`` and
    ``down_revision =`` lines; None when they are not one plain chain (a merge,
    a branch, a file written another way): then only Alembic can tell."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in folder.glob("*.py"):
        source = path.read_text(encoding="utf-8")
        found, down = _REVISION.findall(source), _DOWN_REVISION.findall(source)
        if not found and not down:
            continue  # __init__.py
        if len(found) != 1 or len(down) != 1:
            return None
        revisions.add(found[0])
        if down[0]:
            parents.add(down[0])
    heads = revisions - parents
    if len(heads) != 1 or not parents <= revisions:
        return None
    return heads.pop()


def at_head(url: str | URL) -> bool:
    """Whether the database at ``url`` is at the newest revision already (False
    when it has no schema yet, or the newest cannot be told without Alembic)."""
    head = head_revision()
    if head is None:
        return False
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT version_num FROM alembic_version")).all()
    except DBAPIError:  # no table yet: a new database
        return False
    finally:
        engine.dispose()
    return [row[0] for row in rows] == [head]


def _migrate(url: str | URL, run: Callable[[Config, str], None], revision: str) -> None:
    config = alembic_config()
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            lock_migrations(connection)
            config.attributes["connection"] = connection
            run(config, revision)
    finally:
        engine.dispose()


def lock_migrations(connection: Connection) -> None:
    """On PostgreSQL, wait for the migration lock; it is held until ``connection``'s
    transaction ends (commit, rollback, or the process's death). SQLite: nothing."""
    if connection.dialect.name != "postgresql":
        return
    space, key = MIGRATION_LOCK
    connection.execute(
        text("SELECT pg_advisory_xact_lock(:space, :key)"), {"space": space, "key": key}
    )
