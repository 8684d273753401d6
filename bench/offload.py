"""What running store work in a worker thread costs on SQLite (``python -m bench.offload``).

The service can run each step in a worker thread (``ConversationService.offload``)
so that a slow PostgreSQL query for one chat holds up only that chat. On SQLite
a step takes well under a millisecond, so the hop to a thread and back is a
visible share of it: this measures both ways on one SQLite file, interleaved,
and prints the median time per message and the ratio (offloaded / inline).
That is why SQLite keeps the inline path and only PostgreSQL offloads.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import click

from bot.engine.messages import ChannelTraits, TextIn
from bot.flowspec.loader import load_book
from bot.render.documents import JinjaRenderer
from bot.service.conversation import ConversationService
from bot.service.ports import Arrival, ConversationKey
from bot.store.migrate import upgrade
from bot.store.sql import SqlStore

FLOWS = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "flows"
TRAITS = ChannelTraits("bench", end_to_end_encrypted=True)
ANSWERS = ["C-9", "1", "ja", "1", "ja", "ja"]


async def _conversations(service: ConversationService, n: int, tag: str) -> float:
    """Seconds per message for ``n`` short conversations."""
    messages = 0
    start = time.perf_counter()
    for i in range(n):
        key = ConversationKey("bench", f"{tag}-{i}")
        await service.start(Arrival.starting(key, TRAITS), "demo")
        for answer in ANSWERS:
            await service.handle(Arrival(key, TextIn(answer), TRAITS))
        messages += 1 + len(ANSWERS)
    return (time.perf_counter() - start) / messages


def measure(rounds: int = 7, conversations: int = 20) -> tuple[float, float, float]:
    """Median seconds per message inline and offloaded, and the median ratio."""
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        upgrade(url)
        store = SqlStore(url)
        service = ConversationService(
            book=load_book(FLOWS),
            store=store,
            renderer=JinjaRenderer(),
            clock=lambda: datetime(2026, 11, 23, 10, tzinfo=UTC),
            main_flow="demo",
        )
        inline: list[float] = []
        offloaded: list[float] = []
        try:
            for r in range(rounds):
                for offload in (r % 2 == 0, r % 2 == 1):  # alternate which goes first
                    service.offload = offload
                    took = asyncio.run(_conversations(service, conversations, f"{r}-{offload}"))
                    (offloaded if offload else inline).append(took)
        finally:
            service.close()
            store.close()
    ratios = [o / i for o, i in zip(offloaded, inline, strict=True)]
    return statistics.median(inline), statistics.median(offloaded), statistics.median(ratios)


@click.command(name="python -m bench.offload", help=__doc__)
@click.option("--rounds", type=int, default=7, show_default=True)
@click.option("--conversations", type=int, default=20, show_default=True)
def command(rounds: int, conversations: int) -> None:
    inline, offloaded, ratio = measure(rounds, conversations)
    print(
        f"SQLite, per message: inline {inline * 1e6:.0f} µs, in a worker thread "
        f"{offloaded * 1e6:.0f} µs; ratio {ratio:.2f}"
    )


def main(argv: list[str] | None = None) -> int:
    """Run the command line with ``argv`` (else the process's); 0 when done."""
    command.main(args=argv, standalone_mode=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
