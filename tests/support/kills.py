"""Kill -9 at random moments, seeded so a failure can be replayed.

The crash tests (tests/telegram/test_kill.py, tests/matrix/test_kill.py) run a
bot as its own process while simulated professionals talk to it, and a
:class:`Killer` thread kills that process with SIGKILL after a random pause,
starts it again (same database, same account) and waits until it is ready,
over and over. The pauses come from ``random.Random(seed)``: the seed is
printed, and ``VOORKOMEN_KILL_SEED=<seed>`` runs the same schedule again (the
machine's timing still varies, so a replay hits nearby moments, not the same
instructions).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

SEED_VARIABLE = "VOORKOMEN_KILL_SEED"


def kill_seed() -> int:
    """The seed from ``VOORKOMEN_KILL_SEED``, or a new one; printed either way."""
    given = os.environ.get(SEED_VARIABLE, "").strip()
    seed = int(given) if given else random.SystemRandom().randrange(1, 10**9)
    sys.stderr.write(f"\n{SEED_VARIABLE}={seed}  (set it to replay this kill schedule)\n")
    return seed


def kill_hard(process: subprocess.Popen[Any]) -> None:
    """SIGKILL a process this test started (by its pid) and reap it."""
    if process.poll() is None:
        os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)


@dataclass
class Killer:
    """Kills ``current()`` ``kills`` times at random pauses, restarting it each time.

    ``restart()`` starts the process again and returns once it is ready.
    ``generation`` counts the kills; ``up`` is clear while the bot is down.
    """

    seed: int
    kills: int
    kill: Callable[[], None]
    restart: Callable[[], None]
    pause: tuple[float, float] = (0.3, 1.2)
    generation: int = 0
    up_at: float = 0.0
    up: threading.Event = field(default_factory=threading.Event)
    done: threading.Event = field(default_factory=threading.Event)
    failure: list[BaseException] = field(default_factory=list)
    moments: list[float] = field(default_factory=list)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        self.up_at = time.monotonic()
        self.up.set()
        self._thread = threading.Thread(target=self._run, name="killer", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        chance = random.Random(self.seed)
        started = time.monotonic()
        try:
            for _ in range(self.kills):
                time.sleep(chance.uniform(*self.pause))
                self.up.clear()
                self.moments.append(round(time.monotonic() - started, 2))
                self.kill()
                # Counted once the process is gone: whatever a user sent before
                # this may have died with it, whatever comes after waits for the restart.
                self.generation += 1
                self.restart()
                self.up_at = time.monotonic()
                self.up.set()
        except BaseException as error:  # reported by join()
            self.failure.append(error)
            self.up_at = time.monotonic()
            self.up.set()
        finally:
            self.done.set()

    def join(self, timeout: float) -> None:
        assert self._thread is not None
        self._thread.join(timeout)
        assert not self._thread.is_alive(), "the killer did not finish in time"
        if self.failure:
            raise self.failure[0]

    def settled_since(self, generation: int, grace: float) -> bool:
        """True once a kill came after ``generation`` and the bot has been up ``grace`` s."""
        return (
            self.generation != generation
            and self.up.is_set()
            and time.monotonic() - self.up_at > grace
        )
