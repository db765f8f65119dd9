"""A counterpart's page: its card, the link, its desk's record and the accountability
report of the requests issue, drawn with the report's own charts."""

from __future__ import annotations

import hashlib
import threading
from datetime import timedelta
from typing import Any

import orjson

from openline.node import reads
from openline.node.app import Node
from openline.node.errors import CommandError
from openline.node.reporting import report_for
from openline.report import charts
from openline.report.data import report_to_dict

# Charts take matplotlib tens of milliseconds each: keep the last ones per counterpart while
# the figures they draw are the same, within the hour (the timeline marks "now"). Hotline
# traffic changes no figure, so a busy line does not redraw them on every page load.
_charts: dict[tuple[str, str, str], tuple[str, list[dict[str, str]]]] = {}
_charts_lock = threading.Lock()

# The response-times table shows the latest requests: the figures and charts above it cover
# the whole period, the requests board lists every request.
RESPONSE_TIMES_SHOWN = 50

# The report's period: the page opens on the last quarter, what a desk asks of a counterpart
# ("how has it answered lately"), and costs what that quarter holds; the whole record is one
# click away, and is what openline report gives without --since.
PERIODS: dict[str, int | None] = {"30d": 30, "90d": 90, "365d": 365, "all": None}
DEFAULT_PERIOD = "90d"


def counterpart_page(
    node: Node, party: str, lang: str, period: str = DEFAULT_PERIOD
) -> dict[str, Any]:
    pinned = node.peers.peer(party)  # 404 unknown-peer
    if period not in PERIODS:
        raise CommandError(
            f"period must be one of {', '.join(PERIODS)}", code="invalid-period", status=400
        )
    now = node.clock()
    days = PERIODS[period]
    since = None if days is None else now - timedelta(days=days)
    status = reads.peer_status(node, party, now)
    checks = list(node.notices.desk_checks_page(party, limit=50).items)
    context: dict[str, Any] = {
        "peer": status,
        "period": period,
        "periods": list(PERIODS),
        "name": pinned.card.display_name(lang),
        "card_json": orjson.dumps(pinned.card.to_json(), option=orjson.OPT_INDENT_2).decode(),
        "desk": status["desk"],
        "desk_checks": checks,
        "report": None,
        "report_error": None,
        "charts": [],
        "answer_times": [],
    }
    try:
        report = report_for(node, party, since, verify=False)  # a page load never verifies
    except CommandError as error:  # an unverified transcript gives no figures at all
        context["report_error"] = f"{error.code}: {error}"
        return context
    context["report"] = report_to_dict(report)
    figures = orjson.dumps(context["report"]["directions"], option=orjson.OPT_SORT_KEYS)
    key = hashlib.sha256(figures).hexdigest() + report.generated_at[:13]
    context["charts"] = _cached_charts(node, party, period, report, key)
    context["answer_times"] = [
        {"direction": direction.name, **row}
        for direction in report.directions
        for row in (
            {
                "id": request.id,
                "subject": request.subject,
                "format": request.format,
                "level": request.level,
                "time": request.time,
                "answered_at": request.answered_at,
                "answer_seconds": request.answer_seconds,
                "answer": request.answer,
                "state": request.state,
            }
            for request in direction.requests
        )
    ]
    context["answer_times"].sort(key=lambda row: row["time"], reverse=True)
    context["answer_times_total"] = len(context["answer_times"])
    context["answer_times"] = context["answer_times"][:RESPONSE_TIMES_SHOWN]
    return context


def _cached_charts(
    node: Node, party: str, period: str, report: Any, key: str
) -> list[dict[str, str]]:
    with _charts_lock:
        cached = _charts.get((node.party, party, period))
        if cached is not None and cached[0] == key:
            return cached[1]
    drawn = []
    for direction in report.directions:
        if not direction.requests:
            continue
        drawn.append({"direction": direction.name, "svg": charts.outcomes_svg(report, direction)})
        drawn.append({"direction": direction.name, "svg": charts.timeline_svg(report, direction)})
    with _charts_lock:
        _charts[(node.party, party, period)] = (key, drawn)
    return drawn
