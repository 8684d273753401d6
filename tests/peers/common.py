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
import time
from collections.abc import Sequence
from typing import Any, NoReturn

import pytest

HOST = "127.0.0.1"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        port: int = s.getsockname()[1]
        return port


STOP_TIMEOUT = 15.0
"""Seconds a process gets to stop on SIGTERM before it is killed."""


def stop_process(process: subprocess.Popen[Any], name: str) -> None:
    """Stop a process we started, by its PID: SIGTERM, then SIGKILL."""
    stop_processes([(process, name)])


def stop_processes(named: Sequence[tuple[subprocess.Popen[Any], str]]) -> None:
    """Stop processes we started, all at once: SIGTERM to each, then wait for
    them together (a bot takes a second or two to shut down; one after the
    other, a dozen of them cost half a minute), SIGKILL for those still running."""
    running = [(process, name) for process, name in named if process.poll() is None]
    for process, _name in running:
        os.kill(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT
    for process, name in running:
        try:
            process.wait(timeout=max(0.0, deadline - time.monotonic()))
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
