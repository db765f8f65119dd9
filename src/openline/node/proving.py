"""Gather from the store what a proof needs, and let the core assemble it.

The core (``openline.core.proofs``) decides what a proof is and how it is checked; this
module only finds the pieces: an entry's leaf, its inclusion proof, the checkpoint note of
the right size with the right cosignature line, the counterpart's self-timed checkpoints,
and the entries between them. Every proof is checked with the same checker a third party
uses before it is handed out, so the node never issues a proof that would not verify.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from openline.core import proofs
from openline.core.card import Card
from openline.core.cosignature import Cosignature
from openline.core.entry import Entry
from openline.core.errors import OpenlineError
from openline.core.kinds import Kind
from openline.core.note import Note, add_signatures
from openline.core.obligations import (
    PROVABLE_DEADLINES,
    deadline,
    expects_answer,
    is_answer_to,
)
from openline.core.requests import REQUEST_KINDS
from openline.core.timefmt import format_time, parse_time
from openline.node import reads
from openline.node.errors import CommandError
from openline.store import Store
from openline.store.database import StoredCosignature
from openline.store.tree import open_tree

if TYPE_CHECKING:
    from openline.node.app import Node

CLAIMS = ("delivery", "answer", "unanswered")


def _cannot(message: str, code: str) -> CommandError:
    return CommandError(message, code=code, status=409)


class Prover:
    def __init__(self, node: Node) -> None:
        self.node = node
        self.cards = node.peers.all_cards()

    # --- pieces --------------------------------------------------------------------------

    def _entry(self, entry_id: str) -> Entry:
        stored = self.node.store.entry_by_id(entry_id)
        if stored is None:
            raise CommandError(f"no entry {entry_id}", code="unknown-entry", status=404)
        return Entry.from_leaf(stored.leaf)

    def _owner_note(self, sender: str, recipient: str, size: int) -> bytes:
        """The stored checkpoint of that size, with only its owner's signature line."""
        stored = self.node.store.checkpoint_note(sender, recipient, size)
        if stored is None:
            raise _cannot(f"no checkpoint of {sender}→{recipient} at size {size}", "no-checkpoint")
        note = Note.from_bytes(stored)
        verifier = self.cards[sender].note_verifier()
        own = tuple(sig for sig in note.signatures if verifier.matches(sig))
        return Note(text=note.text, signatures=own).to_bytes()

    def _with(self, sender: str, recipient: str, cosigned: StoredCosignature) -> bytes:
        line = Cosignature.from_line(cosigned.line)
        # Evidence a proof was built on stays, whatever heartbeats come after it: the same
        # proof can be made again, byte for byte.
        with self.node.store.write() as connection:
            Store.keep_cosignature(
                connection, sender, recipient, cosigned.size, cosigned.cosigner, cosigned.timestamp
            )
        return add_signatures(
            self._owner_note(sender, recipient, cosigned.size), [line.to_note_signature()]
        )

    def _included(self, entry: Entry, cosigned: StoredCosignature) -> proofs.IncludedEntry:
        tree = open_tree(self.node.store, entry.sender, entry.recipient)
        return proofs.IncludedEntry(
            leaf=entry.leaf,
            index=entry.seq,
            inclusion=tree.inclusion_proof(entry.seq, cosigned.size),
            checkpoint_note=self._with(entry.sender, entry.recipient, cosigned),
        )

    def _first_receipt(self, entry: Entry) -> StoredCosignature | None:
        """The recipient's earliest cosignature covering the entry: its delivery receipt.
        The folds know when it was (the earliest receipt covering it, whatever order the
        receipts came in); for other kinds, the receipt of the smallest covering size."""
        store = self.node.store
        delivered = self._delivered_at(entry)
        if delivered is not None:
            found = store.first_cosigned(
                entry.sender,
                entry.recipient,
                entry.recipient,
                above_size=entry.seq,
                at=int(parse_time(delivered).timestamp()),
            )
            if found is not None:
                return found
        return store.first_cosigned(
            entry.sender, entry.recipient, entry.recipient, above_size=entry.seq
        )

    def _delivered_at(self, entry: Entry) -> str | None:
        if entry.kind == Kind.HOTLINE_MESSAGE:
            message = reads.message(self.node, entry.id)
            return None if message is None else message["delivered_at"]
        if entry.kind in REQUEST_KINDS:
            request = self.node.contacts.find(entry.id)
            return None if request is None else request.delivered_at
        notice = self.node.notices.find(entry.id)
        return None if notice is None else notice.delivered_at

    def _delivered(self, entry: Entry) -> tuple[proofs.IncludedEntry, datetime]:
        receipt = self._first_receipt(entry)
        if receipt is None:
            raise _cannot(
                f"{entry.recipient} has not yet cosigned a checkpoint covering this entry: "
                "it is not proven delivered",
                "not-delivered",
            )
        return self._included(entry, receipt), datetime.fromtimestamp(receipt.timestamp, UTC)

    # --- claims --------------------------------------------------------------------------

    def delivery(self, entry_id: str) -> bytes:
        included, _ = self._delivered(self._entry(entry_id))
        return proofs.delivery_proof(included)

    def answer(self, entry_id: str) -> bytes:
        """``entry_id`` names the request or its answer."""
        entry = self._entry(entry_id)
        if expects_answer(entry):  # a request or a hotline message: find its answer
            request = entry
            answer_id = self._first_answer_id(request)
            if answer_id is None:
                raise _cannot(f"the {request.kind} has no answer to prove", "unanswered")
            answer = self._entry(answer_id)
        else:
            answer = entry
            if not answer.refs:
                raise _cannot("that entry answers nothing", "not-an-answer")
            request = self._entry(answer.refs[0])
            if not is_answer_to(answer, request):
                raise _cannot("that entry does not answer a request", "not-an-answer")
        included_request, _ = self._delivered(request)
        receipt = self._first_receipt(answer)
        if receipt is None:
            # Not yet receipted by the requester: the answerer's own timed checkpoint still
            # shows the answer was in its log.
            receipt = self.node.store.first_cosigned(
                answer.sender, answer.recipient, answer.sender, above_size=answer.seq
            )
        if receipt is None:
            raise _cannot("the answer is in no checkpoint yet", "not-checkpointed")
        return proofs.answer_proof(included_request, self._included(answer, receipt))

    def _first_answer_id(self, request: Entry) -> str | None:
        if request.kind == Kind.HOTLINE_MESSAGE:  # its acknowledgement, from the message fold
            message = reads.message(self.node, request.id)
            return None if message is None else message["ack_id"]
        if request.kind not in REQUEST_KINDS:  # a notification or desk check: first answer
            notice = self.node.notices.find(request.id)
            return None if notice is None else notice.answer_id
        view = self.node.contacts.view(request.id)
        for step in view.history:
            if step.applied and step.entry_id is not None and step.event != "read":
                candidate = self._entry(step.entry_id)
                if is_answer_to(candidate, request):
                    return candidate.id
        return None

    def _not_withdrawn_by(self, request: Entry, due: datetime) -> None:
        """A request its sender withdrew before the deadline was owed no answer. The proof
        would not show the withdrawal (it discloses nothing of the sender's later log), so
        the node refuses to make one rather than hand out a misleading non-answer."""
        view = self.node.contacts.view(request.id)
        for step in view.history:
            if step.applied and step.event == "withdraw" and parse_time(step.time) <= due:
                raise _cannot(
                    f"{request.sender} withdrew the request at {step.time}, before its deadline "
                    f"{format_time(due)}: no answer was owed",
                    "withdrawn",
                )

    def unanswered(self, entry_id: str) -> bytes:
        request = self._entry(entry_id)
        if request.kind not in PROVABLE_DEADLINES:
            raise _cannot(
                f"a {request.kind} has no deadline a third party can check", "no-provable-deadline"
            )
        included, delivered = self._delivered(request)
        due = deadline(request, delivered)
        assert due is not None
        if delivered > due:
            raise _cannot(
                f"delivered {format_time(delivered)}, after its deadline {format_time(due)}: "
                "the counterpart cannot be held to it",
                "delivered-late",
            )
        if request.kind == Kind.CONTACT_REQUEST:  # only a contact request can be withdrawn
            self._not_withdrawn_by(request, due)
        them, us = request.recipient, request.sender
        store = self.node.store
        earliest = proofs.earliest_final_timestamp(request, delivered)
        final = store.first_cosigned(them, us, them, at_least=earliest)
        if final is None:
            last = store.latest_cosignature_time(them, us, them)
            seen = "never" if last is None else format_time(datetime.fromtimestamp(last, UTC))
            raise _cannot(
                f"no checkpoint of {them}'s log timed after the deadline {format_time(due)} "
                f"(latest: {seen}); it becomes provable once {them} is heard from again",
                "not-provable-yet",
            )
        latest = proofs.latest_prefix_timestamp(request)
        prefix = store.last_cosigned_before(them, us, them, at_most=latest, max_size=final.size)
        if prefix is not None and prefix.size == 0:
            prefix = None  # an empty prefix hides nothing and needs no checkpoint
        start = 0 if prefix is None else prefix.size
        stored = self.node.store.entries(them, us, start, final.size - start)
        suffix = [row.leaf for row in stored]
        for leaf in suffix:
            candidate = Entry.from_leaf(leaf)
            if is_answer_to(candidate, request):
                raise _cannot(
                    f"{them} answered it (entry {candidate.id}) before the checkpoint of "
                    f"{format_time(datetime.fromtimestamp(final.timestamp, UTC))}; "
                    "prove answer instead",
                    "answered",
                )
        tree = open_tree(self.node.store, them, us)
        return proofs.unanswered_proof(
            included,
            prefix_note=None if prefix is None else self._with(them, us, prefix),
            prefix_range=tree.compact_range(start),
            suffix_leaves=suffix,
            final_note=self._with(them, us, final),
        )

    def prove(self, claim: str, entry_id: str) -> bytes:
        if claim not in CLAIMS:
            raise CommandError(
                f"claim must be one of {', '.join(CLAIMS)}", code="invalid-claim", status=422
            )
        data = {"delivery": self.delivery, "answer": self.answer, "unanswered": self.unanswered}[
            claim
        ](entry_id)
        check(data, list(self.cards.values()))  # never hand out a proof that does not verify
        return data


def check(data: bytes, cards: Sequence[Card]) -> proofs.ProofVerdict:
    try:
        return proofs.check_proof(data, cards)
    except OpenlineError as error:
        raise CommandError(
            f"proof does not verify: {error}", code="bad-proof", status=500
        ) from error
