"""What an entry's refs may point at: the rule every node's door applies to them.

A ref names an earlier entry of the same link by id; :func:`check_refs` holds an entry's
refs to what its kind may answer (``KindSpec.answers``). :mod:`openline.core.link` applies
it to every batch it accepts and re-exports these names.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from openline.core.entry import Entry
from openline.core.errors import EntryError
from openline.core.kinds import kind_spec


@dataclass(frozen=True, slots=True)
class RefTarget:
    """What a ref points at: enough to check that an answer answers the right thing."""

    kind: str
    sender: str
    recipient: str
    time: str

    @staticmethod
    def of(entry: Entry) -> RefTarget:
        return RefTarget(entry.kind, entry.sender, entry.recipient, entry.time)


RefLookup = Callable[[str], RefTarget | None]
"""Finds an entry of the transcript by id (an adapter over the store)."""


def check_refs(
    entry: Entry, lookup: RefLookup, batch: Mapping[str, RefTarget] | None = None
) -> None:
    """Check that an entry's refs point at entries of its link that its kind may answer.

    Every ref must name an entry of the same link, in either direction: a third party
    holding the transcript can then follow it. An answering kind (``KindSpec.answers``)
    may only ref entries of those kinds, dated no later than itself (an answer cannot
    precede its question, which is what lets a non-answer proof hide earlier traffic);
    with ``ref_scope="received"`` only those the counterpart sent to the entry's sender,
    as one answers only what one received. An ``author_only`` body (a withdrawal) may only
    ref the sender's own entries.

    Raises:
        EntryError: code ``unknown-ref`` or ``bad-ref``.
    """
    spec = kind_spec(entry.kind)
    parties = {entry.sender, entry.recipient}
    for ref in entry.refs:
        target = (batch or {}).get(ref) or lookup(ref)
        if target is None:
            raise EntryError(
                f"{entry.kind} seq {entry.seq} refs {ref[:16]}…, which is not in the transcript",
                code="unknown-ref",
            )
        if {target.sender, target.recipient} != parties:
            raise EntryError(
                f"{entry.kind} seq {entry.seq} refs an entry of another link",
                code="bad-ref",
            )
        if not spec.answers:
            continue
        if target.kind not in spec.answers:
            raise EntryError(
                f"{entry.kind} seq {entry.seq} may only answer {' or '.join(sorted(spec.answers))}",
                code="bad-ref",
            )
        if spec.ref_scope == "received" and target.sender != entry.recipient:
            raise EntryError(
                f"{entry.kind} seq {entry.seq} may only answer "
                f"{' or '.join(sorted(spec.answers))} sent by {entry.recipient}",
                code="bad-ref",
            )
        author_only = spec.author_only is not None and spec.author_only(entry.body)
        if author_only and target.sender != entry.sender:
            raise EntryError(
                f"{entry.kind} seq {entry.seq}: only {target.sender}, who sent the "
                "request, may withdraw it",
                code="bad-ref",
            )
        if entry.time < target.time:  # one fixed-width UTC form: string order is time order
            raise EntryError(
                f"{entry.kind} seq {entry.seq} is dated {entry.time}, before the entry it "
                f"answers ({target.time})",
                code="bad-ref",
            )
