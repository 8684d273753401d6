"""The Core ``Table`` of each ORM model, for the SQL store's statements.

The stores build SQLAlchemy Core statements (cheaper than ORM sessions on the
hot path) from the tables the models in ``bot.store.models`` declare. They
are looked up here once, by a name that says what the table holds, instead
of in every module that writes SQL.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table

from bot.store import models


def table_of(model: Any) -> Table:
    """The Core table an ORM model class is mapped to."""
    table = model.__table__
    assert isinstance(table, Table)
    return table


conversations = table_of(models.Conversation)
answers = table_of(models.Answer)
records = table_of(models.Record)
flow_snapshots = table_of(models.FlowSnapshot)
settings_kv = table_of(models.Setting)
jobs = table_of(models.Job)
outbox = table_of(models.OutboxMessage)
organisations = table_of(models.Organisation)
people = table_of(models.Person)
identities = table_of(models.Identity)
member_roles = table_of(models.MemberRole)
access_codes = table_of(models.AccessCode)
access_counters = table_of(models.AccessCounter)
audit_log = table_of(models.AuditLog)
