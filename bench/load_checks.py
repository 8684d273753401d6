"""The load test's checks: answers lost, replies twice, replies out of order.

``judge_chat`` reads one chat's events at the emulator (what the professional
sent and what the bot answered, in order); ``check_database`` reads PostgreSQL
(a record per walk, every update saved once). ``bench/README.md`` says how
each is counted.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select

from bench.load_walk import Walk
from bot.store.sql import make_engine
from bot.store.tables import conversations, records

MAIN_FLOW = "dilemma"


@dataclass
class Verdict:
    """What the checks found, summed over walks."""

    lost: int = 0
    duplicates: int = 0
    out_of_order: int = 0
    walks_with_one_record: int = 0
    answers_sent: int = 0
    answers_stored: int = 0
    problems: list[str] = field(default_factory=list)

    def add(self, other: Verdict) -> None:
        self.lost += other.lost
        self.duplicates += other.duplicates
        self.out_of_order += other.out_of_order
        self.walks_with_one_record += other.walks_with_one_record
        self.answers_sent += other.answers_sent
        self.answers_stored += other.answers_stored
        self.problems += other.problems


def judge_chat(walk: Walk, events: list[dict[str, Any]], answered: Counter[str]) -> Verdict:
    """Lost, duplicate and out-of-order replies in one chat, from the emulator's events.

    The chat's events are cut at each accepted update: what the bot did between
    an update and the next is its reply to that update (a professional waits for
    the reply, so a reply can only belong to the update before it). A ``tick``
    should be answered by an edit of its message and no new question, any
    other update by exactly one new question (or the file).
    """
    verdict = Verdict()
    segments: list[list[dict[str, Any]]] = []
    for event in events:
        if event["kind"] == "user":
            segments.append([])
        elif segments:
            segments[-1].append(event)
        else:
            verdict.out_of_order += 1
            verdict.problems.append(f"chat {walk.chat_id}: a bot message before any update")
    shown: list[int] = []
    for number, (turn, segment) in enumerate(zip(walk.turns, segments, strict=False)):
        asked = answers_in(walk, segment)
        edited = {int(e["message_id"]) for e in segment if e["kind"] == "edit"}
        wanted = 0 if turn.kind == "tick" else 1
        if (turn.kind == "tick" and turn.pressed not in edited) or len(asked) < wanted:
            verdict.lost += 1
            verdict.problems.append(
                f"chat {walk.chat_id}: update {number} ({turn.kind}) unanswered"
            )
        for extra in asked[wanted:]:
            verdict.problems.append(f"chat {walk.chat_id}: update {number} answered again")
            if extra_repeats(walk, extra, shown + asked[:wanted]):
                verdict.duplicates += 1
            else:
                verdict.out_of_order += 1
        shown += asked
    if len(segments) != len(walk.turns):
        verdict.lost += max(0, len(walk.turns) - len(segments))
        verdict.problems.append(
            f"chat {walk.chat_id}: {len(walk.turns)} updates sent, {len(segments)} accepted"
        )
    for turn in walk.turns:
        if turn.callback_id is None:
            continue
        times = answered[turn.callback_id]
        if times == 0:
            verdict.lost += 1
            verdict.problems.append(f"chat {walk.chat_id}: press {turn.callback_id} not answered")
        elif times > 1:
            verdict.duplicates += times - 1
            verdict.problems.append(
                f"chat {walk.chat_id}: press {turn.callback_id} answered {times} times"
            )
    return verdict


def answers_in(walk: Walk, segment: list[dict[str, Any]]) -> list[int]:
    """The questions (and files) the bot sent in ``segment``, by message id. What
    follows the vastlegging file is the bot's next offer (a colleague's
    confirmation, the menu), not a second answer, unless it is a second file."""
    asked: list[int] = []
    filed = False
    for event in segment:
        message_id = int(event.get("message_id") or 0)
        if event["kind"] != "sent" or not walk.questions.get(message_id, False):
            continue
        is_file = message_id in walk.files
        if filed and not is_file:
            continue
        filed = filed or is_file
        asked.append(message_id)
    return asked


def extra_repeats(walk: Walk, extra: int, earlier: list[int]) -> bool:
    """Is this extra question a copy of one shown before (else it is out of order)?"""
    text = walk.texts.get(extra)
    return any(walk.texts.get(m) == text for m in earlier)


def check_database(url: str, walks: list[Walk]) -> Verdict:
    """Per walk, in PostgreSQL: exactly one record of the main flow, and every update
    saved once.

    Every update of a walk changes the conversation (an answer, a tick, the menu
    choice), and each save raises the conversation row's revision by one; the
    first update creates the row at revision 0. So a chat whose row is at
    revision ``updates - 1`` kept every update once; lower means saves were lost,
    higher that an update was handled twice.
    """
    verdict = Verdict()
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            kept: dict[str, int] = {
                str(chat): int(count)
                for chat, count in conn.execute(
                    select(records.c.chat, func.count())
                    .where(records.c.channel == "telegram", records.c.flow_id == MAIN_FLOW)
                    .group_by(records.c.chat)
                ).all()
            }
            revisions: dict[str, int] = {
                str(chat): int(revision)
                for chat, revision in conn.execute(
                    select(conversations.c.chat, conversations.c.revision).where(
                        conversations.c.channel == "telegram"
                    )
                ).all()
            }
    finally:
        engine.dispose()
    for walk in walks:
        chat = str(walk.chat_id)
        count = int(kept.get(chat, 0))
        if count == 1:
            verdict.walks_with_one_record += 1
        elif count == 0 and walk.finished:
            verdict.lost += 1
            verdict.problems.append(f"chat {chat}: the walk ended without a record")
        elif count > 1:
            verdict.duplicates += count - 1
            verdict.problems.append(f"chat {chat}: {count} records")
        sent = len(walk.turns)
        saved = int(revisions[chat]) + 1 if chat in revisions else 0
        verdict.answers_sent += sent
        verdict.answers_stored += min(saved, sent)
        if saved < sent:
            verdict.lost += sent - saved
            verdict.problems.append(f"chat {chat}: {sent} updates sent, {saved} saved")
        elif saved > sent:
            verdict.duplicates += saved - sent
            verdict.problems.append(f"chat {chat}: {sent} updates sent, saved {saved} times")
    return verdict
