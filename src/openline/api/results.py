"""What the API answers for the entries a command signed: one shape, built in one place."""

from __future__ import annotations

from typing import Any

from openline.core.entry import Entry


def entry_summary(entry: Entry) -> dict[str, Any]:
    return {"id": entry.id, "to": entry.recipient, "seq": entry.seq, "kind": entry.kind}


def entries_result(entries: list[Entry]) -> dict[str, Any]:
    return {"entries": [entry_summary(entry) for entry in entries]}
