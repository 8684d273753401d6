"""End-to-end key housekeeping between syncs.

nio's ``sync_forever`` does this by itself; the channel runs its own sync
loop (to save the token only after a batch was handled), so it does the same
here: send queued to-device messages, upload, query and claim keys, each
request through the bounded 429 retry. A failure is logged and tried again
after the next sync, never fatal.
"""

from __future__ import annotations

import logging

from nio import AsyncClient

from bot.channels.matrix.ratelimit import RetryPolicy, retry_rate_limited

log = logging.getLogger(__name__)


async def keep_keys(client: AsyncClient, retry: RetryPolicy) -> None:
    """One round of key maintenance; never raises."""
    try:
        await _key_steps(client, retry)
    except Exception:
        log.exception("E2E key maintenance failed; retrying after the next sync")


async def _key_steps(client: AsyncClient, retry: RetryPolicy) -> None:
    if client.olm is None:
        return
    if client.outgoing_to_device_messages:
        await client.send_to_device_messages()
    if client.should_upload_keys:
        await retry_rate_limited(client.keys_upload, retry, "keys_upload")
    if client.should_query_keys:
        await retry_rate_limited(client.keys_query, retry, "keys_query")
    if client.should_claim_keys:
        users = client.get_users_for_key_claiming()
        await retry_rate_limited(lambda: client.keys_claim(users), retry, "keys_claim")
