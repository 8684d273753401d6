"""The SQL store backends (SQLite and PostgreSQL) of ``tests/store`` for the privacy tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.store.conftest import SQL_BACKENDS, Backend, _backend
from tests.store.conftest import postgres_template as postgres_template


@pytest.fixture(params=SQL_BACKENDS)
def sql_backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    yield from _backend(request.param, request, tmp_path)


from tests.org.conftest import stores as stores  # noqa: E402  (memory twins, SQLite, PostgreSQL)
