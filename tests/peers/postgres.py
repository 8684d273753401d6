"""A throwaway PostgreSQL server for the tests, started once per test session.

Enable it in ``tests/conftest.py`` with ``pytest_plugins = ["tests.peers.postgres"]``;
then ``postgres_server`` gives the running server (and makes fresh databases)
and ``postgres_url`` the SQLAlchemy URL of an empty database on it.

The server is Debian's ``postgresql`` package (``tests/peers/install-postgres.sh``
installs it where it is missing), started with ``initdb``/``pg_ctl`` in a temp
directory: TCP on 127.0.0.1 only, on a free port, the unix socket in the temp
directory, trust authentication, no fsync. ``initdb`` refuses to run as root,
so as root the server runs as the ``postgres`` system user (the package makes
it), else as ``nobody``.

It is stopped and its directory removed at the end of the session. So that
this also happens when pytest dies without cleaning up (SIGKILL, a crash), a
small watchdog process waits on a pipe whose only writer is this process: when
the pipe closes, the watchdog stops the server and removes the directory.

Under ``CI=true`` a server that cannot be started fails the tests that need
it; elsewhere they are skipped, with the reason.
"""

from __future__ import annotations

import itertools
import os
import pwd
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.peers.common import HOST, free_port, peer_unavailable, spawn_watchdog

SUPERUSER = "postgres"

# Stop the server and remove its directory once stdin closes (the test process is
# gone). It runs as the test process's user; pg_ctl runs as the server's owner.
_WATCHDOG = """
import shutil, subprocess, sys
sys.stdin.buffer.read()
pg_ctl, data, tmp, uid, gid = sys.argv[1:]
user = {} if uid == "-" else {"user": int(uid), "group": int(gid), "extra_groups": []}
subprocess.run([pg_ctl, "stop", "-D", data, "-m", "immediate", "-w", "-t", "30"], cwd=tmp,
               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False, **user)
shutil.rmtree(tmp, ignore_errors=True)
"""

_SETTINGS = """
# Added by tests/peers/postgres.py: a throwaway server for tests.
listen_addresses = '127.0.0.1'
unix_socket_directories = '{socket_dir}'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 50
shared_buffers = 32MB
"""


class PeerUnavailableError(Exception):
    """PostgreSQL cannot be started here; the message says why."""


def find_bindir() -> Path | None:
    """The directory holding ``initdb``, ``pg_ctl`` and ``postgres``, if installed.

    ``initdb`` on PATH wins (resolved through Debian's symlinks); otherwise the
    newest ``/usr/lib/postgresql/<version>/bin``.
    """
    on_path = shutil.which("initdb")
    if on_path:
        bindir = Path(on_path).resolve().parent
        if (bindir / "pg_ctl").exists() and (bindir / "postgres").exists():
            return bindir
    versions = []
    for initdb in Path("/usr/lib/postgresql").glob("*/bin/initdb"):
        match = re.fullmatch(r"\d+(\.\d+)?", initdb.parent.parent.name)
        if match:
            versions.append((float(initdb.parent.parent.name), initdb.parent))
    return max(versions)[1] if versions else None


