"""Seen updates: a Telegram update delivered twice (or to two workers) is handled once.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03

Written from the model in ``bot.store.seen`` as it was then, and frozen.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "seen_updates",
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("channel", "key", name=op.f("pk_seen_updates")),
    )


def downgrade() -> None:
    op.drop_table("seen_updates")
