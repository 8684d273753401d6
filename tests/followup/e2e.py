"""What the channel end-to-end tests of the follow-up put in the bot's database
beforehand: a member's record with one agreed step whose reminder is due."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from bot.service.followup import PlannedAction, RecordIndex
from bot.service.ports import ConversationKey, NewRecord
from bot.store.followup import SqlFollowupStore
from bot.store.sql import SqlStore

RECORD_TEXT = "Vastlegging: Vier-ogen overleg\nCasus E2E-1 · 23-11-2026\n"
STEP = "Toestemming vragen om School te informeren"


def due_step(
    store: SqlStore, key: ConversationKey, org_id: int, person_id: int, now: datetime
) -> str:
    """A record of ``person_id`` made in ``key`` and its step, due a minute ago;
    the action's short code ("a1")."""
    record_id = store.add_record(
        NewRecord(
            key=key,
            flow_id="vier-ogen",
            flow_version="2",
            flow_hash="e2e",
            case_code="E2E-1",
            answers={},
            text=RECORD_TEXT,
            created_at=now,
            org_id=org_id,
            person_id=person_id,
            record_id="e2e0000000000000000000000000001",
        )
    )
    followup = SqlFollowupStore(store.engine)
    followup.write_planned(
        [
            RecordIndex(record_id, org_id, person_id, key, "vier-ogen", now),
            PlannedAction(
                org_id,
                person_id,
                record_id,
                "E2E-1",
                STEP,
                "ik",
                date(2026, 11, 23),
                False,
                now - timedelta(minutes=1),
            ),
        ]
    )
    (action,) = followup.open_actions(org_id, person_id)
    return action.code
