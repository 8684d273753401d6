"""Bring a database's schema up to date: ``alembic upgrade head``, from code.

The Alembic configuration is built here, with ``script_location`` pointing at
the ``migrations`` directory inside this package, so it works from an
installed package and from any working directory (no ``alembic.ini``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import URL

from bot.store.sql import make_engine

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


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
            config.attributes["connection"] = connection
            run(config, revision)
    finally:
        engine.dispose()
