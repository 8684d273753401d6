"""Alembic's environment: how a migration run gets its connection and models.

``bot.store.migrate`` builds the Alembic configuration in code and passes an
open connection in ``config.attributes["connection"]``; the ``alembic`` command
line works too, with ``-x url=...`` or ``sqlalchemy.url`` in its own config.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from bot.store.models import Base
from bot.store.sql import make_engine

target_metadata = Base.metadata


def _configure_and_run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        # SQLite can not ALTER most things; batch mode copies the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def _url() -> str:
    url = context.get_x_argument(as_dictionary=True).get("url")
    url = url or context.config.get_main_option("sqlalchemy.url")
    if not url:
        msg = "no database URL: pass -x url=... or set sqlalchemy.url"
        raise RuntimeError(msg)
    return url


def run_offline() -> None:
    """Write the SQL to stdout instead of running it (``alembic upgrade --sql``)."""
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    """Run the migrations on the given connection, or on a new one to the URL."""
    connection = context.config.attributes.get("connection")
    if isinstance(connection, Connection):
        _configure_and_run(connection)
        return
    engine = make_engine(_url())
    try:
        with engine.connect() as conn:
            _configure_and_run(conn)
            conn.commit()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
