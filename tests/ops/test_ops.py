"""The operator's view of a running bot: ``/healthz`` and ``/metrics``.

The app is the real one (SQLite file, shipped flows); the listener is the one
long polling and Matrix use (``VOORKOMEN_OPS_LISTEN``). An unreachable
database is a real one: PostgreSQL's driver pointed at a port nobody
listens on.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
from sqlalchemy import create_engine

from bot.app import create_app
from bot.engine.messages import ChannelTraits, TextIn
from bot.ops.health import HealthCheck
from bot.ops.web import HEALTH_PATH, METRICS_PATH
from bot.service.ports import Arrival, ConversationKey
from bot.settings import Settings
from bot.store import stats
from tests.peers.common import free_port

NOW = datetime(2026, 12, 2, 9, 30, tzinfo=UTC)
TRAITS = ChannelTraits("console", end_to_end_encrypted=True)


def test_a_database_that_cannot_be_reached_makes_the_bot_unhealthy() -> None:
    away = create_engine(f"postgresql+psycopg://nobody@127.0.0.1:{free_port()}/none")
    check = HealthCheck(ping_database=lambda: stats.ping(away), flows_loaded=lambda: 3)
    report = check.run()
    assert not report.healthy
    assert report.to_json()["database"] == "unreachable"
    assert report.problems == ("database unreachable: OperationalError",)
    assert report.last_update_seconds_ago is None  # nothing came in yet: said, not judged


async def test_the_ops_listener_reports_health_and_counts_updates(tmp_path: Path) -> None:
    port = free_port()
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'bot.db'}",
        name_check=False,
        ops_listen=f"127.0.0.1:{port}",
    )
    app = create_app(settings, clock=lambda: NOW)
    key = ConversationKey("console", "ops-test")

    async def main() -> tuple[dict[str, object], str]:
        await app.service.start(Arrival.starting(key, TRAITS))
        await app.service.handle(Arrival(key, TextIn("1"), TRAITS))
        async with aiohttp.ClientSession() as http:
            for _ in range(100):  # the listener starts beside main: wait for it, bounded
                try:
                    async with http.get(f"http://127.0.0.1:{port}{HEALTH_PATH}") as response:
                        health = json.loads(await response.text())
                        break
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.05)
            else:
                raise AssertionError("the ops listener did not start")
            async with http.get(f"http://127.0.0.1:{port}{METRICS_PATH}") as response:
                assert response.headers["Content-Type"].startswith("text/plain")
                metrics = await response.text()
        return health, metrics

    try:
        health, metrics = await app.with_background(main())
    finally:
        app.close()
    assert health["status"] == "ok"
    assert health["flows_loaded"] == len(app.book.flows)
    assert health["problems"] == []
    # one typed answer handled by the service (starting is not an update)
    assert 'voorkomen_updates_total{channel="console"} 1.0' in metrics
    assert 'voorkomen_errors_total{channel="console"}' not in metrics
    assert 'voorkomen_reply_seconds_count{channel="console"} 1.0' in metrics
    assert "voorkomen_conversations_in_progress 1.0" in metrics
    assert "voorkomen_outbox_waiting 0.0" in metrics
