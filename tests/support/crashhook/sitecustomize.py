"""A bot process that kills itself (SIGKILL) at one precise point, for crash tests.

Python imports ``sitecustomize`` at start-up from ``sys.path``; the crash tests
put this folder on ``PYTHONPATH`` of the bot process they start (nothing of it
is in the package). It does nothing unless ``CRASH_TEST_AT`` names a point and
the file ``CRASH_TEST_ARM`` exists (the test creates it right before the
message that should die there):

- ``before-commit``: a step is about to be written (after Telegram's ledger
  was consulted, before the step's transaction commits);
- ``after-step``: a step was committed (before the channel writes anything
  else, such as the Matrix room's marker, and before replies are sent).

It prints ``crash-test: killed at <point>`` first, so the test knows the point
was reached and the process did not die elsewhere.
"""

from __future__ import annotations

import os
import signal
import sys
from typing import Any

_AT = os.environ.get("CRASH_TEST_AT", "")
_ARM = os.environ.get("CRASH_TEST_ARM", "")


def _die_if_armed(point: str) -> None:
    if point == _AT and _ARM and os.path.exists(_ARM):
        sys.stderr.write(f"crash-test: killed at {point}\n")
        sys.stderr.flush()
        sys.stdout.flush()
        os.kill(os.getpid(), signal.SIGKILL)


def _install() -> None:
    from bot.store.sql import SqlStore

    commit_in = SqlStore._commit_in
    run_step = SqlStore.run_step

    def _commit_in(self: SqlStore, conn: Any, write: Any) -> Any:
        if write.state is not None:
            _die_if_armed("before-commit")
        return commit_in(self, conn, write)

    def _run_step(self: SqlStore, key: Any, plan: Any) -> Any:
        result = run_step(self, key, plan)
        _die_if_armed("after-step")
        return result

    SqlStore._commit_in = _commit_in  # type: ignore[method-assign]
    SqlStore.run_step = _run_step  # type: ignore[method-assign]


if _AT:
    _install()
