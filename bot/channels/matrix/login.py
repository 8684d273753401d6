"""Logging the bot account in and keeping its device.

The bot keeps one device across restarts (its id lives in the database
through the ``KeyValueStore`` port, its end-to-end keys in the store path),
so the keys other people's clients trust stay valid. An access token logs in
as the device it belongs to; a password login reuses the saved device unless
its key store is gone, in which case a fresh device avoids uploading new keys
over the old ones.
"""

from __future__ import annotations

import logging
from pathlib import Path

from nio import AsyncClient, AsyncClientConfig, LoginResponse, WhoamiResponse

from bot.channels.matrix.config import MatrixConfig
from bot.channels.matrix.ratelimit import retry_rate_limited
from bot.service.ports import KeyValueStore

log = logging.getLogger(__name__)

CHANNEL = "matrix"


class MatrixLoginError(RuntimeError):
    """The homeserver refused the bot's credentials."""


def kv_name(config: MatrixConfig, *parts: str) -> str:
    """The name of one of the bot's durable values (``matrix:@bot:server:...``)."""
    return ":".join((CHANNEL, config.user_id, *parts))


def new_client(config: MatrixConfig, device_id: str | None) -> AsyncClient:
    """A client with end-to-end encryption, our own 429 handling and no token store."""
    store = Path(config.store_path)
    store.mkdir(parents=True, exist_ok=True)
    client_config = AsyncClientConfig(
        max_limit_exceeded=0,  # 429s are retried by us: bounded and logged
        max_timeouts=None,
        encryption_enabled=True,
        store_sync_tokens=False,  # the token lives in our database
        request_timeout=60,
    )
    return AsyncClient(
        config.homeserver,
        config.user_id,
        device_id=device_id or "",
        store_path=str(store),
        config=client_config,
    )


def store_file(config: MatrixConfig, device_id: str) -> Path:
    """Where nio keeps the end-to-end keys of ``device_id``."""
    return Path(config.store_path) / f"{config.user_id}_{device_id}.db"


async def login(config: MatrixConfig, kv: KeyValueStore) -> AsyncClient:
    """A logged-in client on the bot's one device (saved for the next start)."""
    device_key = kv_name(config, "device_id")
    device_id = kv.get_value(device_key)
    if config.access_token:
        client = new_client(config, None)
        client.access_token = config.access_token
        who = await client.whoami()
        if not isinstance(who, WhoamiResponse) or not who.device_id:
            await client.close()
            raise MatrixLoginError(f"The access token was refused: {who}")
        if who.user_id != config.user_id:
            await client.close()
            raise MatrixLoginError(
                f"The access token belongs to {who.user_id}, not {config.user_id}"
            )
        client.restore_login(who.user_id, who.device_id, config.access_token)
        device_id = who.device_id
    else:
        if device_id and not store_file(config, device_id).exists():
            # The keys of that device are gone; a fresh device avoids
            # uploading new keys over the old ones.
            log.warning("No E2E store for device %s; logging in as a new device", device_id)
            device_id = None
        client = new_client(config, device_id)
        password = config.password
        response = await retry_rate_limited(
            lambda: client.login(password, device_name=config.device_name),
            config.retry,
            "login",
        )
        if not isinstance(response, LoginResponse):
            await client.close()
            raise MatrixLoginError(f"Login failed: {response}")
        device_id = response.device_id
    assert device_id is not None
    kv.set_value(device_key, device_id)
    log.info("Logged in to %s as %s (device %s)", config.homeserver, client.user_id, device_id)
    return client
