"""Opening a store migrates it to the newest schema, and only when it is not there yet."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from openline.store.database import HEAD_REVISION, Store


def alembic_head() -> str:
    config = Config()
    config.set_main_option("script_location", "openline.store:migrations")
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None
    return head


def test_the_head_revision_is_alembics_own() -> None:
    assert alembic_head() == HEAD_REVISION


def test_a_new_store_is_migrated_to_the_head(tmp_path: Path) -> None:
    store = Store.open_sqlite(tmp_path / "new.db")
    try:
        assert store.schema_revision() == alembic_head()
        assert "idempotency_keys" in inspect(store.engine).get_table_names()
    finally:
        store.close()


def test_a_store_of_an_older_release_is_migrated_forward(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    store = Store.open_sqlite(path)
    with store.write() as connection:  # as the release before the newest migration left it
        connection.execute(text("DROP TABLE idempotency_keys"))
        connection.execute(text("UPDATE alembic_version SET version_num = '0007'"))
    store.close()
    reopened = Store.open_sqlite(path)
    try:
        assert reopened.schema_revision() == HEAD_REVISION
        assert "idempotency_keys" in inspect(reopened.engine).get_table_names()
    finally:
        reopened.close()


def test_a_store_at_the_head_opens_without_loading_alembic(tmp_path: Path) -> None:
    path = tmp_path / "current.db"
    Store.open_sqlite(path).close()
    probe = (
        "import sys; from pathlib import Path; from openline.store.database import Store; "
        f"Store.open_sqlite(Path({str(path)!r})).close(); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'alembic'))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "[]"
