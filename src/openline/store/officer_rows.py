"""The officers' accounts: role, password hash, token digest, language and whether disabled."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update

from openline.store import schema
from openline.store.connections import Transactions
from openline.store.inserts import insert_if_absent


@dataclass(frozen=True, slots=True)
class OfficerRow:
    username: str
    role: str
    password_hash: str
    token_digest: str | None
    disabled: bool
    created_at: str
    changed_at: str
    lang: str | None = None


class OfficerRows(Transactions):
    """The ``officers`` table."""

    def add_officer(self, username: str, role: str, password_hash: str, now: str) -> bool:
        """A new account; False when the user name is taken."""
        values = {
            "username": username,
            "role": role,
            "password_hash": password_hash,
            "token_digest": None,
            "disabled": 0,
            "created_at": now,
            "changed_at": now,
        }
        with self.write() as connection:
            return insert_if_absent(connection, schema.officers, "username", values)

    def officers(self) -> list[OfficerRow]:
        table = schema.officers
        with self.read() as connection:
            rows = connection.execute(select(table).order_by(table.c.username)).all()
        return [_officer(row) for row in rows]

    def officer(self, username: str) -> OfficerRow | None:
        table = schema.officers
        with self.read() as connection:
            row = connection.execute(select(table).where(table.c.username == username)).first()
        return None if row is None else _officer(row)

    def officer_by_token(self, digest: str) -> OfficerRow | None:
        table = schema.officers
        with self.read() as connection:
            row = connection.execute(select(table).where(table.c.token_digest == digest)).first()
        return None if row is None else _officer(row)

    def update_officer(self, username: str, now: str, **values: Any) -> bool:
        """Change an account's role, password hash, token digest or disabled flag."""
        table = schema.officers
        with self.write() as connection:
            done = connection.execute(
                update(table).where(table.c.username == username).values(changed_at=now, **values)
            )
            return bool(done.rowcount)


def _officer(row: Any) -> OfficerRow:
    return OfficerRow(
        username=row.username,
        role=row.role,
        password_hash=row.password_hash,
        token_digest=row.token_digest,
        disabled=bool(row.disabled),
        created_at=row.created_at,
        changed_at=row.changed_at,
        lang=row.lang,
    )
