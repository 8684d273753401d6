"""Escalations to the Team complexe problematiek and the team's answers.

Written from ``bot.store.escalation_models`` as they were then, and frozen.
(The integrator re-chains ``down_revision`` after the other part's 0007.)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"


def upgrade() -> None:
    op.create_table(
        "escalations",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("case_code", sa.String(length=64), nullable=True),
        sa.Column("question", sa.Text(), nullable=True),
        sa.Column("disciplines", sa.Text(), nullable=True),
        sa.Column("urgency", sa.String(length=16), nullable=True),
        sa.Column("reason", sa.String(length=32), nullable=True),
        sa.Column("requested_by", sa.Integer(), nullable=True),
        sa.Column("lead_id", sa.Integer(), nullable=True),
        sa.Column("step", sa.String(length=16), nullable=True),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("meeting_on", sa.String(length=10), nullable=True),
        sa.Column("reminded_for", sa.String(length=10), nullable=True),
        sa.Column("decline_reason", sa.Text(), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("outcome_note", sa.Text(), nullable=True),
        sa.Column("lessons", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_escalations")),
    )
    op.create_index(
        op.f("ix_escalations_org_id_state"), "escalations", ["org_id", "state"], unique=False
    )
    op.create_index(
        op.f("ix_escalations_lead_id_step"), "escalations", ["lead_id", "step"], unique=False
    )
    op.create_index(
        op.f("ix_escalations_requested_by"), "escalations", ["requested_by"], unique=False
    )
    op.create_table(
        "escalation_answers",
        sa.Column("escalation_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("answer", sa.String(length=8), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["escalation_id"],
            ["escalations.id"],
            name=op.f("fk_escalation_answers_escalation_id_escalations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("escalation_id", "person_id", name=op.f("pk_escalation_answers")),
    )


def downgrade() -> None:
    op.drop_table("escalation_answers")
    op.drop_index(op.f("ix_escalations_requested_by"), table_name="escalations")
    op.drop_index(op.f("ix_escalations_lead_id_step"), table_name="escalations")
    op.drop_index(op.f("ix_escalations_org_id_state"), table_name="escalations")
    op.drop_table("escalations")
