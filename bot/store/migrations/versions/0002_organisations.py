"""Organisations, people and roles; conversations and records get an owner.

Adds the tables of ``bot.org`` (organisations, people, identities, member
roles, hashed one-time codes, counters for strangers, the audit log) and
``org_id``/``person_id`` columns on conversations and records. Existing data
is kept: when the database already holds conversations or records, an
organisation "Standaard" is created and all of them are moved into it (their
person is set when someone joins and writes from the same chat).

Frozen like every migration: it does not import the models.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"

DEFAULT_ORGANISATION = "Standaard"


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _ts() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "organisations",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("settings", _json(), nullable=False),
        sa.Column("flows_dir", sa.String(length=1000), nullable=True),
        sa.Column("created_at", _ts(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisations")),
        sa.UniqueConstraint("name", name=op.f("uq_organisations_name")),
    )
    op.create_table(
        "people",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("created_at", _ts(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_people")),
    )
    op.create_table(
        "identities",
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("external_id", sa.String(length=255), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("last_chat", sa.String(length=255), nullable=True),
        sa.Column("last_seen_at", _ts(), nullable=True),
        sa.Column("active_org_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["active_org_id"],
            ["organisations.id"],
            name=op.f("fk_identities_active_org_id_organisations"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_identities_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("channel", "external_id", name=op.f("pk_identities")),
    )
    op.create_index(op.f("ix_identities_person_id"), "identities", ["person_id"], unique=False)
    op.create_table(
        "member_roles",
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("granted_at", _ts(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organisations.id"],
            name=op.f("fk_member_roles_org_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_member_roles_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("org_id", "person_id", "role", name=op.f("pk_member_roles")),
    )
    op.create_index(op.f("ix_member_roles_person_id"), "member_roles", ["person_id"], unique=False)
    op.create_table(
        "access_codes",
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=True),
        sa.Column("role", sa.String(length=32), nullable=True),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("uses_left", sa.Integer(), nullable=False),
        sa.Column("expires_at", _ts(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", _ts(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organisations.id"],
            name=op.f("fk_access_codes_org_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_access_codes_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("hash", name=op.f("pk_access_codes")),
    )
    op.create_table(
        "access_counters",
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("window_start", _ts(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_access_counters")),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("at", _ts(), nullable=False),
        sa.Column("actor", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index("ix_audit_log_org_id_at", "audit_log", ["org_id", "at"], unique=False)
    for table in ("conversations", "records"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("org_id", sa.Integer(), nullable=True))
            batch.add_column(sa.Column("person_id", sa.Integer(), nullable=True))
            batch.create_index(op.f(f"ix_{table}_org_id"), ["org_id"], unique=False)
    _move_existing_data()


def _move_existing_data() -> None:
    """Everything stored before organisations existed goes to one default organisation."""
    bind = op.get_bind()
    held = bind.execute(
        sa.text("SELECT (SELECT COUNT(*) FROM conversations) + (SELECT COUNT(*) FROM records)")
    ).scalar_one()
    if not held:
        return
    organisations = sa.table(
        "organisations",
        sa.column("id", sa.Integer()),
        sa.column("name", sa.String()),
        sa.column("settings", _json()),
        sa.column("created_at", _ts()),
    )
    bind.execute(
        organisations.insert().values(
            name=DEFAULT_ORGANISATION, settings={}, created_at=datetime.now(UTC)
        )
    )
    org_id = bind.execute(
        sa.select(organisations.c.id).where(organisations.c.name == DEFAULT_ORGANISATION)
    ).scalar_one()
    for table in ("conversations", "records"):
        moved = sa.table(table, sa.column("org_id", sa.Integer()))
        bind.execute(moved.update().values(org_id=org_id))


def downgrade() -> None:
    for table in ("records", "conversations"):
        op.drop_index(op.f(f"ix_{table}_org_id"), table_name=table)
        for column in ("person_id", "org_id"):
            # Not batch mode: on SQLite that copies the table, and dropping the
            # old conversations table would cascade to the answers. SQLite can
            # drop a plain column in place since 3.35.
            op.drop_column(table, column)
    op.drop_index("ix_audit_log_org_id_at", table_name="audit_log")
    op.drop_table("audit_log")
    op.drop_table("access_counters")
    op.drop_table("access_codes")
    op.drop_index(op.f("ix_member_roles_person_id"), table_name="member_roles")
    op.drop_table("member_roles")
    op.drop_index(op.f("ix_identities_person_id"), table_name="identities")
    op.drop_table("identities")
    op.drop_table("people")
    op.drop_table("organisations")
