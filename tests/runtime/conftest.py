"""Every store backend (memory, SQLite, PostgreSQL) for the runtime tests.

The same fixtures as ``tests/store``: a fresh migrated database per test.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.store.conftest import ALL_BACKENDS, SQL_BACKENDS, Backend, Store, _backend
from tests.store.conftest import postgres_template as postgres_template


@pytest.fixture(params=ALL_BACKENDS)
def store_backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    yield from _backend(request.param, request, tmp_path)


@pytest.fixture(params=SQL_BACKENDS)
def sql_backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    yield from _backend(request.param, request, tmp_path)


@pytest.fixture
def store(store_backend: Backend) -> Store:
    return store_backend.open()
