"""Several workers starting at once on one fresh PostgreSQL all migrate it, once.

Every bot process runs ``upgrade head`` at start-up (``bot.app.create_app``).
Three real processes are started, each imports the migration code and then
waits at a gate (its stdin); once all three are waiting, the gate opens for
all at the same moment. Without the advisory lock in ``bot.store.migrate`` two
of them create ``alembic_version`` and the first tables together and one dies
on a duplicate; with it, all three succeed and the schema is there once.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import psycopg
import pytest
from alembic.script import ScriptDirectory

from bot.store.migrate import alembic_config
from tests.peers.postgres import PostgresServer

PROJECT = Path(__file__).resolve().parents[2]
WORKERS = 3
READY = b"ready\n"

# One worker: import first (slow), say ready, wait for the gate, then migrate.
_WORKER = textwrap.dedent(
    """
    import sys
    from bot.store.migrate import upgrade
    sys.stdout.buffer.write(b"ready\\n")
    sys.stdout.flush()
    sys.stdin.readline()
    upgrade(sys.argv[1])
    """
)


def _start_worker(url: str) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VOORKOMEN_")}
    return subprocess.Popen(
        [sys.executable, "-c", _WORKER, url],
        cwd=PROJECT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _wait_ready(worker: subprocess.Popen[bytes]) -> None:
    """Until the worker has imported everything (a dead worker's stdout just ends)."""
    assert worker.stdout is not None
    line = worker.stdout.readline()
    if line != READY:
        _out, err = worker.communicate(timeout=30)
        pytest.fail(f"a worker did not get ready ({line!r}):\n{err.decode(errors='replace')}")


@pytest.mark.peer
def test_three_workers_starting_at_once_migrate_one_schema(
    postgres_server: PostgresServer,
) -> None:
    url = postgres_server.create_database()
    name = url.rsplit("/", 1)[1]
    workers = [_start_worker(url) for _ in range(WORKERS)]
    try:
        for worker in workers:
            _wait_ready(worker)
        for worker in workers:  # open the gate for all of them at once
            assert worker.stdin is not None
            worker.stdin.write(b"go\n")
        for worker in workers:
            assert worker.stdin is not None
            worker.stdin.flush()
        results = [worker.communicate(timeout=120) for worker in workers]
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait(timeout=10)
    try:
        _check(workers, results, postgres_server, name)
    finally:
        postgres_server.drop_database(name)


def _check(
    workers: list[subprocess.Popen[bytes]],
    results: list[tuple[bytes, bytes]],
    postgres_server: PostgresServer,
    name: str,
) -> None:
    failures = [
        f"worker {i}: exit {w.returncode}\n{err.decode(errors='replace')[-1500:]}"
        for i, (w, (_out, err)) in enumerate(zip(workers, results, strict=True))
        if w.returncode != 0
    ]
    assert not failures, "\n".join(failures)

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    with psycopg.connect(postgres_server.conninfo(name)) as conn:
        versions = [row[0] for row in conn.execute("SELECT version_num FROM alembic_version")]
        tables = {
            row[0]
            for row in conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
            )
        }
    assert versions == [head]
    assert {"conversations", "answers", "records", "jobs", "data_keys"} <= tables
