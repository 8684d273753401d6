"""What the service tells operations about each update it handled.

``ConversationService`` calls ``update_handled`` once per message or button
press (its ``observer`` port); this feeds both the health check's "last
update seen" and the Prometheus counters, so neither the service nor the
channels know about Prometheus.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.ops.health import HealthCheck
from bot.ops.metrics import Metrics


@dataclass
class Ops:
    """The health check and the metrics of one process, fed by the service."""

    health: HealthCheck
    metrics: Metrics

    def update_handled(self, channel: str, seconds: float, failed: bool) -> None:
        self.health.saw_update()
        self.metrics.observe(channel, seconds, failed=failed)
