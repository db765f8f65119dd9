"""The accountability report of one node about one counterpart.

The figures come from the request fold, and only after ``verify`` has accepted every log,
signature and cosignature of the store: a report must never rest on a transcript that
does not check. It names, for each direction, the cosigned checkpoint it is proven up to.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from openline.core.timefmt import format_time
from openline.node.errors import CommandError
from openline.node.verify import verify_store
from openline.report import (
    ProvenUpTo,
    Report,
    build_report,
    render_html,
    render_json,
    render_markdown,
)

if TYPE_CHECKING:
    from openline.node.app import Node

MEDIA_TYPES = {
    "md": "text/markdown; charset=utf-8",
    "json": "application/json",
    "html": "text/html; charset=utf-8",
}
RENDERERS = {"md": render_markdown, "json": render_json, "html": render_html}


def proven_up_to(node: Node, counterpart: str) -> list[ProvenUpTo]:
    """For each log of the link, the largest checkpoint its recipient has cosigned."""
    proven = []
    for sender, recipient in ((node.party, counterpart), (counterpart, node.party)):
        receipts = node.store.cosignatures(sender, recipient, recipient)
        last = max(receipts, key=lambda c: (c.size, c.timestamp), default=None)
        proven.append(
            ProvenUpTo(
                log=f"{sender}→{recipient}",
                size=0 if last is None else last.size,
                time=None
                if last is None
                else format_time(datetime.fromtimestamp(last.timestamp, UTC)),
            )
        )
    return proven


def make_report(
    node: Node,
    counterpart: str,
    since: datetime | None,
    until: datetime | None,
    output: str,
) -> str:
    if output not in RENDERERS:
        raise CommandError("format must be md, json or html", code="invalid-format", status=422)
    return RENDERERS[output](report_for(node, counterpart, since, until))


def report_for(
    node: Node, counterpart: str, since: datetime | None = None, until: datetime | None = None
) -> Report:
    """The accountability report with ``counterpart``, from a transcript that verifies."""
    node.peer(counterpart)
    if since is not None and until is not None and until <= since:
        raise CommandError("--until must be after --since", code="invalid-period", status=422)
    checked = verify_store(node.store, node.all_cards())
    if not checked.ok:
        raise CommandError(
            f"the transcript does not verify ({checked.problems[0]}): no report is made from it",
            code="transcript-unverified",
            status=409,
        )
    now = node.clock()
    names = {
        party: card.display_name(node.config.default_lang)
        for party, card in node.all_cards().items()
    }
    return build_report(
        list(node.contacts.views(now).values()),
        party=node.party,
        counterpart=counterpart,
        since=since,
        until=until,
        now=now,
        proven=proven_up_to(node, counterpart),
        verified=True,
        party_names=names,
    )
