"""Follow-up: agreed steps with reminders, a person's records, counts for the overview.

Written from ``bot.store.followup_models`` as they were then, and frozen.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0003"


def upgrade() -> None:
    op.create_table(
        "followup_actions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.String(length=32), nullable=False),
        sa.Column("case_code", sa.String(length=64), nullable=True),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("owner", sa.String(length=64), nullable=False),
        sa.Column("due_on", sa.String(length=10), nullable=False),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("remind_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reminded", sa.Integer(), nullable=False),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("done_on", sa.String(length=10), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_followup_actions")),
    )
    op.create_index(
        op.f("ix_followup_actions_state_remind_at"),
        "followup_actions",
        ["state", "remind_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_followup_actions_org_id_person_id"),
        "followup_actions",
        ["org_id", "person_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_followup_actions_record_id"), "followup_actions", ["record_id"], unique=False
    )
    op.create_table(
        "followup_records",
        sa.Column("record_id", sa.String(length=32), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("chat", sa.String(length=255), nullable=False),
        sa.Column("flow_id", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("record_id", name=op.f("pk_followup_records")),
    )
    op.create_index(
        op.f("ix_followup_records_org_id_person_id"),
        "followup_records",
        ["org_id", "person_id"],
        unique=False,
    )
    op.create_table(
        "followup_facts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("metric", sa.String(length=64), nullable=False),
        sa.Column("category", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_followup_facts")),
    )
    op.create_index(
        op.f("ix_followup_facts_org_id_month"), "followup_facts", ["org_id", "month"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_followup_facts_org_id_month"), table_name="followup_facts")
    op.drop_table("followup_facts")
    op.drop_index(op.f("ix_followup_records_org_id_person_id"), table_name="followup_records")
    op.drop_table("followup_records")
    op.drop_index(op.f("ix_followup_actions_record_id"), table_name="followup_actions")
    op.drop_index(op.f("ix_followup_actions_org_id_person_id"), table_name="followup_actions")
    op.drop_index(op.f("ix_followup_actions_state_remind_at"), table_name="followup_actions")
    op.drop_table("followup_actions")
