"""What operators ask of the database: is it there, and how full is the work.

Used by the health check (``ping``) and the Prometheus gauges
(``conversations_in_progress``, ``outbox_waiting``) of ``bot.ops``. Counts
only: nothing here reads an answer, a record or a chat id.
"""

from __future__ import annotations

from sqlalchemy import Engine, func, select, text

from bot.store.models import Conversation, OutboxMessage

#: Modes in which a conversation is under way (not at the start menu).
IN_PROGRESS = ("asking", "review", "confirm_restart", "paused")


def ping(engine: Engine) -> None:
    """One trivial query; raises the driver's error when the database is away."""
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))


def conversations_in_progress(engine: Engine) -> int:
    """Conversations that have started a flow and not finished it."""
    query = select(func.count()).select_from(Conversation).where(Conversation.mode.in_(IN_PROGRESS))
    with engine.connect() as conn:
        return int(conn.execute(query).scalar_one())


def outbox_waiting(engine: Engine) -> int:
    """Notices not delivered yet."""
    query = (
        select(func.count()).select_from(OutboxMessage).where(OutboxMessage.delivered_at.is_(None))
    )
    with engine.connect() as conn:
        return int(conn.execute(query).scalar_one())
