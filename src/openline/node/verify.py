"""``openline verify``: recheck the store from the bytes up, incrementally from a signed mark.

What one log's check means
--------------------------
Every leaf parses as a canonical entry, sits at its seq with no hole, has the id the table
claims (its RFC 9162 leaf hash) and carries a valid signature by its sender; every stored
checkpoint is signed by the log's owner, names this log and matches the root recomputed
from the leaves at its size (so any two of them are consistent: both are prefixes of one
leaf sequence); every cosignature verifies under the cosigner's pinned key over the
checkpoint recomputed at its size; and, where the log's interior Merkle nodes are stored
(``merkle_nodes``, which proofs are built from), each equals the node recomputed from the
leaves. The first problem met in log order is named, with today's wording, and the run
stops there.

The verified mark
-----------------
After a log checks out, the node signs with its own key a *mark* (``verified_marks``):
the size and root of the prefix verified, the highest storing order (``seen``) of the
checkpoint and cosignature rows checked, where the rolling re-check goes on, and when. The
signed text starts with ``openline-verified/v1\\n`` (design note 3: entries start with
``{``, checkpoints with ``openline/``, cosignatures with ``cosignature/v1\\n``, federation
requests with ``openline-fed/v1\\n``), names the log, and ends with a digest of both
parties' pinned keys: a mark says "verified against these cards", so replacing a card
invalidates it (:func:`forget_marks` clears it when that is intended).

The modes and what each guarantees
----------------------------------
``full=True`` (``openline verify --full``): everything above, for every row of every log,
ignoring what marks claim; a mark that is present must still verify and agree with the
recomputed root at its size (a mark that does not is reported once, and replaced). Entry
signatures are checked in worker processes, everything else streams with bounded memory:
a :class:`~openline.core.merkle.Frontier` instead of a tree, rows read in keyset pages,
checkpoints and cosignatures merged in size order. **Finds any change of any row.**

Incremental (the default, with the node's key): per log,

1. *the mark's own check*: its signature; no entry missing below its size (an index count);
   its root equals the root of the stored tree at its size (O(log n) stored nodes, or the
   stored ids streamed when the nodes are not stored yet); and the checkpoint it proves
   ("proven up to checkpoint N") still verifies and matches the stored tree;
2. *what is new*: every entry at or past the mark's size, every checkpoint and cosignature
   beyond it, and every checkpoint and cosignature row stored after the mark (by ``seen``,
   not by size: heartbeats re-cosign old sizes, resends add smaller checkpoints), each
   against the root at its size;
3. *the scrub*: the full check of ``scrub_budget`` old entries from where the last run
   stopped (wrapping around), with the stored nodes they complete and every checkpoint and
   cosignature in that size range.

So a forged mark, an entry deleted or moved away below it, a stored node or leaf id on the
path of its root or of its checkpoint's root, or an edit of that checkpoint, is found at
once; any other changed row below the mark is found by the scrub within
``ceil(size / scrub_budget)`` runs, and by ``--full`` always. Without a key (today's
callers) the check is full and no mark is read or written.

Missing cosignatures are never a problem: idle heartbeats are compacted, and no row is
owed. (Compaction never deletes the row it just stored, which holds the log's highest ``seen``,
so the next row cannot take a number already checked.) Every stored node below a log's
size is required (:func:`_nodes_required`): stores written before migration 0006 are
filled in by the node when it opens them.

Speed: entry checks (hash, parse, signature) run in ``workers`` processes, a few thousand
leaves per job, while this process reads, builds the frontier and checks the rest; the parse
skips :meth:`Entry.from_leaf`'s second canonical encoding and the signed bytes are cut out
of the leaf rather than re-encoded (both checked equal by the tests): an entry costs about
1.5 times its Ed25519 verification, the rest being ``Entry.from_json``'s checks.

For reports and pages, :func:`proven_marks` reads the marks and checks their signatures
only ("proven up to checkpoint N at T"), and :func:`last_verify` says how the last run
ended; neither reads an entry.
"""

from __future__ import annotations

import base64
import hashlib
import json
import multiprocessing
import os
import sys
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import IO, TYPE_CHECKING, Any, Generic, TypeVar

import orjson
from nacl.bindings import crypto_sign_open
from nacl.exceptions import CryptoError
from sqlalchemy import Connection

from openline.core.card import Card
from openline.core.checkpoint import Checkpoint, open_checkpoint
from openline.core.cosignature import Cosignature, verify_cosignature
from openline.core.entry import Entry
from openline.core.errors import EncodingError, EntryError, NoteError
from openline.core.keys import SIGNATURE_SIZE, PrivateKey, PublicKey
from openline.core.link import log_origin
from openline.core.merkle import EMPTY_ROOT, Frontier, compact_range_coordinates, leaf_hash
from openline.core.note import Note
from openline.core.timefmt import format_time
from openline.store import Store, audit

