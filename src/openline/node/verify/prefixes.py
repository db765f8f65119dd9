"""One log opened for its check, and the roots of its prefixes from the stored tree.

A prefix's frontier is read from the stored Merkle nodes where they reach (O(log n) rows),
and from one stream of the stored ids where they do not: :class:`LogPrefixes` is the base
of :class:`~openline.node.verify.log_check.LogCheck`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from sqlalchemy import Connection

from openline.core.link import log_origin
from openline.core.merkle import Frontier, compact_range_coordinates
from openline.node.verify.run_state import Problem, Run
from openline.store import audit


def nodes_required(covered: int, size: int) -> int:
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


class LogPrefixes:
    """One log inside one read transaction (one snapshot): its sender's keys, its size, how
    far its stored nodes reach, and the roots of its prefixes."""

    def __init__(self, run: Run, connection: Connection, sender: str, recipient: str) -> None:
        self.run = run
        self.connection = connection
        self.sender = sender
        self.recipient = recipient
        self.where = f"{sender}→{recipient}"
        card = run.cards.get(sender)
        if card is None:
            raise Problem(f"log {self.where}: no pinned card for {sender!r}")
        self.card = card
        self.keys = (card.key,) + ((card.previous_key,) if card.previous_key else ())
        self.raw_keys = tuple(key.raw for key in self.keys)
        self.origin = log_origin(sender, recipient)
        self.size = audit.log_size(connection, sender, recipient)
        self.covered = audit.covered_leaves(connection, sender, recipient)
        self.required = nodes_required(self.covered, self.size)

    def node_problem(self, level: int, index: int, what: str) -> Problem:
        return Problem(
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
                    raise Problem(f"log {self.where}: entry seq {index} is missing")
                hashes.append(self._id_hash(index, entry_id))
                continue
            node = nodes.get((level, index))
            if node is None:
                if (index + 1) << level <= self.required:
                    raise self.node_problem(level, index, "missing")
                return None
            if len(node) != 32:
                raise self.node_problem(level, index, "not a 32-byte hash")
            hashes.append(node)
        return Frontier(size, hashes)

    def _id_hash(self, seq: int, entry_id: str) -> bytes:
        try:
            value = bytes.fromhex(entry_id)
        except ValueError:
            value = b""
        if len(value) != 32:
            raise Problem(
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
                    raise Problem(
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
            raise Problem(f"log {self.where}: entry seq {expected} is missing")

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
