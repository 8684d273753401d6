"""``python -m bot.identify``: build deduce's lookup structures once (minutes), so
that the bot and the tests only load them (seconds). The Makefile runs it."""

from __future__ import annotations

import time

from bot.identify.detector import Detector
from bot.identify.paths import default_cache_dir


def main() -> None:
    """Build (or load) the lookup structures and say how long it took."""
    started = time.monotonic()
    Detector(default_cache_dir())
    seconds = time.monotonic() - started
    print(f"deduce lookup structures ready in {default_cache_dir()} ({seconds:.0f} s)")


if __name__ == "__main__":
    main()
