"""Sealed agreed steps: a follow-up action's description becomes a text column,
long enough for its sealed form (the store seals it from now on; descriptions
written before stay readable as plain text until ``voorkomen keys rotate``).

"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"


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
