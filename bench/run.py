"""The benchmark run: every measurement of issue #6, interleaved, in one process.

Each round runs, one after another (the order rotates per round): the five
Telegram scenarios (echo, FSM form, aiogram-dialog, Voorkomen on SQLite,
Voorkomen on PostgreSQL), the engine alone over each shipped flow, the step
time against databases of two sizes, and loading the generated big flow. The
resident memory is measured apart, in a fresh child process per run (see
``bench.rss``). ``Config.smoke()`` is the tiny run ``make test`` does so the
harness cannot rot; its numbers mean nothing.
"""

from __future__ import annotations

import contextlib
import gc
import os
import platform
import random
import sqlite3
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from aiogram import Bot, Dispatcher

from bench import bots
from bench.driver import TelegramUser, Timer
from bench.engine import StepTimer, startable_flows, walk
from bench.flowgen import time_compose, time_load, time_load_in_child, write_book
from bench.matrix import MatrixResults
from bench.rss import RssResult, measure_in_child
from bench.scale import StoredDatabase
from bench.session import LocalSession, make_bot
from bench.startup import (
    bot_api_emulator,
    chat_to_first_question,
    import_aiogram,
    prepare,
    telegram_to_ready,
)
from bench.stats import Figure
from bench.store import StoreBench, walk_states
from bench.voorkomen import VoorkomenBot, walk_flow
from bot.app import load_content
from bot.settings import Settings

Log = Callable[[str], None]


@dataclass(frozen=True)
class Config:
    """How much to measure. The defaults are the real run (``make bench``)."""

    rounds: int = 9
    conversations: int = 6
    """Conversations per Telegram scenario per round."""
    engine_walks: int = 10
    """Walks of each shipped flow per round (engine alone)."""
    stored_small: int = 100
    stored_large: int = 100_000
    scale_conversations: int = 4
    """Stored conversations finished per database per round."""
    flow_steps: int = 1000
    rss_conversations: int = 10_000
    rss_runs: int = 2
    rss_organisations: int = 100
    store_walks: int = 4
    """Walks of the main flow per round through the store alone (each a new chat)."""
    startup_runs: int = 5
    """Fresh processes for each start-up figure."""
    postgres: bool = True
    """Measure (e): start a throwaway PostgreSQL server unless a URL is given."""
    matrix: bool = True
    """Measure the Matrix round trips (start the test Synapse, if it is installed)."""
    matrix_rounds: int = 7
    matrix_messages: int = 5
    """Timed messages per bot and mode per round (``bench.matrix``)."""
    matrix_warm_up: int = 3
    seed: int = 6

    @classmethod
    def smoke(cls) -> Config:
        """Tiny rounds of every measurement: a check that the harness works."""
        return cls(
            rounds=2,
            conversations=1,
            engine_walks=1,
            stored_small=10,
            stored_large=50,
            scale_conversations=1,
            flow_steps=100,
            rss_conversations=20,
            rss_runs=1,
            rss_organisations=3,
            store_walks=1,
            startup_runs=1,
            matrix_rounds=1,
            matrix_messages=1,
            matrix_warm_up=1,
        )


@dataclass
class Results:
    """Every figure of one run, with what it ran on."""

    config: Config
    telegram: dict[str, Figure] = field(default_factory=dict)
    telegram_updates: dict[str, int] = field(default_factory=dict)
    telegram_calls: dict[str, Counter[str]] = field(default_factory=dict)
    """Bot API calls by method, over every measured update of the scenario."""
    telegram_measured: dict[str, int] = field(default_factory=dict)
    """Measured updates of the scenario (what ``telegram_calls`` is divided by)."""
    skipped: dict[str, str] = field(default_factory=dict)
    engine: dict[str, Figure] = field(default_factory=dict)
    engine_steps: dict[str, int] = field(default_factory=dict)
    engine_median: Figure = field(default_factory=lambda: Figure("µs/step"))
    """Per round: the median over the shipped flows of their µs per step."""
    store: dict[str, Figure] = field(default_factory=dict)
    """The store alone, µs per step: ``sqlite`` and ``postgresql``."""
    store_steps: int = 0
    startup: dict[str, Figure] = field(default_factory=dict)
    """Seconds: ``chat`` (to the first question), ``telegram`` (to ready, when the
    Bot API emulator is there; else a reason in ``skipped``) and ``aiogram``
    (``import aiogram``)."""
    scale: dict[int, Figure] = field(default_factory=dict)
    flow_load: Figure = field(default_factory=lambda: Figure("ms"))
    flow_load_check: Figure = field(default_factory=lambda: Figure("ms"))
    flow_compose: Figure = field(default_factory=lambda: Figure("ms"))
    """libyaml composing the same files, in the same round."""
    flow_load_steps: int = 0
    rss: list[RssResult] = field(default_factory=list)
    rss_spread: list[RssResult] = field(default_factory=list)
    """The same, the conversations spread over ``Config.rss_organisations``."""
    matrix: MatrixResults | None = None
    """Round trips on the test Synapse; None (a reason in ``skipped``) without it."""
    machine: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0