if TYPE_CHECKING:
    from openline.node.app import Node

__all__ = [
    "DEFAULT_SCRUB_BUDGET",
    "MARK_DOMAIN",
    "Mark",
    "VerifyReport",
    "forget_marks",
    "last_verify",
    "logs_to_verify",
    "proven_marks",
    "run_verify_command",
    "verify_new",
    "verify_store",
]

MARK_DOMAIN = "openline-verified/v1\n"
"""First line of every mark's signed text (domain separation, design note 3)."""

DEFAULT_SCRUB_BUDGET = 2_000
"""Old entries re-checked per incremental run: about 0.1 s, so that ``openline verify`` stays
a quick command whatever the history; a log of up to this many entries is re-checked whole
every run, and a running node's background runs (every ``verify_seconds``) cycle through a
1M-entry log in under two days."""

CHUNK = 2048
"""Entries read per query and checked per worker job."""

POOL_THRESHOLD = 20_000
"""Below this many entries to check in one run, no worker process is started (starting two
costs about half a second; below this, checking in-process is about as fast)."""

PAGE = 1000
"""Checkpoint and cosignature rows per query."""

LAST_VERIFY_META = "verify.last"
"""``meta`` key of the outcome of the last marked run (JSON: ok, mode, at, problem)."""

Progress = Callable[[int, int, str], None]
"""``progress(done, total, log)``: entries checked so far, entries this run will check, and
the log being checked (``sender→recipient``); called after each chunk."""


# --------------------------------------------------------------------------------------------
# Reports and marks
# --------------------------------------------------------------------------------------------


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


@dataclass
class VerifyReport:
    problems: list[str] = field(default_factory=list)
    entries: int = 0
    checkpoints: int = 0
    cosignatures: int = 0
    logs: int = 0
    mode: str = "full"
    seconds: float = 0.0
    workers: int = 1
    marks: dict[str, Mark] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def entries_per_second(self) -> float:
        return self.entries / self.seconds if self.seconds > 0 else 0.0

    def to_json(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "logs": self.logs,
            "entries": self.entries,
            "checkpoints": self.checkpoints,
            "cosignatures": self.cosignatures,
            "problems": self.problems,
            "mode": self.mode,
            "seconds": round(self.seconds, 3),
            "entries_per_second": round(self.entries_per_second),
            "workers": self.workers,
            "marks": {log: mark.to_json() for log, mark in sorted(self.marks.items())},
        }


def _keys_digest(cards: dict[str, Card], sender: str, recipient: str) -> str:
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


def _mark_message(row: audit.MarkRow, digest: str) -> bytes:
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


def _mark_signed(row: audit.MarkRow, public_key: PublicKey, cards: dict[str, Card]) -> bool:
    digest = _keys_digest(cards, row.sender, row.recipient)
    return public_key.verify(_mark_message(row, digest), row.signature)


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
            if _mark_signed(row, public_key, cards):
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


def logs_to_verify(store: Store, cards: dict[str, Card]) -> list[tuple[str, str]]:
    """Every log with entries, checkpoints, cosignatures or a mark (the other side's log
    after heartbeats may have only checkpoints)."""
    del cards  # every log the store holds is checked, pinned or not
    with store.read() as connection:
        return audit.logs(connection)


# --------------------------------------------------------------------------------------------
# One entry, from the bytes up (run in worker processes for large ranges)
# --------------------------------------------------------------------------------------------


def _parse_leaf(leaf: bytes) -> Entry:
    """:meth:`Entry.from_leaf` with one canonical encoding instead of two: ``from_json``
    re-encodes the parsed object anyway, and the leaf is canonical exactly when that
    re-encoding gives it back."""
    try:
        obj = orjson.loads(leaf)
    except orjson.JSONDecodeError as error:
        raise EntryError(f"leaf: not JSON: {error}", code="invalid-entry") from error
    entry = Entry.from_json(obj)
    if entry.leaf != leaf:
        raise EntryError("leaf: JSON is not in RFC 8785 canonical form", code="invalid-entry")
    return entry


def _signing_input(entry: Entry) -> bytes:
    """The bytes the sender signed: the canonical leaf without its ``sig`` member.

    RFC 8785 sorts the keys, so ``"sig"`` sits between ``"seq"`` and ``"time"``; base64 needs
    no escaping, so the member is ``,"sig":"<base64>"`` and it is the last occurrence of that
    text (only ``time``, ``to`` and ``version`` follow, which cannot contain it). Cutting it
    out gives what :meth:`Entry.signing_input` re-encodes, for a fraction of the cost;
    anything unexpected falls back to that."""
    leaf = entry.leaf
    member = b',"sig":"' + base64.b64encode(entry.signature) + b'"'
    cut = leaf.rfind(member)
    after = cut + len(member)
    if cut > 0 and leaf.startswith(b',"time":', after):
        return leaf[:cut] + leaf[after:]
    return entry.signing_input()