def _unprivileged_user() -> pwd.struct_passwd | None:
    """Who runs the server: None for the current user, unless that is root."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    msg = "running as root, and there is no 'postgres' or 'nobody' user to run PostgreSQL as"
    raise PeerUnavailableError(msg)


@dataclass
class PostgresServer:
    """A running throwaway PostgreSQL server; ``stop()`` ends it and removes its files."""

    bindir: Path
    tmp: Path
    port: int
    user: pwd.struct_passwd | None
    _watchdog: subprocess.Popen[bytes] | None = None
    _watchdog_pipe: int | None = None
    _names: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def data_dir(self) -> Path:
        return self.tmp / "data"

    @property
    def socket_dir(self) -> Path:
        return self.tmp

    def url(self, database: str = "postgres") -> str:
        """The SQLAlchemy URL of ``database`` on this server (psycopg 3, TCP)."""
        return f"postgresql+psycopg://{SUPERUSER}@{HOST}:{self.port}/{database}"

    def conninfo(self, database: str = "postgres") -> str:
        """A libpq connection string for ``database`` (for psycopg directly)."""
        return f"host={HOST} port={self.port} user={SUPERUSER} dbname={database}"

    def create_database(self, name: str | None = None, template: str = "template1") -> str:
        """Create a database (copied from ``template``) and return its SQLAlchemy URL."""
        import psycopg
        from psycopg import sql

        name = name or f"test_{os.getpid()}_{next(self._names)}"
        with psycopg.connect(self.conninfo(), autocommit=True) as conn:
            conn.execute(
                sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                    sql.Identifier(name), sql.Identifier(template)
                )
            )
        return self.url(name)

    def drop_database(self, name: str) -> None:
        """Drop a database, ending any connections still open to it."""
        import psycopg
        from psycopg import sql

        with psycopg.connect(self.conninfo(), autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )

    def pause(self) -> None:
        """Stop the server but keep its files (a database outage; ``resume`` ends it)."""
        _run_as(
            self.user,
            [self.bindir / "pg_ctl", "stop", "-D", self.data_dir, "-m", "fast", "-w"],
            cwd=self.tmp,
        )

    def resume(self) -> None:
        """Start a paused server again, on the same port."""
        _run_as(
            self.user,
            [
                self.bindir / "pg_ctl",
                "start",
                "-D",
                self.data_dir,
                "-l",
                self.tmp / "server.log",
                "-w",
                "-t",
                "60",
                "-o",
                f"-p {self.port}",
            ],
            cwd=self.tmp,
        )

    def stop(self) -> None:
        """Stop the server, remove its directory and let the watchdog go."""
        try:
            _run_as(
                self.user,
                [self.bindir / "pg_ctl", "stop", "-D", self.data_dir, "-m", "fast", "-w"],
                cwd=self.tmp,
                check=False,
            )
        finally:
            shutil.rmtree(self.tmp, ignore_errors=True)
            if self._watchdog_pipe is not None:
                os.close(self._watchdog_pipe)
                self._watchdog_pipe = None
            if self._watchdog is not None:
                try:
                    self._watchdog.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    self._watchdog.kill()


def _as_user(user: pwd.struct_passwd | None) -> dict[str, Any]:
    """``subprocess`` arguments that run a command as ``user`` (None: as we are)."""
    if user is None:
        return {}
    return {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}


def _run_as(
    user: pwd.struct_passwd | None,
    args: list[str | Path],
    *,
    cwd: Path,
    check: bool = True,
) -> subprocess.CompletedProcess[str]:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C", "LANG": "C"}
    result = subprocess.run(
        [str(a) for a in args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        **_as_user(user),
    )
    if check and result.returncode != 0:
        msg = f"{Path(args[0]).name} failed ({result.returncode}): {result.stderr.strip()}"
        raise PeerUnavailableError(msg)
    return result


def start_postgres() -> PostgresServer:
    """Start a throwaway server; raises ``PeerUnavailableError`` with the reason if it cannot."""
    bindir = find_bindir()
    if bindir is None:
        msg = (
            "initdb/pg_ctl not found (on PATH or in /usr/lib/postgresql/*/bin); "
            "install Debian's 'postgresql' package: sh tests/peers/install-postgres.sh"
        )
        raise PeerUnavailableError(msg)
    try:
        import psycopg  # noqa: F401
    except ImportError as err:
        msg = f"psycopg is not installed: {err}"
        raise PeerUnavailableError(msg) from err
    user = _unprivileged_user()
    tmp = Path(tempfile.mkdtemp(prefix="voorkomen-pg-"))
    server = PostgresServer(bindir=bindir, tmp=tmp, port=0, user=user)
    try:
        if user is not None:
            os.chown(tmp, user.pw_uid, user.pw_gid)
        _start_watchdog(server)
        _run_as(
            user,
            [
                bindir / "initdb",
                "-D",
                server.data_dir,
                "-U",
                SUPERUSER,
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ],
            cwd=tmp,
        )
        with (server.data_dir / "postgresql.conf").open("a") as conf:
            conf.write(_SETTINGS.format(socket_dir=server.socket_dir))
        last_error = ""
        for _attempt in range(3):  # the free port may be taken before the server binds it
            server.port = free_port()
            result = _run_as(
                user,
                [
                    bindir / "pg_ctl",
                    "start",
                    "-D",
                    server.data_dir,
                    "-l",
                    tmp / "server.log",
                    "-w",
                    "-t",
                    "60",
                    "-o",
                    f"-p {server.port}",
                ],
                cwd=tmp,
                check=False,
            )
            if result.returncode == 0:
                return server
            last_error = result.stderr.strip() + "\n" + _tail(tmp / "server.log")
        msg = f"pg_ctl start failed: {last_error}"
        raise PeerUnavailableError(msg)
    except BaseException:
        server.stop()
        raise


def _start_watchdog(server: PostgresServer) -> None:
    server._watchdog, server._watchdog_pipe = spawn_watchdog(
        _WATCHDOG,
        str(server.bindir / "pg_ctl"),
        str(server.data_dir),
        str(server.tmp),
        str(server.user.pw_uid) if server.user else "-",
        str(server.user.pw_gid) if server.user else "-",
    )


def _tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A PostgreSQL server on 127.0.0.1 for the whole session."""
    try:
        server = start_postgres()
    except (PeerUnavailableError, OSError, subprocess.SubprocessError) as err:
        peer_unavailable("PostgreSQL", str(err))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def postgres_url(postgres_server: PostgresServer) -> str:
    """The SQLAlchemy URL (``postgresql+psycopg://``) of an empty database for the session."""
    return postgres_server.create_database("voorkomen_test")