# ---------------------------------------------------------------- Telegram scenarios


@dataclass
class Scenario:
    """One bot under test and the conversation its users have with it."""

    key: str
    dispatcher: Dispatcher
    bot: Bot
    session: LocalSession
    walk: Callable[[TelegramUser], Awaitable[None]]
    close: Callable[[], Awaitable[None]]

    async def run(self, conversations: int, chats: Iterator[int]) -> Timer:
        timer = Timer()
        for _ in range(conversations):
            user = TelegramUser(self.dispatcher, self.bot, self.session, next(chats), timer)
            await self.walk(user)
        return timer


def _plain_scenario(
    key: str, dispatcher: Dispatcher, walk_fn: Callable[[TelegramUser], Awaitable[None]]
) -> Scenario:
    session = LocalSession()
    bot = make_bot(session)

    async def close() -> None:
        await bot.session.close()

    return Scenario(key, dispatcher, bot, session, walk_fn, close)


def _voorkomen_scenario(key: str, database_url: str) -> Scenario:
    vb = VoorkomenBot.create(database_url)
    title = vb.flow_title(vb.app.settings.main_flow)

    async def walk_main(user: TelegramUser) -> None:
        vb.admit(user.chat_id)  # a member of an organisation, not timed
        await walk_flow(user, title)

    return Scenario(key, vb.dispatcher, vb.bot, vb.session, walk_main, vb.close)


SCENARIOS = {
    "a": "bare aiogram echo handler",
    "b": "aiogram docs-style FSM form, 5 states, inline keyboards",
    "c": "aiogram-dialog dialog, 5 windows",
    "d": "Voorkomen `dilemma` flow, SQLite (WAL), a commit per step",
    "e": "Voorkomen `dilemma` flow, PostgreSQL, a commit per step",
}

RATIOS: tuple[tuple[str, str, float | None, float | None], ...] = (
    ("d", "a", None, None),
    ("d", "b", None, None),
    ("d", "c", 1.2, 1.0),
    ("e", "a", None, None),
    ("e", "d", 1.6, 1.3),
)
"""Ratios reported: (top, bottom, target or None, stretch or None); issue 15."""


# ---------------------------------------------------------------- the run


@contextlib.contextmanager
def _postgres(config: Config, url: str | None, log: Log) -> Iterator[tuple[str | None, str]]:
    """A database URL for (e), or None and the reason there is none."""
    if url is not None or not config.postgres:
        yield url, "" if url else "PostgreSQL not requested (--no-postgres)"
        return
    from tests.peers.postgres import PeerUnavailableError, start_postgres

    try:
        server = start_postgres()
    except (PeerUnavailableError, OSError) as err:
        log(f"PostgreSQL not available: {err}")
        yield None, f"PostgreSQL not available: {err}"
        return
    try:
        yield server.create_database("voorkomen_bench"), ""
    finally:
        server.stop()