def _entry_problem(
    where: str, sender: str, recipient: str, keys: Sequence[PublicKey], row: audit.EntryRow
) -> str | None:
    seq, entry_id, leaf, kind, entry_time = row
    label = f"entry {where} seq {seq} (id {entry_id[:16]}…)"
    if leaf_hash(leaf).hex() != entry_id:
        return f"{label}: stored bytes do not hash to the entry id (altered)"
    try:
        entry = _parse_leaf(leaf)
    except (EntryError, EncodingError) as error:
        return f"{label}: does not parse: {error}"
    if (entry.sender, entry.recipient, entry.seq) != (sender, recipient, seq):
        return f"{label}: entry says {entry.sender}→{entry.recipient} seq {entry.seq}"
    if entry.kind != kind or entry.time != entry_time:
        return f"{label}: indexed kind or time differ from the signed entry"
    message = _signing_input(entry)
    if not any(_verifies(key.raw, message, entry.signature) for key in keys):
        return f"{label}: signature does not verify under {sender}'s key"
    return None


def _verifies(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """:meth:`PublicKey.verify` without building a PyNaCl ``VerifyKey`` per call (the same
    libsodium ``crypto_sign_open``, with its strict checks): ~5 % of an entry's check."""
    if len(signature) != SIGNATURE_SIZE:
        return False
    try:
        crypto_sign_open(signature + message, public_key)
    except (CryptoError, TypeError, ValueError):
        return False
    return True


_Job = tuple[str, str, str, tuple[bytes, ...], list[audit.EntryRow]]
_Outcome = tuple[int, str] | None
_worker_keys: dict[tuple[bytes, ...], list[PublicKey]] = {}


def _check_entries(job: _Job) -> _Outcome:
    """Check a chunk of entries; ``(index in the chunk, problem)`` of the first bad one."""
    where, sender, recipient, raw_keys, rows = job
    keys = _worker_keys.get(raw_keys)
    if keys is None:
        keys = _worker_keys.setdefault(raw_keys, [PublicKey(raw) for raw in raw_keys])
    for index, row in enumerate(rows):
        problem = _entry_problem(where, sender, recipient, keys, row)
        if problem is not None:
            return index, problem
    return None


class _EntryChecker:
    """Checks chunks of entries in worker processes, or in this one."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None
        if workers > 1:
            # A fork server, not a fork of this process: verify may run in a thread of the
            # server, and forking a threaded process copies locks held by other threads.
            methods = multiprocessing.get_all_start_methods()
            context = multiprocessing.get_context(
                "forkserver" if "forkserver" in methods else "spawn"
            )
            if "forkserver" in methods:
                context.set_forkserver_preload([__name__])
            try:
                self._pool = ProcessPoolExecutor(max_workers=workers, mp_context=context)
            except (OSError, NotImplementedError):  # no processes here: check in this one
                self.workers = 1

    @property
    def depth(self) -> int:
        """Chunks in flight: enough to keep every worker busy while this process reads."""
        return 1 if self._pool is None else 2 * self.workers + 1

    def submit(self, job: _Job) -> Future[_Outcome]:
        if self._pool is not None:
            return self._pool.submit(_check_entries, job)
        done: Future[_Outcome] = Future()
        done.set_result(_check_entries(job))
        return done

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


def usable_cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


# --------------------------------------------------------------------------------------------
# Stored Merkle nodes
# --------------------------------------------------------------------------------------------


def _nodes_required(covered: int, size: int) -> int:
    """Up to which leaf the log's stored interior nodes must be complete: a node whose last
    leaf is below this and that is not stored is a problem (proofs are built from them).

    Stores written before migration 0006 have no nodes until the node fills them in
    (``openline.store.tree``), and that filling goes from the first leaf up, one append's
    nodes at a time; so today the nodes are required only up to ``covered``, as far as the
    log's nodes reach (:func:`audit.covered_leaves`), and a log without any is "not yet
    stored". Once every store is filled on open, tighten this to ``return size``.
    """
    del size
    return covered


T = TypeVar("T")


class _Peek(Generic[T]):
    """An iterator with one row of look-ahead."""

    __slots__ = ("_items", "head")

    def __init__(self, items: Iterator[T]) -> None:
        self._items = items
        self.head: T | None = next(items, None)

    def pop(self) -> T:
        item = self.head
        assert item is not None
        self.head = next(self._items, None)
        return item


class _Problem(Exception):
    """The first problem of a log: unwinds its check."""


# --------------------------------------------------------------------------------------------
# One log
# --------------------------------------------------------------------------------------------


@dataclass
class _Run:
    """What a whole run shares: cards, key, the entry checker, counters and progress."""

    cards: dict[str, Card]
    report: VerifyReport
    checker: _EntryChecker
    chunk: int
    total: int
    progress: Progress | None
    done: int = 0

    def advance(self, entries: int, where: str) -> None:
        self.done += entries
        self.report.entries += entries
        if self.progress is not None:
            self.progress(self.done, max(self.total, self.done), where)


class _LogCheck:
    """The checks of one log, inside one read transaction (one snapshot)."""

    def __init__(self, run: _Run, connection: Connection, sender: str, recipient: str) -> None:
        self.run = run
        self.connection = connection
        self.sender = sender
        self.recipient = recipient
        self.where = f"{sender}→{recipient}"
        card = run.cards.get(sender)
        if card is None:
            raise _Problem(f"log {self.where}: no pinned card for {sender!r}")
        self.card = card
        self.keys = (card.key,) + ((card.previous_key,) if card.previous_key else ())
        self.raw_keys = tuple(key.raw for key in self.keys)
        self.origin = log_origin(sender, recipient)
        self.size = audit.log_size(connection, sender, recipient)
        self.covered = audit.covered_leaves(connection, sender, recipient)
        self.required = _nodes_required(self.covered, self.size)

    # --- roots of prefixes -------------------------------------------------------------------

    def _node_problem(self, level: int, index: int, what: str) -> _Problem:
        return _Problem(
            f"merkle node level {level} index {index} of log {self.where}: {what} "
            "(proofs are built from it)"
        )

    def stored_frontier(self, size: int) -> Frontier | None:
        """The frontier at ``size`` from the stored tree (O(log n) rows), or None when the
        stored nodes do not reach that far yet."""
        if size - (size & 1) > self.covered:
            return None
        coordinates = compact_range_coordinates(size)
        leaves = audit.leaf_ids(
            self.connection,
            self.sender,
            self.recipient,
            [i for level, i in coordinates if not level],
        )
        nodes = audit.node_hashes(self.connection, self.sender, self.recipient, coordinates)
        hashes = []
        for level, index in coordinates:
            if level == 0:
                entry_id = leaves.get(index)
                if entry_id is None:
                    raise _Problem(f"log {self.where}: entry seq {index} is missing")
                hashes.append(self._id_hash(index, entry_id))
                continue
            node = nodes.get((level, index))
            if node is None:
                if (index + 1) << level <= self.required:
                    raise self._node_problem(level, index, "missing")
                return None
            if len(node) != 32:
                raise self._node_problem(level, index, "not a 32-byte hash")
            hashes.append(node)
        return Frontier(size, hashes)

    def _id_hash(self, seq: int, entry_id: str) -> bytes:
        try:
            value = bytes.fromhex(entry_id)
        except ValueError:
            value = b""
        if len(value) != 32:
            raise _Problem(
                f"entry {self.where} seq {seq} (id {entry_id[:16]}…): "
                "the id is not a 64-digit hex hash (altered)"
            )
        return value

    def streamed_frontiers(self, sizes: Sequence[int]) -> Iterator[tuple[int, Frontier]]:
        """Frontiers at each of ``sizes`` (ascending), from the stored ids streamed once: the
        fallback where the stored nodes do not reach."""
        frontier = Frontier()
        expected = 0
        targets = iter(sizes)
        target = next(targets, None)
        while target is not None and target == 0:
            yield 0, frontier.copy()
            target = next(targets, None)
        if target is None:
            return
        for rows in audit.id_chunks(
            self.connection, self.sender, self.recipient, 0, sizes[-1], self.run.chunk * 8
        ):
            for seq, entry_id in rows:
                if seq != expected:
                    raise _Problem(
                        f"entry {self.where} seq {seq} (id {entry_id[:16]}…): "
                        f"expected seq {expected}, the log has a hole"
                    )
                frontier.append(self._id_hash(seq, entry_id))
                expected += 1
                while target is not None and frontier.size == target:
                    yield target, frontier.copy()
                    target = next(targets, None)
                if target is None:
                    return
        if target is not None:
            raise _Problem(f"log {self.where}: entry seq {expected} is missing")

    def frontiers_at(self, sizes: Sequence[int]) -> dict[int, Frontier]:
        """The stored tree's frontier at each size (all at most the verified size): from
        the stored nodes where they reach, from one stream of the stored ids for the rest."""
        found: dict[int, Frontier] = {}
        streamed: list[int] = []
        for size in sorted(set(sizes)):
            stored = self.stored_frontier(size)
            if stored is None:
                streamed.append(size)
            else:
                found[size] = stored
        if streamed:
            found.update(self.streamed_frontiers(streamed))
        return found

    def roots_at(self, sizes: Sequence[int]) -> dict[int, bytes]:
        return {size: frontier.root() for size, frontier in self.frontiers_at(sizes).items()}

    # --- checkpoints and cosignatures --------------------------------------------------------

    def check_checkpoint(self, row: audit.CheckpointRow, root: bytes | None) -> None:
        """``root`` is the tree's at ``row.size``; None when that is beyond the entries."""
        label = f"checkpoint {self.where} size {row.size}"
        try:
            checkpoint, _ = open_checkpoint(row.note, self.card.note_verifier())
        except NoteError as error:
            raise _Problem(f"{label}: {error}") from None
        if checkpoint.origin != self.origin:
            raise _Problem(f"{label}: origin {checkpoint.origin!r} is not this log")
        if checkpoint.size != row.size or checkpoint.root != row.root:
            raise _Problem(f"{label}: indexed size or root differ from the signed note")
        if root is None:
            raise _Problem(f"{label}: beyond the {self.size} entries held")
        if root != checkpoint.root:
            raise _Problem(f"{label}: root does not match the entries (log rewritten or forked)")
        self.run.report.checkpoints += 1

    def check_cosignature(self, row: audit.CosignatureRow, root: bytes | None) -> None:
        label = f"cosignature by {row.cosigner} of {self.where} size {row.size} at {row.timestamp}"
        cosigner_card = self.run.cards.get(row.cosigner)
        if cosigner_card is None:
            raise _Problem(f"{label}: no pinned card for the cosigner")
        try:
            line_note = Note.from_bytes(b"x\n\n" + row.line.encode("utf-8"))
            cosignature = Cosignature.from_note_signature(line_note.signatures[0])
        except (NoteError, IndexError) as error:
            raise _Problem(f"{label}: does not parse: {error}") from None
        if root is None:
            raise _Problem(f"{label}: covers more than the {self.size} entries held")
        checkpoint = Checkpoint(origin=self.origin, size=row.size, root=root)
        if cosignature.timestamp != row.timestamp or not verify_cosignature(
            checkpoint, cosignature, cosigner_card.cosignature_verifier()
        ):
            raise _Problem(f"{label}: does not verify")
        self.run.report.cosignatures += 1

    def check_beyond(self) -> None:
        """No checkpoint or cosignature may cover more entries than the log holds."""
        checkpoint = audit.first_checkpoint_beyond(
            self.connection, self.sender, self.recipient, self.size
        )
        if checkpoint is not None:
            self.check_checkpoint(checkpoint, None)
        cosignature = audit.first_cosignature_beyond(
            self.connection, self.sender, self.recipient, self.size
        )
        if cosignature is not None:
            self.check_cosignature(cosignature, None)

    def check_rows_since(self, mark: audit.MarkRow) -> None:
        """Checkpoints and cosignatures stored after the mark, of sizes within it, each
        against the stored tree's root at its size (a page of rows at a time)."""
        pages: list[Iterator[Any]] = [
            audit.checkpoints_since(
                self.connection, self.sender, self.recipient, mark.checkpoints_seen, mark.size, PAGE
            ),
            audit.cosignatures_since(
                self.connection,
                self.sender,
                self.recipient,
                mark.cosignatures_seen,
                mark.size,
                PAGE,
            ),
        ]
        cache: dict[int, bytes] = {}
        for rows in pages:
            while batch := [row for _, row in zip(range(PAGE), rows, strict=False)]:
                wanted = [row.size for row in batch if row.size not in cache]
                if len(cache) > 16 * PAGE:
                    cache.clear()
                cache.update(self.roots_at(wanted))
                for row in batch:
                    if isinstance(row, audit.CheckpointRow):
                        self.check_checkpoint(row, cache[row.size])
                    else:
                        self.check_cosignature(row, cache[row.size])

    # --- a range of entries, with what it proves ---------------------------------------------

    def check_range(self, frontier: Frontier, end: int, sizes_from: int) -> None:
        """Check the entries ``frontier.size .. end - 1`` and append them to ``frontier``;
        check the stored nodes they complete, and every checkpoint and cosignature of a
        size in ``sizes_from .. end`` when the frontier reaches it."""
        start = frontier.size
        checkpoints = _Peek(
            audit.checkpoints_in_sizes(
                self.connection, self.sender, self.recipient, sizes_from, end, PAGE
            )
        )
        cosignatures = _Peek(
            audit.cosignatures_in_sizes(
                self.connection, self.sender, self.recipient, sizes_from, end, PAGE
            )
        )

        def next_size() -> int:
            sizes = [row.size for row in (checkpoints.head, cosignatures.head) if row is not None]
            return min(sizes) if sizes else -1

        def settle() -> int:
            root = frontier.root()
            while checkpoints.head is not None and checkpoints.head.size == frontier.size:
                self.check_checkpoint(checkpoints.pop(), root)
            while cosignatures.head is not None and cosignatures.head.size == frontier.size:
                self.check_cosignature(cosignatures.pop(), root)
            return next_size()

        pending_size = settle() if sizes_from <= start else next_size()
        in_flight: deque[tuple[list[audit.EntryRow], Future[_Outcome]]] = deque()
        hole: str | None = None
        expected = start

        def consume() -> None:
            nonlocal pending_size
            rows, future = in_flight.popleft()
            outcome = future.result()
            good = rows if outcome is None else rows[: outcome[0]]
            stored: dict[tuple[int, int], bytes] = {}
            if good and good[0][0] < self.covered:
                stored = audit.nodes_completed_in(
                    self.connection, self.sender, self.recipient, good[0][0], good[-1][0] + 1
                )
            required = self.required
            for row in good:
                for level, index, node in frontier.append(bytes.fromhex(row[1])):
                    held = stored.get((level, index))
                    if held is None:
                        if (index + 1) << level <= required:
                            raise self._node_problem(level, index, "missing")
                    elif held != node:
                        raise self._node_problem(level, index, "does not match the entries")
                if frontier.size == pending_size:
                    pending_size = settle()
            self.run.advance(len(good), self.where)
            if outcome is not None:
                raise _Problem(outcome[1])

        try:
            for chunk in audit.entry_chunks(
                self.connection, self.sender, self.recipient, start, end, self.run.chunk
            ):
                rows = chunk
                for index, row in enumerate(chunk):
                    if row[0] != expected + index:
                        hole = (
                            f"entry {self.where} seq {row[0]} (id {row[1][:16]}…): "
                            f"expected seq {expected + index}, the log has a hole"
                        )
                        rows = chunk[:index]
                        break
                expected += len(rows)
                if rows:
                    job = (self.where, self.sender, self.recipient, self.raw_keys, rows)
                    in_flight.append((rows, self.run.checker.submit(job)))
                while len(in_flight) >= self.run.checker.depth:
                    consume()
                if hole is not None:
                    break
            while in_flight:
                consume()
        finally:
            for _, future in in_flight:
                future.cancel()
        if hole is not None:
            raise _Problem(hole)
        if frontier.size < end:
            raise _Problem(f"log {self.where}: entry seq {frontier.size} is missing")

    # --- the modes ---------------------------------------------------------------------------

    def new_mark(
        self, root: bytes, scrub_next: int, clock: Callable[[], datetime]
    ) -> audit.MarkRow:
        return audit.MarkRow(
            sender=self.sender,
            recipient=self.recipient,
            size=self.size,
            root=root,
            checkpoints_seen=audit.max_seen(
                self.connection, "checkpoints", self.sender, self.recipient
            ),
            cosignatures_seen=audit.max_seen(
                self.connection, "cosignatures", self.sender, self.recipient
            ),
            scrub_next=scrub_next,
            verified_at=format_time(clock()),
            signature=b"",
        )

    def full(self) -> bytes:
        """Everything from the first entry; returns the root of the whole log."""
        frontier = Frontier()
        self.check_range(frontier, self.size, 0)
        self.check_beyond()
        return frontier.root()

    def check_mark(
        self, mark: audit.MarkRow, public_key: PublicKey, scrub_start: int
    ) -> tuple[Frontier, Frontier]:
        """The mark's own check; returns the frontiers at its size and at ``scrub_start``
        (read together: one stream of the ids at most, where nodes are not stored)."""
        label = f"verified mark of log {self.where} (size {mark.size})"
        if not _mark_signed(mark, public_key, self.run.cards):
            raise _Problem(
                f"{label}: signature does not verify (the row was edited, or a card was "
                "replaced since it was made; `openline verify --full` re-checks the log and "
                "replaces it)"
            )
        held = audit.count_entries_below(self.connection, self.sender, self.recipient, mark.size)
        if held != mark.size:
            raise _Problem(
                f"{label}: {mark.size - held} of the entries below it are missing "
                "(deleted or moved)"
            )
        proven = audit.proven_checkpoint(
            self.connection, self.sender, self.recipient, mark.size, mark.checkpoints_seen
        )
        wanted = [mark.size, scrub_start] + ([] if proven is None else [proven.size])
        frontiers = self.frontiers_at(wanted)
        frontier = frontiers[mark.size].copy()
        if frontier.root() != mark.root:
            raise _Problem(
                f"{label}: root does not match the stored tree (an entry id or a stored "
                "Merkle node below the mark was altered)"
            )
        if proven is not None:
            self.check_checkpoint(proven, frontiers[proven.size].root())
        return frontier, frontiers[scrub_start]

    def incremental(
        self, mark: audit.MarkRow, public_key: PublicKey, budget: int
    ) -> tuple[bytes, int]:
        """The mark's check, what is new, and a scrub; returns the new root and scrub_next."""
        scrubbing = budget > 0 and mark.size > 0
        start = mark.scrub_next if scrubbing and 0 <= mark.scrub_next < mark.size else 0
        frontier, scrubbed = self.check_mark(mark, public_key, start)
        self.check_range(frontier, self.size, mark.size + 1)
        self.check_beyond()
        self.check_rows_since(mark)
        scrub_next = 0
        if scrubbing:
            end = min(start + budget, mark.size)
            self.check_range(scrubbed, end, start if start == 0 else start + 1)
            if end == mark.size and scrubbed.root() != mark.root:
                raise _Problem(
                    f"verified mark of log {self.where} (size {mark.size}): root does not "
                    "match the entries below it"
                )
            scrub_next = 0 if end >= mark.size else end
        return frontier.root(), scrub_next

    def check_old_mark(self, mark: audit.MarkRow, public_key: PublicKey) -> None:
        """For ``--full``: a mark present must be signed and agree with the entries."""
        label = f"verified mark of log {self.where} (size {mark.size})"
        if not _mark_signed(mark, public_key, self.run.cards):
            raise _Problem(
                f"{label}: signature does not verify (the row was edited, or a card was "
                "replaced since it was made); a new mark replaces it"
            )
        if mark.size > self.size:
            raise _Problem(f"{label}: the log holds only {self.size} entries")
        root = EMPTY_ROOT if mark.size == 0 else self.roots_at([mark.size])[mark.size]
        if root != mark.root:
            raise _Problem(f"{label}: the entries below it were rewritten since it was signed")


# --------------------------------------------------------------------------------------------
# The run
# --------------------------------------------------------------------------------------------


def _utc_now() -> datetime:
    return datetime.now(UTC)


def verify_store(
    store: Store,
    cards: dict[str, Card],
    on_log: Callable[[str], None] | None = None,
    /,
    *,
    full: bool = False,
    key: PrivateKey | None = None,
    progress: Progress | None = None,
    workers: int | None = None,
    scrub_budget: int = DEFAULT_SCRUB_BUDGET,
    pool_threshold: int = POOL_THRESHOLD,
    chunk: int = CHUNK,
    clock: Callable[[], datetime] = _utc_now,
) -> VerifyReport:
    """Check every log in ``store`` against the parties' ``cards`` (ours included).

    Args:
        on_log: Called with ``sender→recipient`` as each log starts (the console's stream).
        full: Re-check everything, whatever the marks say (``--full``).
        key: This node's key: with it the run is incremental (unless ``full``) and writes a
            signed mark per log it finds sound; without it the run is full and marks are
            neither read nor written.
        progress: ``progress(done, total, log)`` after each chunk of entries.
        workers: Worker processes for entry signatures (default: the usable cores; 1 checks
            in this process). None are started for fewer than ``pool_threshold`` entries.
        scrub_budget: Old entries re-checked per incremental run.
    """
    started = time.perf_counter()
    marked = key is not None
    mode = "full" if full or not marked else "incremental"
    public_key = None if key is None else key.public_key
    with store.read() as connection:
        logs = audit.logs(connection)
        marks = {
            (row.sender, row.recipient): row
            for row in (audit.read_marks(connection) if marked else [])
        }
        total = 0
        for sender, recipient in logs:
            size = audit.log_size(connection, sender, recipient)
            mark = marks.get((sender, recipient))
            if mode == "full" or mark is None or mark.size > size:
                total += size
            else:
                total += size - mark.size + min(max(scrub_budget, 0), mark.size)
    wanted = usable_cores() if workers is None else max(1, workers)
    if total < pool_threshold:
        wanted = 1
    report = VerifyReport(mode=mode, workers=wanted)
    run = _Run(cards, report, _EntryChecker(wanted), max(1, chunk), total, progress)
    report.workers = run.checker.workers
    written: list[audit.MarkRow] = []
    failed: tuple[str, str] | None = None
    try:
        for sender, recipient in logs:
            report.logs += 1
            if on_log is not None:
                on_log(f"{sender}→{recipient}")
            mark = marks.get((sender, recipient))
            try:
                fresh, late = _check_log(
                    run, store, sender, recipient, mark, public_key, mode, scrub_budget, clock
                )
            except _Problem as problem:
                report.problems.append(str(problem))
                failed = (sender, recipient)
                break
            if key is not None:
                written.append(_sign(fresh, key, cards))
            if late is not None:  # reported once: the fresh mark replaces the bad one
                report.problems.append(str(late))
                break
    finally:
        run.checker.close()
    if key is not None:
        _store_marks(store, key, cards, written, report, mode, clock, failed)
        report.marks = {
            f"{sender}→{recipient}": mark
            for (sender, recipient), mark in proven_marks(store, cards, key).items()
        }
    report.seconds = time.perf_counter() - started
    return report


def _check_log(
    run: _Run,
    store: Store,
    sender: str,
    recipient: str,
    mark: audit.MarkRow | None,
    public_key: PublicKey | None,
    mode: str,
    scrub_budget: int,
    clock: Callable[[], datetime],
) -> tuple[audit.MarkRow, _Problem | None]:
    """One log in one snapshot: the mark it earns, and (``--full`` only) a problem of its
    old mark, which comes after the log's own rows. Raises :class:`_Problem`."""
    late: _Problem | None = None
    with store.read() as connection:
        check = _LogCheck(run, connection, sender, recipient)
        if mode == "incremental" and mark is not None and public_key is not None:
            root, scrub_next = check.incremental(mark, public_key, scrub_budget)
        else:
            root, scrub_next = check.full(), 0
            if mark is not None and public_key is not None:
                try:
                    check.check_old_mark(mark, public_key)
                except _Problem as problem:
                    late = problem
        return check.new_mark(root, scrub_next, clock), late


def _sign(row: audit.MarkRow, key: PrivateKey, cards: dict[str, Card]) -> audit.MarkRow:
    digest = _keys_digest(cards, row.sender, row.recipient)
    return replace(row, signature=key.sign(_mark_message(row, digest)))


def _store_marks(
    store: Store,
    key: PrivateKey,
    cards: dict[str, Card],
    marks: Sequence[audit.MarkRow],
    report: VerifyReport,
    mode: str,
    clock: Callable[[], datetime],
    failed: tuple[str, str] | None,
) -> None:
    """One short write: the new marks (never moving one back, should a concurrent run have
    got further), the outcome of the run, and, for the log that failed, no mark at all: a
    problem once found stays found, since the next run checks that log from its first
    entry (until a clean run marks it again)."""
    outcome = {
        "ok": report.ok,
        "mode": mode,
        "at": format_time(clock()),
        "problem": report.problems[0] if report.problems else None,
    }
    with store.write() as connection:
        for mark in marks:
            current = audit.read_mark(connection, mark.sender, mark.recipient)
            if (
                current is not None
                and current.size > mark.size
                and _mark_signed(current, key.public_key, cards)
            ):
                continue
            audit.write_mark(connection, mark)
        if failed is not None:
            audit.delete_mark(connection, *failed)
        Store.set_meta(connection, LAST_VERIFY_META, json.dumps(outcome, ensure_ascii=False))


def verify_new(
    store: Store,
    cards: dict[str, Card],
    key: PrivateKey,
    budget: int = DEFAULT_SCRUB_BUDGET,
) -> VerifyReport:
    """Keep the marks current from a background task: an incremental run in this process
    (it never takes both cores from the node), re-checking ``budget`` old entries."""
    return verify_store(store, cards, key=key, scrub_budget=budget, workers=1)


# --------------------------------------------------------------------------------------------
# The command line
# --------------------------------------------------------------------------------------------


def run_verify_command(
    node: Node,
    *,
    full: bool,
    as_json: bool,
    out: IO[str] | None = None,
    err: IO[str] | None = None,
) -> int:
    """``openline verify DIR [--full] [--json]``: run, draw a progress bar on stderr when it
    is a terminal, print the outcome, and return the exit code (1 naming the first bad
    row)."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TaskProgressColumn,
        TextColumn,
        TimeRemainingColumn,
    )

    stdout = out or sys.stdout
    stderr = err or sys.stderr
    console = Console(file=stderr)
    bar = Progress(
        TextColumn("verify {task.fields[log]}"),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    )
    with bar:
        task = bar.add_task("verify", total=None, log="")

        def progress(done: int, total: int, log: str) -> None:
            bar.update(task, completed=done, total=total, log=log)

        report = verify_store(
            node.store,
            node.all_cards(),
            full=full,
            key=node.key,
            progress=progress,
            clock=node.clock,
        )
    if as_json:
        stdout.write(json.dumps(report.to_json(), indent=2, ensure_ascii=False) + "\n")
    elif report.ok:
        workers = f"{report.workers} worker{'s' if report.workers > 1 else ''}"
        stdout.write(
            f"ok: {report.logs} logs, {report.entries} entries, {report.checkpoints} "
            f"checkpoints, {report.cosignatures} cosignatures verified ({report.mode}, "
            f"{report.seconds:.1f} s, {report.entries_per_second:,.0f} entries/s, {workers})\n"
        )
        for log, mark in sorted(report.marks.items()):
            stdout.write(f"  {log}: {_proven_line(mark)}\n")
    if not report.ok:
        stderr.write(f"verify failed: {report.problems[0]}\n")
        return 1
    return 0


def _proven_line(mark: Mark) -> str:
    if mark.checkpoint_size is None:
        return f"{mark.size} entries verified, no checkpoint yet (at {mark.verified_at})"
    shown = mark.to_json()["checkpoint"]
    when = f" at {shown['time']}" if shown and shown["time"] else ""
    return (
        f"proven up to checkpoint {mark.checkpoint_size}{when}; "
        f"{mark.size} entries verified at {mark.verified_at}"
    )
