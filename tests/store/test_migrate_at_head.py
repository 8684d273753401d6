"""``upgrade`` to head skips Alembic when the database is there already (issue 15:
Alembic is a tenth of the console's start-up), and still migrates when it is not."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from sqlalchemy import text

from bot.store.migrate import MIGRATIONS_DIR, at_head, head_revision, upgrade
from bot.store.sql import make_engine

PROJECT = Path(__file__).resolve().parents[2]


def test_the_head_is_the_revision_no_migration_builds_on() -> None:
    names = sorted(p.name for p in (MIGRATIONS_DIR / "versions").glob("0*.py"))
    assert head_revision() == names[-1].split("_")[0]


def test_a_chain_with_a_branch_is_left_to_alembic(tmp_path: Path) -> None:
    for name, revision, down in (("a", "1", None), ("b", "2", "1"), ("c", "3", "1")):
        down_text = "None" if down is None else f'"{down}"'
        (tmp_path / f"{name}.py").write_text(
            f'revision = "{revision}"\ndown_revision = {down_text}\n', encoding="utf-8"
        )
    assert head_revision(tmp_path) is None


def test_at_head_only_after_the_migrations(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    assert not at_head(url)  # a new database: no alembic_version yet
    upgrade(url)
    assert at_head(url)
    engine = make_engine(url)
    with engine.begin() as conn:  # a database one migration behind
        conn.execute(text("UPDATE alembic_version SET version_num = '0010'"))
    engine.dispose()
    assert not at_head(url)


def test_a_start_on_a_migrated_database_does_not_import_alembic(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    upgrade(url)
    code = (
        "import sys; from bot.store.migrate import upgrade; "
        f"upgrade({url!r}); print('alembic' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=PROJECT, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "False"
