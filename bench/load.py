"""The load test of issue 14: many professionals at once, through real processes.

Everything is what a deployment runs, on this machine: the Bot API emulator
(``tests/peers/telegram``), one or two ``voorkomen telegram`` webhook workers
(``BotProcesses`` of the tests, shipped flows and knowledge) on one throwaway
PostgreSQL (``tests/peers/postgres.py``), and a round-robin reverse proxy
(``bench/proxy.py``) between the emulator's webhook and the workers.

Each simulated professional is one chat: ``/start``, the main flow from the
menu, every question answered the way ``bench/voorkomen.py`` does (the first
button, a short text, "vandaag" where a date is asked) until the vastlegging
file arrives. A professional waits for the reply before the next answer.
The emulator reports, per chat, the updates it accepted and the messages and
edits the bot made, with its own clock (``/waitChat``): a reply time is the
time from accepting an update to the message (or edit) that answers it.

Afterwards the walks are judged from the emulator's events and PostgreSQL
(see ``judge_chat`` and ``check_database``): answers lost, replies twice,
replies out of order. ``bench/README.md`` says how each is counted.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from aiohttp import ClientSession, ClientTimeout, TCPConnector

from bench.load_checks import MAIN_FLOW, Verdict, check_database, judge_chat
from bench.load_walk import POLL_SECONDS, Professional
from bot.org.model import Role
from bot.service.people_port import Enrolment
from bot.store.migrate import upgrade
from bot.store.people import SqlPeopleStore
from bot.store.sql import make_engine
from tests.peers.common import free_port, stop_process
from tests.peers.postgres import PostgresServer
from tests.peers.telegram.fixture import (
    PROJECT,
    BotProcesses,
    Emulator,
    start_emulator,
)
from tests.telegram.conftest import shipped_menu_flows

Log = Callable[[str], None]

ORGANISATION = "Belasting"
FIRST_CHAT = 800_001
RETRY_MARK = " failed ("
"""What ``bot.channels.telegram.flood`` logs before trying a Bot API call again."""


@dataclass(frozen=True)
class LoadConfig:
    professionals: int = 200
    workers: tuple[int, ...] = (1, 2)
    reply_timeout: float = 120.0
    """Seconds a professional waits for one reply before the answer counts as lost."""

    @classmethod
    def smoke(cls) -> LoadConfig:
        return cls(professionals=5, reply_timeout=60.0)


@dataclass
class LoadRun:
    """The figures of one run: N professionals against W workers."""

    workers: int
    professionals: int
    walks_finished: int
    updates: int
    seconds: float
    reply_ms: list[float]
    verdict: Verdict
    retried: int = 0
    """Bot API calls the workers made again after a network error or Telegram's 429
    (``bot.channels.telegram.flood`` logs each): a retried call that had arrived
    shows up as a duplicate."""

    @property
    def median_ms(self) -> float:
        return statistics.median(self.reply_ms) if self.reply_ms else float("nan")

    @property
    def p99_ms(self) -> float:
        if len(self.reply_ms) < 2:
            return self.median_ms
        return statistics.quantiles(self.reply_ms, n=100, method="inclusive")[98]

    @property
    def updates_per_second(self) -> float:
        return self.updates / self.seconds if self.seconds > 0 else float("nan")


@dataclass
class LoadResults:
    config: LoadConfig
    runs: list[LoadRun] = field(default_factory=list)
    skipped: str = ""
    seconds: float = 0.0


# ---------------------------------------------------------------- the processes


@dataclass
class Stack:
    """The peers of a load run: PostgreSQL and the emulator, for all runs."""

    emulator: Emulator
    make_database: Callable[[], str]
    drop_database: Callable[[str], None]
    workdir: Path


def enrol_all(url: str, chat_ids: list[int]) -> None:
    """Make every professional a member, as a beheerder would (one connection)."""
    upgrade(url)
    engine = make_engine(url)
    try:
        people = SqlPeopleStore(engine)
        now = datetime.now(UTC)
        org = people.organisation(ORGANISATION) or people.create_organisation(ORGANISATION, now=now)
        for chat_id in chat_ids:
            people.enrol(
                Enrolment(
                    org.id,
                    "Prof",
                    frozenset({Role.PROFESSIONAL}),
                    identity=("telegram", str(chat_id)),
                ),
                now=now,
            )
    finally:
        engine.dispose()


@contextlib.contextmanager
def proxy_process(port: int, workers: list[str], log_path: Path) -> Iterator[None]:
    """``bench/proxy.py`` on ``port`` in its own process, in front of ``workers``."""
    out = log_path.open("ab")
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.proxy", str(port), *workers],
        cwd=PROJECT,
        stdout=subprocess.PIPE,
        stderr=out,
        stdin=subprocess.DEVNULL,
    )
    out.close()
    try:
        assert process.stdout is not None
        line = process.stdout.readline().decode()
        if not line.startswith("READY "):
            msg = f"the proxy did not start: {line!r} {log_path.read_text()}"
            raise RuntimeError(msg)
        yield
    finally:
        stop_process(process, "proxy")
        if process.stdout is not None:
            process.stdout.close()


@dataclass
class Fleet:
    """The webhook workers of one bot on one database, behind one webhook address.

    Workers are started as the runs need them (the 2-worker run adds a second to
    the first); each run puts a fresh proxy on the same address in front of the
    workers it uses, so every worker keeps the webhook it registered.
    """

    stack: Stack
    database: str
    bots: BotProcesses
    port: int = field(default_factory=free_port)
    worker_ports: list[int] = field(default_factory=list)
    token: str = ""

    @property
    def webhook(self) -> str:
        return f"http://127.0.0.1:{self.port}/telegram"

    def grow(self, count: int) -> None:
        while len(self.worker_ports) < count:
            port = free_port()
            env = {
                "VOORKOMEN_DATABASE_URL": self.database,
                "VOORKOMEN_TELEGRAM_WEBHOOK_URL": self.webhook,
                "VOORKOMEN_TELEGRAM_WEBHOOK_LISTEN": f"127.0.0.1:{port}",
            }
            if self.token:  # the other workers run the same bot
                env["VOORKOMEN_TELEGRAM_TOKEN"] = self.token
            bot = self.bots.start(
                PROJECT / "flows",
                main_flow=MAIN_FLOW,
                knowledge_dir=PROJECT / "knowledge",
                extra_env=env,
            )
            self.token = self.token or bot.token
            self.worker_ports.append(port)

    def retried(self) -> int:
        """Bot API calls the workers have retried so far (their logs' flood lines)."""
        return sum(bot.log_text().count(RETRY_MARK) for bot in self.bots.running)

    @contextlib.contextmanager
    def serving(self, count: int) -> Iterator[None]:
        """``count`` workers (started if need be) behind the proxy."""
        self.grow(count)
        urls = [f"http://127.0.0.1:{port}/telegram" for port in self.worker_ports[:count]]
        with proxy_process(self.port, urls, self.stack.workdir / "proxy.log"):
            yield


async def load_run(
    fleet: Fleet, config: LoadConfig, count: int, chat_ids: list[int], log: Log
) -> LoadRun:
    """One run: a professional per chat in ``chat_ids``, at once, against ``count`` workers."""
    enrol_all(fleet.database, chat_ids)
    title = shipped_menu_flows()[MAIN_FLOW]
    emulator = fleet.stack.emulator
    retried_before = fleet.retried()
    with fleet.serving(count):
        connector = TCPConnector(limit=0)
        async with ClientSession(
            connector=connector, timeout=ClientTimeout(total=POLL_SECONDS + 30)
        ) as http:
            people = [
                Professional(http, emulator.url, fleet.token, c, config.reply_timeout)
                for c in chat_ids
            ]
            log(f"load: {len(people)} professionals, {count} worker(s)")
            started = time.monotonic()
            outcomes = await asyncio.gather(
                *(p.walk_flow(title) for p in people), return_exceptions=True
            )
            seconds = time.monotonic() - started
            for person, outcome in zip(people, outcomes, strict=True):
                if isinstance(outcome, BaseException):
                    person.walk.error = f"{type(outcome).__name__}: {outcome}"
            verdict = await settle_and_judge(http, emulator, fleet.token, people)
    verdict.add(check_database(fleet.database, [p.walk for p in people]))
    for person in people:
        if person.walk.error:
            verdict.problems.append(f"chat {person.walk.chat_id}: {person.walk.error}")
    turns = [t for p in people for t in p.walk.turns]
    replies = [ms for t in turns if (ms := t.reply_ms) is not None]
    return LoadRun(
        workers=count,
        professionals=len(chat_ids),
        walks_finished=sum(1 for p in people if p.walk.finished),
        updates=len(replies),
        seconds=seconds,
        retried=fleet.retried() - retried_before,
        reply_ms=replies,
        verdict=verdict,
    )


async def settle_and_judge(
    http: ClientSession, emulator: Emulator, token: str, people: list[Professional]
) -> Verdict:
    """Wait (bounded) until every press has its answer, then judge every chat."""
    presses = {t.callback_id for p in people for t in p.walk.turns if t.callback_id}
    deadline = time.monotonic() + 30
    answered: Counter[str] = Counter()
    while True:
        async with http.post(
            f"{emulator.url}/getCallbackAnswers", json={"token": token}
        ) as response:
            data = await response.json()
        answered = Counter(str(a["callback_query_id"]) for a in data["result"])
        if presses <= set(answered) or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.2)
    verdict = Verdict()
    for person in people:
        await person.fetch(0)  # whatever came after the walk ended
        verdict.add(judge_chat(person.walk, person.events, answered))
    return verdict