async def run(
    config: Config,
    *,
    postgres_url: str | None = None,
    workdir: Path | None = None,
    log: Log = print,
) -> Results:
    """Measure everything; ``postgres_url`` is an empty database for (e), if given."""
    started = time.perf_counter()
    _throwaway_master_key()
    results = Results(config)
    results.machine = machine_facts()
    with contextlib.ExitStack() as stack:
        if workdir is None:
            workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="vk-bench-")))
        pg_url, pg_reason = stack.enter_context(_postgres(config, postgres_url, log))
        if pg_url is not None:
            results.machine["PostgreSQL"] = _postgres_version(pg_url)
        await _rounds(config, results, workdir, pg_url, pg_reason, log)
    _startup(config, results, log)
    await _matrix(config, results, log)
    for i in range(config.rss_runs):
        log(f"RSS run {i + 1}/{config.rss_runs}: {config.rss_conversations} conversations")
        results.rss.append(measure_in_child(config.rss_conversations))
        results.rss_spread.append(
            measure_in_child(config.rss_conversations, config.rss_organisations)
        )
    results.machine["load average (end)"] = _load_average()
    results.seconds = time.perf_counter() - started
    return results


async def _rounds(
    config: Config,
    results: Results,
    workdir: Path,
    pg_url: str | None,
    pg_reason: str,
    log: Log,
) -> None:
    rng = random.Random(config.seed)
    chats = iter(range(1_000_000, 10**12))
    scenarios = [
        _plain_scenario("a", bots.echo_dispatcher(), bots.walk_echo),
        _plain_scenario("b", bots.fsm_form_dispatcher(), bots.walk_form),
    ]
    reason = bots.dialog_available()
    if reason is None:
        scenarios.append(_plain_scenario("c", bots.dialog_dispatcher(), bots.walk_form))
    else:
        results.skipped["c"] = reason
    scenarios.append(_voorkomen_scenario("d", f"sqlite:///{workdir / 'telegram.db'}"))
    if pg_url is not None:
        scenarios.append(_voorkomen_scenario("e", pg_url))
    else:
        results.skipped["e"] = pg_reason
    for scenario in scenarios:
        results.telegram[scenario.key] = Figure("µs/update")

    book, knowledge = load_content(Settings.from_env({}))
    flows = startable_flows(book)
    for flow_id in flows:
        results.engine[flow_id] = Figure("µs/step")
    results.engine["all"] = Figure("µs/step")

    log(f"storing {config.stored_small} and {config.stored_large} conversations")
    databases = [
        await StoredDatabase.create(workdir, count, flows[0], rng)
        for count in (config.stored_small, config.stored_large)
    ]
    for db in databases:
        results.scale[db.count] = Figure("µs/step")
    big_flow = write_book(workdir / "big-flow", config.flow_steps, Settings().flows_dir)
    states = walk_states(book, flows[0], knowledge)
    stores = {"sqlite": StoreBench.create(f"sqlite:///{workdir / 'store.db'}", states)}
    if pg_url is not None:
        stores["postgresql"] = StoreBench.create(pg_url, states)
    for name in stores:
        results.store[name] = Figure("µs/step")

    try:
        # Warm up: every code path imported and compiled before the first round.
        for scenario in scenarios:
            await scenario.run(1, chats)
        for flow_id in flows:
            walk(book, flow_id, StepTimer(), knowledge=knowledge)
        time_load(big_flow)
        for store_bench in stores.values():
            store_bench.walk()

        for round_no in range(config.rounds):
            log(f"round {round_no + 1}/{config.rounds}")
            shift = round_no % len(scenarios)
            for scenario in scenarios[shift:] + scenarios[:shift]:
                timer = await scenario.run(config.conversations, chats)
                results.telegram[scenario.key].add(timer.per_update_us())
                results.telegram_updates[scenario.key] = timer.updates // config.conversations
                results.telegram_calls.setdefault(scenario.key, Counter()).update(timer.calls)
                measured = results.telegram_measured.get(scenario.key, 0) + timer.updates
                results.telegram_measured[scenario.key] = measured
            total = StepTimer()
            for flow_id in flows:
                timer_e = StepTimer()
                for _ in range(config.engine_walks):
                    walk(book, flow_id, timer_e, knowledge=knowledge)
                results.engine[flow_id].add(timer_e.per_step_us())
                results.engine_steps[flow_id] = timer_e.steps // config.engine_walks
                total.seconds += timer_e.seconds
                total.steps += timer_e.steps
            results.engine["all"].add(total.per_step_us())
            results.engine_median.add(
                statistics.median(results.engine[f].samples[-1] for f in flows)
            )
            for name, store_bench in stores.items():
                seconds, steps = 0.0, 0
                for _ in range(config.store_walks):
                    walk_seconds, walk_steps = store_bench.walk()
                    seconds, steps = seconds + walk_seconds, steps + walk_steps
                results.store[name].add(seconds / steps * 1e6)
                results.store_steps = walk_steps
            for db in databases if round_no % 2 == 0 else databases[::-1]:
                timer_s = StepTimer()
                for _ in range(config.scale_conversations):
                    await db.finish_one(timer_s)
                results.scale[db.count].add(timer_s.per_step_us())
            gc.collect()
            seconds, steps = time_load(big_flow)
            results.flow_load.add(seconds * 1000)
            results.flow_compose.add(time_compose(big_flow) * 1000)
            results.flow_load_steps = steps
            results.flow_load_check.add(time_load_in_child(big_flow) * 1000)
    finally:
        for scenario in scenarios:
            await scenario.close()
        for db in databases:
            db.close()
        for store_bench in stores.values():
            store_bench.close()


