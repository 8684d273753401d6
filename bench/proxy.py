"""A round-robin reverse proxy in front of webhook workers, for the load test.

A deployment with more than one ``voorkomen telegram`` worker gives Telegram
one webhook address and a reverse proxy behind it (docs/deploy.md); this is
the smallest such proxy: each POST goes to the next worker in turn, with its
body and the headers the bot checks, and the worker's answer goes back as is.
It runs as its own process (``python -m bench.proxy PORT WORKER_URL…``), as a
proxy would, so its work does not share the load driver's interpreter. It
prints ``READY http://127.0.0.1:PORT`` once it listens.
"""

from __future__ import annotations

import asyncio
import itertools
import signal
import sys
from collections.abc import Iterator

from aiohttp import ClientSession, ClientTimeout, TCPConnector, web

HOST = "127.0.0.1"
PASSED_HEADERS = ("Content-Type", "X-Telegram-Bot-Api-Secret-Token")


def proxy_app(workers: list[str]) -> web.Application:
    """An app that forwards every POST to ``workers`` in turn (any path)."""
    turn: Iterator[str] = itertools.cycle(workers)
    app = web.Application()

    async def session_context(app: web.Application):  # type: ignore[no-untyped-def]
        # No timeout: a slow worker is waited for, as the emulator waits for us.
        async with ClientSession(
            connector=TCPConnector(limit=0), timeout=ClientTimeout(total=None)
        ) as session:
            app["session"] = session
            yield

    async def forward(request: web.Request) -> web.Response:
        body = await request.read()
        headers = {k: v for k in PASSED_HEADERS if (v := request.headers.get(k)) is not None}
        session: ClientSession = request.app["session"]
        async with session.post(next(turn), data=body, headers=headers) as answer:
            return web.Response(status=answer.status, body=await answer.read())

    app.cleanup_ctx.append(session_context)
    app.router.add_post("/{tail:.*}", forward)
    return app


async def serve(port: int, workers: list[str]) -> None:
    runner = web.AppRunner(proxy_app(workers), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, HOST, port)
    await site.start()
    print(f"READY http://{HOST}:{port}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await runner.cleanup()


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print("usage: python -m bench.proxy PORT WORKER_URL...", file=sys.stderr)
        return 2
    asyncio.run(serve(int(argv[0]), argv[1:]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
