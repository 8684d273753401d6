"""The follow-up tables: agreed steps with their reminders, a person's records, counts.

Kept apart from ``bot.store.models`` (which imports this module at its end, so
``Base.metadata`` and the migration check hold these tables too) because they
belong to the follow-up part (issue 10): ``followup_actions`` (one row per
agreed step with a date: owner, short neutral description, due date, state,
the next reminder), ``followup_records`` (where a person's records are, for
``mijn vastleggingen``: ids and times, no text) and ``followup_facts`` (one
anonymous row per counted occurrence: organisation, month, what; no person,
no case code), which ``overzicht`` counts.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.store.models import CHANNEL_LEN, CHAT_LEN, FLOW_ID_LEN, Base, OrgRow, Timestamp, indexes


class FollowupAction(OrgRow, Base):
    """An agreed step of a record: its owner is reminded in the morning of ``due_on``."""

    __tablename__ = "followup_actions"
    __table_args__ = indexes(("state", "remind_at"), ("org_id", "person_id"))

    person_id: Mapped[int] = mapped_column(Integer)
    record_id: Mapped[str] = mapped_column(String(32), index=True)
    case_code: Mapped[str | None] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(Text)  # sealed (bot.store.followup)
    owner: Mapped[str] = mapped_column(String(64))
    due_on: Mapped[str] = mapped_column(String(10))
    urgent: Mapped[bool] = mapped_column(Boolean)
    state: Mapped[str] = mapped_column(String(16))
    remind_at: Mapped[datetime | None] = mapped_column(Timestamp)
    reminded: Mapped[int] = mapped_column(Integer)
    asked_at: Mapped[datetime | None] = mapped_column(Timestamp)
    done_on: Mapped[str | None] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(Timestamp)


class FollowupRecord(Base):
    """Where one of a person's records is kept (no text: that stays in ``records``)."""

    __tablename__ = "followup_records"
    __table_args__ = indexes(("org_id", "person_id"))

    record_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    org_id: Mapped[int] = mapped_column(Integer)
    person_id: Mapped[int] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(String(CHANNEL_LEN))
    chat: Mapped[str] = mapped_column(String(CHAT_LEN))
    flow_id: Mapped[str] = mapped_column(String(FLOW_ID_LEN))
    created_at: Mapped[datetime] = mapped_column(Timestamp)


class FollowupFact(OrgRow, Base):
    """One counted occurrence for the overview: no person, no case, no text."""

    __tablename__ = "followup_facts"
    __table_args__ = indexes(("org_id", "month"))

    month: Mapped[str] = mapped_column(String(7))
    metric: Mapped[str] = mapped_column(String(64))
    category: Mapped[str] = mapped_column(String(100))
