"""The table of the vier-ogen confirmation (issue 10): one row per request.

Kept apart from ``bot.store.models`` (which imports this module at its end, so
``Base.metadata`` and the migration check hold it too) because it belongs to
the confirmation part: who asks (``asker_id``), for which record, whom
(``colleague_id``; empty while a coffee-machine code waits), the state, the
reminder, and the colleague's remark (sealed with the organisation's key,
field ``confirmations.remark``). A code is kept only as its SHA-256.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.store.models import CHANNEL_LEN, CHAT_LEN, Base, OrgRow, Timestamp, indexes


class ConfirmationRow(OrgRow, Base):
    """A request to confirm a record's vier-ogen part."""

    __tablename__ = "confirmations"
    __table_args__ = indexes(
        ("state", "remind_at"), ("org_id", "asker_id"), ("org_id", "colleague_id")
    )

    asker_id: Mapped[int] = mapped_column(Integer)
    record_id: Mapped[str] = mapped_column(String(32), index=True)
    channel: Mapped[str] = mapped_column(String(CHANNEL_LEN))
    chat: Mapped[str] = mapped_column(String(CHAT_LEN))
    case_code: Mapped[str | None] = mapped_column(String(64))
    colleague_id: Mapped[int | None] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16))
    asked_at: Mapped[datetime] = mapped_column(Timestamp)
    remind_at: Mapped[datetime | None] = mapped_column(Timestamp)
    reminded: Mapped[int] = mapped_column(Integer)
    answered_at: Mapped[datetime | None] = mapped_column(Timestamp)
    remark: Mapped[str | None] = mapped_column(Text)
    code_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    code_until: Mapped[datetime | None] = mapped_column(Timestamp)
