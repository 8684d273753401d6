"""Sealed agreed steps: a follow-up action's description becomes a text column,
long enough for its sealed form (the store seals it from now on; descriptions
written before stay readable as plain text until ``voorkomen keys rotate``).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("followup_actions") as batch:
        batch.alter_column(
            "description",
            existing_type=sa.String(length=200),
            type_=sa.Text(),
            existing_nullable=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("followup_actions") as batch:
        batch.alter_column(
            "description",
            existing_type=sa.Text(),
            type_=sa.String(length=200),
            existing_nullable=False,
        )
