"""The node's application commands: the one path by which CLI, API and console act.

Data flows one way: officer → command → core → store → sender → peer (docs/architecture.md,
"The flow of one act"). A command validates its input, lets the core sign, stores durably,
updates the caches in the same transaction, and only then tells the sender loops that there
is something to send.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import Connection

from openline.core.card import Card, check_rotation, make_card, party_cosigner
from openline.core.checkpoint import Checkpoint
from openline.core.cosignature import Cosignature
from openline.core.entry import Entry
from openline.core.errors import CardError, EntryError
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
from openline.core.paging import Page
from openline.core.precedence import PRECEDENCES
from openline.core.schema import LANGUAGE_TAG
from openline.core.timefmt import format_time, parse_time
from openline.node import projections
from openline.node.catalogues import Catalogues
from openline.node.contacts import Contacts
from openline.node.errors import CommandError, cursor_errors, page_size
from openline.node.home import NodeConfig, NodeHome
from openline.node.idempotency import IdempotencyKeys
from openline.node.notices import Notices, combined_line_state
from openline.node.officers import Officers
from openline.node.watcher import Alarm, DeadlineWatcher, overdue
from openline.store import Store, transcript, tree
from openline.store import projection as folds
from openline.store.database import PinnedPeer

if TYPE_CHECKING:
    from openline.node.verify import VerifyReport

Clock = Callable[[], datetime]
Items = Sequence[tuple[str, Mapping[str, Any], Sequence[str]]]
"""Entries to append to one log: (kind, body, refs) each."""

MAX_CACHED_LEAVES = 8192  # a few batches ahead of the receipts; bounded memory


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class LinkHealth:
    """What the running node has seen of a link (not persisted: it is about now)."""

    last_receipt: datetime | None = None
    last_heard: datetime | None = None
    last_failure: datetime | None = None
    last_error: str | None = None
    failures: int = 0
    equivocation: str | None = None

    def state(self, now: datetime, heartbeat_seconds: float) -> str:
        if self.equivocation:
            return "diverging"
        seen = [t for t in (self.last_receipt, self.last_heard) if t is not None]
        if not seen:
            return "down"
        age = (now - max(seen)).total_seconds()
        if age <= 2.5 * heartbeat_seconds and self.failures == 0:
            return "up"
        if age <= 2.5 * heartbeat_seconds:
            return "degraded"
        return "down"


@dataclass(frozen=True, slots=True)
class NewMessage:
    text: str
    precedence: str = "routine"
    lang: str = "en"
    officer: str | None = None  # who sends it; in the signed body only when known

    def body(self) -> dict[str, str]:
        if self.precedence not in PRECEDENCES:
            raise CommandError(
                f"precedence must be one of {', '.join(PRECEDENCES)}",
                code="invalid-precedence",
                status=422,
            )
        if not LANGUAGE_TAG.match(self.lang):
            raise CommandError(
                f"{self.lang!r} is not a language tag", code="invalid-lang", status=422
            )
        body = {"text": self.text, "lang": self.lang, "precedence": self.precedence}
        if self.officer is not None:
            body["officer"] = self.officer
        return body


@dataclass
class Node:
    """A party's node: identity, store, and the in-memory state of each link."""

    home: NodeHome
    clock: Clock = utc_now
    config: NodeConfig = field(init=False)
    store: Store = field(init=False)

    def __post_init__(self) -> None:
        self.config = self.home.load_config()
        self.key = self.home.load_key()
        self.party = self.config.party
        self.note_signer = NoteSigner(name=self.party, private_key=self.key)
        self.store = Store.open_url(self.home.database_url(self.config))
        self.lock = threading.RLock()
        # The node's clock as it is when read (a test may swap it after the node opens).
        self.keys = IdempotencyKeys(self.store, self.lock, lambda: self.clock())  # noqa: PLW0108
        self.verify_lock = threading.Lock()  # one verify at a time: each writes the marks
        self._outgoing: dict[str, OutgoingLog] = {}
        self._incoming: dict[str, IncomingLog] = {}
        self._peers: dict[str, PinnedPeer] | None = None
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
        self.officers = Officers(self)
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

    # --- identity and peers ------------------------------------------------------------------

    def card(self) -> Card:
        return make_card(
            party=self.party,
            names=self.config.names,
            urls=[self.config.url],
            created=self.config.card_created,
            key=self.key,
        )

    def peers(self) -> dict[str, PinnedPeer]:
        if self._peers is None:
            self._peers = {peer.party: peer for peer in self.store.peers()}
        return self._peers

    def peer(self, party: str) -> PinnedPeer:
        peer = self.peers().get(party)
        if peer is None:
            raise CommandError(f"{party!r} is not a pinned peer", code="unknown-peer", status=404)
        return peer

    def add_peer(
        self, card_bytes: bytes, url: str | None = None, replace: bool = False
    ) -> PinnedPeer:
        try:
            card = Card.from_bytes(card_bytes)
        except CardError as error:
            raise CommandError(f"bad card: {error}", code="bad-card", status=422) from error
        if card.party == self.party:
            raise CommandError("that is this node's own card", code="own-card", status=422)
        pinned = self.peers().get(card.party)
        if pinned is not None and not replace:
            try:
                check_rotation(pinned.card, card)
            except CardError as error:
                raise CommandError(str(error), code="key-changed", status=409) from error
        target = url or (card.urls[0] if card.urls else None)
        if not target:
            raise CommandError("the card names no URL; pass --url", code="no-url", status=422)
        with self.lock:
            self.store.pin_peer(card, target.rstrip("/"), format_time(self.clock()))
            self._peers = None
            self._incoming.pop(card.party, None)
        if pinned is not None and pinned.card.key != card.key:
            from openline.node.verify import forget_marks

            # The marks said "verified against the old card": check its logs again from
            # their first entry against the new one.
            forget_marks(self.store, card.party)
        return self.peer(card.party)

    def all_cards(self) -> dict[str, Card]:
        """Every card the transcript needs to be checked against, ours included."""
        cards = {party: pinned.card for party, pinned in self.peers().items()}
        cards[self.party] = self.card()
        return cards

    def keys_of(self, party: str) -> tuple[Any, ...] | None:
        peer = self.peers().get(party)
        if peer is None:
            return None
        card = peer.card
        return (card.key,) if card.previous_key is None else (card.key, card.previous_key)

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
            card = self.peer(peer).card
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
            self.peer(peer)
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

    # --- commands ------------------------------------------------------------------------

    def send_messages(
        self, recipients: Sequence[str], messages: Sequence[NewMessage]
    ) -> list[Entry]:
        """Send each message to each recipient: one entry per link."""
        if not recipients:
            raise CommandError("name at least one recipient", code="no-recipient", status=422)
        if not messages:
            raise CommandError("no message to send", code="no-message", status=422)
        for party in recipients:
            self.peer(party)
        bodies = [message.body() for message in messages]
        items = [("hotline.message", body, ()) for body in bodies]
        batches = self.append_to_many([(party, items) for party in dict.fromkeys(recipients)])
        return [entry for appended in batches for entry in appended]

    def ack(self, entry_id: str, officer: str) -> Entry:
        # Under the lock from the check to the append: never two acknowledgements of one
        # entry when two officers (or one double click) acknowledge at once.
        with self.lock:
            return self._ack(entry_id, officer)

    def _ack(self, entry_id: str, officer: str) -> Entry:
        target = self.store.entry_by_id(entry_id)
        if target is None:
            raise CommandError(f"no entry {entry_id}", code="unknown-entry", status=404)
        received = target.recipient == self.party
        if target.kind in ("contact.request", "explain.request") and received:
            return self.contacts.read(entry_id, officer)  # for a request, acknowledging is reading
        if target.kind in ("notify.activity", "notify.incident", "desk.check") and received:
            return self.notices.acknowledge(Entry.from_leaf(target.leaf), officer)
        if target.kind != "hotline.message" or not received:
            raise CommandError(
                "only a hotline message, notification, incident report, desk check or request "
                "received by this node can be acknowledged",
                code="not-acknowledgeable",
                status=422,
            )
        with self.store.read() as connection:
            ack_id = folds.message_ack_id(connection, entry_id)
        if ack_id is not None:
            raise CommandError(
                f"already acknowledged by entry {ack_id}",
                code="already-acknowledged",
                status=409,
            )
        (entry,) = self.append(target.sender, [("hotline.ack", {"officer": officer}, (entry_id,))])
        return entry

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
            stamp = format_time(now)
            if isinstance(outcome, Accepted | Duplicate):
                fresh = outcome.entries if isinstance(outcome, Accepted) else ()
                with self.store.write() as connection:
                    backwards = self._receipt_goes_back(
                        connection, peer, self.party, outcome.cosignature.timestamp
                    )
                    Store.insert_entries(connection, fresh, stamp)
                    Store.insert_checkpoint(
                        connection, peer, self.party, outcome.checkpoint, outcome.checkpoint_note
                    )
                    Store.insert_cosignature(
                        connection, peer, self.party, outcome.checkpoint.size, outcome.cosignature
                    )
                    if outcome.sender_cosignature is not None:
                        # The peer's own "as of T my log had size N": non-answer proofs need it.
                        Store.insert_cosignature(
                            connection,
                            peer,
                            self.party,
                            outcome.checkpoint.size,
                            outcome.sender_cosignature,
                            keep=self._first_after_a_deadline(
                                connection, peer, self.party, outcome.sender_cosignature
                            ),
                        )
                    if isinstance(outcome, Accepted):
                        tree.insert_nodes(connection, peer, self.party, log.new_nodes(outcome))
                    # What we hold and cosign is delivered: the same two steps as on the
                    # sending side (the entries, then the receipt that covers them).
                    self.projector.entries(connection, fresh)
                    self.projector.receipt(
                        connection,
                        peer,
                        self.party,
                        range(log.size, outcome.checkpoint.size),
                        outcome.cosignature.timestamp,
                        backwards=backwards,
                    )
                if isinstance(outcome, Accepted):
                    log.apply(outcome)
                    log.tree_committed()
                if fresh:
                    # Only new entries change a fold: a heartbeat (or a resent batch) adds a
                    # cosignature, which views read live, so folds are not redone for it.
                    self.revision += 1
                self.link_health(peer).last_heard = now
            elif isinstance(outcome, Equivocation):
                evidence = outcome.evidence
                if evidence.seq is not None:
                    # Keep the held entry's bytes, not just its hash: the evidence then
                    # stands on its own for a third party holding only the cards.
                    (held,) = self.store.entries(peer, self.party, evidence.seq, 1)
                    evidence = replace(evidence, held=held.leaf)
                with self.store.write() as connection:
                    Store.insert_equivocation(connection, peer, self.party, evidence, stamp)
                self.link_health(peer).equivocation = outcome.evidence.reason
            return outcome

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
        verifier = self.peer(peer).card.cosignature_verifier()
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

    # --- views ---------------------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        now = self.clock()
        peers = []
        for party, pinned in sorted(self.peers().items()):
            with self.store.read() as connection:
                sent = Store.log_size(connection, self.party, party)
                received = Store.log_size(connection, party, self.party)
            delivered = self.delivered_size(party)
            last_receipt = self.store.latest_cosignature_time(self.party, party, party)
            health = self.health.get(party)
            desk = self.notices.desk(party)
            state = (
                health.state(now, self.config.heartbeat_seconds)
                if self.running and health is not None
                else ("down" if self.running else "node-not-running")
            )
            peers.append(
                {
                    "party": party,
                    "name": pinned.card.display_name(self.config.default_lang),
                    "url": pinned.url,
                    "fingerprint": pinned.card.fingerprint,
                    "link": state,
                    "sent": sent,
                    "delivered": delivered,
                    "pending": sent - delivered,
                    "received": received,
                    "last_receipt": None
                    if last_receipt is None
                    else format_time(datetime.fromtimestamp(last_receipt, UTC)),
                    "last_error": None if health is None else health.last_error,
                    "desk": desk,
                    "line": combined_line_state(state, desk["state"]),
                }
            )
        return {
            "party": self.party,
            "fingerprint": self.key.public_key.fingerprint(),
            "running": self.running,
            "time": format_time(now),
            "peers": peers,
            "overdue_acks": self.overdue_counts(now),
            "requests": self.request_counts(now),
            "alarms": [alarm.to_json() for alarm in self.alarms()],
            "equivocations": self.store.equivocations(),
            "equivocation_count": self.store.equivocation_count(),
        }

    def alarms(self) -> list[Alarm]:
        """Overdue obligations: as the watcher raised them, or as of now when not running."""
        if self.running:
            return self.watcher.alarms()
        return sorted(overdue(self, self.clock()), key=lambda alarm: alarm.due)

    def request_counts(self, now: datetime) -> dict[str, dict[str, int]]:
        """Requests by direction and state at ``now``, counted in the store."""
        counts: dict[str, dict[str, int]] = {"out": {}, "in": {}}
        with self.store.read() as connection:
            rows = folds.request_counts(connection, self.party, format_time(now))
        for direction, state, count in rows:
            counts[direction][state] = count
        return counts

    def overdue_counts(self, now: datetime) -> dict[str, int]:
        """Unacknowledged messages past their objective: ours to answer, and theirs."""
        with self.store.read() as connection:
            counts = folds.overdue_message_counts(connection, self.party, format_time(now))
        return {"ours": counts.get(True, 0), "theirs": counts.get(False, 0)}

    def message(self, message_id: str) -> dict[str, Any] | None:
        """A hotline message's row of the fold, with whether it is overdue now."""
        with self.store.read() as connection:
            rows = folds.message_rows(connection, [message_id])
        row = rows.get(message_id)
        return None if row is None else self._message_json(row, format_time(self.clock()))

    @staticmethod
    def _message_json(row: Any, now: str) -> dict[str, Any]:
        data = dict(row._mapping)
        data["overdue"] = (
            data["ack_id"] is None and data["ack_due"] is not None and (data["ack_due"] < now)
        )
        return data

    def log_page(
        self,
        peer: str,
        limit: int | None = None,
        before: str | None = None,
        after: str | None = None,
    ) -> Page[dict[str, Any]]:
        """Both directions of the transcript with ``peer``, a page at a time: the newest
        ``limit`` entries before the place ``before`` names (or the newest of all), or the
        oldest after ``after``; in time order either way. Reads two index ranges of at most
        ``limit`` rows and nothing else, however long the logs."""
        page = self.log_entries(peer, limit, before, after)
        return Page([row for row, _ in page.items], page.before, page.after)

    def log_entries(
        self,
        peer: str,
        limit: int | None = None,
        before: str | None = None,
        after: str | None = None,
    ) -> Page[tuple[dict[str, Any], Entry]]:
        """:meth:`log_page`, each row with its entry as read and checked."""
        self.peer(peer)
        count = page_size(limit)
        with self.store.read() as connection:
            with cursor_errors():
                page = transcript.page(
                    connection, self.party, peer, count, before=before, after=after
                )
            ids = [stored.id for stored in page.items if stored.kind == "hotline.message"]
            messages = folds.message_rows(connection, ids)
        delivered = self.delivered_size(peer)
        now = format_time(self.clock())
        rows: list[tuple[dict[str, Any], Entry]] = []
        for stored in page.items:
            entry = Entry.from_leaf(stored.leaf)
            outgoing = stored.sender == self.party
            row = messages.get(entry.id)
            view = None if row is None else self._message_json(row, now)
            rows.append(
                (
                    {
                        "direction": "out" if outgoing else "in",
                        "from": stored.sender,
                        "to": stored.recipient,
                        "seq": entry.seq,
                        "id": entry.id,
                        "time": entry.time,
                        "kind": entry.kind,
                        "body": dict(entry.body),
                        "refs": list(entry.refs),
                        "delivered": entry.seq < delivered if outgoing else True,
                        "acked_by": None if view is None else view["ack_id"],
                        "ack_due": None if view is None else view["ack_due"],
                        "overdue": False if view is None else view["overdue"],
                    },
                    entry,
                )
            )
        return Page(rows, page.before, page.after)

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
                self.all_cards(),
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
