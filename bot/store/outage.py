"""A database that cannot be reached is a state, not a bug: one exception for it.

When PostgreSQL is down or restarting, or an SQLite file is locked by another
process or read-only, the driver raises its own errors, which the service must
not know (it talks to ports). :func:`report_outages` hooks SQLAlchemy's
``handle_error`` event so exactly these errors surface as the port's
``StoreUnavailableError``; every other database error (a missing table, a
constraint) stays what it is, a bug to see in the log. SQLAlchemy invalidates
the pool on a disconnect, so the first message after the database is back
opens fresh connections: the bot recovers by itself.
"""

from __future__ import annotations

import sqlite3

from sqlalchemy import Engine, event
from sqlalchemy.engine import ExceptionContext

from bot.service.ports import StoreUnavailableError

#: SQLite's messages for "the file is there but cannot be used now".
SQLITE_AWAY = (
    "database is locked",
    "database table is locked",
    "attempt to write a readonly database",
    "unable to open database file",
    "disk i/o error",
)


def report_outages(engine: Engine) -> None:
    """Make ``engine`` raise ``StoreUnavailableError`` while its database is away."""
    event.listen(engine, "handle_error", _translate)


def _translate(context: ExceptionContext) -> StoreUnavailableError | None:
    error = context.original_exception
    if context.is_disconnect or _is_outage(error):
        away = StoreUnavailableError(type(error).__name__)
        away.__cause__ = error
        return away
    return None


def _is_outage(error: BaseException) -> bool:
    if isinstance(error, sqlite3.OperationalError):
        return str(error).lower().startswith(SQLITE_AWAY)
    try:
        import psycopg
    except ImportError:  # PostgreSQL is an extra
        return False
    # OperationalError: cannot connect, server closed the connection, admin shutdown.
    return isinstance(error, psycopg.OperationalError | psycopg.InterfaceError)
