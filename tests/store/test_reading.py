"""``bot.store.database.reading``: reads outside a transaction, and a pool that stays transactional.

On PostgreSQL a read connection runs in autocommit, so psycopg sends no ``BEGIN``
and no ``ROLLBACK`` around it (issue 15: two round trips per read). These tests
would fail if it sent them, and if the autocommit leaked into a write
transaction on the same pooled connection afterwards.
"""

from __future__ import annotations

from sqlalchemy import Engine, text

from bot.store.database import reading
from bot.store.sql import SqlStore
from tests.store.conftest import Backend


def _engine(backend: Backend) -> Engine:
    store = backend.open()
    assert isinstance(store, SqlStore)
    engine = store.engine
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE reading_probe (n INTEGER PRIMARY KEY)"))
        conn.execute(text("INSERT INTO reading_probe (n) VALUES (1)"))
    return engine


def test_reads_what_was_committed(sql_backend: Backend) -> None:
    engine = _engine(sql_backend)
    with reading(engine) as conn:
        assert conn.execute(text("SELECT n FROM reading_probe")).scalars().all() == [1]


def test_postgres_reads_open_no_transaction(postgres_store_backend: Backend) -> None:
    import psycopg

    engine = _engine(postgres_store_backend)
    idle, in_transaction = psycopg.pq.TransactionStatus.IDLE, psycopg.pq.TransactionStatus.INTRANS
    with reading(engine) as conn:
        conn.execute(text("SELECT n FROM reading_probe")).all()
        assert conn.connection.driver_connection.info.transaction_status == idle
    with engine.connect() as conn:  # the plain way, for contrast: psycopg began one
        conn.execute(text("SELECT n FROM reading_probe")).all()
        assert conn.connection.driver_connection.info.transaction_status == in_transaction


def test_a_write_transaction_after_a_read_still_rolls_back(sql_backend: Backend) -> None:
    engine = _engine(sql_backend)
    for _ in range(3):  # whichever pooled connection the read had
        with reading(engine) as conn:
            conn.execute(text("SELECT n FROM reading_probe")).all()
    conn = engine.connect()
    transaction = conn.begin()
    conn.execute(text("INSERT INTO reading_probe (n) VALUES (2)"))
    transaction.rollback()
    conn.close()
    with reading(engine) as conn:
        assert conn.execute(text("SELECT n FROM reading_probe")).scalars().all() == [1]