def _startup(config: Config, results: Results, log: Log) -> None:
    """Start-up figures, each in fresh processes (see ``bench.startup``)."""
    log(
        f"start-up: {config.startup_runs} runs of `voorkomen chat`, `voorkomen telegram`"
        " and `import aiogram`"
    )
    chat, telegram, aiogram = Figure("s"), Figure("s"), Figure("s")
    with (
        tempfile.TemporaryDirectory(prefix="vk-start-") as folder,
        bot_api_emulator(Path(folder)) as api_url,
    ):
        database = Path(folder) / "console.db"
        prepare(database)
        if api_url is None:
            results.skipped["telegram start-up"] = (
                "the Bot API emulator of tests/peers/telegram is not installed"
            )
        for _ in range(config.startup_runs):  # interleaved, like the rounds
            chat.add(chat_to_first_question(database))
            if api_url is not None:
                telegram.add(telegram_to_ready(database, api_url))
            aiogram.add(import_aiogram())
    results.startup = {"chat": chat, "aiogram": aiogram}
    if telegram.ok:
        results.startup["telegram"] = telegram


async def _matrix(config: Config, results: Results, log: Log) -> None:
    """Matrix round trips against the test Synapse (``bench.matrix``), when it is there."""
    from bench.matrix import measure, synapse

    if not config.matrix:
        results.skipped["matrix"] = "Matrix not requested (--no-matrix)"
        return
    with synapse() as (server, reason), tempfile.TemporaryDirectory(prefix="vk-mx-") as folder:
        if server is None:
            log(reason)
            results.skipped["matrix"] = reason
            return
        log(f"Matrix: {config.matrix_rounds} rounds on Synapse, plain and end-to-end encrypted")
        results.matrix = await measure(
            server,
            Path(folder),
            rounds=config.matrix_rounds,
            messages=config.matrix_messages,
            warm_up=config.matrix_warm_up,
        )


def _throwaway_master_key() -> None:
    """Every database here is thrown away: seal it with a fresh key unless one is set.

    Set in the environment so the child processes (memory, flow loading) get it too.
    """
    from bot.crypto import MasterKey
    from bot.crypto.master import ENV_FILE, ENV_KEY

    if not os.environ.get(ENV_KEY) and not os.environ.get(ENV_FILE):
        os.environ[ENV_KEY] = MasterKey.generate().encoded()


# ---------------------------------------------------------------- the machine


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def _load_average() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024**2:.1f} GiB"
    except OSError:
        pass
    return "unknown"


def _postgres_version(url: str) -> str:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return str(conn.execute(text("SHOW server_version")).scalar_one())
    finally:
        engine.dispose()


def machine_facts() -> dict[str, str]:
    return {
        "CPU": f"{_cpu()}, {os.cpu_count()} cores",
        "memory": _memory(),
        "OS": platform.platform(),
        "Python": platform.python_version(),
        "aiogram": _version("aiogram"),
        "aiogram-dialog": _version("aiogram-dialog"),
        "pydantic": _version("pydantic"),
        "SQLAlchemy": _version("SQLAlchemy"),
        "psycopg": _version("psycopg"),
        "SQLite": sqlite3.sqlite_version,
        "load average (start)": _load_average(),
    }
