"""Prometheus metrics of one bot process (``prometheus-client``).

Each process has a registry of its own (not the library's global one), so
several apps in one test process, or several workers, never mix their
figures. The service reports every update it handles (:meth:`Metrics.observe`,
through ``UpdateObserver``); the gauges are read from the store when
Prometheus scrapes, so they cost nothing between scrapes and are the same
whichever worker answers.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

log = logging.getLogger(__name__)

#: Reply times that matter to a person waiting on a phone: up to a few seconds.
REPLY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


@dataclass(frozen=True)
class _Series:
    """The Prometheus objects of one process."""

    registry: CollectorRegistry
    updates: Counter
    errors: Counter
    reply_seconds: Histogram
    in_progress: Gauge
    outbox_waiting: Gauge


class Metrics:
    """The metrics of one process; ``render`` gives Prometheus' text format.

    ``prometheus-client`` is imported, and the registry made, on the first
    update observed or the first scrape: a process that never serves
    ``/metrics`` (``voorkomen chat`` does not observe at all) never pays for
    the import (issue 15: the console's start-up)."""

    def __init__(
        self,
        *,
        conversations: Callable[[], int] | None = None,
        outbox: Callable[[], int] | None = None,
    ) -> None:
        self._conversations = conversations
        self._outbox = outbox

    @cached_property
    def _series(self) -> _Series:
        from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

        registry = CollectorRegistry(auto_describe=True)
        series = _Series(
            registry,
            Counter(
                "voorkomen_updates",
                "Messages and button presses handled, by channel.",
                ["channel"],
                registry=registry,
            ),
            Counter(
                "voorkomen_errors",
                "Updates that ended in an error (the user got a short apology), by channel.",
                ["channel"],
                registry=registry,
            ),
            Histogram(
                "voorkomen_reply_seconds",
                "Time from receiving an update to having the replies, by channel.",
                ["channel"],
                buckets=REPLY_BUCKETS,
                registry=registry,
            ),
            Gauge(
                "voorkomen_conversations_in_progress",
                "Conversations started and not finished (within retention).",
                registry=registry,
            ),
            Gauge(
                "voorkomen_outbox_waiting",
                "Notices waiting in the outbox for delivery.",
                registry=registry,
            ),
        )
        if self._conversations is not None:
            series.in_progress.set_function(_safe(self._conversations, "conversations in progress"))
        if self._outbox is not None:
            series.outbox_waiting.set_function(_safe(self._outbox, "outbox length"))
        return series

    def prepare(self) -> None:
        """Import prometheus-client and make the registry now (a bot that serves
        does this at start, so its first update does not pay for it)."""
        _ = self._series

    def observe(self, channel: str, seconds: float, *, failed: bool = False) -> None:
        """One update of ``channel`` took ``seconds``; ``failed``: it ended in an error."""
        series = self._series
        series.updates.labels(channel).inc()
        series.reply_seconds.labels(channel).observe(seconds)
        if failed:
            series.errors.labels(channel).inc()

    def render(self) -> bytes:
        """Every metric in Prometheus' text exposition format."""
        from prometheus_client.exposition import generate_latest

        return generate_latest(self._series.registry)


def _safe(read: Callable[[], int], what: str) -> Callable[[], float]:
    """A gauge reading that never breaks a scrape: NaN when the store is away."""

    def value() -> float:
        try:
            return float(read())
        except Exception:
            log.warning("metrics: could not read the %s", what)
            return float("nan")

    return value
