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
    """For each log of the link, the checkpoint its verified mark proves: "proven up to
    checkpoint N at T" (size 0 and no time while the log has no verified checkpoint)."""
    from openline.node.verify import proven_marks

    marks = proven_marks(node.store, node.peers.all_cards(), node.key)
    proven = []
    for sender, recipient in ((node.party, counterpart), (counterpart, node.party)):
        mark = marks.get((sender, recipient))
        size = None if mark is None else mark.checkpoint_size
        at = None if mark is None else mark.checkpoint_time
        proven.append(
            ProvenUpTo(
                log=f"{sender}→{recipient}",
                size=size or 0,
                time=None if at is None else format_time(datetime.fromtimestamp(at, UTC)),
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
    node: Node,
    counterpart: str,
    since: datetime | None = None,
    until: datetime | None = None,
    *,
    verify: bool = True,
) -> Report:
    """The accountability report with ``counterpart``, from a transcript that verifies.

    ``verify`` first checks what was stored since the last verify (never the whole store:
    the marks say how far it is proven); without it, as on a page load, the report rests
    on the marks and on how the last verify ended."""
    from openline.node.verify import last_verify

    node.peers.peer(counterpart)
    if since is not None and until is not None and until <= since:
        raise CommandError("--until must be after --since", code="invalid-period", status=422)
    problem: str | None = None
    if verify:
        checked = node.verify(scrub_budget=0)
        assert checked is not None  # waited for its turn
        problem = None if checked.ok else checked.problems[0]
    else:
        last = last_verify(node.store)
        problem = None if last is None or last.get("ok") else str(last.get("problem"))
    if problem is not None:
        raise CommandError(
            f"the transcript does not verify ({problem}): no report is made from it",
            code="transcript-unverified",
            status=409,
        )
    now = node.clock()
    names = {
        party: card.display_name(node.config.default_lang)
        for party, card in node.peers.all_cards().items()
    }
    return build_report(
        node.contacts.of_link(counterpart, since, until, now),
        party=node.party,
        counterpart=counterpart,
        since=since,
        until=until,
        now=now,
        proven=proven_up_to(node, counterpart),
        verified=True,
        party_names=names,
    )
