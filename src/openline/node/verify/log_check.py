"""The checks of one log: its checkpoints and cosignatures, a range of entries with the
stored nodes and signed sizes it completes, and the full and incremental modes."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from datetime import datetime
from typing import Any, Generic, TypeVar

from openline.core.checkpoint import Checkpoint, open_checkpoint
from openline.core.cosignature import Cosignature, verify_cosignature
from openline.core.errors import NoteError
from openline.core.keys import PublicKey
from openline.core.merkle import EMPTY_ROOT, Frontier
from openline.core.note import Note
from openline.core.timefmt import format_time
from openline.node.verify.entries import Outcome
from openline.node.verify.marks import mark_signed
from openline.node.verify.prefixes import LogPrefixes
from openline.node.verify.run_state import Problem
from openline.store import audit

PAGE = 1000
"""Checkpoint and cosignature rows per query."""

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


class LogCheck(LogPrefixes):
    """The checks of one log, inside one read transaction (one snapshot)."""

    # --- checkpoints and cosignatures --------------------------------------------------------

    def check_checkpoint(self, row: audit.CheckpointRow, root: bytes | None) -> None:
        """``root`` is the tree's at ``row.size``; None when that is beyond the entries."""
        label = f"checkpoint {self.where} size {row.size}"
        try:
            checkpoint, _ = open_checkpoint(row.note, self.card.note_verifier())
        except NoteError as error:
            raise Problem(f"{label}: {error}") from None
        if checkpoint.origin != self.origin:
            raise Problem(f"{label}: origin {checkpoint.origin!r} is not this log")
        if checkpoint.size != row.size or checkpoint.root != row.root:
            raise Problem(f"{label}: indexed size or root differ from the signed note")
        if root is None:
            raise Problem(f"{label}: beyond the {self.size} entries held")
        if root != checkpoint.root:
            raise Problem(f"{label}: root does not match the entries (log rewritten or forked)")
        self.run.report.checkpoints += 1

    def check_cosignature(self, row: audit.CosignatureRow, root: bytes | None) -> None:
        label = f"cosignature by {row.cosigner} of {self.where} size {row.size} at {row.timestamp}"
        cosigner_card = self.run.cards.get(row.cosigner)
        if cosigner_card is None:
            raise Problem(f"{label}: no pinned card for the cosigner")
        try:
            line_note = Note.from_bytes(b"x\n\n" + row.line.encode("utf-8"))
            cosignature = Cosignature.from_note_signature(line_note.signatures[0])
        except (NoteError, IndexError) as error:
            raise Problem(f"{label}: does not parse: {error}") from None
        if root is None:
            raise Problem(f"{label}: covers more than the {self.size} entries held")
        checkpoint = Checkpoint(origin=self.origin, size=row.size, root=root)
        if cosignature.timestamp != row.timestamp or not verify_cosignature(
            checkpoint, cosignature, cosigner_card.cosignature_verifier()
        ):
            raise Problem(f"{label}: does not verify")
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

    # --- a range of entries, with what it proves ---------------------------------------------

    def check_range(self, frontier: Frontier, end: int, sizes_from: int) -> None:
        """Check the entries ``frontier.size .. end - 1`` and append them to ``frontier``;
        check the stored nodes they complete, and every checkpoint and cosignature of a
        size in ``sizes_from .. end`` when the frontier reaches it."""
        _RangeCheck(self, frontier, end, sizes_from).run()

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
        if not mark_signed(mark, public_key, self.run.cards):
            raise Problem(
                f"{label}: signature does not verify (the row was edited, or a card was "
                "replaced since it was made; `openline verify --full` re-checks the log and "
                "replaces it)"
            )
        held = audit.count_entries_below(self.connection, self.sender, self.recipient, mark.size)
        if held != mark.size:
            raise Problem(
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
            raise Problem(
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
                raise Problem(
                    f"verified mark of log {self.where} (size {mark.size}): root does not "
                    "match the entries below it"
                )
            scrub_next = 0 if end >= mark.size else end
        return frontier.root(), scrub_next

    def check_old_mark(self, mark: audit.MarkRow, public_key: PublicKey) -> None:
        """For ``--full``: a mark present must be signed and agree with the entries."""
        label = f"verified mark of log {self.where} (size {mark.size})"
        if not mark_signed(mark, public_key, self.run.cards):
            raise Problem(
                f"{label}: signature does not verify (the row was edited, or a card was "
                "replaced since it was made); a new mark replaces it"
            )
        if mark.size > self.size:
            raise Problem(f"{label}: the log holds only {self.size} entries")
        root = EMPTY_ROOT if mark.size == 0 else self.roots_at([mark.size])[mark.size]
        if root != mark.root:
            raise Problem(f"{label}: the entries below it were rewritten since it was signed")


class _SignedSizes:
    """The checkpoints and cosignatures of the sizes ``sizes_from .. end``, in size order,
    each checked against the root of the frontier once it reaches that size."""

    def __init__(self, log: LogCheck, sizes_from: int, end: int) -> None:
        self.log = log
        self.checkpoints = _Peek(
            audit.checkpoints_in_sizes(
                log.connection, log.sender, log.recipient, sizes_from, end, PAGE
            )
        )
        self.cosignatures = _Peek(
            audit.cosignatures_in_sizes(
                log.connection, log.sender, log.recipient, sizes_from, end, PAGE
            )
        )

    def next_size(self) -> int:
        """The smallest size still to check (-1 when none is left)."""
        heads = (self.checkpoints.head, self.cosignatures.head)
        sizes = [row.size for row in heads if row is not None]
        return min(sizes) if sizes else -1

    def settle(self, frontier: Frontier) -> int:
        """Check the rows of the frontier's size against its root; returns the next size."""
        checkpoints, cosignatures = self.checkpoints, self.cosignatures
        root = frontier.root()
        while checkpoints.head is not None and checkpoints.head.size == frontier.size:
            self.log.check_checkpoint(checkpoints.pop(), root)
        while cosignatures.head is not None and cosignatures.head.size == frontier.size:
            self.log.check_cosignature(cosignatures.pop(), root)
        return self.next_size()


class _RangeCheck:
    """One :meth:`LogCheck.check_range`: the entries are read a chunk at a time and checked
    by the run's entry checker (several chunks in flight, to keep its workers busy), then
    appended to the frontier in log order."""

    def __init__(self, log: LogCheck, frontier: Frontier, end: int, sizes_from: int) -> None:
        self.log = log
        self.frontier = frontier
        self.start = frontier.size
        self.end = end
        self.signed = _SignedSizes(log, sizes_from, end)
        self.pending_size = (
            self.signed.settle(frontier) if sizes_from <= self.start else self.signed.next_size()
        )
        self.in_flight: deque[tuple[list[audit.EntryRow], Future[Outcome]]] = deque()

    def run(self) -> None:
        log, checker = self.log, self.log.run.checker
        hole: str | None = None
        expected = self.start
        try:
            for chunk in audit.entry_chunks(
                log.connection, log.sender, log.recipient, self.start, self.end, log.run.chunk
            ):
                rows, hole = _up_to_hole(chunk, expected, log.where)
                expected += len(rows)
                if rows:
                    job = (log.where, log.sender, log.recipient, log.raw_keys, rows)
                    self.in_flight.append((rows, checker.submit(job)))
                while len(self.in_flight) >= checker.depth:
                    self.consume()
                if hole is not None:
                    break
            while self.in_flight:
                self.consume()
        finally:
            for _, future in self.in_flight:
                future.cancel()
        if hole is not None:
            raise Problem(hole)
        if self.frontier.size < self.end:
            raise Problem(f"log {log.where}: entry seq {self.frontier.size} is missing")

    def consume(self) -> None:
        """The oldest chunk in flight: append its entries up to the first bad one, then
        raise that one's problem."""
        rows, future = self.in_flight.popleft()
        outcome = future.result()
        good = rows if outcome is None else rows[: outcome[0]]
        self.append(good)
        self.log.run.advance(len(good), self.log.where)
        if outcome is not None:
            raise Problem(outcome[1])

    def append(self, good: list[audit.EntryRow]) -> None:
        """Append checked entries to the frontier: every node they complete must equal the
        stored one (and be stored, where required), and every signed size they reach is
        checked against the root there."""
        log = self.log
        stored: dict[tuple[int, int], bytes] = {}
        if good and good[0][0] < log.covered:
            stored = audit.nodes_completed_in(
                log.connection, log.sender, log.recipient, good[0][0], good[-1][0] + 1
            )
        required = log.required
        for row in good:
            for level, index, node in self.frontier.append(bytes.fromhex(row[1])):
                held = stored.get((level, index))
                if held is None:
                    if (index + 1) << level <= required:
                        raise log.node_problem(level, index, "missing")
                elif held != node:
                    raise log.node_problem(level, index, "does not match the entries")
            if self.frontier.size == self.pending_size:
                self.pending_size = self.signed.settle(self.frontier)


def _up_to_hole(
    chunk: list[audit.EntryRow], expected: int, where: str
) -> tuple[list[audit.EntryRow], str | None]:
    """The rows of ``chunk`` before the first gap in their seqs (counting from ``expected``),
    and the problem that gap is (None when there is none)."""
    for index, row in enumerate(chunk):
        if row[0] != expected + index:
            hole = (
                f"entry {where} seq {row[0]} (id {row[1][:16]}…): "
                f"expected seq {expected + index}, the log has a hole"
            )
            return chunk[:index], hole
    return chunk, None
