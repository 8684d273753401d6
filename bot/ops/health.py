"""The health check behind ``/healthz``: is this process fit to answer?

Three questions, each cheap: can the database be reached (one trivial query),
are the flows loaded, and when did the last update arrive. A load balancer or
systemd watchdog takes the bot out of rotation on ``503``; the JSON body says
which part failed, in words an operator reads at night. The last update is
reported, not judged: a quiet night is not an illness.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class HealthReport:
    """The outcome of one check: ``healthy`` and the figures behind it."""

    database: bool
    flows: int
    last_update_seconds_ago: float | None
    problems: tuple[str, ...] = field(default=())

    @property
    def healthy(self) -> bool:
        return not self.problems

    def to_json(self) -> dict[str, Any]:
        return {
            "status": "ok" if self.healthy else "unhealthy",
            "database": "reachable" if self.database else "unreachable",
            "flows_loaded": self.flows,
            "last_update_seconds_ago": self.last_update_seconds_ago,
            "problems": list(self.problems),
        }


class HealthCheck:
    """Runs the checks; :meth:`saw_update` is called for every update handled."""

    def __init__(
        self,
        *,
        ping_database: Callable[[], None],
        flows_loaded: Callable[[], int],
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ping = ping_database
        self._flows = flows_loaded
        self._monotonic = monotonic
        self._last_update: float | None = None

    def saw_update(self) -> None:
        self._last_update = self._monotonic()

    def run(self) -> HealthReport:
        problems: list[str] = []
        try:
            self._ping()
            database = True
        except Exception as exc:  # any driver error means: not reachable now
            database = False
            problems.append(f"database unreachable: {type(exc).__name__}")
        flows = self._flows()
        if flows == 0:
            problems.append("no flows loaded")
        ago = None if self._last_update is None else self._monotonic() - self._last_update
        return HealthReport(database, flows, ago, tuple(problems))
