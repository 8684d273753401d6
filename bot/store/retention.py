"""The retention purge of the SQL store: the bot is not the client file.

``purge_all`` deletes, in one transaction, everything older than the
retention that holds chat or person ids: conversations (with their answers),
records, per-chat channel settings, outbox messages and finished jobs, and
what other parts register as ``purge_hooks``. A mixin of ``SqlStore`` (it uses
the store's engine and its remembered logs), kept apart because it is not on
the per-message path.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, and_, delete, or_, select

from bot.service.audit import record_deleted
from bot.store.audit import append_audit_in
from bot.store.database import scrub
from bot.store.log_cache import LogCache
from bot.store.tables import conversations, jobs, organisations, outbox, records, settings_kv

#: Deletes what a table of another part holds about chats or people, older than
#: the cutoff, on the purge's connection; returns how many rows went.
PurgeHook = Callable[[Connection, datetime], int]

#: ``settings_kv`` names (SQL LIKE patterns) that hold a chat id: the retention
#: purge deletes them when not changed for the retention period. Other
#: settings (a Matrix device id, a sync token) belong to the bot and stay.
PER_CHAT_SETTINGS = ("telegram.group_told.%", "matrix:%:last:%")


class SqlRetention:
    """``purge`` and ``purge_all`` over ``self._engine`` (mixed into ``SqlStore``)."""

    _engine: Engine
    _logs: LogCache
    #: Extra tables the retention purge must cover, by name (wired at start-up).
    purge_hooks: dict[str, PurgeHook]
    #: The retention the purge's ``before`` was computed from (the shipped
    #: ``organisatie.yaml``); organisations with another one keep theirs.
    default_retention_days: int | None

    def purge(self, before: datetime) -> tuple[int, int]:
        counts = self.purge_all(before)
        return counts["conversations"], counts["records"]

    def purge_all(self, before: datetime) -> dict[str, int]:
        """Delete everything older than ``before`` that holds chat or person ids,
        in one transaction; how many rows went, per table (and per purge hook).

        Conversations (with their answers) untouched since then, records made
        before it, settings kept per chat (``PER_CHAT_SETTINGS``) not changed
        since, outbox messages made before it (delivered or not) and finished
        jobs. ``purge_hooks`` cover the tables of other parts.

        An organisation whose settings have a ``bewaartermijn_dagen`` of their
        own (other than ``default_retention_days``, which ``before`` was
        computed from) has its conversations, records and waiting messages
        deleted by its own period instead.
        """
        cutoff = before.astimezone(UTC)
        counts: dict[str, int] = {}
        with self._engine.begin() as conn:
            own = self._own_cutoffs(conn, cutoff)
            c, r, o = conversations.c, records.c, outbox.c
            convs = _by_org(c.org_id, c.updated_at, cutoff, own, text=False)
            counts["conversations"] = conn.execute(delete(conversations).where(convs)).rowcount
            expiring = _by_org(r.org_id, r.created_at, cutoff, own, text=False)
            owned = conn.execute(
                select(r.id, r.org_id).where(expiring, r.org_id.is_not(None))
            ).all()
            counts["records"] = conn.execute(delete(records).where(expiring)).rowcount
            now = datetime.now(UTC)
            append_audit_in(conn, [record_deleted(org, rid, now) for rid, org in owned])
            s = settings_kv.c
            counts["settings_kv"] = conn.execute(
                delete(settings_kv).where(
                    s.updated_at < cutoff, or_(*(s.name.like(p) for p in PER_CHAT_SETTINGS))
                )
            ).rowcount
            counts["outbox"] = conn.execute(
                delete(outbox).where(_by_org(o.org_id, o.created_at, cutoff, own, text=True))
            ).rowcount
            counts["jobs"] = conn.execute(
                delete(jobs).where(jobs.c.done_at.is_not(None), jobs.c.done_at < cutoff)
            ).rowcount
            for name, hook in self.purge_hooks.items():
                counts[name] = hook(conn, cutoff)
        self._logs.clear()
        if any(counts.values()):
            scrub(self._engine)
        return counts

    def _own_cutoffs(self, conn: Connection, cutoff: datetime) -> dict[int, datetime]:
        """The organisations with a retention period of their own, and their cutoffs."""
        default = self.default_retention_days
        if default is None:
            return {}
        own: dict[int, datetime] = {}
        o = organisations.c
        for org_id, settings in conn.execute(select(o.id, o.settings)):
            days = (settings or {}).get("bewaartermijn_dagen")
            if isinstance(days, int) and not isinstance(days, bool) and days != default:
                own[org_id] = cutoff + timedelta(days=default - days)
        return own


def _by_org(
    org_column: Any,
    time_column: Any,
    cutoff: datetime,
    own: Mapping[int, datetime],
    *,
    text: bool,
) -> Any:
    """Older than ``cutoff``, or than its organisation's own cutoff in ``own``."""

    def older(moment: datetime) -> Any:
        return time_column < moment

    def org(org_id: int) -> Any:
        return org_column == (str(org_id) if text else org_id)

    if not own:
        return older(cutoff)
    others = or_(org_column.is_(None), org_column.not_in([str(i) if text else i for i in own]))
    return or_(and_(others, older(cutoff)), *(and_(org(i), older(t)) for i, t in own.items()))
