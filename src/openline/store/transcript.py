"""The transcript of one link, read a page at a time.

A link has two logs, each ordered by seq. A page merges the two by signed time (then
direction, then seq), newest first or oldest first. Its place is a pair of positions, one
per log: ``(ours, theirs)`` means "entries of our log below seq ``ours`` and of theirs
below ``theirs`` lie before this place". A merge compares only the heads of the two logs'
ranges, so it always takes a run of each: a page is two index ranges of at most ``limit``
rows, and the positions after it are exact: pages neither overlap nor skip, however many
entries are appended meanwhile (they land after every place already handed out).
"""

from __future__ import annotations

from sqlalchemy import Connection, func, select

from openline.core.paging import Page, decode_cursor, encode_cursor
from openline.store import schema
from openline.store.database import StoredEntry, _stored_entry

_SHAPE = (int, int)


def _place(name: str, cursor: str) -> tuple[int, int]:
    ours, theirs = decode_cursor(name, cursor, _SHAPE)
    return int(ours), int(theirs)


def list_name(peer: str) -> str:
    return f"log:{peer}"


def _key(stored: StoredEntry, party: str) -> tuple[str, str, int]:
    # The order `openline log` has always shown: time, then "in" before "out", then seq.
    return (stored.time, "out" if stored.sender == party else "in", stored.seq)


def _merge(
    first: list[StoredEntry], second: list[StoredEntry], party: str, limit: int, newest: bool
) -> list[StoredEntry]:
    """Take ``limit`` entries from the heads of two runs, each in log order away from the
    place, by comparing heads only: what is taken is a run of each log, even where an
    entry's signed time is earlier than its predecessor's (a clock that stepped back)."""
    taken: list[StoredEntry] = []
    a = b = 0
    while len(taken) < limit and (a < len(first) or b < len(second)):
        if b >= len(second):
            pick_first = True
        elif a >= len(first):
            pick_first = False
        else:
            ka, kb = _key(first[a], party), _key(second[b], party)
            pick_first = ka > kb if newest else ka < kb
        if pick_first:
            taken.append(first[a])
            a += 1
        else:
            taken.append(second[b])
            b += 1
    return taken


def _size(connection: Connection, sender: str, recipient: str) -> int:
    table = schema.entries
    value = connection.execute(
        select(func.max(table.c.seq)).where(
            table.c.log_sender == sender, table.c.log_recipient == recipient
        )
    ).scalar()
    return 0 if value is None else int(value) + 1


def _run(
    connection: Connection,
    sender: str,
    recipient: str,
    *,
    below: int | None = None,
    from_seq: int | None = None,
    limit: int,
) -> list[StoredEntry]:
    table = schema.entries
    query = select(table).where(table.c.log_sender == sender, table.c.log_recipient == recipient)
    if below is not None:
        query = query.where(table.c.seq < below).order_by(table.c.seq.desc())
    else:
        assert from_seq is not None
        query = query.where(table.c.seq >= from_seq).order_by(table.c.seq)
    return [_stored_entry(row) for row in connection.execute(query.limit(limit))]


def page(
    connection: Connection,
    party: str,
    peer: str,
    limit: int,
    *,
    before: str | None = None,
    after: str | None = None,
) -> Page[StoredEntry]:
    """A page of the link's transcript, in time order (oldest first).

    Without a cursor: the newest ``limit`` entries. ``before``: the newest ``limit`` entries
    before that place. ``after``: the oldest ``limit`` entries after it. The page's
    ``before`` cursor names its low end (None when nothing is older), ``after`` its high end
    (always given, so a caller can wait for newer entries from there).

    Raises:
        CursorError: a cursor that is not a place in this link's transcript.
    """
    name = list_name(peer)
    if after is not None:
        ours, theirs = _place(name, after)
        mine = _run(connection, party, peer, from_seq=ours, limit=limit)
        other = _run(connection, peer, party, from_seq=theirs, limit=limit)
        merged = _merge(mine, other, party, limit, newest=False)
        low = (ours, theirs)
        high = (
            max([ours, *(s.seq + 1 for s in merged if s.sender == party)]),
            max([theirs, *(s.seq + 1 for s in merged if s.sender != party)]),
        )
    else:
        if before is not None:
            ours, theirs = _place(name, before)
        else:
            ours, theirs = _size(connection, party, peer), _size(connection, peer, party)
        mine = _run(connection, party, peer, below=ours, limit=limit)
        other = _run(connection, peer, party, below=theirs, limit=limit)
        merged = _merge(mine, other, party, limit, newest=True)
        merged.reverse()
        high = (ours, theirs)
        low = (
            min([ours, *(s.seq for s in merged if s.sender == party)]),
            min([theirs, *(s.seq for s in merged if s.sender != party)]),
        )
    return Page(
        items=merged,
        before=encode_cursor(name, low) if low != (0, 0) else None,
        after=encode_cursor(name, high),
    )
