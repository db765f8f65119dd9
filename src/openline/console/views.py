"""What the console shows, built from the same folds as the CLI and the API.

Every function here reads the node (its folds, its status, its alarms) and returns plain
values for the templates: nothing here writes, and nothing computes a state of its own
(a message's deadline, a request's state, a desk's answering all come from the core).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from openline.core.entry import Entry
from openline.core.kinds import KINDS, Kind, kinds_of_fold, subject_of, type_field_of
from openline.core.notices import NoticeView
from openline.core.notify import geometry_to_geojson
from openline.core.paging import Page
from openline.core.precedence import PRECEDENCES
from openline.core.requests import AWAITING, OVERDUE, RequestView
from openline.core.timefmt import format_time
from openline.node import reads
from openline.node.app import Node
from openline.node.notices import NOTIFY_KINDS
from openline.node.projections import notice_from_row, request_from_row
from openline.store import projection as folds

PRECEDENCE_RANK: Mapping[str, int] = {name: rank for rank, name in enumerate(PRECEDENCES)}

# The requests board's columns, in the order an officer works them: what is owed first.
BOARD_COLUMNS: tuple[tuple[str, frozenset[str]], ...] = (
    ("unanswered", OVERDUE),
    ("awaiting", AWAITING),
    ("answered", frozenset({"accepted", "declined", "countered", "answered"})),
    ("scheduled", frozenset({"scheduled"})),
    ("held", frozenset({"held"})),
    ("closed", frozenset({"cancelled", "withdrawn"})),
)

RECENT_ITEMS = 30
# Rows of open traffic a floor shows, most urgent first: every live update re-sends the floor,
# and past a few hundred rows a slow link pays for rows nobody reads (FLASH is always shown,
# in its banner; the requests board and transcript list everything).
OPEN_SHOWN = 200
OWED_SHOWN = 50
CLOSED_NOTICE_STATES = frozenset({"acknowledged", "acknowledged-late"})


@dataclass(frozen=True, slots=True)
class FloorItem:
    """One piece of traffic on the watch floor, in either direction."""

    id: str
    kind: str
    direction: str  # in | out
    counterpart: str
    precedence: str
    subject: str
    lang: str | None
    time: str
    deadline: str | None
    state: str
    open: bool  # someone still owes an acknowledgement or an answer
    overdue: bool
    ackable: bool  # an officer here can acknowledge it now
    answerable: bool  # a request this party owes an answer to
    # The label group the subject is a code of (an incident's category), if it is one.
    subject_group: str | None = None

    @property
    def flash(self) -> bool:
        return self.precedence == "flash"

    @property
    def stale(self) -> bool:
        """A desk check past its window: answering it now proves less than the live one."""
        return self.kind == Kind.DESK_CHECK and self.overdue

    def sort_key(self) -> tuple[int, int, int, str, str]:
        # Highest precedence first; within it, a live desk check before the stale ones,
        # then the nearest deadline; no deadline last.
        return (
            PRECEDENCE_RANK.get(self.precedence, len(PRECEDENCES)),
            1 if self.stale else 0,
            0 if self.deadline else 1,
            self.deadline or "",
            self.time,
        )


@dataclass(frozen=True, slots=True)
class Floor:
    open_items: list[FloorItem]
    open_total: int
    recent: list[FloorItem]
    # What rings: incoming FLASH traffic not yet acknowledged, then the desk checks still
    # inside their window.
    flashes: list[FloorItem]
    # Lines down after their sender failed in this run (not a node that has just started).
    lines_down: list[dict[str, Any]]
    owed_by_us: list[dict[str, Any]]
    owed_to_us: list[dict[str, Any]]
    owed_totals: tuple[int, int]  # by us, to us: the lists above show at most OWED_SHOWN
    peers: list[dict[str, Any]]
    equivocations: int
    stamp: str = field(default="")


class FloorCache:
    """The last floor read, shared by every tab of one console: an update that reaches
    twenty open tabs costs one reading of the floor, not twenty."""

    def __init__(self) -> None:
        self._floor: Floor | None = None
        self._lock = threading.Lock()

    def get(self, stamp: str) -> Floor | None:
        with self._lock:
            return self._floor if self._floor is not None and self._floor.stamp == stamp else None

    def put(self, floor: Floor) -> None:
        with self._lock:
            self._floor = floor


def floor(node: Node, cache: FloorCache | None = None) -> Floor:
    """The watch floor: the most urgent open items through the open-items index, the
    latest closed ones, and each line's state. Bounded by what it shows, whatever the
    history; read once per live stamp when a cache is given."""
    stamp = live_stamp(node)
    cached = None if cache is None else cache.get(stamp)
    if cached is not None:
        return cached
    now = node.clock()
    party = node.party
    with node.store.read() as connection:
        urgent = folds.most_urgent(connection, OPEN_SHOWN)
        total = folds.open_count(connection)
        flash_ids = folds.open_flashes(connection, party, ACKABLE_KINDS, OPEN_SHOWN)
        # A desk check still inside its window is a person being asked "are you there?"
        # now: it rings like a FLASH. One past its window is stale and only listed.
        live_checks = folds.live_open(
            connection, Kind.DESK_CHECK, party, format_time(now), OPEN_SHOWN
        )
        wanted = {row.id: row.kind for row in urgent}
        for ringing in (*flash_ids, *live_checks):
            wanted.setdefault(ringing, "")
        items = _items_by_id(connection, node, list(wanted), now)
        recent = sorted(
            [
                *(
                    _message_item(row, party, now)
                    for row in folds.recent_closed_messages(connection, RECENT_ITEMS)
                ),
                *(
                    _request_item(request_from_row(row).at(now), party)
                    for row in (folds.recent_closed_requests(connection, RECENT_ITEMS))
                ),
                *(
                    _notice_item(notice_from_row(row), party, now)
                    for row in (folds.recent_closed_notices(connection, RECENT_ITEMS))
                ),
            ],
            key=lambda item: item.time,
            reverse=True,
        )
    open_items = sorted(
        (items[row.id] for row in urgent if row.id in items), key=FloorItem.sort_key
    )
    status = reads.status(node)
    alarms = status["alarms"]
    owed_by_us = [alarm for alarm in alarms if alarm["owed_by"] == node.party]
    owed_to_us = [alarm for alarm in alarms if alarm["owed_by"] != node.party]
    shown = Floor(
        open_items=open_items,
        open_total=total,
        recent=recent[:RECENT_ITEMS],
        flashes=[items[i] for i in (*flash_ids, *live_checks) if i in items and items[i].ackable],
        lines_down=[
            # The alarm's id names the outage, so that silencing one does not silence the next.
            peer | {"alarm_id": f"line:{peer['party']}:{peer['down_since'] or 'unseen'}"}
            for peer in status["peers"]
            if peer["link"] == "down" and peer["failures"]
        ],
        owed_by_us=owed_by_us[:OWED_SHOWN],
        owed_to_us=owed_to_us[:OWED_SHOWN],
        owed_totals=(len(owed_by_us), len(owed_to_us)),
        peers=status["peers"],
        equivocations=status["equivocation_count"],
        stamp=stamp,
    )
    if cache is not None:
        cache.put(shown)
    return shown


ACKABLE_KINDS = tuple(sorted(kinds_of_fold("message") | kinds_of_fold("notice")))
"""What the floor's ``a`` key answers: hotline messages and notices (a request is answered
on its own page, through its state machine)."""


def live_stamp(node: Node) -> str:
    """Changes whenever what the floor shows may have changed: a new entry or delivery (the
    node's revision), an alarm raised (a deadline passing raises one), or a link changing
    state."""
    alarms = ",".join(sorted(f"{a.kind}:{a.id}" for a in reads.alarms(node)))
    now = node.clock()
    links = ",".join(  # a snapshot: the senders update link health on the event loop
        f"{party}:{health.state(now, node.config.heartbeat_seconds)}"
        for party, health in sorted(node.health.items())
    )
    return f"{node.revision}|{alarms}|{links}"


def floor_items(node: Node, ids: Sequence[str]) -> dict[str, FloorItem]:
    """The floor's items of ``ids``, open or closed, as the floor would show them."""
    with node.store.read() as connection:
        return _items_by_id(connection, node, ids, node.clock())


def _items_by_id(
    connection: Any, node: Node, wanted: Sequence[str], now: datetime
) -> dict[str, FloorItem]:
    party = node.party
    items: dict[str, FloorItem] = {}
    for row in folds.message_rows(connection, wanted).values():
        items[row.id] = _message_item(row, party, now)
    for row in folds.request_rows(connection, wanted).values():
        items[row.id] = _request_item(request_from_row(row).at(now), party)
    for row in folds.notice_rows(connection, wanted).values():
        items[row.id] = _notice_item(notice_from_row(row), party, now)
    return items


def _message_item(row: Any, party: str, now: datetime) -> FloorItem:
    incoming = row.recipient == party
    acked = row.ack_id is not None
    return FloorItem(
        id=row.id,
        kind=Kind.HOTLINE_MESSAGE,
        direction="in" if incoming else "out",
        counterpart=row.sender if incoming else row.recipient,
        precedence=row.precedence,
        subject=row.text,
        lang=row.lang,
        time=row.time,
        deadline=row.ack_due,
        state="acknowledged" if acked else ("delivered" if row.delivered_at else "pending"),
        open=not acked,
        overdue=not acked and row.ack_due is not None and row.ack_due < format_time(now),
        ackable=incoming and not acked,
        answerable=False,
    )


def _notice_item(view: NoticeView, party: str, now: datetime) -> FloorItem:
    incoming = view.recipient == party
    state = view.state(now)
    body = view.body
    subject, typed = subject_of(view.kind, body), type_field_of(view.kind)
    return FloorItem(
        id=view.id,
        kind=view.kind,
        direction="in" if incoming else "out",
        counterpart=view.sender if incoming else view.recipient,
        precedence=str(body.get("precedence", "immediate")),
        subject=subject,
        subject_group=typed if typed is not None and body.get(typed) == subject else None,
        lang=body.get("lang") if isinstance(body.get("lang"), str) else None,
        time=view.time,
        deadline=view.due,
        state=state,
        open=state not in CLOSED_NOTICE_STATES,
        overdue=state == "overdue",
        ackable=incoming and view.answer_id is None,
        answerable=False,
    )


def _request_item(request: RequestView, party: str) -> FloorItem:
    incoming = request.counterpart == party
    owed = request.owed
    return FloorItem(
        id=request.id,
        kind=request.kind,
        direction="in" if incoming else "out",
        counterpart=request.requester if incoming else request.counterpart,
        precedence=str(request.body.get("precedence", "routine")),
        subject=request.subject,
        lang=request.body.get("lang") if isinstance(request.body.get("lang"), str) else None,
        time=request.time,
        deadline=request.due,
        state=request.state,
        open=owed,
        overdue=request.state in OVERDUE,
        ackable=False,
        answerable=incoming and owed,
    )


# --- requests board ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BoardFilter:
    counterpart: str | None = None
    format: str | None = None
    level: str | None = None
    direction: str | None = None

    def admits(self, data: Mapping[str, Any], party: str) -> bool:
        other = data["counterpart"] if data["requester"] == party else data["requester"]
        return (
            (self.counterpart is None or other == self.counterpart)
            and (self.format is None or data["format"] == self.format)
            and (self.level is None or data["level"] == self.level)
            and (self.direction is None or data["direction"] == self.direction)
        )


BOARD_SHOWN = 100  # per column: the nearest deadlines first; the CLI and API page the rest


def board(node: Node, chosen: BoardFilter) -> list[tuple[str, list[dict[str, Any]]]]:
    """Requests in columns by state, each column nearest deadline first: a page of each
    column's states through the requests table's indexes, never every request."""
    now = node.clock()
    contacts = node.contacts
    columns: list[tuple[str, list[dict[str, Any]]]] = []
    for name, states in BOARD_COLUMNS:
        page = contacts.page(
            limit=BOARD_SHOWN,
            states=sorted(states),
            peer=chosen.counterpart,
            direction=chosen.direction,
            now=now,
        )
        rows = contacts.to_json_all(page.items)
        column = [row for row in rows if chosen.admits(row, node.party)]
        column.sort(key=lambda row: (row["due"] or "~", row["time"]))
        columns.append((name, column))
    return columns


def proof_claims(data: Mapping[str, Any], party: str) -> list[str]:
    """The proofs this node can offer for a request now: its delivery once cosigned, its
    answer once answered, its non-answer once the node says it is provable."""
    claims: list[str] = []
    if data["delivered_at"] is not None:
        claims.append("delivery")
    if data["answer_id"] is not None:
        claims.append("answer")
    if data["state"] in OVERDUE and data["requester"] == party and data.get("provable"):
        claims.append("unanswered")  # once the counterpart's cosigned checkpoint covers it
    return claims


# --- transcript ----------------------------------------------------------------------------


TRANSCRIPT_SHOWN = 200


def transcript(
    node: Node, peer: str, before: str | None = None, after: str | None = None
) -> Page[tuple[dict[str, Any], Entry]]:
    """A page of both directions of the link with ``peer``, newest first. An outgoing
    entry is ``delivered`` once the peer's cosigned checkpoint covers it; everything
    received was cosigned by this node on receipt."""
    page = reads.log_entries(node, peer, TRANSCRIPT_SHOWN, before=before, after=after)
    return Page(list(reversed(page.items)), page.before, page.after)


# --- map -----------------------------------------------------------------------------------


MAP_SHOWN = 300  # the latest notifications and incidents drawn; older ones stay listed


def map_features(node: Node) -> dict[str, Any]:
    """Notified areas and incident positions as GeoJSON in degrees, one feature per
    notification (its copies share one area), for the console's map."""
    now = node.clock()
    groups: dict[str, list[Any]] = {}
    with node.store.read() as connection:
        rows = folds.notices_for_map(connection, NOTIFY_KINDS, MAP_SHOWN)
    for row in rows:
        groups.setdefault(row.group_key, []).append(notice_from_row(row))
    features: list[dict[str, Any]] = []
    for copies in groups.values():
        first = min(copies, key=lambda view: view.time)
        body = first.body
        states = sorted({copy.state(now) for copy in copies})
        place = KINDS[first.kind].place
        if place is None:
            continue  # a notice with no place in its body has nothing to draw
        geometry, radius = _area(body[place.geometry])
        start = body.get(place.start)
        end = None if place.end is None else body.get(place.end)
        features.append(
            {
                "type": "Feature",
                "geometry": geometry,
                "properties": {
                    "id": first.id,
                    # The map's marker: "activity", "incident" (map.js styles each).
                    "kind": first.kind.partition(".")[2],
                    "title": subject_of(first.kind, body),
                    "sender": first.sender,
                    "recipients": sorted(copy.recipient for copy in copies),
                    "state": _worst(states),
                    "start": start,
                    "end": end,
                    "radius_nm": radius,
                    "late": any(copy.late_notice for copy in copies),
                },
            }
        )
    features.sort(key=lambda feature: str(feature["properties"]["start"] or ""))
    return {"type": "FeatureCollection", "features": features}


_STATE_ORDER = ("overdue", "pending", "delivered", "acknowledged-late", "acknowledged")


def _worst(states: Sequence[str]) -> str:
    for state in _STATE_ORDER:
        if state in states:
            return state
    return states[0] if states else "pending"


def _area(signed: Mapping[str, Any]) -> tuple[dict[str, Any], float | None]:
    """A signed area (integer microdegrees) as GeoJSON degrees, and its radius if a circle."""
    geometry = geometry_to_geojson(signed)
    radius = geometry.pop("radius_nm", None)
    return geometry, None if radius is None else float(radius)
