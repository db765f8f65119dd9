"""An entry as a person reads it, in their language: the node gathers what it knows of the
entry (direction, state, delivery, deadline, lead time, pinned catalogues, party names) and
hands it to ``openline.i18n.render``. The CLI's ``render`` and the console use this one path.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from openline.core.entry import Entry
from openline.core.kinds import Kind
from openline.core.timefmt import format_time
from openline.i18n import LanguageError, check_language
from openline.i18n.render import Facts, render_entry
from openline.node import reads
from openline.node.errors import CommandError
from openline.node.projections import notice_from_row, request_from_row
from openline.store import projection as folds

if TYPE_CHECKING:
    from openline.node.app import Node


def reader_language(node: Node, lang: str | None) -> str:
    """``lang`` if given, else the node's default; refused unless the node renders it."""
    try:
        return check_language(lang or node.config.default_lang)
    except LanguageError as error:
        raise CommandError(str(error), code="unsupported-language", status=422) from error


def facts_for(node: Node, entry: Entry, lang: str) -> Facts:
    """What the node knows of ``entry`` beyond its signed bytes."""
    (facts,) = facts_for_page(node, [entry], lang)
    return facts


def facts_for_page(node: Node, entries: Sequence[Entry], lang: str) -> list[Facts]:
    """:func:`facts_for` of a page of entries: the names and catalogues once, and one
    query per fold table for the whole page (a transcript page shows 200 entries)."""
    now = node.clock()
    stamp = format_time(now)
    names = {party: peer.card.display_name(lang) for party, peer in node.peers.pinned().items()}
    names[node.party] = node.peers.card().display_name(lang)
    catalogues = node.catalogues.pinned()
    ids = [entry.id for entry in entries]
    with node.store.read() as connection:
        notices = folds.notice_rows(connection, ids)
        requests = folds.request_rows(connection, ids)
        messages = folds.message_rows(
            connection, [entry.id for entry in entries if entry.kind == Kind.HOTLINE_MESSAGE]
        )
    shown = []
    for entry in entries:
        common: dict[str, Any] = {
            "direction": "out" if entry.sender == node.party else "in",
            "catalogues": catalogues,
            "names": names,
        }
        if entry.id in notices:
            notice = notice_from_row(notices[entry.id])
            shown.append(
                Facts(
                    **common,
                    state=notice.state(now),
                    delivered_at=notice.delivered_at,
                    due=notice.due,
                    answered_at=notice.answered_at,
                    lead_time_seconds=notice.lead_time_seconds,
                    late_notice=notice.late_notice,
                )
            )
        elif entry.id in requests:
            request = request_from_row(requests[entry.id]).at(now)
            shown.append(
                Facts(
                    **common,
                    state=request.state,
                    delivered_at=request.delivered_at,
                    due=request.due,
                    answered_at=request.answered_at,
                )
            )
        elif entry.id in messages:
            message = reads.message_json(messages[entry.id], stamp)
            shown.append(
                Facts(
                    **common,
                    delivered_at=message["delivered_at"],
                    due=message["ack_due"],
                    answered_at=message["ack_time"],
                )
            )
        else:
            shown.append(Facts(**common))
    return shown


def render_entry_for(node: Node, entry_id: str, lang: str | None) -> dict[str, Any]:
    """The entry ``entry_id`` rendered for a reader of ``lang`` (the node's default if None)."""
    reader = reader_language(node, lang)
    stored = node.store.entry_by_id(entry_id)
    if stored is None:
        raise CommandError(f"no entry {entry_id}", code="unknown-entry", status=404)
    return render_parsed(node, Entry.from_leaf(stored.leaf), reader)


def render_parsed(node: Node, entry: Entry, reader: str) -> dict[str, Any]:
    """An entry already read and checked, rendered for a reader of ``reader``."""
    (shown,) = render_page(node, [entry], reader)
    return shown


def render_page(node: Node, entries: Sequence[Entry], reader: str) -> list[dict[str, Any]]:
    """:func:`render_parsed` of a page of entries, their facts read together."""
    shown = []
    for entry, facts in zip(entries, facts_for_page(node, entries, reader), strict=True):
        rendered = render_entry(entry, reader, facts)
        shown.append(
            {
                "id": entry.id,
                "kind": entry.kind,
                "from": entry.sender,
                "to": entry.recipient,
                "seq": entry.seq,
                "time": entry.time,
                "rendered": rendered.to_json(),
                "text": rendered.to_text(),
            }
        )
    return shown
