"""``openline verify``: recheck everything the store holds, from the bytes up.

For each log of each link: every leaf parses as a canonical entry, sits at its seq, has the
id the table claims, and carries a valid signature by its sender; every stored checkpoint is
signed by the log's owner, matches the root recomputed from the leaves, and is consistent
with every later one (RFC 9162 consistency proofs); every cosignature verifies under the
cosigner's pinned key. The first problem found is named; the checks stop at nothing else.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from openline.core.card import Card
from openline.core.checkpoint import Checkpoint, open_checkpoint
from openline.core.cosignature import Cosignature, verify_cosignature
from openline.core.entry import Entry, verify_entry_signature
from openline.core.errors import EntryError, NoteError
from openline.core.link import log_origin
from openline.core.merkle import MerkleTree, leaf_hash, verify_consistency
from openline.core.note import Note
from openline.store import Store


@dataclass
class VerifyReport:
    problems: list[str] = field(default_factory=list)
    entries: int = 0
    checkpoints: int = 0
    cosignatures: int = 0
    logs: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_json(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "logs": self.logs,
            "entries": self.entries,
            "checkpoints": self.checkpoints,
            "cosignatures": self.cosignatures,
            "problems": self.problems,
        }


def verify_store(
    store: Store,
    cards: dict[str, Card],
    progress: Callable[[str], None] | None = None,
) -> VerifyReport:
    """Check every log in ``store`` against the parties' ``cards`` (ours included)."""
    report = VerifyReport()
    for sender, recipient in logs_to_verify(store, cards):
        report.logs += 1
        if progress:
            progress(f"{sender}→{recipient}")
        problem = _verify_log(store, cards, sender, recipient, report)
        if problem:
            report.problems.append(problem)
            break
    return report


def logs_to_verify(store: Store, cards: dict[str, Card]) -> list[tuple[str, str]]:
    """Every log with entries, and every log a party signed a checkpoint of (the other
    side's log after heartbeats may have only those)."""
    return sorted(set(store.all_logs()) | _logs_with_checkpoints(store, cards))


def _logs_with_checkpoints(store: Store, cards: dict[str, Card]) -> set[tuple[str, str]]:
    parties = sorted(cards)
    return {(a, b) for a in parties for b in parties if a != b and store.latest_checkpoint(a, b)}


def _verify_log(
    store: Store, cards: dict[str, Card], sender: str, recipient: str, report: VerifyReport
) -> str | None:
    where = f"{sender}→{recipient}"
    card = cards.get(sender)
    if card is None:
        return f"log {where}: no pinned card for {sender!r}"
    keys = [card.key] + ([card.previous_key] if card.previous_key else [])
    tree = MerkleTree()
    for stored in store.entries(sender, recipient):
        label = f"entry {where} seq {stored.seq} (id {stored.id[:16]}…)"
        if stored.seq != tree.size:
            return f"{label}: expected seq {tree.size}, the log has a hole"
        if leaf_hash(stored.leaf).hex() != stored.id:
            return f"{label}: stored bytes do not hash to the entry id (altered)"
        try:
            entry = Entry.from_leaf(stored.leaf)
        except EntryError as error:
            return f"{label}: does not parse: {error}"
        if (entry.sender, entry.recipient, entry.seq) != (sender, recipient, stored.seq):
            return f"{label}: entry says {entry.sender}→{entry.recipient} seq {entry.seq}"
        if entry.kind != stored.kind or entry.time != stored.time:
            return f"{label}: indexed kind or time differ from the signed entry"
        if not any(verify_entry_signature(entry, key) for key in keys):
            return f"{label}: signature does not verify under {sender}'s key"
        tree.append(entry.leaf_hash)
        report.entries += 1

    previous: Checkpoint | None = None
    for size, root, note in store.checkpoints(sender, recipient):
        label = f"checkpoint {where} size {size}"
        try:
            checkpoint, _ = open_checkpoint(note, card.note_verifier())
        except NoteError as error:
            return f"{label}: {error}"
        if checkpoint.origin != log_origin(sender, recipient):
            return f"{label}: origin {checkpoint.origin!r} is not this log"
        if checkpoint.size != size or checkpoint.root != root:
            return f"{label}: indexed size or root differ from the signed note"
        if size > tree.size:
            return f"{label}: beyond the {tree.size} entries held"
        if tree.root(size) != checkpoint.root:
            return f"{label}: root does not match the entries (log rewritten or forked)"
        if (
            previous is not None
            and previous.size > 0
            and not verify_consistency(
                previous.size,
                size,
                previous.root,
                checkpoint.root,
                tree.consistency_proof(previous.size, size),
            )
        ):
            return f"{label}: not consistent with size {previous.size}"
        previous = checkpoint
        report.checkpoints += 1

    for stored_cosig in store.cosignatures(sender, recipient):
        label = (
            f"cosignature by {stored_cosig.cosigner} of {where} size {stored_cosig.size} "
            f"at {stored_cosig.timestamp}"
        )
        cosigner_card = cards.get(stored_cosig.cosigner)
        if cosigner_card is None:
            return f"{label}: no pinned card for the cosigner"
        try:
            line_note = Note.from_bytes(b"x\n\n" + stored_cosig.line.encode("utf-8"))
            cosignature = Cosignature.from_note_signature(line_note.signatures[0])
        except (NoteError, IndexError) as error:
            return f"{label}: does not parse: {error}"
        if stored_cosig.size > tree.size:
            return f"{label}: covers more than the {tree.size} entries held"
        checkpoint = Checkpoint(
            origin=log_origin(sender, recipient),
            size=stored_cosig.size,
            root=tree.root(stored_cosig.size),
        )
        if cosignature.timestamp != stored_cosig.timestamp or not verify_cosignature(
            checkpoint, cosignature, cosigner_card.cosignature_verifier()
        ):
            return f"{label}: does not verify"
        report.cosignatures += 1
    return None
