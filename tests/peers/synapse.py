"""A throwaway Synapse homeserver for the Matrix tests, and a matrix-nio user to talk to it.

Synapse (``matrix-synapse`` from PyPI, pinned in ``mk/matrix.mk``) lives in its
own virtualenv, ``.venv-synapse``, so its dependency pins stay apart from the
app's; ``make test`` creates it, nothing is installed at test time. Set
``VOORKOMEN_SYNAPSE_PYTHON`` to use another interpreter that has Synapse.

``synapse_server`` (session scope) starts it on a free port of 127.0.0.1 in
a temp directory: SQLite, ``registration_shared_secret`` to create users,
``report_stats: false``, ``trusted_key_servers: []``, no federation,
``bcrypt_rounds: 4``, background updates without sleeping and every ``rc_*``
rate limit raised. A cold start takes about a second or two.

It is stopped at the end of the session, and also when pytest dies: the
kernel sends Synapse SIGTERM when the pytest process goes
(``PR_SET_PDEATHSIG``), and a small watchdog waiting on a pipe whose only
writer is pytest kills it and removes the temp directory.

Under ``CI=true`` a missing Synapse fails the tests that need it; elsewhere
they are skipped, with the reason.

:class:`MatrixUser` is a second matrix-nio client with its own E2E store: it
plays the professional who opens a direct chat with the bot from Element.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import ctypes
import hashlib
import hmac
import itertools
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.peers.common import HOST, free_port, peer_unavailable, spawn_watchdog

SERVER_NAME = "localhost"
PROJECT_ROOT = Path(__file__).resolve().parents[2]
SYNAPSE_VENV = PROJECT_ROOT / ".venv-synapse"

# Every rc_* limiter Synapse has, raised far beyond what a test does.
_HIGH = {"per_second": 100_000, "burst_count": 1_000_000}
RAISED_RATE_LIMITS: dict[str, Any] = {
    "rc_message": _HIGH,
    "rc_registration": _HIGH,
    "rc_registration_token_validity": _HIGH,
    "rc_login": {"address": _HIGH, "account": _HIGH, "failed_attempts": _HIGH},
    "rc_admin_redaction": _HIGH,
    "rc_joins": {"local": _HIGH, "remote": _HIGH},
    "rc_joins_per_room": _HIGH,
    "rc_key_requests": _HIGH,
    "rc_3pid_validation": _HIGH,
    "rc_invites": {"per_room": _HIGH, "per_user": _HIGH, "per_issuer": _HIGH},
    "rc_third_party_invite": _HIGH,
    "rc_media_create": _HIGH,
    "rc_presence": {"per_user": _HIGH},
    "rc_delayed_event_mgmt": _HIGH,
    "rc_room_creation": _HIGH,
    "rc_reports": _HIGH,
    "rc_user_directory": _HIGH,
    "rc_profile": _HIGH,
    "rc_federation": {
        "window_size": 1000,
        "sleep_limit": 100_000,
        "sleep_delay": 1,
        "reject_limit": 1_000_000,
        "concurrent": 1000,
    },
}

# Kill Synapse and remove its directory once stdin closes (the test process is gone).
_WATCHDOG = """
import os, shutil, signal, sys, time
sys.stdin.buffer.read()
pid, tmp = int(sys.argv[1]), sys.argv[2]
for sig, wait in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 0.0)):
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        break
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
shutil.rmtree(tmp, ignore_errors=True)
"""

_LOG_CONFIG = """
version: 1
disable_existing_loggers: false
formatters:
  precise:
    format: '%(asctime)s %(name)s %(levelname)s %(request)s %(message)s'
filters:
  context:
    (): synapse.logging.context.LoggingContextFilter
    request: ""
handlers:
  file:
    class: logging.FileHandler
    formatter: precise
    filters: [context]
    filename: {log_file}
root:
  level: {level}
  handlers: [file]
