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

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest

log = logging.getLogger(__name__)

CONTENT_TYPE = CONTENT_TYPE_LATEST

#: Reply times that matter to a person waiting on a phone: up to a few seconds.
REPLY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    """The metrics of one process; ``render`` gives Prometheus' text format."""

    def __init__(
        self,
        *,
        conversations: Callable[[], int] | None = None,
        outbox: Callable[[], int] | None = None,
    ) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.updates = Counter(
            "voorkomen_updates",
            "Messages and button presses handled, by channel.",
            ["channel"],
            registry=self.registry,
        )
        self.errors = Counter(
            "voorkomen_errors",
            "Updates that ended in an error (the user got a short apology), by channel.",
            ["channel"],
            registry=self.registry,
        )
        self.reply_seconds = Histogram(
            "voorkomen_reply_seconds",
            "Time from receiving an update to having the replies, by channel.",
            ["channel"],
            buckets=REPLY_BUCKETS,
            registry=self.registry,
        )
        self.in_progress = Gauge(
            "voorkomen_conversations_in_progress",
            "Conversations started and not finished (within retention).",
            registry=self.registry,
        )
        self.outbox_waiting = Gauge(
            "voorkomen_outbox_waiting",
            "Notices waiting in the outbox for delivery.",
            registry=self.registry,
        )
        if conversations is not None:
            self.in_progress.set_function(_safe(conversations, "conversations in progress"))
        if outbox is not None:
            self.outbox_waiting.set_function(_safe(outbox, "outbox length"))

    def observe(self, channel: str, seconds: float, *, failed: bool = False) -> None:
        """One update of ``channel`` took ``seconds``; ``failed``: it ended in an error."""
        self.updates.labels(channel).inc()
        self.reply_seconds.labels(channel).observe(seconds)
        if failed:
            self.errors.labels(channel).inc()

    def render(self) -> bytes:
        """Every metric in Prometheus' text exposition format."""
        return generate_latest(self.registry)


def _safe(read: Callable[[], int], what: str) -> Callable[[], float]:
    """A gauge reading that never breaks a scrape: NaN when the store is away."""

    def value() -> float:
        try:
            return float(read())
        except Exception:
            log.warning("metrics: could not read the %s", what)
            return float("nan")

    return value
