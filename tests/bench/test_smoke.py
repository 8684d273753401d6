"""A tiny run of the whole benchmark harness, so ``make bench`` cannot rot.

Every measurement runs with a few rounds of a few conversations; the test
checks that the run completes, that every figure is a number and that
``bench/RESULTS.md``'s tables are complete. It asserts nothing about speed:
the real run is ``make bench``.
"""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import pytest

from bench import bots
from bench.__main__ import main
from bench.report import call_rows, render, targets
from bench.run import SCENARIOS, Config, Results, run
from bench.stats import Figure
from tests.peers.synapse import find_synapse_python
from tests.peers.telegram.fixture import PACKAGE as TELEGRAM_EMULATOR

pytestmark = pytest.mark.timeout(600)


def _postgres_url(request: pytest.FixtureRequest) -> str | None:
    """An empty PostgreSQL database, or None where the peer may be skipped.

    Under CI=true the fixture fails the test instead of skipping it.
    """
    try:
        server = request.getfixturevalue("postgres_server")
    except pytest.skip.Exception:
        return None
    return str(server.create_database())


def _assert_numbers(figure: Figure, rounds: int, what: str) -> None:
    assert len(figure.samples) == rounds, what
    assert all(math.isfinite(s) and s > 0 for s in figure.samples), (what, figure.samples)


@pytest.fixture(scope="module")
def smoke(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Results:
    import asyncio

    config = Config.smoke()
    url = _postgres_url(request)
    workdir = tmp_path_factory.mktemp("bench")
    return asyncio.run(run(config, postgres_url=url, workdir=workdir, log=lambda _m: None))


def test_every_telegram_scenario_is_measured(smoke: Results) -> None:
    rounds = smoke.config.rounds
    expected = set(SCENARIOS)
    if bots.dialog_available() is not None:
        assert "aiogram-dialog" in smoke.skipped["c"]
        expected.discard("c")
    if "e" in smoke.skipped:
        expected.discard("e")
        assert "PostgreSQL" in smoke.skipped["e"]
    assert set(smoke.telegram) == expected
    for key in expected:
        _assert_numbers(smoke.telegram[key], rounds, key)
        assert smoke.telegram_updates[key] >= 6, key
    # Voorkomen's users walked the whole main flow: many more updates than a form.
    assert smoke.telegram_updates["d"] > smoke.telegram_updates["a"]


def test_bot_api_calls_are_counted_with_their_reasons(smoke: Results) -> None:
    # The echo answers each message with exactly one message.
    assert smoke.telegram_calls["a"] == {"sendMessage": smoke.telegram_measured["a"]}
    voorkomen = smoke.telegram_calls["d"]
    assert {"sendMessage", "answerCallbackQuery", "sendDocument"} <= set(voorkomen)
    rows = "\n".join(call_rows(smoke))
    for method in voorkomen:
        assert f"| d | `{method}` |" in rows
    assert "acknowledges a button press" in rows and "the vastlegging file" in rows


def test_store_and_start_up_are_measured(smoke: Results) -> None:
    config = smoke.config
    expected = {"sqlite"} if "e" in smoke.skipped else {"sqlite", "postgresql"}
    assert set(smoke.store) == expected
    for name, figure in smoke.store.items():
        _assert_numbers(figure, config.rounds, f"store on {name}")
    assert smoke.store_steps > 5
    _assert_numbers(smoke.engine_median, config.rounds, "engine, median over the flows")
    for what in ("chat", "aiogram"):
        _assert_numbers(smoke.startup[what], config.startup_runs, f"start-up {what}")
    if TELEGRAM_EMULATOR.is_file() and shutil.which("node"):
        # `voorkomen telegram` to ready, against the Bot API emulator
        _assert_numbers(smoke.startup["telegram"], config.startup_runs, "start-up telegram")
    else:
        assert "emulator" in smoke.skipped["telegram start-up"]
        assert "| `voorkomen telegram` to ready (long polling) | – |" in render(smoke)


def test_matrix_round_trips_are_measured(smoke: Results) -> None:
    """Voorkomen and the bare echo bot answered on the test Synapse, plain and encrypted."""
    if find_synapse_python() is None:
        assert "Synapse" in smoke.skipped["matrix"]
        return
    assert smoke.matrix is not None, smoke.skipped.get("matrix")
    for key, figure in smoke.matrix.figures.items():
        _assert_numbers(figure, smoke.config.matrix_rounds, f"Matrix {key}")
    text = render(smoke)
    assert "| ratio Voorkomen / echo, end-to-end encrypted |" in text
    matrix_rows = [t for t in targets(smoke) if t.what.startswith("Matrix reply round trip")]
    assert len(matrix_rows) == 2 and all(t.met is not None for t in matrix_rows)


def test_engine_scale_load_and_memory_are_measured(smoke: Results) -> None:
    config = smoke.config
    assert "dilemma" in smoke.engine
    for flow_id, figure in smoke.engine.items():
        _assert_numbers(figure, config.rounds, flow_id)
    assert smoke.engine_steps["dilemma"] > 5
    assert set(smoke.scale) == {config.stored_small, config.stored_large}
    for count, figure in smoke.scale.items():
        _assert_numbers(figure, config.rounds, f"{count} stored")
    _assert_numbers(smoke.flow_load, config.rounds, "flow load")
    _assert_numbers(smoke.flow_load_check, config.rounds, "flow load, flows check")
    _assert_numbers(smoke.flow_compose, config.rounds, "libyaml composing the flow")
    assert smoke.flow_load_steps == config.flow_steps + 1  # and the end step
    assert len(smoke.rss) == config.rss_runs
    assert [r.organisations for r in smoke.rss_spread] == [config.rss_organisations] * len(
        smoke.rss
    )
    for result in smoke.rss:
        assert result.conversations == config.rss_conversations
        assert result.before_kib > 10_000  # a Python process with aiogram loaded
        assert result.after_kib > 0


def test_results_table_is_complete(smoke: Results) -> None:
    text = render(smoke)
    for heading in (
        "## Targets",
        "## 1. One Telegram update, in process",
        "## 2. The engine alone",
        "## 3. The store alone",
        "## 4. Step time against a full database",
        "## 5. Loading a big flow",
        "## 6. Memory of a running bot",
        "## 7. Start-up",
        "## 8. Matrix round trips",
        "## Machine",
    ):
        assert heading in text
    for label in SCENARIOS.values():
        assert label in text
    for ratio in ("d/a", "d/b", "d/c", "e/a", "e/d"):
        assert f"| {ratio} |" in text
    measured = [t for t in targets(smoke) if t.met is not None]
    # engine/echo, store/echo, the console's start-up, the scale ratio, two flow
    # loads, RSS, and d/c or e/d
    assert len(measured) >= 8
    assert any(t.what.startswith("engine step alone") for t in measured)
    assert any(t.what.startswith("store work per step on SQLite") for t in measured)
    assert "Python" in smoke.machine and "aiogram" in smoke.machine


def test_command_line_writes_the_results_file(tmp_path: Path) -> None:
    """``python -m bench --smoke --output FILE`` (without PostgreSQL and Matrix, one round)."""
    output = tmp_path / "RESULTS.md"
    args = ["--smoke", "--rounds", "1", "--no-postgres", "--no-matrix", "--output", str(output)]
    assert main(args) == 0
    text = output.read_text(encoding="utf-8")
    assert "## Targets" in text
    assert "PostgreSQL not requested" in text
    assert "Matrix not requested" in text
