"""The link state machine: one direction of a link, seen from either end.

Theory of operation (docs/architecture.md, "Links, logs and entries" and "Delivery:
federation batches"; design note 5):

* The sender owns an :class:`OutgoingLog`. :meth:`OutgoingLog.next_entry` signs the entry
  that would come next; the caller stores it durably and only then calls
  :meth:`OutgoingLog.append`. Storing first is what makes the write-ahead outbox: whatever
  was signed and stored is sent, after any crash.
* The receiver mirrors the log in an :class:`IncomingLog`. :meth:`IncomingLog.accept_batch`
  judges a batch of consecutive entries plus the sender's signed checkpoint and returns an
  outcome without changing anything: :class:`Accepted` (new entries), :class:`Duplicate`
  (all held already: transport is at-least-once, appends exactly-once), :class:`Gap`
  (resend from ``expected_seq``), :class:`Equivocation` (two signed, conflicting
  statements: kept as evidence, never merged) or :class:`Rejected` (with a code). The
  caller stores an accepted batch durably and then calls :meth:`IncomingLog.apply`; the
  cosignature in the outcome is the delivery receipt and must not leave the node before
  the entries are on disk. The outcomes are defined in :mod:`openline.core.link_outcomes`,
  and what refs may point at (:func:`check_refs`) in :mod:`openline.core.refs`; both are
  re-exported here.

No clock is read here: ``now`` is an argument, as the cosignature timestamp derives from it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from openline.core.checkpoint import Checkpoint, open_checkpoint, sign_checkpoint
from openline.core.cosignature import (
    Cosignature,
    cosign,
    cosigner,
    find_cosignatures,
    verify_cosignature,
)
from openline.core.entry import Entry, sign_entry, verify_entry_signature
from openline.core.errors import EntryError, LinkError, NoteError, NoteSignatureError
from openline.core.keys import PrivateKey, PublicKey
from openline.core.link_outcomes import (
    Accepted,
    BatchOutcome,
    Duplicate,
    Equivocation,
    EquivocationEvidence,
    Gap,
    Rejected,
)
from openline.core.merkle import (
    Frontier,
    MerkleTree,
    StoredMerkleTree,
    root_from_compact_range_and_suffix,
)
from openline.core.note import Note, NoteSigner, NoteVerifier, add_signatures
from openline.core.refs import RefLookup, RefTarget, check_refs
from openline.core.timefmt import parse_time

__all__ = [
    "Accepted",
    "BatchOutcome",
    "Duplicate",
    "Equivocation",
    "EquivocationEvidence",
    "Gap",
    "IncomingLog",
    "LinkLimits",
    "LocalRules",
    "NewNodes",
    "OutgoingLog",
    "RefLookup",
    "RefTarget",
    "Rejected",
    "Tree",
    "check_refs",
    "log_origin",
    "sign_timed_checkpoint",
]

Tree = MerkleTree | StoredMerkleTree
"""A log's Merkle tree: wholly in memory, or with its nodes in a store (``merkle_nodes``),
read through a reader the adapter passes in."""
NewNodes = list[tuple[int, int, bytes]]
"""Interior nodes an append completed, (level, index, hash), for the adapter to store."""


def log_origin(sender: str, recipient: str) -> str:
    """The checkpoint origin line of the ``sender→recipient`` log."""
    return f"openline/{sender}/{recipient}"


@dataclass(frozen=True, slots=True)
class LinkLimits:
    """Bounds a receiver enforces on every batch (configurable per node)."""

    max_batch_entries: int = 1000
    max_entry_bytes: int = 64 * 1024
    max_clock_skew: timedelta = timedelta(minutes=5)


LocalRules = Callable[[Entry], None]
"""Checks an entry against this node's own agreements; raises ``EntryError`` to refuse it."""


# --- the sender's side ------------------------------------------------------------------


