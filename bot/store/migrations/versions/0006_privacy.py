"""Privacy: the organisations' wrapped data keys (encryption at rest), and
``records.created_at`` a timestamp like every other time (it was ISO 8601 text).

Written from the models in ``bot.store.models`` as they were then, and frozen.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"


def upgrade() -> None:
    op.create_table(
        "data_keys",
        sa.Column("org", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("wrapped", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("org", "version", name=op.f("pk_data_keys")),
    )
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.alter_column(
            "records",
            "created_at",
            type_=sa.DateTime(timezone=True),
            existing_type=sa.String(length=64),
            postgresql_using="created_at::timestamptz",
        )
        return
    # SQLite keeps times as text "YYYY-MM-DD HH:MM:SS.ffffff" in UTC (SQLAlchemy's form).
    # A new column, filled, then renamed: changing the type in place would CAST the
    # text to a number on the way.
    _convert_sqlite("created_at", sa.DateTime(timezone=True), _to_timestamp)


def _to_timestamp(made: str) -> str:
    moment = datetime.fromisoformat(made)
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")


def _to_iso(made: str) -> str:
    return datetime.fromisoformat(made).replace(tzinfo=UTC).isoformat()


def _convert_sqlite(
    name: str,
    new: sa.types.TypeEngine[Any],
    convert: Callable[[str], str],
) -> None:
    bind = op.get_bind()
    with op.batch_alter_table("records") as batch:
        batch.add_column(sa.Column("converted", new, nullable=True))
    records = sa.table(
        "records", sa.column("id", sa.String), sa.column(name, sa.String), sa.column("converted")
    )
    for record_id, made in bind.execute(sa.select(records.c.id, records.c[name])).all():
        bind.execute(
            records.update().where(records.c.id == record_id).values(converted=convert(made))
        )
    with op.batch_alter_table("records") as batch:
        batch.drop_column(name)
        batch.alter_column("converted", new_column_name=name, existing_type=new, nullable=False)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.alter_column(
            "records",
            "created_at",
            type_=sa.String(length=64),
            existing_type=sa.DateTime(timezone=True),
            postgresql_using=(
                "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US') || '+00:00'"
            ),
        )
    else:
        _convert_sqlite("created_at", sa.String(length=64), _to_iso)
    op.drop_table("data_keys")
