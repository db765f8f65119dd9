"""The node's application commands: the one path by which CLI, API and console act.

Data flows one way: officer → command → core → store → sender → peer (docs/architecture.md,
"The flow of one act"). A command validates its input, lets the core sign, stores durably,
updates the caches in the same transaction, and only then tells the sender loops that there
is something to send.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy.engine import Connection

from openline.core.card import party_cosigner
from openline.core.checkpoint import Checkpoint
from openline.core.cosignature import Cosignature
from openline.core.entry import Entry
from openline.core.errors import EntryError
from openline.core.keys import PrivateKey
from openline.core.link import (
    Accepted,
    BatchOutcome,
    Duplicate,
    Equivocation,
    IncomingLog,
    OutgoingLog,
    RefTarget,
    check_refs,
    log_origin,
    sign_timed_checkpoint,
)
from openline.core.merkle import Frontier
from openline.core.note import NoteSigner
from openline.core.timefmt import format_time, parse_time
from openline.node import projections
from openline.node.catalogues import Catalogues
from openline.node.contacts import Contacts
from openline.node.errors import CommandError
from openline.node.health import LinkHealth, utc_now
from openline.node.home import NodeConfig, NodeHome
from openline.node.idempotency import IdempotencyKeys
from openline.node.notices import Notices
from openline.node.officers import Officers
from openline.node.peers import Peers
from openline.node.ports import Clock, Items
from openline.node.watcher import DeadlineWatcher
from openline.store import Store, tree
from openline.store import projection as folds

if TYPE_CHECKING:
    from openline.node.verify import VerifyReport


__all__ = ["Node", "utc_now"]  # utc_now is health.py's, re-exported
MAX_CACHED_LEAVES = 8192  # a few batches ahead of the receipts; bounded memory


@dataclass
class Node:
    """A party's node: its store, the in-memory state of each link, and the one way to
    sign and store entries. Who it is and whom it talks to are its :attr:`peers`.

    Its parts are passed in (:meth:`open` reads them from a data folder), so a test or a
    tool can give it a store or a key of its own.
    """

    home: NodeHome
    config: NodeConfig
    key: PrivateKey
    store: Store
    clock: Clock = utc_now

    @classmethod
    def open(cls, home: NodeHome, clock: Clock = utc_now) -> Node:
        """The node of the data folder ``home``: its configuration, key and store."""
        config = home.load_config()
        key = home.load_key()
        return cls(home, config, key, Store.open_url(home.database_url(config)), clock)

    def __post_init__(self) -> None:
        self.party = self.config.party
        self.note_signer = NoteSigner(name=self.party, private_key=self.key)
        self.lock = threading.RLock()
        # The node's clock as it is when read (a test may swap it after the node opens).
        now = lambda: self.clock()  # noqa: E731, PLW0108
        self.keys = IdempotencyKeys(self.store, self.lock, now)
        self.verify_lock = threading.Lock()  # one verify at a time: each writes the marks
        self._outgoing: dict[str, OutgoingLog] = {}
        self._incoming: dict[str, IncomingLog] = {}
        # A repinned peer's incoming log is reloaded, checked against its new card.
        forget = lambda party: self._incoming.pop(party, None)  # noqa: E731
        self.peers = Peers(self.store, self.config, self.key, now, self.lock, on_pinned=forget)
        self.health: dict[str, LinkHealth] = {}
        # Leaves stored but not yet receipted, by peer and seq: lets the sender skip a
        # database read on the hot path. Only ever a copy of committed rows.
        self._unreceipted: dict[str, dict[int, bytes]] = {}
        # A lock of its own: the event loop reads the map and must never wait for a commit.
        self._cache_lock = threading.Lock()
        self.listeners: list[Callable[[str], None]] = []
        self.running = False
        # Bumped whenever the transcript or its receipts change: folds cached in memory
        # (the request views) are recomputed only when it moved.
        self.revision = 0
        self._latest_time: dict[str, str] = {}  # newest entry time of each outgoing log
        self.projector = projections.Projector(
            self.config.ack_objectives(), self.config.minimum_lead_times()
        )
        self.contacts = Contacts(self)
        self.notices = Notices(self)
        self.catalogues = Catalogues(self)
        self.officers = Officers(self.store, now)
        self.watcher = DeadlineWatcher(self)
        with self.store.read() as connection:
            cache_version = Store.get_meta(connection, "cache_version")
            logs = Store.logs(connection)
        for sender, recipient in logs:
            # Stores from before the nodes were kept (migration 0006), or a node stopped
            # between two transactions of an earlier backfill: fill in what is missing.
            tree.backfill(self.store, sender, recipient)
        if cache_version != projections.CACHE_VERSION:
            self.rebuild()  # caches from an older release: regenerate them from the transcript

    def close(self) -> None:
        self.store.close()

    # --- logs ----------------------------------------------------------------------------

    def outgoing(self, peer: str) -> OutgoingLog:
        log = self._outgoing.get(peer)
        if log is None:
            log = OutgoingLog(
                sender=self.party,
                recipient=peer,
                key=self.key,
                tree=tree.open_tree(self.store, self.party, peer),
            )
            self._outgoing[peer] = log
        return log

    def incoming(self, peer: str) -> IncomingLog:
        log = self._incoming.get(peer)
        if log is None:
            card = self.peers.peer(peer).card
            verifiers = [card.note_verifier()]
            cosigners = [card.cosignature_verifier()]
            keys = [card.key]
            if card.previous_key is not None:
                keys.append(card.previous_key)
            log = IncomingLog(
                sender=peer,
                recipient=self.party,
                sender_keys=keys,
                sender_verifiers=verifiers,
                cosigner=party_cosigner(self.party, self.key),
                sender_cosigners=cosigners,
                tree=tree.open_tree(self.store, peer, self.party),
                limits=self.config.link_limits(),
            )
            self._incoming[peer] = log
        return log

    def ref_target(self, entry_id: str) -> RefTarget | None:
        return self.store.ref_target(entry_id)

    def _notify(self, peer: str) -> None:
        for listener in self.listeners:
            listener(peer)

    def append(self, peer: str, items: Items) -> list[Entry]:
        """Sign and durably store entries to one peer, in order (the write-ahead outbox)."""
        return self.append_to_many([(peer, items)])[0]

    def append_to_many(self, batches: Sequence[tuple[str, Items]]) -> list[list[Entry]]:
        """Sign and store entries to several peers in one transaction: all of them or none,
        so that a broadcast is never half-sent (and never half-resent after an error).

        An entry that answers is dated no earlier than what it answers: with the clocks of
        two nodes up to ``max_clock_skew`` apart, an answer signed by the slower clock
        would otherwise predate its question and be refused at the door (check_refs)."""
        peers = [peer for peer, _ in batches]
        if len(set(peers)) != len(peers):
            raise ValueError("append_to_many: a peer named twice")
        for peer in peers:
            self.peers.peer(peer)
        with self.lock:
            results: list[list[Entry]] = []
            try:
                with self.store.write() as connection:
                    now = format_time(self.clock())
                    for peer, items in batches:
                        results.append(self._append_in(connection, peer, items, now))
                    # The key of a keyed request commits with its entries, or neither does.
                    self.keys.note(connection, (e for batch in results for e in batch), now)
            except EntryError as error:
                for peer in peers:
                    self._outgoing.pop(peer, None)
                raise CommandError(str(error), code=error.code, status=422) from error
            except BaseException:
                for peer in peers:
                    self._outgoing.pop(peer, None)  # the trees ran ahead of the store: reload
                raise
            for peer in peers:  # committed: the stored tree reads its new nodes from the store
                self.outgoing(peer).tree_committed()
            self.keys.committed()
            # Bumped before the lock is released: a command that checks a fold and then
            # appends (an acknowledgement) under this lock always sees the previous one.
            self.revision += 1
        for peer, appended in zip(peers, results, strict=True):
            newest = max(entry.time for entry in appended) if appended else None
            if newest is not None and newest > self._latest_time.get(peer, ""):
                self._latest_time[peer] = newest
            with self._cache_lock:
                pending = self._unreceipted.setdefault(peer, {})
                if len(pending) < MAX_CACHED_LEAVES:
                    pending.update((entry.seq, entry.leaf) for entry in appended)
            self._notify(peer)
        return results

    def _append_in(self, connection: Connection, peer: str, items: Items, now: str) -> list[Entry]:
        log = self.outgoing(peer)
        if Store.log_size(connection, self.party, peer) != log.size:
            # Another process (the CLI while we were down) wrote: reload.
            self._outgoing.pop(peer, None)
            log = self.outgoing(peer)
        appended: list[Entry] = []
        nodes: list[tuple[int, int, bytes]] = []
        batch: dict[str, RefTarget] = {}

        def lookup(ref: str) -> RefTarget | None:
            return batch.get(ref) or self.store.ref_target(ref, connection)

        for kind, body, refs in items:
            answered = [target.time for target in map(lookup, refs) if target is not None]
            entry = log.next_entry(time=max([now, *answered]), kind=kind, body=body, refs=refs)
            check_refs(entry, lookup)
            nodes.extend(log.append(entry))
            appended.append(entry)
            batch[entry.id] = RefTarget.of(entry)
        Store.insert_entries(connection, appended, now)
        tree.insert_nodes(connection, self.party, peer, nodes)
        self.projector.entries(connection, appended)
        return appended

    def cached_leaves(self, peer: str, start: int, limit: int) -> list[bytes] | None:
        """Stored leaves from ``start`` on, from memory; None when not all are there."""
        with self._cache_lock:
            pending = self._unreceipted.get(peer, {})
            if start not in pending:
                return None
            leaves: list[bytes] = []
            seq = start
            while seq in pending and len(leaves) < limit:
                leaves.append(pending[seq])
                seq += 1
            return leaves

    # --- federation: the receiving side --------------------------------------------------

    def receive_batch(
        self, peer: str, entries: Sequence[object], checkpoint_note: bytes
    ) -> BatchOutcome:
        with self.lock:
            # Only this method writes incoming logs, under this lock: the mirror in memory
            # is the stored one (it is reloaded from the store whenever it is rebuilt).
            log = self.incoming(peer)
            now = self.clock()
            outcome = log.accept_batch(
                entries,
                checkpoint_note,
                now=now,
                lookup=self.ref_target,
                local_rules=self.catalogues.door_check,
            )
            if isinstance(outcome, Accepted | Duplicate):
                self._store_received(log, outcome, format_time(now))
                self.link_health(peer).last_heard = now
            elif isinstance(outcome, Equivocation):
                self._store_equivocation(peer, outcome, format_time(now))
            return outcome

    def _store_received(self, log: IncomingLog, outcome: Accepted | Duplicate, stamp: str) -> None:
        """Store a batch received (or resent) and the receipt we cosigned for it, in one
        transaction; then bring the log's mirror in memory up to it."""
        peer, fresh = log.sender, outcome.entries if isinstance(outcome, Accepted) else ()
        with self.store.write() as connection:
            at = outcome.cosignature.timestamp
            backwards = self._receipt_goes_back(connection, peer, self.party, at)
            Store.insert_entries(connection, fresh, stamp)
            size = outcome.checkpoint.size
            Store.insert_checkpoint(
                connection, peer, self.party, outcome.checkpoint, outcome.checkpoint_note
            )
            Store.insert_cosignature(connection, peer, self.party, size, outcome.cosignature)
            if (own := outcome.sender_cosignature) is not None:
                # The peer's own "as of T my log had size N": non-answer proofs need it.
                keep = self._first_after_a_deadline(connection, peer, self.party, own)
                Store.insert_cosignature(connection, peer, self.party, size, own, keep=keep)
            if isinstance(outcome, Accepted):
                tree.insert_nodes(connection, peer, self.party, log.new_nodes(outcome))
            # What we hold and cosign is delivered: the same two steps as on the sending
            # side (the entries, then the receipt that covers them).
            self.projector.entries(connection, fresh)
            covered = range(log.size, size)
            self.projector.receipt(connection, peer, self.party, covered, at, backwards=backwards)
        if isinstance(outcome, Accepted):
            log.apply(outcome)
            log.tree_committed()
        if fresh:
            # Only new entries change a fold: a heartbeat (or a resent batch) adds a
            # cosignature, which views read live, so folds are not redone for it.
            self.revision += 1

    def _store_equivocation(self, peer: str, outcome: Equivocation, stamp: str) -> None:
        evidence = outcome.evidence
        if evidence.seq is not None:
            # Keep the held entry's bytes, not just its hash: the evidence then stands on
            # its own for a third party holding only the cards.
            (held,) = self.store.entries(peer, self.party, evidence.seq, 1)
            evidence = replace(evidence, held=held.leaf)
        with self.store.write() as connection:
            Store.insert_equivocation(connection, peer, self.party, evidence, stamp)
        self.link_health(peer).equivocation = outcome.evidence.reason

    # --- federation: the sending side ----------------------------------------------------

    def checkpoint_for(self, peer: str, size: int) -> tuple[Checkpoint, bytes]:
        with self.lock:
            log = self.outgoing(peer)
            if size > log.size:
                self._outgoing.pop(peer, None)
                log = self.outgoing(peer)
            timestamp = self.own_timestamp(peer)
            checkpoint, note, _ = log.sign_timed_checkpoint(size, timestamp)
            return checkpoint, note

    def frontier_at(self, peer: str, size: int) -> Frontier:
        """The compact range of our log to ``peer`` at ``size`` (committed rows only)."""
        return Frontier.from_reader(size, tree.StoredHashes(self.store, self.party, peer))

    def sign_sent_checkpoint(self, peer: str, frontier: Frontier) -> tuple[Checkpoint, bytes]:
        """Our timed checkpoint of the log to ``peer`` at the frontier's size and root: the
        sender loop keeps the compact range of what it sends, so signing a batch needs
        neither the node's lock (which appends hold through their commit) nor the store."""
        checkpoint = Checkpoint(
            origin=log_origin(self.party, peer), size=frontier.size, root=frontier.root()
        )
        note, _ = sign_timed_checkpoint(
            checkpoint, self.note_signer, self.key, self.own_timestamp(peer)
        )
        return checkpoint, note

    def own_timestamp(self, peer: str) -> int:
        """Now in whole seconds, for our own cosignature of our log to ``peer``, but never
        before the second of the latest entry it may cover. Non-answer proofs rely on a
        self-timed checkpoint not predating its entries (docs/proofs.md); a clock that
        stepped back must not break that."""
        now = int(self.clock().timestamp())
        latest = self._latest_time.get(peer)
        if latest is None:
            latest = self.store.latest_entry_time(self.party, peer)
            if latest is None:
                return now
            self._latest_time[peer] = latest
        return max(now, int(parse_time(latest).timestamp()))

    def record_receipt(
        self, peer: str, checkpoint: Checkpoint, note: bytes, cosignature: Cosignature
    ) -> bool:
        """Store a peer's cosignature of our checkpoint, with our own cosignature beside it."""
        verifier = self.peers.peer(peer).card.cosignature_verifier()
        if not OutgoingLog.check_receipt(checkpoint, cosignature, verifier):
            return False
        own = self.outgoing(peer).self_cosign(checkpoint, self.own_timestamp(peer))
        previous = self.delivered_size(peer)  # one sender loop per peer: no race here
        with self._cache_lock:  # append() fills this map from another thread
            pending = self._unreceipted.get(peer, {})
            for seq in [seq for seq in pending if seq < checkpoint.size]:
                del pending[seq]
        with self.store.write() as connection:
            backwards = self._receipt_goes_back(connection, self.party, peer, cosignature.timestamp)
            Store.insert_checkpoint(connection, self.party, peer, checkpoint, note)
            Store.insert_cosignature(connection, self.party, peer, checkpoint.size, cosignature)
            Store.insert_cosignature(
                connection,
                self.party,
                peer,
                checkpoint.size,
                own,
                keep=self._first_after_a_deadline(connection, self.party, peer, own),
            )
            self.projector.receipt(
                connection,
                self.party,
                peer,
                range(previous, max(previous, checkpoint.size)),
                cosignature.timestamp,
                backwards=backwards,
            )
        if checkpoint.size > previous:  # newly delivered entries: their deadlines start
            self.revision += 1
        health = self.link_health(peer)
        health.last_receipt = self.clock()
        health.failures = 0
        health.last_error = None
        return True

    @staticmethod
    def _first_after_a_deadline(
        connection: Connection, sender: str, recipient: str, own: Cosignature
    ) -> bool:
        """True when ``sender``'s self-cosignature of its log is its first timed after a
        deadline it owes ``recipient``: the checkpoint a non-answer proof of that deadline
        rests on, kept however many heartbeats follow (design note 26)."""
        before = Store.latest_cosignature_time_in(connection, sender, recipient, sender)
        if before is None or own.timestamp <= before:
            return before is None
        # A proof takes the first self-cosignature timed at or after the deadline's whole
        # second plus one: deadlines in [before, now) have theirs in this one.
        return folds.deadline_between(
            connection,
            owed_by=sender,
            owed_to=recipient,
            after=format_time(datetime.fromtimestamp(before, UTC)),
            until=format_time(datetime.fromtimestamp(own.timestamp, UTC)),
        )

    @staticmethod
    def _receipt_goes_back(connection: Connection, sender: str, recipient: str, at: int) -> bool:
        """True when a receipt timed ``at`` is earlier than one already held for the log:
        a clock that stepped back. Deliveries it covers may then move back to it."""
        latest = Store.latest_receipt_time(connection, sender, recipient)
        return latest is not None and at < latest

    def record_failure(self, peer: str, error: str) -> None:
        health = self.link_health(peer)
        health.failures += 1
        health.last_failure = self.clock()
        health.last_error = error

    def link_health(self, peer: str) -> LinkHealth:
        return self.health.setdefault(peer, LinkHealth())

    def delivered_size(self, peer: str) -> int:
        return self.store.cosigned_size(self.party, peer, peer)

    def pending_count(self, peer: str) -> int:
        return self.outgoing(peer).size - self.delivered_size(peer)

    def verify(
        self,
        *,
        full: bool = False,
        scrub_budget: int | None = None,
        workers: int | None = None,
        on_log: Callable[[str], None] | None = None,
        progress: Callable[[int, int, str], None] | None = None,
        wait: bool = True,
    ) -> VerifyReport | None:
        """``openline verify`` on this node's store, signing the marks with its key: what is
        new since the last run, plus ``scrub_budget`` old entries (everything when
        ``full``). One run at a time; None when ``wait`` is False and one is running."""
        from openline.node.verify import DEFAULT_SCRUB_BUDGET, verify_store

        if not self.verify_lock.acquire(blocking=wait):
            return None
        try:
            return verify_store(
                self.store,
                self.peers.all_cards(),
                on_log,
                full=full,
                key=self.key,
                progress=progress,
                workers=workers,
                scrub_budget=DEFAULT_SCRUB_BUDGET if scrub_budget is None else scrub_budget,
                clock=self.clock,
            )
        finally:
            self.verify_lock.release()

    def rebuild(self) -> dict[str, int]:
        with self.lock:
            with self.store.write() as connection:
                counts = self.projector.rebuild(connection, self.store)
            self.revision += 1
        return counts
