"""``/healthz`` and ``/metrics`` as aiohttp routes.

The Telegram webhook server adds them to its own application (one port for
the proxy to know); long polling and Matrix have no web server, so
:func:`serve_ops` starts a small one on ``VOORKOMEN_OPS_LISTEN`` (keep it on
127.0.0.1 or a private network: it names no person, but it is not for the
internet).
"""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from bot.ops.health import HealthCheck
from bot.ops.metrics import Metrics

log = logging.getLogger(__name__)

HEALTH_PATH = "/healthz"
METRICS_PATH = "/metrics"


def add_ops_routes(app: web.Application, health: HealthCheck, metrics: Metrics) -> None:
    """Serve ``/healthz`` (200 or 503, JSON) and ``/metrics`` (Prometheus text)."""

    async def healthz(_request: web.Request) -> web.Response:
        # The database ping blocks: keep it off the event loop.
        report = await asyncio.to_thread(health.run)
        return web.json_response(report.to_json(), status=200 if report.healthy else 503)

    async def metrics_page(_request: web.Request) -> web.Response:
        body = await asyncio.to_thread(metrics.render)
        response = web.Response(body=body)
        response.headers["Content-Type"] = CONTENT_TYPE_LATEST
        return response

    app.router.add_get(HEALTH_PATH, healthz)
    app.router.add_get(METRICS_PATH, metrics_page)


async def serve_ops(
    host: str, port: int, health: HealthCheck, metrics: Metrics, stop: asyncio.Event
) -> None:
    """A listener with only the two routes, until ``stop`` is set."""
    app = web.Application()
    add_ops_routes(app, health, metrics)
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
        log.info("health and metrics on %s:%s", host, port)
        await stop.wait()
    finally:
        await runner.cleanup()
