"""One ``voorkomen matrix`` process per bot account: a second one refuses to start.

The first process holds the lease ``matrix:<user id>`` in the database
(``bot.store.lease``); a second process on the same account and database
exits with 3 and says so in plain English, before it logs in. On SQLite and
PostgreSQL with the lease held by "another process" (a row this test writes),
and with two real processes against Synapse.
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.settings import PROJECT_ROOT
from bot.store.lease import LeaseHeldError, acquire
from bot.store.migrate import upgrade
from bot.store.sql import make_engine
from tests.matrix.conftest import FIXTURE_FLOWS, BotAccount, MakeUser
from tests.org.support import enrol
from tests.peers.postgres import PostgresServer
from tests.peers.synapse import SynapseServer
from tests.support.env import bot_env

RUN = 'from bot.cli import main; main(["matrix"])'  # as `voorkomen matrix`
ACCOUNT = "@voorkomen:example.org"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.peer)])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'bot.db'}"
        upgrade(url)
        yield url
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    url = server.create_database()
    upgrade(url)
    yield url
    server.drop_database(url.rsplit("/", 1)[1])


def _env(database: str, tmp_path: Path, **more: str) -> dict[str, str]:
    return bot_env(
        DATABASE_URL=database,
        FLOWS_DIR=str(FIXTURE_FLOWS),
        KNOWLEDGE_DIR=str(tmp_path / "no-knowledge"),
        MAIN_FLOW="overleg",
        MATRIX_STORE_PATH=str(tmp_path / "matrix-store"),
        **more,
    )


def test_a_second_process_on_the_same_account_refuses_to_start(
    database: str, tmp_path: Path
) -> None:
    engine = make_engine(database)
    try:
        acquire(engine, f"matrix:{ACCOUNT}", holder="other-host:4242:beef")
    finally:
        engine.dispose()
    result = subprocess.run(
        [sys.executable, "-c", RUN],
        cwd=PROJECT_ROOT,
        # Nothing listens there: a process that got past the lease would fail to log in.
        env=_env(
            database,
            tmp_path,
            MATRIX_HOMESERVER="http://127.0.0.1:9",
            MATRIX_USER_ID=ACCOUNT,
            MATRIX_PASSWORD="not-used",
        ),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 3, result.stderr
    assert (
        f"Not starting: Matrix account {ACCOUNT} is already running; another process "
        "(other-host:4242:beef) holds the lease" in result.stderr
    )
    assert "stop that process first" in result.stderr


@pytest.mark.peer
@pytest.mark.timeout(180)
async def test_two_real_processes_one_runs_the_other_is_refused_then_may_follow(
    synapse_server: SynapseServer, bot_account: BotAccount, make_user: MakeUser, tmp_path: Path
) -> None:
    database = f"sqlite:///{tmp_path / 'bot.db'}"
    env = _env(
        database,
        tmp_path,
        MATRIX_HOMESERVER=synapse_server.url,
        MATRIX_USER_ID=bot_account.user_id,
        MATRIX_PASSWORD=bot_account.account.password,
        MATRIX_REQUIRE_ENCRYPTION="false",
    )
    pro = await make_user("anna")
    enrol(database, "matrix", pro.user_id, name="Anna")
    first = await asyncio.create_subprocess_exec(
        sys.executable, "-c", RUN, cwd=PROJECT_ROOT, env=env, stderr=subprocess.PIPE
    )
    try:
        room = await pro.create_dm(bot_account.user_id, encrypted=False, timeout=60)
        first_words = await pro.expect(room, bot_account.user_id, count=2)  # the first runs
        assert any(m.body.startswith("Welkom bij Voorkomen") for m in first_words)

        second = await asyncio.create_subprocess_exec(
            sys.executable, "-c", RUN, cwd=PROJECT_ROOT, env=env, stderr=subprocess.PIPE
        )
        _out, err = await asyncio.wait_for(second.communicate(), 90)
        assert second.returncode == 3, err.decode()
        assert f"Matrix account {bot_account.user_id} is already running" in err.decode()
        assert first.returncode is None, "the first process must keep running"

        first.send_signal(signal.SIGTERM)
        _out, err = await asyncio.wait_for(first.communicate(), 60)
        assert first.returncode == 0, err.decode()
    finally:
        if first.returncode is None:
            first.kill()
            await first.wait()
    # A clean stop released the lease: a successor need not wait for it to run out.
    engine = make_engine(database)
    try:
        started = time.monotonic()
        try:
            acquire(engine, f"matrix:{bot_account.user_id}")
        except LeaseHeldError as exc:  # pragma: no cover - the failure's message
            pytest.fail(f"the lease was not released on SIGTERM: {exc}")
        assert time.monotonic() - started < 5
    finally:
        engine.dispose()
