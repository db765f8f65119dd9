"""The verified marks: the signed text of a mark, its signature, and what the marks prove.

A mark is signed with the node's own key over a text that names the log and ends with a
digest of both parties' pinned keys (see :mod:`openline.node.verify`). Reading what the
marks prove reads no entry: a few indexed rows per log.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection

from openline.core.card import Card
from openline.core.keys import PrivateKey, PublicKey
from openline.core.timefmt import format_time
from openline.store import Store, audit

MARK_DOMAIN = "openline-verified/v1\n"
"""First line of every mark's signed text (domain separation, design note 3)."""

LAST_VERIFY_META = "verify.last"
"""``meta`` key of the outcome of the last marked run (JSON: ok, mode, at, problem)."""


@dataclass(frozen=True, slots=True)
class Mark:
    """A log's verified mark whose signature checks out: its first ``size`` entries (root
    ``root``) and every checkpoint and cosignature stored by then were verified at
    ``verified_at``. ``checkpoint_size`` is the largest checkpoint within them ("proven up
    to checkpoint N"), ``checkpoint_time`` the latest cosignature of that size (POSIX
    seconds, by ``checkpoint_cosigner``): "as of T the log had N entries"."""

    sender: str
    recipient: str
    size: int
    root: bytes
    verified_at: str
    checkpoint_size: int | None = None
    checkpoint_time: int | None = None
    checkpoint_cosigner: str | None = None

    def to_json(self) -> dict[str, Any]:
        checkpoint: dict[str, Any] | None = None
        if self.checkpoint_size is not None:
            checkpoint = {
                "size": self.checkpoint_size,
                "time": None
                if self.checkpoint_time is None
                else format_time(datetime.fromtimestamp(self.checkpoint_time, UTC)),
                "cosigner": self.checkpoint_cosigner,
            }
        return {
            "size": self.size,
            "root": self.root.hex(),
            "verified_at": self.verified_at,
            "checkpoint": checkpoint,
        }


def keys_digest(cards: dict[str, Card], sender: str, recipient: str) -> str:
    """SHA-256 of both parties' pinned keys: what the log was verified against."""
    lines = []
    for party in (sender, recipient):
        card = cards.get(party)
        if card is None:
            lines.append(f"{party} -\n")
            continue
        previous = "-" if card.previous_key is None else card.previous_key.to_base64()
        lines.append(f"{party} {card.key.to_base64()} {previous}\n")
    return hashlib.sha256("".join(lines).encode("ascii")).hexdigest()


def mark_message(row: audit.MarkRow, digest: str) -> bytes:
    return (
        f"{MARK_DOMAIN}"
        f"log {row.sender} {row.recipient}\n"
        f"size {row.size}\n"
        f"root {base64.b64encode(row.root).decode('ascii')}\n"
        f"checkpoints {row.checkpoints_seen}\n"
        f"cosignatures {row.cosignatures_seen}\n"
        f"scrub {row.scrub_next}\n"
        f"at {row.verified_at}\n"
        f"keys {digest}\n"
    ).encode()


def mark_signed(row: audit.MarkRow, public_key: PublicKey, cards: dict[str, Card]) -> bool:
    digest = keys_digest(cards, row.sender, row.recipient)
    return public_key.verify(mark_message(row, digest), row.signature)


def sign_mark(row: audit.MarkRow, key: PrivateKey, cards: dict[str, Card]) -> audit.MarkRow:
    """The mark signed with this node's ``key`` against the parties' ``cards``."""
    digest = keys_digest(cards, row.sender, row.recipient)
    return replace(row, signature=key.sign(mark_message(row, digest)))


def _public(key: PrivateKey | PublicKey) -> PublicKey:
    return key.public_key if isinstance(key, PrivateKey) else key


def _proven(connection: Connection, row: audit.MarkRow) -> Mark:
    checkpoint = audit.proven_checkpoint(
        connection, row.sender, row.recipient, row.size, row.checkpoints_seen
    )
    cosigned = (
        None
        if checkpoint is None
        else audit.cosignature_time(
            connection, row.sender, row.recipient, checkpoint.size, row.cosignatures_seen
        )
    )
    return Mark(
        sender=row.sender,
        recipient=row.recipient,
        size=row.size,
        root=row.root,
        verified_at=row.verified_at,
        checkpoint_size=None if checkpoint is None else checkpoint.size,
        checkpoint_time=None if cosigned is None else cosigned[0],
        checkpoint_cosigner=None if cosigned is None else cosigned[1],
    )


def proven_marks(
    store: Store, cards: dict[str, Card], key: PrivateKey | PublicKey
) -> dict[tuple[str, str], Mark]:
    """The marks whose signature by this node's ``key`` checks out, by log: what was
    proven, and up to which checkpoint. Reads no entry: a few indexed rows per log, for a
    report or a page to say "proven up to checkpoint N at T". A mark that does not verify
    (edited, or made under other cards) is left out, as if the log were not verified."""
    public_key = _public(key)
    found: dict[tuple[str, str], Mark] = {}
    with store.read() as connection:
        for row in audit.read_marks(connection):
            if mark_signed(row, public_key, cards):
                found[(row.sender, row.recipient)] = _proven(connection, row)
    return found


def last_verify(store: Store) -> dict[str, Any] | None:
    """How the last marked run ended: ``{"ok", "mode", "at", "problem"}``, or None."""
    with store.read() as connection:
        value = Store.get_meta(connection, LAST_VERIFY_META)
    if value is None:
        return None
    loaded = json.loads(value)
    return loaded if isinstance(loaded, dict) else None


def forget_marks(store: Store, party: str | None = None) -> int:
    """Drop the marks of the logs ``party`` takes part in (every mark when None): call it
    when a peer's card is replaced, so that its logs are checked again from their first
    entry against the new card instead of failing the old mark's check."""
    with store.write() as connection:
        return audit.delete_marks(connection, party)