"""

PR_SET_PDEATHSIG = 1


class PeerUnavailableError(Exception):
    """Synapse cannot be started here; the message says why."""


def find_synapse_python() -> Path | None:
    """The interpreter that has Synapse: ``$VOORKOMEN_SYNAPSE_PYTHON`` or ``.venv-synapse``."""
    configured = os.environ.get("VOORKOMEN_SYNAPSE_PYTHON")
    candidates = [Path(configured)] if configured else []
    candidates.append(SYNAPSE_VENV / "bin" / "python")
    for python in candidates:
        if python.exists():
            return python
    return None


def _signing_key() -> str:
    """An ed25519 signing key in Synapse's file format (``ed25519 <version> <seed>``)."""
    seed = base64.b64encode(os.urandom(32)).decode("ascii").rstrip("=")
    return f"ed25519 a_test {seed}\n"


def homeserver_config(tmp: Path, port: int, secret: str, **overrides: Any) -> dict[str, Any]:
    """The homeserver.yaml for a test server (JSON is valid YAML)."""
    config: dict[str, Any] = {
        "server_name": SERVER_NAME,
        "public_baseurl": f"http://{HOST}:{port}/",
        "pid_file": str(tmp / "homeserver.pid"),
        "listeners": [
            {
                "port": port,
                "bind_addresses": [HOST],
                "type": "http",
                "tls": False,
                "x_forwarded": False,
                "resources": [{"names": ["client"], "compress": False}],
            }
        ],
        "database": {"name": "sqlite3", "args": {"database": str(tmp / "homeserver.db")}},
        "log_config": str(tmp / "log.yaml"),
        "media_store_path": str(tmp / "media"),
        "signing_key_path": str(tmp / "signing.key"),
        "registration_shared_secret": secret,
        "enable_registration": False,
        "report_stats": False,
        "trusted_key_servers": [],
        "suppress_key_server_warning": True,
        "federation_domain_whitelist": [],
        "url_preview_enabled": False,
        "presence": {"enabled": False},
        "bcrypt_rounds": 4,
        "background_updates": {"sleep_enabled": False},
        "macaroon_secret_key": secret + "-macaroon",
        "form_secret": secret + "-form",
        **RAISED_RATE_LIMITS,
    }
    config.update(overrides)
    return config


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def _die_with_parent(parent: int) -> Callable[[], None]:
    """A ``preexec_fn``: SIGTERM the child when its parent (pytest) dies."""
    libc = ctypes.CDLL(None, use_errno=True)

    def preexec() -> None:
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os._exit(1)

    return preexec


@dataclass(frozen=True)
class Account:
    """A registered user: ids and credentials from shared-secret registration."""

    user_id: str
    password: str
    access_token: str
    device_id: str


