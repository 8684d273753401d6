"""The overview: counts only, no cell under 5, the same as CSV from the command line;
and what the retention purge leaves of the follow-up tables."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.service.followup import REFUSED, Fact, PlannedAction, RecordIndex
from bot.service.overview import overview_csv, overview_rows, overview_text
from bot.service.ports import ConversationKey
from bot.store.followup import SqlFollowupStore
from bot.store.memory_followup import MemoryFollowupStore
from bot.store.migrate import upgrade
from bot.store.people import SqlPeopleStore
from bot.store.sql import SqlStore

T0 = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)


def _facts(org_id: int) -> list[Fact]:
    return [Fact(org_id, "2026-11", REFUSED, "School")] * 4 + [
        Fact(org_id, "2026-11", REFUSED, "Huisarts")
    ] * 5


def test_a_cell_of_four_is_hidden_and_a_cell_of_five_shown() -> None:
    store = MemoryFollowupStore()
    store.write_planned([*_facts(1), Fact(2, "2026-11", REFUSED, "School")] * 1)
    rows = overview_rows(1, store)
    assert overview_csv(rows).splitlines() == [
        "maand,onderwerp,categorie,aantal",
        "2026-11,toestemming geweigerd,Huisarts,5",
        "2026-11,toestemming geweigerd,School,<5",
    ]
    text = overview_text("Jeugdhulp Noord", rows)
    assert "• toestemming geweigerd, School: <5" in text
    assert "• toestemming geweigerd, Huisarts: 5" in text
    assert " 4" not in text and len(text) <= 600


class Escalations:
    """Another part's counts (escalations), through the counting interface."""

    def monthly_counts(self, org_id: int) -> list[tuple[str, str, str, int]]:
        return [("2026-11", "opschaling", "afgesloten", 7)] if org_id == 1 else []


def test_other_parts_add_their_counts() -> None:
    rows = overview_rows(1, MemoryFollowupStore(), [Escalations()])
    assert overview_csv(rows).splitlines()[1:] == ["2026-11,opschaling,afgesloten,7"]
    assert "Nog niets te tellen." in overview_text("X", overview_rows(2, MemoryFollowupStore()))


def test_the_csv_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'v.db'}"
    upgrade(url)
    sql = SqlStore(url)
    try:
        org = SqlPeopleStore(sql.engine).create_organisation("Jeugdhulp Noord", now=T0)
        SqlFollowupStore(sql.engine).write_planned(_facts(org.id))
    finally:
        sql.close()
    monkeypatch.setenv("VOORKOMEN_DATABASE_URL", url)
    runner = CliRunner()
    result = runner.invoke(main, ["overzicht", "--org", "Jeugdhulp Noord"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[1:] == [
        "2026-11,toestemming geweigerd,Huisarts,5",
        "2026-11,toestemming geweigerd,School,<5",
    ]
    wrong = runner.invoke(main, ["overzicht", "--org", "Onbekend"])
    assert wrong.exit_code == 1 and "bestaat niet" in wrong.output


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_the_retention_purge_keeps_open_steps_and_counts(kind: str, tmp_path: Path) -> None:
    sql = None
    if kind == "memory":
        store: MemoryFollowupStore | SqlFollowupStore = MemoryFollowupStore()
    else:
        url = f"sqlite:///{tmp_path / 'v.db'}"
        upgrade(url)
        sql = SqlStore(url)
        store = SqlFollowupStore(sql.engine)
    key = ConversationKey("telegram", "1")

    def step(day: date) -> PlannedAction:
        return PlannedAction(1, 7, "r1", "C-1", "Iets", "ik", day, False, T0)

    store.write_planned(
        [
            RecordIndex("r1", 1, 7, key, "vier-ogen", T0),
            step(date(2026, 11, 26)),  # done
            step(date(2027, 3, 1)),  # open, far ahead
            step(date(2026, 11, 27)),  # open, long overdue
            *_facts(1),
        ]
    )
    assert store.close_action(1, "done", date(2026, 11, 26), None, T0)
    assert store.purge_before(T0 + timedelta(days=40)) == 3  # the index row, two steps
    assert [a.due_on for a in store.open_actions(1, 7)] == [date(2027, 3, 1)]
    assert store.records_of(1, 7, T0 - timedelta(days=1)) == []
    assert len(store.facts(1)) == 2
    if sql is not None:
        sql.close()