async def run_load(
    config: LoadConfig,
    *,
    workdir: Path | None = None,
    server: PostgresServer | None = None,
    emulator: Emulator | None = None,
    log: Log = print,
) -> LoadResults:
    """Every run of ``config`` (1 and 2 workers) on one fresh database of ``server``,
    each run with professionals (chats) of its own; the 2-worker run adds a worker
    to the first. The PostgreSQL server and the emulator are started (and
    stopped) here unless given (the tests pass their session's)."""
    import pytest

    from bench.run import _throwaway_master_key
    from tests.peers.postgres import PeerUnavailableError, start_postgres

    started = time.monotonic()
    results = LoadResults(config)
    _throwaway_master_key()
    os.environ.setdefault("VOORKOMEN_NAME_CHECK", "off")
    with contextlib.ExitStack() as exits:
        if workdir is None:
            workdir = Path(exits.enter_context(tempfile.TemporaryDirectory(prefix="vk-load-")))
        if server is None:
            try:
                server = start_postgres()
            except (PeerUnavailableError, OSError) as err:
                results.skipped = f"PostgreSQL not available: {err}"
                log(f"load: {results.skipped}")
                return results
            exits.callback(server.stop)
        if emulator is None:
            try:
                emulator = start_emulator(workdir / "emulator.log")
            except pytest.skip.Exception as err:
                results.skipped = str(err)
                log(f"load: {results.skipped}")
                return results
            exits.callback(stop_process, emulator.process, "emulator")
        pg = server
        names = itertools.count(1)
        stack = Stack(
            emulator,
            lambda: pg.create_database(f"voorkomen_load_{os.getpid()}_{next(names)}"),
            lambda url: pg.drop_database(url.rsplit("/", 1)[1]),
            workdir,
        )
        database = stack.make_database()
        exits.callback(stack.drop_database, database)
        fleet = Fleet(stack, database, BotProcesses(emulator, workdir))
        exits.callback(fleet.bots.stop_all)
        for number, count in enumerate(config.workers):
            first = FIRST_CHAT + number * config.professionals
            chats = list(range(first, first + config.professionals))
            run = await load_run(fleet, config, count, chats, log)
            log(
                f"load: {count} worker(s): {run.updates} updates in {run.seconds:.1f} s,"
                f" median {run.median_ms:.0f} ms, p99 {run.p99_ms:.0f} ms,"
                f" lost {run.verdict.lost}, duplicates {run.verdict.duplicates},"
                f" out of order {run.verdict.out_of_order}"
            )
            results.runs.append(run)
    results.seconds = time.monotonic() - started
    return results