@dataclass
class SynapseServer:
    """A running throwaway Synapse; ``stop()`` ends it and removes its files."""

    python: Path
    tmp: Path
    port: int
    secret: str
    process: subprocess.Popen[bytes] | None = None
    _watchdog: subprocess.Popen[bytes] | None = None
    _watchdog_pipe: int | None = None
    _names: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def log_file(self) -> Path:
        return self.tmp / "homeserver.log"

    def log_text(self) -> str:
        return self.log_file.read_text(errors="replace") if self.log_file.exists() else ""

    # -------------------------------------------------------------- HTTP

    def request(
        self, method: str, path: str, body: dict[str, Any] | None = None, token: str | None = None
    ) -> dict[str, Any]:
        """A JSON request to this server (127.0.0.1 only)."""
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        req = urllib.request.Request(self.url + path, data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                result: dict[str, Any] = json.loads(resp.read() or b"{}")
                return result
        except urllib.error.HTTPError as err:
            detail = err.read().decode(errors="replace")
            msg = f"{method} {path} -> {err.code}: {detail}"
            raise RuntimeError(msg) from err

    def register(
        self, localpart: str | None = None, *, admin: bool = False, password: str | None = None
    ) -> Account:
        """Create a user with the shared secret (Synapse's admin register API)."""
        localpart = localpart or f"user{next(self._names)}"
        password = password or f"pw-{localpart}-{os.urandom(4).hex()}"
        nonce = self.request("GET", "/_synapse/admin/v1/register")["nonce"]
        mac = hmac.new(self.secret.encode(), digestmod=hashlib.sha1)
        for part in (nonce, localpart, password):
            mac.update(part.encode("utf8"))
            mac.update(b"\x00")
        mac.update(b"admin" if admin else b"notadmin")
        result = self.request(
            "POST",
            "/_synapse/admin/v1/register",
            {
                "nonce": nonce,
                "username": localpart,
                "password": password,
                "admin": admin,
                "mac": mac.hexdigest(),
            },
        )
        return Account(
            user_id=result["user_id"],
            password=password,
            access_token=result["access_token"],
            device_id=result["device_id"],
        )

    def unique_localpart(self, prefix: str) -> str:
        return f"{prefix}{next(self._names)}"

    def override_ratelimit(
        self, admin: Account, user_id: str, messages_per_second: int, burst_count: int
    ) -> None:
        """Give one user its own ``rc_message`` limit (Synapse admin API)."""
        self.request(
            "POST",
            f"/_synapse/admin/v1/users/{user_id}/override_ratelimit",
            {"messages_per_second": messages_per_second, "burst_count": burst_count},
            token=admin.access_token,
        )

    # -------------------------------------------------------------- lifecycle

    def _ready(self, deadline: float) -> None:
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                msg = (
                    f"Synapse exited with {self.process.returncode}:\n"
                    f"{_tail(self.tmp / 'synapse.out')}\n{_tail(self.log_file)}"
                )
                raise PeerUnavailableError(msg)
            try:
                with urllib.request.urlopen(
                    f"{self.url}/_matrix/client/versions", timeout=2
                ) as resp:
                    if resp.status == 200:
                        return
            except (OSError, urllib.error.URLError):
                pass
            time.sleep(0.05)
        msg = f"Synapse did not answer within the time limit:\n{_tail(self.log_file)}"
        raise PeerUnavailableError(msg)

    def stop(self) -> None:
        """Stop Synapse, remove its directory and let the watchdog go."""
        try:
            if self.process is not None and self.process.poll() is None:
                self.process.terminate()
                try:
                    self.process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait(timeout=15)
        finally:
            if self._watchdog_pipe is not None:
                os.close(self._watchdog_pipe)
                self._watchdog_pipe = None
            if self._watchdog is not None:
                try:
                    self._watchdog.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    self._watchdog.kill()
            shutil.rmtree(self.tmp, ignore_errors=True)


def _start_watchdog(server: SynapseServer) -> None:
    assert server.process is not None
    server._watchdog, server._watchdog_pipe = spawn_watchdog(
        _WATCHDOG, str(server.process.pid), str(server.tmp)
    )


def start_synapse(
    *, log_level: str | None = None, timeout: float = 90.0, **overrides: Any
) -> SynapseServer:
    """Start a throwaway Synapse; raises ``PeerUnavailableError`` with the reason if it cannot."""
    python = find_synapse_python()
    if python is None:
        msg = (
            f"no Synapse interpreter: {SYNAPSE_VENV}/bin/python is missing "
            "(run `make test`, which creates .venv-synapse via mk/matrix.mk, "
            "or set VOORKOMEN_SYNAPSE_PYTHON)"
        )
        raise PeerUnavailableError(msg)
    level = log_level or os.environ.get("VOORKOMEN_SYNAPSE_LOG_LEVEL", "WARNING")
    last_error = ""
    for _attempt in range(3):  # the free port may be taken before Synapse binds it
        tmp = Path(tempfile.mkdtemp(prefix="voorkomen-synapse-"))
        server = SynapseServer(
            python=python, tmp=tmp, port=free_port(), secret=os.urandom(16).hex()
        )
        try:
            (tmp / "signing.key").write_text(_signing_key())
            (tmp / "log.yaml").write_text(_LOG_CONFIG.format(log_file=server.log_file, level=level))
            config = homeserver_config(tmp, server.port, server.secret, **overrides)
            (tmp / "homeserver.yaml").write_text(json.dumps(config, indent=1))
            with (tmp / "synapse.out").open("wb") as out:
                server.process = subprocess.Popen(
                    [
                        str(python),
                        "-m",
                        "synapse.app.homeserver",
                        "--config-path",
                        str(tmp / "homeserver.yaml"),
                    ],
                    cwd=tmp,
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                    preexec_fn=_die_with_parent(os.getpid()),
                )
            _start_watchdog(server)
            server._ready(time.monotonic() + timeout)
            return server
        except PeerUnavailableError as err:
            last_error = str(err)
            server.stop()
            if "Address already in use" not in last_error:
                raise
        except BaseException:
            server.stop()
            raise
    raise PeerUnavailableError(last_error)


@pytest.fixture(scope="session")
def synapse_server() -> Iterator[SynapseServer]:
    """A Synapse homeserver on 127.0.0.1 for the whole session."""
    try:
        server = start_synapse()
    except (PeerUnavailableError, OSError, subprocess.SubprocessError) as err:
        peer_unavailable("Synapse", str(err))
    try:
        yield server
    finally:
        server.stop()


# ------------------------------------------------------------------ a user


@dataclass
class Received:
    """A message the user received (decrypted if it was encrypted)."""

    sender: str
    content: dict[str, Any]
    encrypted: bool
    event_id: str

    @property
    def body(self) -> str:
        return str(self.content.get("body", ""))


class SyncingClient:
    """A matrix-nio client with its own end-to-end store, syncing in the background
    once started: the test user below, and the bare echo bot ``bench/matrix.py``
    measures the bot against."""

    def __init__(self, homeserver: str, account: Account, store_dir: Path) -> None:
        from nio import AsyncClient, AsyncClientConfig

        store_dir.mkdir(parents=True, exist_ok=True)
        self.account = account
        self.client = AsyncClient(
            homeserver,
            account.user_id,
            device_id=account.device_id,
            store_path=str(store_dir),
            config=AsyncClientConfig(encryption_enabled=True, store_sync_tokens=False),
        )
        self.client.restore_login(account.user_id, account.device_id, account.access_token)
        self._task: asyncio.Task[None] | None = None

    @property
    def user_id(self) -> str:
        return self.account.user_id

    async def start_syncing(self, callbacks: list[tuple[Any, Any]], **sync: Any) -> None:
        """Add the event ``callbacks`` (callback, event types), upload keys, then sync."""
        for callback, kinds in callbacks:
            self.client.add_event_callback(callback, kinds)
        await self.client.keys_upload()
        self._task = asyncio.create_task(self.client.sync_forever(**sync))

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        await self.client.close()


class MatrixUser(SyncingClient):
    """A second matrix-nio client: the professional talking to the bot.

    It syncs in the background (like Element), keeps its own E2E store and
    collects every room message per room, so a test can send a line and wait
    for the bot's answers.
    """

    def __init__(self, server: SynapseServer, account: Account, store_dir: Path) -> None:
        super().__init__(server.url, account, store_dir)
        self.server = server
        self.messages: dict[str, list[Received]] = {}
        self._seen: dict[str, int] = {}
        self._changed = asyncio.Condition()
        self.undecryptable = 0

    async def start(self) -> None:
        from nio import MegolmEvent, RoomMessage

        callbacks = [(self._on_message, (RoomMessage, MegolmEvent))]
        await self.start_syncing(callbacks, timeout=1000, full_state=True)

    async def _on_message(self, room: Any, event: Any) -> None:
        from nio import MegolmEvent

        if isinstance(event, MegolmEvent):
            self.undecryptable += 1
            return
        content = dict(event.source.get("content", {}))
        received = Received(event.sender, content, bool(event.decrypted), event.event_id)
        async with self._changed:
            self.messages.setdefault(room.room_id, []).append(received)
            self._changed.notify_all()

    async def _wait(self, predicate: Callable[[], bool], timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            left = deadline - time.monotonic()
            if left <= 0:
                msg = f"{self.user_id}: timed out waiting for {what}"
                raise AssertionError(msg)
            async with self._changed:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), min(left, 0.1))

    async def create_dm(self, bot_user_id: str, *, encrypted: bool, timeout: float = 30) -> str:
        """Open a direct chat with the bot (as Element does) and wait until it joined."""
        from nio import RoomCreateResponse, RoomPreset

        initial_state = (
            [
                {
                    "type": "m.room.encryption",
                    "state_key": "",
                    "content": {"algorithm": "m.megolm.v1.aes-sha2"},
                }
            ]
            if encrypted
            else []
        )
        response = await self.client.room_create(
            is_direct=True,
            preset=RoomPreset.trusted_private_chat,
            invite=[bot_user_id],
            initial_state=initial_state,
        )
        assert isinstance(response, RoomCreateResponse), response
        await self.wait_joined(response.room_id, bot_user_id, timeout)
        return str(response.room_id)

    async def create_group(self, invite: list[str], timeout: float = 30) -> str:
        """A room with several people (not a direct chat)."""
        from nio import RoomCreateResponse

        response = await self.client.room_create(name="Teamoverleg", invite=invite)
        assert isinstance(response, RoomCreateResponse), response
        await self._wait(
            lambda: response.room_id in self.client.rooms, timeout, "the room to appear"
        )
        return str(response.room_id)

    async def wait_joined(self, room_id: str, user_id: str, timeout: float = 30) -> None:
        def joined() -> bool:
            room = self.client.rooms.get(room_id)
            return room is not None and user_id in room.users and user_id not in room.invited_users

        await self._wait(joined, timeout, f"{user_id} to join {room_id}")

    async def wait_left(self, room_id: str, user_id: str, timeout: float = 30) -> None:
        def left() -> bool:
            room = self.client.rooms.get(room_id)
            return room is not None and user_id not in room.users

        await self._wait(left, timeout, f"{user_id} to leave {room_id}")

    async def send(self, room_id: str, text: str) -> str:
        from nio import RoomSendResponse

        response = await self.client.room_send(
            room_id,
            "m.room.message",
            {"msgtype": "m.text", "body": text},
            ignore_unverified_devices=True,
        )
        assert isinstance(response, RoomSendResponse), response
        return str(response.event_id)

    async def send_content(self, room_id: str, content: dict[str, Any]) -> str:
        from nio import RoomSendResponse

        response = await self.client.room_send(
            room_id, "m.room.message", content, ignore_unverified_devices=True
        )
        assert isinstance(response, RoomSendResponse), response
        return str(response.event_id)

    def from_user(self, room_id: str, user_id: str) -> list[Received]:
        return [m for m in self.messages.get(room_id, []) if m.sender == user_id]

    async def expect(
        self, room_id: str, sender: str, count: int = 1, timeout: float = 30
    ) -> list[Received]:
        """The next ``count`` messages from ``sender`` in the room (waits for them)."""
        seen = self._seen.get(room_id + sender, 0)
        await self._wait(
            lambda: len(self.from_user(room_id, sender)) >= seen + count,
            timeout,
            f"{count} message(s) from {sender}",
        )
        new = self.from_user(room_id, sender)[seen : seen + count]
        self._seen[room_id + sender] = seen + count
        return new

    async def settle(
        self,
        room_id: str,
        sender: str,
        quiet: float = 1.0,
        *,
        at_least: int = 1,
        timeout: float = 30,
        until: str | None = None,
    ) -> list[Received]:
        """All further messages from ``sender`` until it was quiet for ``quiet`` seconds,
        after waiting (up to ``timeout``) for the first ``at_least`` of them: a busy
        machine may take longer than ``quiet`` to answer at all. ``at_least=0``
        checks that nothing more comes. ``until``: also wait (bounded) for a new
        message containing that text (the question that ends an answer: a busy
        bot may pause longer than ``quiet`` between the lines of one answer)."""
        seen = self._seen.get(room_id + sender, 0)
        if at_least:
            await self._wait(
                lambda: len(self.from_user(room_id, sender)) >= seen + at_least,
                timeout,
                f"{at_least} message(s) from {sender}",
            )
        if until is not None:
            await self._wait(
                lambda: any(until in m.body for m in self.from_user(room_id, sender)[seen:]),
                timeout,
                f"a message with {until!r} from {sender}",
            )
        count = -1
        while count != len(self.from_user(room_id, sender)):
            count = len(self.from_user(room_id, sender))
            await asyncio.sleep(quiet)
        self._seen[room_id + sender] = count
        return self.from_user(room_id, sender)[seen:]

    async def download(self, content: dict[str, Any]) -> bytes:
        """The bytes of an ``m.file`` message, decrypted if it was encrypted."""
        from nio import DownloadResponse
        from nio.crypto import decrypt_attachment

        file_info = content.get("file")
        url = file_info["url"] if file_info else content["url"]
        response = await self.client.download(mxc=url)
        assert isinstance(response, DownloadResponse), response
        body: bytes = response.body
        if file_info:
            return bytes(
                decrypt_attachment(
                    body,
                    file_info["key"]["k"],
                    file_info["hashes"]["sha256"],
                    file_info["iv"],
                )
            )
        return body
