"""Records and flow snapshots in SQL: what a step writes beside the conversation.

A record (the vastlegging a finished flow made) is sealed with its
organisation's key; its ``step_key`` is unique per chat, so one ``klaar``
never makes two records. A flow snapshot keeps the sources of a flow version
under its hash, so a conversation started on it can be rebuilt later. A mixin
of ``SqlStore``: a step writes both on its own connection, and
``add_record``/``put_flow_snapshot`` write them alone.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, insert, select

from bot.service.audit import record_created
from bot.service.ports import ConversationKey, NewRecord, StoredRecord
from bot.store.audit import append_audit_in
from bot.store.database import insert_on_conflict
from bot.store.runtime import utc
from bot.store.sealing import Sealer, org_label
from bot.store.tables import flow_snapshots, records


class SqlRecords:
    """``add_record``, ``records`` and the flow snapshots (mixed into ``SqlStore``)."""

    _engine: Engine
    _postgres: bool
    _seal: Sealer

    def add_record(self, record: NewRecord) -> str:
        with self._engine.begin() as conn:
            record_id = self._insert_record(conn, record)
            if record.org_id is not None:
                append_audit_in(conn, [record_created(record, record_id)])
            return record_id

    def records(self, key: ConversationKey) -> list[StoredRecord]:
        r = records.c
        with self._engine.connect() as conn:
            rows = conn.execute(
                select(
                    r.id,
                    r.flow_id,
                    r.flow_version,
                    r.flow_hash,
                    r.case_code,
                    r.answers,
                    r.text,
                    r.created_at,
                    r.org_id,
                )
                .where(r.channel == key.channel, r.chat == key.chat)
                .order_by(r.created_at, r.id)
            ).all()
        return [
            StoredRecord(
                id=row.id,
                key=key,
                flow_id=row.flow_id,
                flow_version=row.flow_version,
                flow_hash=row.flow_hash,
                case_code=row.case_code,
                answers=self._seal.open_json(org_label(row.org_id), "records.answers", row.answers),
                text=self._seal.open_text(org_label(row.org_id), "records.text", row.text),
                created_at=utc(row.created_at),
            )
            for row in rows
        ]

    def _insert_record(self, conn: Connection, record: NewRecord) -> str:
        record_id = record.record_id or uuid.uuid4().hex
        org = org_label(record.org_id)
        conn.execute(
            insert(records).values(
                id=record_id,
                channel=record.key.channel,
                chat=record.key.chat,
                flow_id=record.flow_id,
                flow_version=record.flow_version,
                flow_hash=record.flow_hash,
                case_code=record.case_code,
                answers=self._seal.json(org, "records.answers", dict(record.answers)),
                text=self._seal.text(org, "records.text", record.text),
                created_at=record.created_at.astimezone(UTC),
                step_key=record.step_key,
                org_id=record.org_id,
                person_id=record.person_id,
            )
        )
        return record_id

    # ---------------------------------------------------------------- snapshots

    def put_flow_snapshot(self, book_hash: str, sources: Mapping[str, str]) -> None:
        """Keep ``sources`` under ``book_hash``; a second put of a hash keeps the first."""
        with self._engine.begin() as conn:
            self._insert_snapshot(conn, book_hash, sources)

    def get_flow_snapshot(self, book_hash: str) -> dict[str, str] | None:
        s = flow_snapshots.c
        with self._engine.connect() as conn:
            sources = conn.execute(
                select(s.sources).where(s.book_hash == book_hash)
            ).scalar_one_or_none()
        return None if sources is None else dict(sources)

    def _insert_snapshot(
        self, conn: Connection, book_hash: str, sources: Mapping[str, str]
    ) -> None:
        values = {"book_hash": book_hash, "sources": dict(sources), "created_at": datetime.now(UTC)}
        conn.execute(
            insert_on_conflict(self._postgres, flow_snapshots)
            .values(values)
            .on_conflict_do_nothing(index_elements=[flow_snapshots.c.book_hash])
        )
