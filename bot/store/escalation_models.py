"""The escalation tables: a team lead's request to the Team complexe problematiek.

Kept apart from ``bot.store.models`` (which imports this module at its end, so
``Base.metadata`` and the migration check hold these tables too) because they
belong to the escalation part of issue 10. ``escalations`` holds one row per
escalation, from the team lead's first answer (or a professional's request)
to its close; every free text in it (the question for the team, the
disciplines when typed, the reason a request was declined, the outcome's
note and the lessons) is sealed with the organisation's key
(``bot.store.sealing``). ``escalation_answers`` holds who of the team said
"Ik doe mee" or "Kan niet". Counts for ``overzicht`` are read from the rows
(month and category only), never their text.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.store.models import Base, OrgRow, Timestamp, indexes


class EscalationRow(OrgRow, Base):
    """One escalation: who asked, who leads it, its state and (sealed) texts."""

    __tablename__ = "escalations"
    __table_args__ = indexes(("org_id", "state"), ("lead_id", "step"))

    state: Mapped[str] = mapped_column(String(16))
    case_code: Mapped[str | None] = mapped_column(String(64))
    question: Mapped[str | None] = mapped_column(Text)
    disciplines: Mapped[str | None] = mapped_column(Text)
    urgency: Mapped[str | None] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(32))
    requested_by: Mapped[int | None] = mapped_column(Integer, index=True)
    lead_id: Mapped[int | None] = mapped_column(Integer)
    step: Mapped[str | None] = mapped_column(String(16))
    asked_at: Mapped[datetime | None] = mapped_column(Timestamp)
    meeting_on: Mapped[str | None] = mapped_column(String(10))
    reminded_for: Mapped[str | None] = mapped_column(String(10))
    decline_reason: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[str | None] = mapped_column(String(16))
    outcome_note: Mapped[str | None] = mapped_column(Text)
    lessons: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(Timestamp)
    started_at: Mapped[datetime | None] = mapped_column(Timestamp)
    closed_at: Mapped[datetime | None] = mapped_column(Timestamp)


class EscalationAnswerRow(Base):
    """One team member's answer to one escalation ("mee" or "niet")."""

    __tablename__ = "escalation_answers"

    escalation_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("escalations.id", ondelete="CASCADE"), primary_key=True
    )
    person_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    answer: Mapped[str] = mapped_column(String(8))
    at: Mapped[datetime] = mapped_column(Timestamp)
