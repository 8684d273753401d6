"""Baseline: conversations, answers, records, flow snapshots, settings.

Written from the models in ``bot.store.models`` as they were then, and frozen:
a migration never imports the models, which will change after it.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None


def _json() -> sa.types.TypeEngine[Any]:
    """JSON, stored as JSONB on PostgreSQL."""
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "conversations",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("chat", sa.String(length=255), nullable=False),
        sa.Column("mode", sa.String(length=32), nullable=False),
        sa.Column("flow_id", sa.String(length=200), nullable=True),
        sa.Column("book_hash", sa.String(length=128), nullable=True),
        sa.Column("position", _json(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversations")),
        sa.UniqueConstraint("channel", "chat", name=op.f("uq_conversations_channel_chat")),
    )
    op.create_index(
        op.f("ix_conversations_book_hash"), "conversations", ["book_hash"], unique=False
    )
    op.create_table(
        "answers",
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("path", _json(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("value", _json(), nullable=False),
        sa.Column("stack", _json(), nullable=False),
        sa.Column("at", sa.String(length=64), nullable=False),
        sa.Column("extra", _json(), nullable=True),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_answers_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("conversation_id", "seq", name=op.f("pk_answers")),
    )
    op.create_table(
        "records",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("chat", sa.String(length=255), nullable=False),
        sa.Column("flow_id", sa.String(length=200), nullable=False),
        sa.Column("flow_version", sa.String(length=64), nullable=False),
        sa.Column("flow_hash", sa.String(length=128), nullable=False),
        sa.Column("case_code", sa.String(length=64), nullable=True),
        sa.Column("answers", _json(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_records")),
    )
    op.create_index(op.f("ix_records_channel_chat"), "records", ["channel", "chat"], unique=False)
    op.create_table(
        "flow_snapshots",
        sa.Column("book_hash", sa.String(length=128), nullable=False),
        sa.Column("sources", _json(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("book_hash", name=op.f("pk_flow_snapshots")),
    )
    op.create_table(
        "settings_kv",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_settings_kv")),
    )


def downgrade() -> None:
    op.drop_table("settings_kv")
    op.drop_table("flow_snapshots")
    op.drop_index(op.f("ix_records_channel_chat"), table_name="records")
    op.drop_table("records")
    op.drop_table("answers")
    op.drop_index(op.f("ix_conversations_book_hash"), table_name="conversations")
    op.drop_table("conversations")
