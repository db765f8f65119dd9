"""What the API answers for the entries a command signed: one shape, built in one place.

The shapes are typed (and so in the OpenAPI schema), and built from the entries alone, so a
retried request with the same Idempotency-Key answers the same.
"""

from __future__ import annotations

from typing_extensions import TypedDict  # pydantic reads only this one before 3.12

from openline.core.entry import Entry


class EntrySummary(TypedDict):
    """One signed entry: its id, the party it is to, its place in that log, its kind."""

    id: str
    to: str
    seq: int
    kind: str


class EntriesResult(TypedDict):
    entries: list[EntrySummary]


def entry_summary(entry: Entry) -> EntrySummary:
    return {"id": entry.id, "to": entry.recipient, "seq": entry.seq, "kind": entry.kind}


def entries_result(entries: list[Entry]) -> EntriesResult:
    return {"entries": [entry_summary(entry) for entry in entries]}