class OutgoingLog:
    """The log this node writes to one peer. Pure: signing is computation, not I/O."""

    def __init__(
        self, *, sender: str, recipient: str, key: PrivateKey, tree: Tree | None = None
    ) -> None:
        self.sender = sender
        self.recipient = recipient
        self._key = key
        self._signer = NoteSigner(name=sender, private_key=key)
        self.tree: Tree = tree if tree is not None else MerkleTree()

    @property
    def origin(self) -> str:
        return log_origin(self.sender, self.recipient)

    @property
    def size(self) -> int:
        return self.tree.size

    def tree_committed(self) -> None:
        """The adapter stored every node appended so far: a stored tree reads them there."""
        if isinstance(self.tree, StoredMerkleTree):
            self.tree.forget_pending()

    def next_entry(
        self, *, time: str, kind: str, body: Mapping[str, Any], refs: Sequence[str] = ()
    ) -> Entry:
        """Sign the entry that would be appended next (seq = current size).

        Raises:
            EntryError: the body or refs break the kind's schema.
        """
        return sign_entry(
            sender=self.sender,
            recipient=self.recipient,
            seq=self.tree.size,
            time=time,
            kind=kind,
            body=body,
            refs=refs,
            key=self._key,
        )

    def append(self, entry: Entry) -> NewNodes:
        """Record an entry that is stored (or about to be, in the same transaction as the
        nodes returned); returns the tree's new interior nodes (none for a memory tree)."""
        if (
            entry.seq != self.tree.size
            or entry.sender != self.sender
            or entry.recipient != self.recipient
        ):
            raise LinkError(f"append of seq {entry.seq} to a log of size {self.tree.size}")
        return self.tree.append(entry.leaf_hash) or []

    def checkpoint(self, size: int | None = None) -> Checkpoint:
        at = self.tree.size if size is None else size
        return Checkpoint(origin=self.origin, size=at, root=self.tree.root(at))

    def sign_checkpoint(self, size: int | None = None) -> tuple[Checkpoint, bytes]:
        checkpoint = self.checkpoint(size)
        return checkpoint, sign_checkpoint(checkpoint, self._signer)

    def sign_timed_checkpoint(
        self, size: int | None, timestamp: int
    ) -> tuple[Checkpoint, bytes, Cosignature]:
        """The checkpoint signed, with our own timestamped cosignature on the same note."""
        return self.sign_timed(self.checkpoint(size), timestamp)

    def sign_timed(
        self, checkpoint: Checkpoint, timestamp: int
    ) -> tuple[Checkpoint, bytes, Cosignature]:
        if checkpoint.origin != self.origin:
            raise LinkError(f"a checkpoint of {checkpoint.origin!r} is not of {self.origin!r}")
        note, own = sign_timed_checkpoint(checkpoint, self._signer, self._key, timestamp)
        return checkpoint, note, own

    def self_cosign(self, checkpoint: Checkpoint, timestamp: int) -> Cosignature:
        """ "As of ``timestamp`` my log had this size": the statement non-answer proofs need."""
        return cosign(checkpoint, cosigner(self.sender, self._key), timestamp)

    @staticmethod
    def check_receipt(
        checkpoint: Checkpoint, cosignature: Cosignature, recipient: NoteVerifier
    ) -> bool:
        """True when the peer's cosignature really covers our checkpoint."""
        return verify_cosignature(checkpoint, cosignature, recipient)


def sign_timed_checkpoint(
    checkpoint: Checkpoint, signer: NoteSigner, key: PrivateKey, timestamp: int
) -> tuple[bytes, Cosignature]:
    """The owner's signed note of ``checkpoint`` with its own timestamped cosignature on it
    ("as of ``timestamp`` my log had this size"). The caller vouches for the root: it is
    the tree's (:class:`OutgoingLog`) or the sender loop's compact range of what it sends,
    both computed from the stored log."""
    note = sign_checkpoint(checkpoint, signer)
    own = cosign(checkpoint, cosigner(signer.name, key), timestamp)
    return add_signatures(note, [own.to_note_signature()]), own


# --- the receiver's side ----------------------------------------------------------------


