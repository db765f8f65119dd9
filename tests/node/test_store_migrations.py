"""Opening a store migrates it to the newest schema, and only when it is not there yet."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, select, text

from openline.store import projection as folds
from openline.store import schema
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
        connection.execute(text("DROP TABLE desk_tallies"))
        connection.execute(text("DROP INDEX notices_by_log_kind_time"))
        connection.execute(text("DROP INDEX notices_by_kind_time"))
        connection.execute(text("DROP INDEX open_items_by_kind"))  # and 0012's
        connection.execute(text("UPDATE alembic_version SET version_num = '0007'"))
    store.close()
    reopened = Store.open_sqlite(path)
    try:
        assert reopened.schema_revision() == HEAD_REVISION
        assert {"idempotency_keys", "desk_tallies"} <= set(
            inspect(reopened.engine).get_table_names()
        )
        indexes = {index["name"] for index in inspect(reopened.engine).get_indexes("notices")}
        assert {"notices_by_log_kind_time", "notices_by_kind_time"} <= indexes
    finally:
        reopened.close()


def desk_check_row(index: int, sender: str, answered_at: str | None, by: str) -> dict[str, Any]:
    return {
        "id": f"{index:064x}",
        "kind": "desk.check",
        "sender": sender,
        "recipient": "bravo",
        "seq": index,
        "time": f"2026-01-01T00:00:{index:02d}.000Z",
        "notice": f"{index:064x}",
        "group_key": f"{index:064x}",
        "leader": 1,
        "precedence": "immediate",
        "delivered_at": f"2026-01-01T00:00:{index:02d}.000Z",
        "due": "2026-01-01T00:05:00.000Z",
        "answer_id": None if answered_at is None else f"{index + 100:064x}",
        "answered_at": answered_at,
        "answered_by": None if answered_at is None else by,
        "lead_time_seconds": None,
        "late_notice": None,
        "body": "{}",
    }


def test_the_desk_tallies_are_folded_from_the_checks_already_stored(tmp_path: Path) -> None:
    """Migration 0010 fills the tallies as the fold would have kept them: counts, lateness,
    and the latest answer (of two at one instant, the greatest name)."""
    path = tmp_path / "checks.db"
    store = Store.open_sqlite(path)
    answers = [
        ("alpha", "2026-01-01T00:01:00.000Z", "Lt. Chen"),
        ("alpha", "2026-01-01T00:09:00.000Z", "Cdr. Miller"),  # after its due: late
        ("alpha", "2026-01-01T00:09:00.000Z", "Maj. Alvarez"),  # the same instant
        ("alpha", None, ""),
        ("charlie", None, ""),
    ]
    with store.write() as connection:
        for index, (sender, answered_at, by) in enumerate(answers):
            folds.put_notice(connection, desk_check_row(index, sender, answered_at, by))
        folded = [tuple(row) for row in connection.execute(select(schema.desk_tallies))]
        connection.execute(text("DROP TABLE desk_tallies"))
        connection.execute(text("DROP INDEX notices_by_log_kind_time"))  # and 0011's
        connection.execute(text("DROP INDEX notices_by_kind_time"))
        connection.execute(text("DROP INDEX open_items_by_kind"))  # and 0012's
        connection.execute(text("UPDATE alembic_version SET version_num = '0009'"))
    store.close()
    assert sorted(folded) == [
        ("alpha", "bravo", 4, 3, 2, "2026-01-01T00:09:00.000Z", "Maj. Alvarez"),
        ("charlie", "bravo", 1, 0, 0, None, None),
    ]
    reopened = Store.open_sqlite(path)
    try:
        with reopened.read() as connection:
            migrated = [tuple(row) for row in connection.execute(select(schema.desk_tallies))]
        assert sorted(migrated) == sorted(folded)
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
