"""The PostgreSQL test peer: loopback only, throwaway, and it cleans up after itself."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import psycopg
import pytest

from tests.peers.common import peer_unavailable
from tests.peers.postgres import PostgresServer, find_bindir


@pytest.mark.parametrize("ci", ["true", "1"])
def test_a_missing_server_fails_under_ci(monkeypatch: pytest.MonkeyPatch, ci: str) -> None:
    monkeypatch.setenv("CI", ci)
    with pytest.raises(pytest.fail.Exception, match=r"CI=true.*no initdb"):
        peer_unavailable("PostgreSQL", "no initdb")


@pytest.mark.parametrize("ci", [None, "", "false"])
def test_a_missing_server_skips_elsewhere(monkeypatch: pytest.MonkeyPatch, ci: str | None) -> None:
    if ci is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", ci)
    with pytest.raises(pytest.skip.Exception, match="no initdb"):
        peer_unavailable("PostgreSQL", "no initdb")


@pytest.mark.peer
def test_listens_on_loopback_only_without_fsync(postgres_server: PostgresServer) -> None:
    with psycopg.connect(postgres_server.conninfo()) as conn:
        settings: dict[str, str] = dict(
            conn.execute(
                "SELECT name, setting FROM pg_settings WHERE name IN "
                "('listen_addresses', 'fsync', 'unix_socket_directories', 'port')"
            ).fetchall()
        )
    assert settings["listen_addresses"] == "127.0.0.1"
    assert settings["fsync"] == "off"
    assert settings["port"] == str(postgres_server.port)
    assert settings["unix_socket_directories"] == str(postgres_server.socket_dir)
    assert (postgres_server.socket_dir / f".s.PGSQL.{postgres_server.port}").exists()


@pytest.mark.peer
def test_fresh_databases_are_separate(postgres_server: PostgresServer) -> None:
    a = postgres_server.create_database()
    b = postgres_server.create_database()
    assert a != b
    name = a.rsplit("/", 1)[1]
    with psycopg.connect(postgres_server.conninfo(name)) as conn:
        conn.execute("CREATE TABLE t (x int)")
    with psycopg.connect(postgres_server.conninfo(b.rsplit("/", 1)[1])) as conn:
        found = conn.execute("SELECT count(*) FROM pg_tables WHERE tablename = 't'").fetchone()
    assert found == (0,)
    postgres_server.drop_database(name)


@pytest.mark.peer
@pytest.mark.timeout(120)
def test_a_killed_test_process_leaves_no_server_behind(tmp_path: Path) -> None:
    """The watchdog stops the server and removes its files when pytest dies (SIGKILL)."""
    if find_bindir() is None:
        pytest.skip("PostgreSQL is not installed")
    root = Path(__file__).resolve().parents[2]
    child = textwrap.dedent(
        """
        import os, signal, sys
        from tests.peers.postgres import start_postgres
        server = start_postgres()
        print(server.tmp, server.port, flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", child],
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    assert result.returncode == -9, result.stderr
    tmp, port = result.stdout.split()
    pid_file = Path(tmp) / "data" / "postmaster.pid"
    deadline = 60.0
    start = time.monotonic()
    while Path(tmp).exists() and time.monotonic() - start < deadline:
        time.sleep(0.2)
    assert not Path(tmp).exists(), "the watchdog did not remove the server's directory"
    assert not pid_file.exists()
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(f"host=127.0.0.1 port={port} user=postgres connect_timeout=2")
