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
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, text
from sqlalchemy.engine import URL

from bot.store.sql import make_engine

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

#: The advisory lock around a migration run: PostgreSQL's two-key form, which
#: lives apart from the one-key (bigint) locks ``run_step`` takes per conversation.
#: The first key names Voorkomen's lock space ("VK" in ASCII), the second this lock.
MIGRATION_LOCK = (0x564B, 1)


def alembic_config() -> Config:
    """An Alembic configuration for this package's migrations (no file behind it)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def upgrade(url: str | URL, revision: str = "head") -> None:
    """Migrate the database at ``url`` to ``revision`` (the newest by default)."""
    _migrate(url, command.upgrade, revision)


def downgrade(url: str | URL, revision: str) -> None:
    """Migrate the database at ``url`` back to ``revision`` (``"base"``: empty)."""
    _migrate(url, command.downgrade, revision)


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
