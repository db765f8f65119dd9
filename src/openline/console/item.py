"""One item of traffic in full: what the floor lists in a line, on a page of its own.

The whole text, rendered in the reader's language (labels for codes, times in their locale,
the activity's forces and late-notice flag), what it refers to and what answered it as
links, and the proofs the node can make of it now.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from openline.console.views import floor_items
from openline.core.entry import Entry
from openline.core.kinds import PROVABLE_DEADLINES, Kind
from openline.core.requests import REQUEST_KINDS
from openline.node import reads
from openline.node.app import Node
from openline.node.errors import CommandError
from openline.node.rendering import reader_language, render_parsed


@dataclass(frozen=True, slots=True)
class ItemPage:
    entry: Entry
    direction: str  # in | out
    counterpart: str
    rendered: dict[str, Any]
    refs: list[dict[str, Any]]  # what it refers to: id, and its kind when this node holds it
    answer_id: str | None  # what answered it (an acknowledgement, a desk answer)
    request_page: bool  # a request: its history and answers are on the request's page
    state: str | None
    deadline: str | None
    ackable: bool
    claims: list[str]  # the proofs that can be exported now


def item_page(node: Node, entry_id: str, lang: str) -> ItemPage:
    """The page of entry ``entry_id``, for a reader of ``lang`` (404 for an unknown id)."""
    stored = node.store.entry_by_id(entry_id)
    if stored is None:
        raise CommandError(f"no entry {entry_id}", code="unknown-entry", status=404)
    entry = Entry.from_leaf(stored.leaf)
    incoming = entry.recipient == node.party
    rendered = render_parsed(node, entry, reader_language(node, lang))
    refs = []
    for ref in entry.refs:
        target = node.store.ref_target(ref)
        refs.append({"id": ref, "kind": None if target is None else target.kind})
    delivered_at, answer_id = _delivery_and_answer(node, entry)
    item = floor_items(node, [entry.id]).get(entry.id)
    request = entry.kind in REQUEST_KINDS
    claims = []  # a request's proofs are on its own page, with its history
    if not request and delivered_at is not None:
        claims.append("delivery")
    if not request and answer_id is not None:
        claims.append("answer")
    overdue = item is not None and item.overdue
    unanswered = answer_id is None and overdue
    if not request and entry.kind in PROVABLE_DEADLINES and not incoming and unanswered:
        claims.append("unanswered")
    return ItemPage(
        entry=entry,
        direction="in" if incoming else "out",
        counterpart=entry.sender if incoming else entry.recipient,
        rendered=rendered["rendered"],
        refs=refs,
        answer_id=answer_id,
        request_page=request,
        state=None if item is None else item.state,
        deadline=None if item is None else item.deadline,
        ackable=item is not None and item.ackable,
        claims=claims,
    )


def _delivery_and_answer(node: Node, entry: Entry) -> tuple[str | None, str | None]:
    """When the entry was cosigned as delivered, and the entry that answered it (a request's
    answers are on its own page: None for one)."""
    if entry.kind == Kind.HOTLINE_MESSAGE:
        message = reads.message(node, entry.id)
        return (None, None) if message is None else (message["delivered_at"], message["ack_id"])
    notice = node.notices.find(entry.id)
    if notice is not None:
        return notice.delivered_at, notice.answer_id
    return None, None
