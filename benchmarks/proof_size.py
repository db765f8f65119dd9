"""Proof sizes: how many bytes a delivery, answer or non-answer proof takes.

Builds two logs in memory with the core only (no node, no store): ``us-dod`` (S) writes
``--entries`` hotline messages to ``prc-mnd`` (R) and then a contact request Q; R has
written ``--entries`` messages to S before Q (the hidden prefix, self-cosigned before Q)
and writes 0, 10, 100 or 1000 more after Q's delivery. Prints the size of each proof and
how long :func:`openline.core.proofs.check_proof` takes on it::

    .venv/bin/python benchmarks/proof_size.py [--entries 10000] [--text-length 120]

Figures are recorded in docs/proofs.md.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from openline.core.card import make_card, party_cosigner
from openline.core.checkpoint import Checkpoint
from openline.core.cosignature import cosign
from openline.core.entry import Entry
from openline.core.keys import PrivateKey
from openline.core.link import OutgoingLog
from openline.core.note import Note, add_signatures
from openline.core.proofs import (
    IncludedEntry,
    answer_proof,
    check_proof,
    delivery_proof,
    unanswered_proof,
)
from openline.core.timefmt import format_time

US, PRC = "us-dod", "prc-mnd"
US_KEY = PrivateKey.from_seed(bytes([1]) * 32)
PRC_KEY = PrivateKey.from_seed(bytes([2]) * 32)
CARDS = [
    make_card(party=party, names={"en": party}, urls=[], created="2026-01-01T00:00:00.000Z", key=k)
    for party, k in ((US, US_KEY), (PRC, PRC_KEY))
]
START = datetime(2026, 11, 29, 0, 0, tzinfo=UTC)
REQUEST_AT = START + timedelta(hours=10)
DELIVERED_AT = REQUEST_AT + timedelta(seconds=3)
RESPOND_BY = START + timedelta(days=1, hours=12)
SUFFIXES = (0, 10, 100, 1000)


def stamp(moment: datetime) -> int:
    return int(moment.timestamp())


def write_messages(log: OutgoingLog, count: int, first: datetime, text_length: int) -> list[bytes]:
    """Append ``count`` hotline messages of ``text_length`` characters, 1 ms apart."""
    leaves = []
    for index in range(count):
        text = (f"Routine traffic {log.size:06d}. " + "x" * text_length)[:text_length]
        body = {"text": text, "lang": "en", "precedence": "routine"}
        moment = format_time(first + timedelta(milliseconds=index))
        entry = log.next_entry(time=moment, kind="hotline.message", body=body)
        log.append(entry)
        leaves.append(entry.leaf)
    return leaves


def cosigned(log: OutgoingLog, size: int, cosigner: str, key: PrivateKey, at: datetime) -> bytes:
    """The log owner's checkpoint at ``size`` with ``cosigner``'s cosignature at ``at``."""
    checkpoint, note = log.sign_checkpoint(size)
    cosignature = cosign(checkpoint, party_cosigner(cosigner, key), stamp(at))
    return add_signatures(note, [cosignature.to_note_signature()])


def included(log: OutgoingLog, entry: Entry, note: bytes) -> IncludedEntry:
    size = Checkpoint.from_text(Note.from_bytes(note).text).size
    proof = log.tree.inclusion_proof(entry.seq, size)
    return IncludedEntry(leaf=entry.leaf, index=entry.seq, inclusion=proof, checkpoint_note=note)


def measure(label: str, data: bytes, rows: list[tuple[str, int, float]]) -> None:
    started = time.perf_counter()
    check_proof(data, CARDS)
    rows.append((label, len(data), (time.perf_counter() - started) * 1000))


def run(entries: int, text_length: int) -> list[tuple[str, int, float]]:
    requests = OutgoingLog(sender=US, recipient=PRC, key=US_KEY)
    answers = OutgoingLog(sender=PRC, recipient=US, key=PRC_KEY)
    write_messages(requests, entries, START, text_length)
    write_messages(answers, entries, START, text_length)
    request = requests.next_entry(
        time=format_time(REQUEST_AT),
        kind="contact.request",
        body={
            "format": "phone-call",
            "level": "minister",
            "from_official": {"name": "A. Example", "title": "Secretary of Defense"},
            "to_official": {"name": "B. Example", "title": "Minister of National Defense"},
            "subject": "Incident at sea on 28 November",
            "slots": [{"start": "2026-12-01T14:00:00.000Z", "end": "2026-12-01T14:30:00.000Z"}],
            "respond_by": format_time(RESPOND_BY),
            "precedence": "priority",
            "lang": "en",
            "officer": "Lt Cdr Smith",
        },
    )
    requests.append(request)
    receipt = cosigned(requests, requests.size, PRC, PRC_KEY, DELIVERED_AT)
    delivered = included(requests, request, receipt)
    prefix_note = cosigned(answers, entries, PRC, PRC_KEY, REQUEST_AT - timedelta(minutes=30))
    prefix_range = answers.tree.compact_range(entries)

    rows: list[tuple[str, int, float]] = []
    measure("delivery", delivery_proof(delivered), rows)

    leaves: list[bytes] = []
    after = DELIVERED_AT + timedelta(minutes=1)
    for count in SUFFIXES:
        leaves += write_messages(answers, count - len(leaves), after, text_length)
        final = cosigned(answers, entries + count, PRC, PRC_KEY, RESPOND_BY + timedelta(hours=1))
        data = unanswered_proof(
            delivered,
            prefix_note=prefix_note,
            prefix_range=prefix_range,
            suffix_leaves=leaves[:count],
            final_note=final,
        )
        measure(f"unanswered, {entries} hidden + {count} disclosed", data, rows)

    answer = answers.next_entry(
        time=format_time(DELIVERED_AT + timedelta(hours=2)),
        kind="contact.response",
        body={"answer": "decline", "reason": "Not this week.", "officer": "Col Li", "lang": "en"},
        refs=[request.id],
    )
    answers.append(answer)
    answer_receipt = cosigned(answers, answers.size, US, US_KEY, DELIVERED_AT + timedelta(hours=3))
    data = answer_proof(delivered, included(answers, answer, answer_receipt))
    measure(f"answer (at seq {answer.seq} of {answers.size})", data, rows)
    return rows


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=10_000, help="entries before the request")
    parser.add_argument("--text-length", type=int, default=120, help="characters per message")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    rows = run(args.entries, args.text_length)
    print(
        f"two logs of {args.entries} entries each, built in {time.perf_counter() - started:.1f} s"
    )
    print(f"{'proof':<44} {'bytes':>9} {'check ms':>9}")
    for label, size, millis in rows:
        print(f"{label:<44} {size:>9,} {millis:>9.1f}")


if __name__ == "__main__":
    main()
