"""The Synapse test peer itself: it dies with pytest, and a missing Synapse fails only under CI."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

import tests.peers.synapse as peer
from bot.settings import PROJECT_ROOT
from tests.peers.common import peer_unavailable

_CHILD = """
import sys, time
sys.path.insert(0, sys.argv[1])
from tests.peers.synapse import start_synapse
server = start_synapse()
print(server.process.pid, server.tmp, flush=True)
time.sleep(300)
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still answers kill(0); it is gone once its state is Z or it is reaped.
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.peer
@pytest.mark.timeout(120)
def test_synapse_stops_when_the_test_process_is_killed() -> None:
    if peer.find_synapse_python() is None:
        peer_unavailable("Synapse", "no .venv-synapse")
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(PROJECT_ROOT)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        line = child.stdout.readline().split()
        assert len(line) == 2, "the child did not start Synapse"
        pid, tmp = int(line[0]), Path(line[1])
        assert _alive(pid)
        assert tmp.is_dir()
    finally:
        child.kill()  # SIGKILL: no fixture teardown, no atexit
        child.wait()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and (_alive(pid) or tmp.exists()):
        time.sleep(0.1)
    assert not _alive(pid), "Synapse outlived the process that started it"
    assert not tmp.exists(), "the watchdog did not remove Synapse's directory"


def test_a_missing_synapse_skips_here_and_fails_under_ci(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(peer, "SYNAPSE_VENV", tmp_path / "no-venv")
    monkeypatch.delenv("VOORKOMEN_SYNAPSE_PYTHON", raising=False)
    with pytest.raises(peer.PeerUnavailableError, match="make test"):
        peer.start_synapse()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true"):
        peer_unavailable("Synapse", "no Synapse")
    monkeypatch.setenv("CI", "")
    with pytest.raises(pytest.skip.Exception, match="no Synapse"):
        peer_unavailable("Synapse", "no Synapse")


def test_the_homeserver_config_is_local_quiet_and_generous() -> None:
    config = peer.homeserver_config(Path("/tmp/x"), 8008, "geheim")
    assert config["listeners"][0]["bind_addresses"] == ["127.0.0.1"]
    assert config["database"]["name"] == "sqlite3"
    assert config["report_stats"] is False
    assert config["trusted_key_servers"] == []
    assert config["federation_domain_whitelist"] == []
    assert config["bcrypt_rounds"] == 4
    assert config["background_updates"] == {"sleep_enabled": False}
    assert config["registration_shared_secret"] == "geheim"
    limits = [key for key in config if key.startswith("rc_")]
    assert "rc_message" in limits
    assert config["rc_message"]["per_second"] >= 1000
