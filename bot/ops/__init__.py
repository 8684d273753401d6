"""Running the bot in production: a health check and Prometheus metrics.

An operator (the care organisation's IT, or a region's hosting party) needs
two things from a running bot: is it healthy (``/healthz``: database
reachable, flows loaded, last update seen) and how is it doing (``/metrics``:
updates, errors, reply time, conversations in progress, outbox length). Both
are served by the Telegram webhook server, or by a small listener of their
own (``VOORKOMEN_OPS_LISTEN``) for long polling and Matrix.
"""

from bot.ops.health import HealthCheck, HealthReport
from bot.ops.metrics import Metrics

__all__ = ["HealthCheck", "HealthReport", "Metrics"]
