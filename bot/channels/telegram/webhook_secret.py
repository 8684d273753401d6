"""The webhook's secret token when none is configured: derived from the bot token.

Telegram sends the secret registered with ``setWebhook`` in the header
``X-Telegram-Bot-Api-Secret-Token`` of every update, and the webhook server
refuses a request without it. A random secret per process worked for one
process; with several webhook workers behind one URL, each worker registers
its own secret with ``setWebhook``, the last one wins, and every other worker
then refuses Telegram's requests (401). So, when
``VOORKOMEN_TELEGRAM_WEBHOOK_SECRET`` is not set, every worker derives the same
secret from what they all share, the bot token: HMAC-SHA256 keyed with the
token over a fixed label, URL-safe base64 without padding (43 characters of
``A-Z a-z 0-9 _ -``; Telegram allows 1-256 of those). It reveals nothing about
the token, and a new token (after ``/revoke`` at @BotFather) gives a new secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

#: The fixed label the secret is derived for; changing it changes every
#: deployment's secret (harmless: each worker re-registers it at start-up).
LABEL = b"voorkomen/telegram-webhook-secret/v1"


def derived_webhook_secret(token: str) -> str:
    """The webhook secret for the bot with ``token``: the same in every process."""
    digest = hmac.new(token.encode(), LABEL, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
