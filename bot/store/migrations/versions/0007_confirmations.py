"""Confirmations: a colleague confirms the vier-ogen overleg of a record.

Written from ``bot.store.confirm_models`` as it was then, and frozen.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"


def upgrade() -> None:
    op.create_table(
        "confirmations",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("asker_id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.String(length=32), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("chat", sa.String(length=255), nullable=False),
        sa.Column("case_code", sa.String(length=64), nullable=True),
        sa.Column("colleague_id", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("remind_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reminded", sa.Integer(), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("remark", sa.Text(), nullable=True),
        sa.Column("code_hash", sa.String(length=64), nullable=True),
        sa.Column("code_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_confirmations")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_confirmations_code_hash")),
    )
    op.create_index(
        op.f("ix_confirmations_state_remind_at"),
        "confirmations",
        ["state", "remind_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_confirmations_org_id_asker_id"),
        "confirmations",
        ["org_id", "asker_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_confirmations_org_id_colleague_id"),
        "confirmations",
        ["org_id", "colleague_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_confirmations_record_id"), "confirmations", ["record_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_confirmations_record_id"), table_name="confirmations")
    op.drop_index(op.f("ix_confirmations_org_id_colleague_id"), table_name="confirmations")
    op.drop_index(op.f("ix_confirmations_org_id_asker_id"), table_name="confirmations")
    op.drop_index(op.f("ix_confirmations_state_remind_at"), table_name="confirmations")
    op.drop_table("confirmations")
