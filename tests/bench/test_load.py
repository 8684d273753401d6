"""The load test of issue 14, small: so ``make bench``'s load part cannot rot.

Five professionals walk the main flow at once through the emulator, the
proxy and one, then two, webhook workers on PostgreSQL; every walk must end
with its record, no answer lost, none twice, none out of order. The judging
itself is tested on made-up chats: a check that never fires would let the
real run report 0 for anything.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from bench.load import LoadConfig, LoadResults, run_load
from bench.load_checks import judge_chat
from bench.load_report import BEGIN, END, render_load, splice
from bench.load_walk import Turn, Walk
from tests.peers.postgres import PostgresServer
from tests.peers.telegram.fixture import Emulator

pytestmark = [pytest.mark.peer, pytest.mark.timeout(240)]


@pytest.fixture(scope="module")
def small_load(
    postgres_server: PostgresServer,
    telegram_emulator: Emulator,
    tmp_path_factory: pytest.TempPathFactory,
) -> LoadResults:
    config = LoadConfig.smoke()
    return asyncio.run(
        run_load(
            config,
            workdir=tmp_path_factory.mktemp("load"),
            server=postgres_server,
            emulator=telegram_emulator,
            log=lambda _m: None,
        )
    )


def test_five_professionals_on_one_and_two_workers_lose_nothing(small_load: LoadResults) -> None:
    assert not small_load.skipped
    assert [run.workers for run in small_load.runs] == [1, 2]
    for run in small_load.runs:
        v = run.verdict
        assert v.problems == [], (run.workers, v.problems)
        assert (v.lost, v.duplicates, v.out_of_order) == (0, 0, 0)
        assert run.walks_finished == run.professionals == 5
        assert v.walks_with_one_record == 5
        # The main flow is long: every walk sent many updates, each saved once.
        assert run.updates >= 5 * 10
        assert v.answers_sent == v.answers_stored == run.updates
        assert all(ms >= 0 for ms in run.reply_ms)
        assert 0 < run.median_ms <= run.p99_ms
        assert run.updates_per_second > 0


def test_the_section_reports_each_run_and_replaces_only_itself(
    small_load: LoadResults, tmp_path: Path
) -> None:
    section = render_load(small_load)
    assert section.startswith(BEGIN) and section.endswith(END)
    for run in small_load.runs:
        assert f"| answers lost = 0 | {run.workers} | 0 | yes |" in section
        assert f"| duplicates = 0 | {run.workers} | 0 | yes |" in section
        assert f"| out of order = 0 | {run.workers} | 0 | yes |" in section
    before = "# Benchmark results\n\n## 1. Something\n\nkept\n"
    once = splice(before, section)
    assert once.startswith(before.rstrip("\n")) and section in once
    again = splice(once.replace("kept", "still kept"), section.replace("yes", "YES"))
    assert "still kept" in again and again.count(BEGIN) == 1 and "YES" in again


# ------------------------------------------------------------ the judging, on made-up chats


def _user(at: int) -> dict[str, Any]:
    return {"kind": "user", "at": at}


def _sent(message_id: int, at: int) -> dict[str, Any]:
    return {"kind": "sent", "at": at, "message_id": message_id}


def _walk(texts: dict[int, str], turns: list[Turn]) -> Walk:
    walk = Walk(1, turns=turns, finished=True)
    walk.texts = texts
    walk.questions = dict.fromkeys(texts, True)
    return walk


def test_a_question_asked_twice_is_a_duplicate() -> None:
    walk = _walk({1: "Vraag 1", 2: "Vraag 2", 3: "Vraag 2"}, [Turn("text"), Turn("text")])
    events = [_user(0), _sent(1, 5), _user(10), _sent(2, 15), _sent(3, 16)]
    v = judge_chat(walk, events, Counter())
    assert (v.lost, v.duplicates, v.out_of_order) == (0, 1, 0)


def test_an_update_without_a_reply_is_lost() -> None:
    walk = _walk({1: "Vraag 1"}, [Turn("text"), Turn("text")])
    events = [_user(0), _sent(1, 5), _user(10)]
    v = judge_chat(walk, events, Counter())
    assert (v.lost, v.duplicates, v.out_of_order) == (1, 0, 0)


def test_a_tick_needs_the_edit_and_a_press_its_answer() -> None:
    tick = Turn("tick", pressed=1, callback_id="c1")
    walk = _walk({1: "Kies"}, [Turn("text"), tick])
    events = [_user(0), _sent(1, 5), _user(10)]  # no edit of message 1
    v = judge_chat(walk, events, Counter())  # and the press never answered
    assert v.lost == 2
    answered_twice = judge_chat(
        walk, [*events, {"kind": "edit", "at": 12, "message_id": 1}], Counter({"c1": 2})
    )
    assert (answered_twice.lost, answered_twice.duplicates) == (0, 1)


def test_another_question_than_the_next_one_is_out_of_order() -> None:
    walk = _walk({1: "Vraag 1", 2: "Vraag 2", 3: "Vraag 3"}, [Turn("text"), Turn("text")])
    events = [_user(0), _sent(1, 5), _user(10), _sent(2, 15), _sent(3, 16)]
    v = judge_chat(walk, events, Counter())
    assert (v.lost, v.duplicates, v.out_of_order) == (0, 0, 1)
