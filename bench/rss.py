"""Memory of a running Telegram bot with many conversations in progress.

Measured in a fresh child process, so nothing the other benchmarks loaded or
left behind counts: ``python -m bench.rss N`` builds the bot (the app on a
SQLite file, the Telegram channel, a local Bot API session), warms it up
(every module imported, templates compiled: a whole conversation and a few
started ones), reads its resident set size, then starts ``N`` conversations
in ``N`` chats (``/start``, the main flow from the menu, two answers) and
reads it again. It prints one line of JSON.

State lives in the database; what may grow in memory is bounded (the store's
and the channel's caches), and the figure shows whether that holds.
"""

from __future__ import annotations

import asyncio
import gc
import json
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bench.driver import Timer

PROJECT = Path(__file__).resolve().parent.parent
WARM_UP = 50
ANSWERS = 2


def rss_kib() -> int:
    """The resident set size of this process now (Linux ``/proc``), in KiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    msg = "no VmRSS in /proc/self/status"
    raise RuntimeError(msg)


@dataclass(frozen=True)
class RssResult:
    before_kib: int
    after_kib: int
    conversations: int
    organisations: int = 1

    @property
    def growth_mib(self) -> float:
        return (self.after_kib - self.before_kib) / 1024


async def _measure(conversations: int, folder: Path, organisations: int = 1) -> RssResult:
    from bench.voorkomen import VoorkomenBot, answer_one, start_flow, walk_flow

    bot = VoorkomenBot.create(f"sqlite:///{folder / 'rss.db'}")
    title = bot.flow_title(bot.app.settings.main_flow)
    timer = Timer()
    chat = 10_000_000

    async def start(chat_id: int) -> None:
        user = bot.user(chat_id, timer, f"Bench {chat_id % organisations}")
        await start_flow(user, title)
        tries: dict[str, int] = {}
        for _ in range(ANSWERS):
            await answer_one(user, tries)

    try:
        await walk_flow(bot.user(chat, timer), title)
        for i in range(1, WARM_UP + 1):
            await start(chat + i)
        gc.collect()
        before = rss_kib()
        for i in range(conversations):
            await start(chat + WARM_UP + 1 + i)
        gc.collect()
        after = rss_kib()
    finally:
        await bot.close()
    return RssResult(before, after, conversations, organisations)


def measure_in_child(
    conversations: int, organisations: int = 1, timeout: float = 1800
) -> RssResult:
    """Run the measurement in a fresh Python process and read its answer; the
    conversations are spread over ``organisations`` (their members each in one)."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.rss", str(conversations), str(organisations)],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        msg = f"bench.rss failed ({done.returncode}):\n{done.stderr[-3000:]}"
        raise RuntimeError(msg)
    data = json.loads(done.stdout.strip().splitlines()[-1])
    return RssResult(
        data["before_kib"], data["after_kib"], data["conversations"], data["organisations"]
    )


def main(argv: list[str]) -> None:
    conversations = int(argv[0]) if argv else 10_000
    organisations = int(argv[1]) if len(argv) > 1 else 1
    with tempfile.TemporaryDirectory(prefix="voorkomen-rss-") as folder:
        result = asyncio.run(_measure(conversations, Path(folder), organisations))
    print(
        json.dumps(
            {
                "before_kib": result.before_kib,
                "after_kib": result.after_kib,
                "conversations": result.conversations,
                "organisations": result.organisations,
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1:])
