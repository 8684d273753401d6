"""Key rotation for the SQL store: a newer data key, and everything re-sealed with it.

``voorkomen keys rotate`` runs this beside running bots (no downtime):

1. the organisation gets a newer data key version; from then on this process
   seals with it, and every bot process picks it up within
   ``bot.crypto.keyring.REFRESH_AFTER`` seconds;
2. every value still sealed with an older version is re-sealed. A row is only
   replaced when it still holds what was read (compare-and-set: a record's
   text, an outbox message's text, a conversation's revision), so a step
   that saves a conversation meanwhile is never undone, and the conversation
   goes on as if nothing happened (its revision is not changed either);
3. a second pass, after the bots have picked up the new version, re-seals
   what they wrote with the older one in between.

Older key versions stay in ``data_keys``: a backup made before the rotation
still opens with the same master key.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, select, update

from bot.crypto.keyring import REFRESH_AFTER
from bot.store.confirm import reseal_remarks
from bot.store.escalations import reseal_escalations
from bot.store.followup import reseal_descriptions
from bot.store.sealing import NO_ORG, sealed_for
from bot.store.sql import SqlStore
from bot.store.tables import answers as _answers
from bot.store.tables import conversations as _convs
from bot.store.tables import outbox as _outbox
from bot.store.tables import records as _records

#: How often a conversation that changed while it was being re-sealed is tried again.
ATTEMPTS = 5


@dataclass
class Resealed:
    """How many rows were re-sealed, per table, and which conversations were busy."""

    counts: dict[str, int] = field(
        default_factory=lambda: {
            "records": 0,
            "outbox": 0,
            "conversations": 0,
            "confirmations": 0,
            "escalations": 0,
            "agreed_steps": 0,
        }
    )
    busy: int = 0


def rotate(
    store: SqlStore,
    orgs: list[str] | None = None,
    *,
    settle: float = REFRESH_AFTER + 1,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Resealed]:
    """Rotate the data keys of ``orgs`` (default: every organisation that has one) and
    re-seal their data; a second pass after ``settle`` seconds. Per organisation."""
    ring = store.keys
    if ring is None:
        msg = "the store has no master key"
        raise RuntimeError(msg)
    names = store.key_store.organisations() if orgs is None else orgs
    for org in names:
        ring.rotate(org)
    done = {org: reseal(store, org) for org in names}
    if settle > 0 and names:
        sleep(settle)
    for org in names:
        again = reseal(store, org)
        for table, n in again.counts.items():
            done[org].counts[table] += n
        done[org].busy = again.busy
    return done


def reseal(store: SqlStore, org: str) -> Resealed:
    """Re-seal every value of ``org`` that is not sealed with its newest key."""
    result = Resealed()
    result.counts["records"] = _reseal_records(store, org)
    result.counts["outbox"] = _reseal_outbox(store, org)
    result.counts["confirmations"] = reseal_remarks(store.engine, store.sealer, org)
    result.counts["escalations"] = reseal_escalations(store.engine, store.sealer, org)
    result.counts["agreed_steps"] = reseal_descriptions(store.engine, store.sealer, org)
    done, busy = _reseal_conversations(store, org)
    result.counts["conversations"] = done
    result.busy = busy
    return result


def _org_filter(column: Any, org: str, *, as_text: bool) -> Any:
    if org == NO_ORG:
        return column.is_(None) if not as_text else column.in_(["", NO_ORG])
    return column == (org if as_text else int(org))


def _reseal_records(store: SqlStore, org: str) -> int:
    seal, r = store.sealer, _records.c
    n = 0
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(r.id, r.text, r.answers).where(_org_filter(r.org_id, org, as_text=False))
        ).all()
    for row in rows:
        text = seal.reseal(org, "records.text", row.text, as_json=False)
        answers = seal.reseal(org, "records.answers", row.answers, as_json=True)
        if text is None and answers is None:
            continue
        values: dict[str, Any] = {}
        if text is not None:
            values["text"] = text
        if answers is not None:
            values["answers"] = answers
        with store.engine.begin() as conn:
            n += conn.execute(
                update(_records).where(r.id == row.id, r.text == row.text).values(values)
            ).rowcount
    return n


def _reseal_outbox(store: SqlStore, org: str) -> int:
    seal, o = store.sealer, _outbox.c
    n = 0
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(o.id, o.text).where(_org_filter(o.org_id, org, as_text=True))
        ).all()
    for row in rows:
        text = seal.reseal(org, "outbox.text", row.text, as_json=False)
        if text is None:
            continue
        with store.engine.begin() as conn:
            n += conn.execute(
                update(_outbox).where(o.id == row.id, o.text == row.text).values(text=text)
            ).rowcount
    return n


def _reseal_conversations(store: SqlStore, org: str) -> tuple[int, int]:
    """Re-seal the conversations sealed with ``org``'s key: (done, still busy)."""
    c = _convs.c
    with store.engine.connect() as conn:
        found = [
            row.id
            for row in conn.execute(select(c.id, c.position))
            if sealed_for(row.position) == org
        ]
    done = busy = 0
    for conv_id in found:
        for _ in range(ATTEMPTS):
            outcome = _reseal_conversation(store, org, conv_id)
            if outcome is not None:
                done += outcome
                break
        else:
            busy += 1
    return done, busy


def _reseal_conversation(store: SqlStore, org: str, conv_id: int) -> int | None:
    """Re-seal one conversation: 1 if done, 0 if there was nothing to do, None when a
    step saved it meanwhile (then nothing was written: try again)."""
    seal, c, a = store.sealer, _convs.c, _answers.c
    with store.engine.connect() as conn:
        head = conn.execute(select(c.revision, c.position).where(c.id == conv_id)).one_or_none()
        if head is None or sealed_for(head.position) != org:
            return 0
        rows = conn.execute(
            select(a.seq, a.value, a.stack, a.extra).where(a.conversation_id == conv_id)
        ).all()
    ring = store.keys
    assert ring is not None
    position = ring.reseal(org, "conversations.position", head.position["sealed"])
    changed: list[dict[str, Any]] = []
    for row in rows:
        values = {
            name: seal.reseal(org, f"answers.{name}", getattr(row, name), as_json=True)
            for name in ("value", "stack", "extra")
        }
        if any(v is not None for v in values.values()):
            kept = {k: getattr(row, k) if v is None else v for k, v in values.items()}
            changed.append({"k_seq": row.seq} | kept)
    if position is None and not changed:
        return 0
    new_position = dict(head.position) | ({} if position is None else {"sealed": position})
    with store.engine.begin() as conn:
        # The revision grows on every save: unchanged, the rows read are still there.
        claimed = conn.execute(
            update(_convs)
            .where(c.id == conv_id, c.revision == head.revision)
            .values(position=new_position)
        ).rowcount
        if claimed != 1:  # nothing was written
            return None
        for values in changed:
            seq = values.pop("k_seq")
            conn.execute(
                update(_answers)
                .where(and_(a.conversation_id == conv_id, a.seq == seq))
                .values(values)
            )
    return 1
