"""What every test peer shares: loopback only, a free port, stopping, and the CI rule.

Peers (PostgreSQL, Synapse, the Telegram Bot API emulator) run on 127.0.0.1
and nowhere else. Under ``CI=true`` a peer that cannot be started is a broken
build; on a developer's machine the tests that need it skip with the reason.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from typing import Any, NoReturn

import pytest

HOST = "127.0.0.1"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        port: int = s.getsockname()[1]
        return port


def stop_process(process: subprocess.Popen[Any], name: str) -> None:
    """Stop a process we started, by its PID: SIGTERM, then SIGKILL."""
    if process.poll() is not None:
        return
    os.kill(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=5)
        sys.stderr.write(f"{name} (pid {process.pid}) did not stop on SIGTERM; killed\n")


def peer_unavailable(peer: str, reason: str) -> NoReturn:
    """Fail under CI (a missing peer is a broken build there), skip elsewhere."""
    if os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}:
        pytest.fail(f"{peer} test peer could not be started (CI=true): {reason}", pytrace=False)
    pytest.skip(f"{peer} test peer not available: {reason}")


def spawn_watchdog(script: str, *args: str) -> tuple[subprocess.Popen[bytes], int]:
    """Start ``python -c script args…`` that cleans a peer up when we die.

    The watchdog reads a pipe whose only writer is this process: when pytest
    ends, however it ends (even SIGKILL), the pipe closes and the watchdog
    stops the peer and removes its files. Returns the process and the write
    end, which the caller closes on a clean stop.
    """
    read_end, write_end = os.pipe()  # not inherited by other children (PEP 446)
    try:
        process = subprocess.Popen(
            [sys.executable, "-c", script, *args],
            stdin=read_end,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # a Ctrl-C for pytest must not kill it first
        )
    except BaseException:
        os.close(write_end)
        raise
    finally:
        os.close(read_end)
    return process, write_end