class IncomingLog:
    """This node's mirror of a peer's log to us."""

    def __init__(
        self,
        *,
        sender: str,
        recipient: str,
        sender_keys: Sequence[PublicKey],
        sender_verifiers: Sequence[NoteVerifier],
        cosigner: NoteSigner,
        sender_cosigners: Sequence[NoteVerifier] = (),
        tree: Tree | None = None,
        limits: LinkLimits | None = None,
    ) -> None:
        self.sender = sender
        self.recipient = recipient
        self._sender_keys = tuple(sender_keys)
        self._sender_verifiers = tuple(sender_verifiers)
        self._sender_cosigners = tuple(sender_cosigners)
        self._cosigner = cosigner
        self.tree: Tree = tree if tree is not None else MerkleTree()
        self.limits = limits or LinkLimits()

    @property
    def origin(self) -> str:
        return log_origin(self.sender, self.recipient)

    @property
    def size(self) -> int:
        return self.tree.size

    def tree_committed(self) -> None:
        """The adapter stored every node appended so far: a stored tree reads them there."""
        if isinstance(self.tree, StoredMerkleTree):
            self.tree.forget_pending()

    def _open_checkpoint(self, note: bytes) -> tuple[Checkpoint, Note] | Rejected:
        last_error: NoteError | None = None
        for verifier in self._sender_verifiers:
            try:
                return open_checkpoint(note, verifier)
            except NoteSignatureError as error:
                last_error = error
                continue
            except NoteError as error:
                return Rejected("bad-checkpoint", f"checkpoint: {error}")
        return Rejected("bad-signature", f"checkpoint is not signed by {self.sender}: {last_error}")

    def _sender_timestamp(
        self, checkpoint: Checkpoint, note: Note, now: datetime
    ) -> Cosignature | Rejected | None:
        """The sender's own cosignature of its checkpoint ("as of T my log had size N"),
        which non-answer proofs rest on. Optional; when present it must verify and be
        timed within the skew bound, or a false time would be stored as the sender's word."""
        lines = [found for found in find_cosignatures(note) if found.name == self.sender]
        if not lines:
            return None
        for found in lines:
            if any(verify_cosignature(checkpoint, found, v) for v in self._sender_cosigners):
                skew = abs(found.timestamp - now.timestamp())
                if skew > self.limits.max_clock_skew.total_seconds():
                    return Rejected(
                        "clock-skew",
                        f"checkpoint is timed {found.timestamp}, {skew:.0f} s from our clock",
                    )
                return found
        return Rejected(
            "bad-signature", f"checkpoint timestamp is not a valid cosignature by {self.sender}"
        )

    def _signed_by_sender(self, entry: Entry) -> bool:
        return any(verify_entry_signature(entry, key) for key in self._sender_keys)

    def accept_batch(
        self,
        entries: Sequence[object],
        checkpoint_note: bytes,
        *,
        now: datetime,
        lookup: RefLookup,
        local_rules: LocalRules | None = None,
    ) -> BatchOutcome:
        """Judge a batch without changing state. See the module docstring for outcomes.

        ``local_rules`` checks what depends on this node's own agreements rather than on
        the transcript (a ``catalogue.message`` must name a catalogue pinned here)."""
        if len(entries) > self.limits.max_batch_entries:
            return Rejected(
                "batch-too-large",
                f"{len(entries)} entries; at most {self.limits.max_batch_entries}",
            )
        signed = self._open_batch_checkpoint(checkpoint_note, now)
        if isinstance(signed, Rejected):
            return signed
        checkpoint, timestamp = signed
        parsed = self._parse_batch(entries)
        if isinstance(parsed, Rejected):
            return parsed
        held = self.tree.size
        misplaced = self._check_placement(parsed, checkpoint, held)
        if misplaced is not None:
            return misplaced
        fresh = self._fresh_entries(parsed, held, checkpoint_note)
        if isinstance(fresh, Rejected | Equivocation):
            return fresh
        refused = self._check_fresh(fresh, now, lookup, local_rules)
        if refused is not None:
            return refused
        disagreement = self._check_root(checkpoint, held, fresh, checkpoint_note)
        if disagreement is not None:
            return disagreement
        receipt = cosign(checkpoint, self._cosigner, int(now.timestamp()))
        if parsed and not fresh:
            return Duplicate(len(parsed), checkpoint, checkpoint_note, receipt, timestamp)
        return Accepted(tuple(fresh), checkpoint, checkpoint_note, receipt, timestamp)

    def _open_batch_checkpoint(
        self, checkpoint_note: bytes, now: datetime
    ) -> tuple[Checkpoint, Cosignature | None] | Rejected:
        """The batch's checkpoint, signed by the sender and of this link, with the sender's
        own timestamp on it if it carries one."""
        opened = self._open_checkpoint(checkpoint_note)
        if isinstance(opened, Rejected):
            return opened
        checkpoint, parsed_note = opened
        if checkpoint.origin != self.origin:
            return Rejected(
                "wrong-link", f"checkpoint is for {checkpoint.origin!r}, not {self.origin!r}"
            )
        timestamp = self._sender_timestamp(checkpoint, parsed_note, now)
        if isinstance(timestamp, Rejected):
            return timestamp
        return checkpoint, timestamp

    def _parse_batch(self, entries: Sequence[object]) -> list[Entry] | Rejected:
        """The batch's entries parsed: each within the size bound, of this link, and the
        batch consecutive. Signatures are checked later, only for entries not yet held."""
        parsed: list[Entry] = []
        for index, obj in enumerate(entries):
            try:
                entry = Entry.from_json(obj)
            except EntryError as error:
                return Rejected(error.code, f"entry {index}: {error}")
            if len(entry.leaf) > self.limits.max_entry_bytes:
                return Rejected(
                    "entry-too-large",
                    f"entry {index} is {len(entry.leaf)} bytes; "
                    f"at most {self.limits.max_entry_bytes}",
                )
            if entry.sender != self.sender or entry.recipient != self.recipient:
                return Rejected(
                    "wrong-link",
                    f"entry {index} is {entry.sender}→{entry.recipient}, "
                    f"not {self.sender}→{self.recipient}",
                )
            if parsed and entry.seq != parsed[-1].seq + 1:
                return Rejected("not-consecutive", f"entry {index} has seq {entry.seq}")
            parsed.append(entry)
        return parsed

    @staticmethod
    def _check_placement(
        parsed: list[Entry], checkpoint: Checkpoint, held: int
    ) -> Gap | Rejected | None:
        """Where the batch lies against the ``held`` entries: a gap before it, or a
        checkpoint that does not end it; None when it can be judged."""
        end = parsed[-1].seq + 1 if parsed else checkpoint.size
        if parsed and parsed[0].seq > held:
            return Gap(expected_seq=held)
        if parsed and checkpoint.size != end:
            return Rejected(
                "checkpoint-mismatch",
                f"checkpoint size {checkpoint.size} does not end batch at {end}",
            )
        if not parsed and checkpoint.size > held:
            return Gap(expected_seq=held)
        return None

    def _fresh_entries(
        self, parsed: list[Entry], held: int, checkpoint_note: bytes
    ) -> list[Entry] | Rejected | Equivocation:
        """The entries not held yet, each signed by the sender; a resent entry must be the
        held one byte for byte, or the two signed entries are an equivocation."""
        resent = [entry.seq for entry in parsed if entry.seq < held]
        held_hashes = dict(zip(resent, _leaf_hashes(self.tree, resent), strict=True))
        fresh: list[Entry] = []
        for entry in parsed:
            if entry.seq < held and held_hashes[entry.seq] == entry.leaf_hash:
                continue  # resent after a lost reply: same bytes, already verified and held
            if not self._signed_by_sender(entry):
                return Rejected(
                    "bad-signature", f"entry seq {entry.seq} is not signed by {self.sender}"
                )
            if entry.seq < held:
                return Equivocation(
                    EquivocationEvidence(
                        reason=f"two different entries signed at seq {entry.seq}",
                        seq=entry.seq,
                        held=held_hashes[entry.seq],
                        offered=entry.leaf,
                        offered_checkpoint_note=checkpoint_note,
                    )
                )
            fresh.append(entry)
        return fresh

    def _check_fresh(
        self,
        fresh: list[Entry],
        now: datetime,
        lookup: RefLookup,
        local_rules: LocalRules | None,
    ) -> Rejected | None:
        """Each new entry is dated no later than the skew bound allows, and its refs (to the
        transcript or to earlier entries of the batch) and this node's rules admit it."""
        skew_limit = now + self.limits.max_clock_skew
        in_batch: dict[str, RefTarget] = {}
        for entry in fresh:
            if parse_time(entry.time) > skew_limit:
                return Rejected(
                    "clock-skew", f"entry seq {entry.seq} is dated {entry.time}, in the future"
                )
            try:
                check_refs(entry, lookup, in_batch)
                if local_rules is not None:
                    local_rules(entry)
            except EntryError as error:
                return Rejected(error.code, str(error))
            in_batch[entry.id] = RefTarget.of(entry)
        return None

    def _check_root(
        self, checkpoint: Checkpoint, held: int, fresh: list[Entry], checkpoint_note: bytes
    ) -> Equivocation | None:
        """The signed checkpoint must be the root of the held entries plus the new ones;
        otherwise the sender signed two conflicting statements."""
        if checkpoint.size <= held:
            root = self.tree.root(checkpoint.size)
        else:
            root = root_from_compact_range_and_suffix(
                self.tree.compact_range(held), held, [entry.leaf_hash for entry in fresh]
            )
        if root != checkpoint.root:
            return Equivocation(
                EquivocationEvidence(
                    reason=f"signed checkpoint of size {checkpoint.size} disagrees with the "
                    "signed entries",
                    seq=None,
                    held=root,
                    offered=checkpoint.root,
                    offered_checkpoint_note=checkpoint_note,
                )
            )
        return None

    def new_nodes(self, outcome: Accepted) -> NewNodes:
        """The interior nodes the tree gains from an accepted batch, without applying it:
        the adapter stores them in the transaction that stores the entries."""
        size = self.tree.size
        preview = Frontier(size, self.tree.compact_range(size))
        return [node for entry in outcome.entries for node in preview.append(entry.leaf_hash)]

    def apply(self, outcome: Accepted) -> None:
        """Record an accepted batch that is now durably stored."""
        for entry in outcome.entries:
            if entry.seq != self.tree.size:
                raise LinkError(f"apply of seq {entry.seq} to a mirror of size {self.tree.size}")
            self.tree.append(entry.leaf_hash)


def _leaf_hashes(tree: Tree, seqs: Sequence[int]) -> list[bytes]:
    """Leaf hashes held at ``seqs``: one read of a stored tree, not one per leaf."""
    if isinstance(tree, StoredMerkleTree):
        return tree.leaf_hashes_at(seqs) if seqs else []
    return [tree.leaf_hash_at(seq) for seq in seqs]
