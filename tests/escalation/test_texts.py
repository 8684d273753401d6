"""Every notice of an escalation fits a phone: at most 600 characters, also with
the longest question, the whole list of disciplines and a long outcome note;
free text only where the receiving chat may hold it."""

from __future__ import annotations

from datetime import UTC, date, datetime

from bot.flowspec.loader import load_book
from bot.service.together import escalation_texts as t
from bot.service.together.escalation import NO_QUESTION, NOT_HERE, Escalation
from bot.service.together.escalation_jobs import reminder_notice
from tests.followup.support import FLOWS

LABELS = load_book(FLOWS).org.model_dump()["lijsten"]["disciplines"]
LONG = Escalation(
    id=123456789,
    org_id=1,
    state="open",
    created_at=datetime(2026, 11, 25, tzinfo=UTC),
    case_code="C-" + "9" * 18,
    question="Waarom " + "lopen we steeds vast " * 9 + "?",
    disciplines=tuple(LABELS),
    urgency="twee_weken",
    reason="incident",
    meeting_on=date(2026, 12, 1),
    outcome="onderzoek",
    outcome_note="Een toelichting " * 12,
)


def test_every_notice_is_at_most_600_characters_and_free_text_only_where_allowed() -> None:
    for free in (True, False):
        notices = [
            t.asking_notice(t.TCP_CALL, LONG, "Annemarie", LABELS, free),
            t.asking_notice(t.LEAD_REQUEST, LONG, "Annemarie", LABELS, free),
            t.outcome_notice(LONG, "Annemarie", free),
        ]
        for notice in notices:
            assert len(notice.text) <= 600, notice.text
            assert ("lopen we steeds vast" in notice.text) is (free and notice is not notices[2])
            assert (NOT_HERE in notice.text) is not free  # said whole, never cut
    assert len(reminder_notice(LONG).text) <= 600
    assert len(t.status_text(LONG, ["Cas"] * 60, ["Dee"] * 60, [])) <= 600
    silent = Escalation(1, 1, "open", LONG.created_at, case_code="T-1")
    assert (
        f"Vraag voor het team: {NO_QUESTION}"
        in t.asking_notice(t.TCP_CALL, silent, "Tom", {}, False).text
    )
