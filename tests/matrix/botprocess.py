"""``voorkomen matrix`` as its own process against the test Synapse, for the crash tests.

The kill tests (tests/matrix/test_kill.py, in unencrypted and in encrypted
direct chats) and the redelivery test (tests/matrix/test_redelivery.py) all
start the real command in a child process on a database and key store of the
test's own, kill it with SIGKILL, end the dead process's lease (what an
operator does after a crash they saw; otherwise a restart waits up to 30 s)
and start it again. This is the one place that does so.
"""

from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select, update

from bot.settings import PROJECT_ROOT
from bot.store.lease import Lease
from bot.store.sql import create_store, make_engine
from tests.matrix.conftest import FIXTURE_FLOWS, BotAccount
from tests.peers.synapse import SynapseServer
from tests.support.env import bot_env
from tests.support.kills import kill_hard

RUN = 'from bot.cli import main; main(["matrix"])'  # as `voorkomen matrix`
START_TIMEOUT = 120.0  # a busy machine: imports, migrations, the lease


def expire_leases(database: str) -> None:
    """What an operator does after a crash they saw: the dead process's lease ends now."""
    engine = make_engine(database)
    try:
        with engine.begin() as conn:
            past = datetime.now(UTC) - timedelta(seconds=1)
            conn.execute(update(Lease.__table__).values(expires_at=past))
    finally:
        engine.dispose()


@dataclass
class BotProcess:
    """The bot as a child process: :meth:`start`, :meth:`kill` (-9) and start again.

    Every start uses the same database, the same account and the same E2E key
    store (``bot_account.store_path``), as a restart under systemd does.
    """

    env: dict[str, str]
    database: str
    log: Path
    bot_user_id: str
    current: subprocess.Popen[bytes] | None = None

    @classmethod
    def on(
        cls,
        server: SynapseServer,
        bot: BotAccount,
        tmp_path: Path,
        *,
        require_encryption: bool,
    ) -> BotProcess:
        """A bot (not started) on a fresh SQLite database in ``tmp_path``, the fixture flows."""
        database = f"sqlite:///{tmp_path / 'bot.db'}"
        env = bot_env(
            DATABASE_URL=database,
            FLOWS_DIR=str(FIXTURE_FLOWS),
            KNOWLEDGE_DIR=str(tmp_path / "no-knowledge"),
            MAIN_FLOW="overleg",
            MATRIX_HOMESERVER=server.url,
            MATRIX_USER_ID=bot.user_id,
            MATRIX_PASSWORD=bot.account.password,
            MATRIX_STORE_PATH=str(bot.store_path),
            MATRIX_REQUIRE_ENCRYPTION="true" if require_encryption else "false",
        )
        return cls(env, database, tmp_path / "bot.log", bot.user_id)

    def start(self) -> None:
        """Start it and return once it holds its lease (it is logging in then).

        Blocking: call it through ``asyncio.to_thread`` from a test's loop.
        """
        with self.log.open("ab") as out:
            self.current = subprocess.Popen(
                [sys.executable, "-c", RUN],
                cwd=PROJECT_ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        deadline = time.monotonic() + START_TIMEOUT
        while not self._holds_lease():
            assert self.current.poll() is None, self.log_tail()
            assert time.monotonic() < deadline, "the Matrix bot did not start"
            time.sleep(0.1)

    def _holds_lease(self) -> bool:
        assert self.current is not None
        engine = make_engine(self.database)
        try:
            with engine.connect() as conn:
                holders = conn.execute(select(Lease.__table__.c.holder)).scalars().all()
        finally:
            engine.dispose()
        return any(f":{self.current.pid}:" in holder for holder in holders)

    def kill(self) -> None:
        """SIGKILL, then end its lease as the operator who saw it die does."""
        assert self.current is not None
        kill_hard(self.current)
        expire_leases(self.database)

    def stop(self) -> None:
        """At the end of a test: gone, whatever state it is in."""
        if self.current is not None:
            kill_hard(self.current)

    def value(self, name: str) -> str | None:
        """The bot's run-time value ``matrix:<bot user id>:<name>`` in its database."""
        store = create_store(self.database)
        try:
            return store.get_value(f"matrix:{self.bot_user_id}:{name}")
        finally:
            store.close()

    def set_value(self, name: str, value: str) -> None:
        store = create_store(self.database)
        try:
            store.set_value(f"matrix:{self.bot_user_id}:{name}", value)
        finally:
            store.close()

    def log_tail(self, chars: int = 2000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""
