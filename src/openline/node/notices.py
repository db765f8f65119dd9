"""Application commands for activity notifications, incident reports and desk checks.

A notification may go to many parties at once (an OSCE-style network has 57): each link
gets its own entry, all carrying one random ``notice`` id, and the node shows the copies
together with each recipient's state (``core.notices``). Desk checks go out on the node's
cadence (``desk_check_seconds``) or on an officer's demand, and a human answers them.

Like ``node.contacts``, each command validates the officer's input into a body, lets the
core check and sign it, and appends it through :meth:`Node.append`; refusals name the field
and carry a machine-readable code, and nothing is stored.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import orjson

from openline.core.entry import Entry
from openline.core.errors import EntryError
from openline.core.notices import ANSWER_KINDS, NOTICE_KINDS, NoticeView, fold_notices
from openline.core.notify import (
    ACTIVITIES,
    CATEGORIES,
    DOMAINS,
    MAX_ACK_MINUTES,
    geometry_from_geojson,
    geometry_to_geojson,
    is_late,
)
from openline.core.obligations import DeliveryTimes, evidence_covers
from openline.core.precedence import PRECEDENCES, Precedence
from openline.core.timefmt import format_time, parse_time
from openline.node.errors import CommandError, choice, invalid, language_tag

if TYPE_CHECKING:
    from openline.node.app import Node

NOTIFY_KINDS = ("notify.activity", "notify.incident")


def _geometry(value: object, where: str, kind: str) -> dict[str, Any]:
    """A geometry from what an officer pasted: a GeoJSON geometry, a Feature, or a
    FeatureCollection of exactly one Feature (what drawing tools export)."""
    if isinstance(value, dict) and value.get("type") == "FeatureCollection":
        features = value.get("features")
        if not isinstance(features, list) or len(features) != 1:
            raise invalid(
                f"{where}: a FeatureCollection must hold exactly one Feature", "invalid-geojson"
            )
        value = features[0]
    if isinstance(value, dict) and value.get("type") == "Feature":
        properties = value.get("properties")
        value = value.get("geometry")
        if isinstance(value, dict) and isinstance(properties, dict) and "radius_nm" in properties:
            value = {**value, "radius_nm": properties["radius_nm"]}
    try:
        return geometry_from_geojson(value, where, kind="area" if kind == "area" else "position")
    except EntryError as error:
        raise invalid(str(error), "invalid-geojson") from error


def _ack_minutes(value: int | None, precedence: str, node: Node) -> int:
    """The acknowledgement window: given, or the hotline objective of the precedence."""
    if value is None:
        objective = node.config.ack_objectives()[Precedence(precedence)]
        return max(1, int(objective.total_seconds()) // 60)
    if not 1 <= value <= MAX_ACK_MINUTES:
        raise invalid(
            f"ack_within_minutes must be 1 to {MAX_ACK_MINUTES} (7 days), not {value}",
            "invalid-ack-window",
        )
    return value


def _checked(kind: str, body: dict[str, Any]) -> dict[str, Any]:
    """Run the core's schema now, so an officer hears of any remaining fault before
    anything is signed (``Node.append`` would refuse it too, less precisely)."""
    from openline.core.kinds import validate_body

    try:
        validate_body(kind, body)
    except EntryError as error:
        raise invalid(str(error), error.code) from error
    return body


@dataclass(frozen=True, slots=True)
class NewActivity:
    """An activity notification as an officer fills it in (area in ordinary GeoJSON)."""

    activity: str
    title: str
    participants: Sequence[str]
    area: object
    start: datetime
    end: datetime
    contact_channel: str
    label: str | None = None
    forces: Mapping[str, int] | None = None
    ack_within_minutes: int | None = None
    precedence: str = "priority"
    lang: str = "en"
    officer: str = "duty officer"

    def body(self, node: Node, notice: str) -> dict[str, Any]:
        choice(self.activity, ACTIVITIES, "activity", "invalid-activity")
        choice(self.precedence, PRECEDENCES, "precedence", "invalid-precedence")
        if self.end <= self.start:
            raise invalid(
                f"the activity ends ({format_time(self.end)}) at or before it starts "
                f"({format_time(self.start)})",
                "end-before-start",
            )
        if self.end <= node.clock():
            raise invalid(
                f"the activity ended at {format_time(self.end)}: notify before or during it",
                "activity-over",
            )
        body: dict[str, Any] = {
            "activity": self.activity,
            "title": self.title,
            "participants": list(self.participants),
            "area": _geometry(self.area, "area", "area"),
            "start": format_time(self.start),
            "end": format_time(self.end),
            "contact_channel": self.contact_channel,
            "ack_within_minutes": _ack_minutes(self.ack_within_minutes, self.precedence, node),
            "precedence": self.precedence,
            "lang": language_tag(self.lang),
            "officer": self.officer,
            "notice": notice,
        }
        if self.label is not None:
            body["label"] = self.label
        if self.forces:
            body["forces"] = dict(self.forces)
        return _checked("notify.activity", body)


@dataclass(frozen=True, slots=True)
class NewIncident:
    """An incident report as an officer fills it in (position as a GeoJSON Point)."""

    time: datetime
    position: object
    domain: str
    own_units: Sequence[str]
    other_units: Sequence[str]
    category: str
    description: str
    label: str | None = None
    distance_m: int | None = None
    ack_within_minutes: int | None = None
    precedence: str = "immediate"
    lang: str = "en"
    officer: str = "duty officer"

    def body(self, node: Node, notice: str) -> dict[str, Any]:
        choice(self.category, CATEGORIES, "category", "invalid-category")
        choice(self.domain, DOMAINS, "domain", "invalid-domain")
        choice(self.precedence, PRECEDENCES, "precedence", "invalid-precedence")
        if self.time > node.clock() + timedelta(minutes=5):
            raise invalid(
                f"the incident time {format_time(self.time)} is in the future", "time-in-future"
            )
        body: dict[str, Any] = {
            "time": format_time(self.time),
            "position": _geometry(self.position, "position", "position"),
            "domain": self.domain,
            "own_units": list(self.own_units),
            "other_units": list(self.other_units),
            "category": self.category,
            "description": self.description,
            "ack_within_minutes": _ack_minutes(self.ack_within_minutes, self.precedence, node),
            "precedence": self.precedence,
            "lang": language_tag(self.lang),
            "officer": self.officer,
            "notice": notice,
        }
        if self.label is not None:
            body["label"] = self.label
        if self.distance_m is not None:
            body["distance_m"] = self.distance_m
        return _checked("notify.incident", body)


class Notices:
    """Notifications, incident reports and desk checks on one node."""

    def __init__(self, node: Node) -> None:
        self.node = node
        self._folded: tuple[int, dict[str, NoticeView]] | None = None

    # --- reading -------------------------------------------------------------------------

    def views(self) -> dict[str, NoticeView]:
        """Every copy of every notification and desk check, with its answer and delivery."""
        revision = self.node.revision
        if self._folded is None or self._folded[0] != revision:
            self._folded = (revision, self._fold())
        return self._folded[1]

    def _fold(self) -> dict[str, NoticeView]:
        store = self.node.store
        entries = self.node.entries_of_kinds(NOTICE_KINDS | ANSWER_KINDS)
        logs = {(e.sender, e.recipient) for e in entries if e.kind in NOTICE_KINDS}
        if not logs:
            return {}
        receipts = store.delivery_receipts(logs)
        deliveries = {log: DeliveryTimes(pairs) for log, pairs in receipts.items()}
        return fold_notices(entries, deliveries, self.node.config.minimum_lead_times())

    def _groups(self) -> dict[GroupKey, list[NoticeView]]:
        groups: dict[GroupKey, list[NoticeView]] = {}
        for view in self.views().values():
            if view.kind in NOTIFY_KINDS:
                groups.setdefault(group_key(view), []).append(view)
        return {key: sorted(copies, key=lambda v: v.recipient) for key, copies in groups.items()}

    def copies(self, ref: str) -> list[NoticeView]:
        """The copies of one notification, by its notice id or by any copy's entry id."""
        groups = self._groups()
        found = self.views().get(ref)
        if found is not None and found.kind in NOTIFY_KINDS:
            return groups[group_key(found)]
        matching = [copies for key, copies in groups.items() if key[2] == ref]
        if not matching:
            raise CommandError(f"no notification {ref}", code="unknown-notification", status=404)
        if len(matching) > 1:
            # A notice id is chosen by its sender: a peer may reuse one. Never merge.
            ids = ", ".join(copies[0].id[:16] + "…" for copies in matching)
            raise CommandError(
                f"notice {ref} names {len(matching)} different notifications ({ids}): "
                "name one by a copy's entry id",
                code="ambiguous-notice",
                status=409,
            )
        return matching[0]

    def notifications(self, direction: str | None = None) -> list[dict[str, Any]]:
        """Every notification (copies grouped), newest first."""
        now = self.node.clock()
        shown = [self._group_json(copies, now) for copies in self._groups().values()]
        if direction is not None:
            shown = [group for group in shown if group["direction"] == direction]
        return sorted(shown, key=lambda group: (group["time"], group["notice"]), reverse=True)

    def notification(self, ref: str) -> dict[str, Any]:
        return self._group_json(self.copies(ref), self.node.clock())

    def _group_json(self, copies: list[NoticeView], now: datetime) -> dict[str, Any]:
        first = copies[0]
        body = dict(first.body)
        states = [view.state(now) for view in copies]
        counts = {state: states.count(state) for state in dict.fromkeys(states)}
        data: dict[str, Any] = {
            "notice": first.notice,
            "kind": first.kind,
            "direction": first.direction(self.node.party),
            "sender": first.sender,
            "time": first.time,
            "precedence": body.get("precedence"),
            "summary": _summary(first),
            "body": body,
            "recipients": [self._copy_json(view, now) for view in copies],
            "counts": counts,
        }
        if first.kind == "notify.activity":
            data["minimum_lead_seconds"] = int(self._minimum(body["activity"]).total_seconds())
            data["area_geojson"] = geometry_to_geojson(body["area"])
        else:
            data["position_geojson"] = geometry_to_geojson(body["position"])
        return data

    def _copy_json(self, view: NoticeView, now: datetime) -> dict[str, Any]:
        return {
            "party": view.recipient,
            "id": view.id,
            "seq": view.seq,
            "state": view.state(now),
            "delivered_at": view.delivered_at,
            "due": view.due,
            "acknowledged_at": view.answered_at,
            "acknowledged_by": view.answered_by,
            "ack_id": view.answer_id,
            "lead_time_seconds": view.lead_time_seconds,
            "late_notice": view.late_notice,
        }

    def _minimum(self, activity: str) -> timedelta:
        return self.node.config.minimum_lead_times().get(activity, timedelta(0))

    # --- acting --------------------------------------------------------------------------

    def notify(self, recipients: Sequence[str], new: NewActivity) -> dict[str, Any]:
        """Send one activity notification to every recipient: one entry per link."""
        return self._send(
            recipients, lambda notice: ("notify.activity", new.body(self.node, notice))
        )

    def incident(self, recipients: Sequence[str], new: NewIncident) -> dict[str, Any]:
        return self._send(
            recipients, lambda notice: ("notify.incident", new.body(self.node, notice))
        )

    def _send(self, recipients: Sequence[str], build: Any) -> dict[str, Any]:
        if not recipients:
            raise invalid("name at least one recipient (--to)", "no-recipient")
        parties = list(dict.fromkeys(recipients))
        for party in parties:
            self.node.peer(party)
        notice = secrets.token_hex(16)
        kind, body = build(notice)  # validated in full before any entry is signed
        # One transaction for every copy: all recipients are told, or none is.
        batches = self.node.append_to_many([(party, [(kind, body, ())]) for party in parties])
        entries = [entry for (entry,) in batches]
        result: dict[str, Any] = {
            "notice": notice,
            "kind": kind,
            "entries": [
                {"id": entry.id, "to": entry.recipient, "seq": entry.seq, "kind": entry.kind}
                for entry in entries
            ],
        }
        if kind == "notify.activity":
            # What the lead time would be were it delivered now: a warning, not a verdict
            # (the verdict uses the recipient's cosigned delivery time).
            now = self.node.clock()
            lead = parse_time(body["start"]) - now
            minimum = self._minimum(body["activity"])
            result["lead_time_seconds_at_send"] = int(lead.total_seconds())
            result["minimum_lead_seconds"] = int(minimum.total_seconds())
            result["late_if_delivered_now"] = is_late(
                body["activity"], lead, self.node.config.minimum_lead_times()
            )
        return result

    def acknowledge(self, target: Entry, officer: str) -> Entry:
        """A ``notify.ack`` of a notification or incident, or a ``desk.answer``."""
        view = self.views().get(target.id)
        if view is not None and view.answer_id is not None:
            raise CommandError(
                f"already {'answered' if target.kind == 'desk.check' else 'acknowledged'} "
                f"by {view.answered_by} at {view.answered_at} (entry {view.answer_id})",
                code="already-acknowledged",
                status=409,
            )
        kind = "desk.answer" if target.kind == "desk.check" else "notify.ack"
        (entry,) = self.node.append(target.sender, [(kind, {"officer": officer}, (target.id,))])
        return entry

    # --- desk checks ---------------------------------------------------------------------

    def desk_check(self, peers: Sequence[str], officer: str | None = None) -> list[Entry]:
        """Send a desk check to each peer (all pinned peers when none is named)."""
        parties = list(dict.fromkeys(peers)) or sorted(self.node.peers())
        if not parties:
            raise invalid("no peer is pinned: nothing to check", "no-recipient")
        for party in parties:
            self.node.peer(party)
        # node.json's window, checked when the configuration was loaded.
        body: dict[str, Any] = {"answer_within_seconds": self.node.config.desk_answer_seconds}
        if officer is not None:
            body["officer"] = officer
        batches = self.node.append_to_many(
            [(party, [("desk.check", body, ())]) for party in parties]
        )
        return [entry for (entry,) in batches]

    def due_desk_checks(self, since: datetime) -> list[str]:
        """Peers owed a desk check on the cadence: none sent to them for a full period
        (counted from ``since``, the node's start, when none was ever sent), and the last
        one no longer awaiting delivery or within its window. A line that is down thus
        holds one check, not one per period, and a desk is never asked twice at once."""
        period = self.node.config.desk_check_seconds
        if period <= 0:
            return []
        now = self.node.clock()
        due: list[str] = []
        for party in sorted(self.node.peers()):
            checks = self._checks(self.node.party, party)
            if checks and checks[-1].state(now) in ("pending", "delivered"):
                continue
            last = parse_time(checks[-1].time) if checks else since
            if (now - last).total_seconds() >= period:
                due.append(party)
        return due

    def _checks(self, sender: str, recipient: str) -> list[NoticeView]:
        """The desk checks of one log, oldest first."""
        return sorted(
            (
                view
                for view in self.views().values()
                if view.kind == "desk.check"
                and view.sender == sender
                and view.recipient == recipient
            ),
            key=lambda view: view.seq,
        )

    @staticmethod
    def _since_last_answer(checks: list[NoticeView]) -> list[NoticeView]:
        """The checks after the latest answered one: what the desk still owes. An answer
        to a later check shows a person is at the desk, so earlier silences stop alarming
        (they stay in the record, and provable)."""
        answered = [n for n, view in enumerate(checks) if view.answered_at is not None]
        return checks[answered[-1] + 1 :] if answered else checks

    def desk(self, peer: str) -> dict[str, Any]:
        """What is known of the desk at ``peer``: do its officers answer our checks?"""
        now = self.node.clock()
        checks = self._checks(self.node.party, peer)
        answered = [view for view in checks if view.answered_at is not None]
        owed = self._since_last_answer(checks)
        silent = [view for view in owed if view.state(now) == "overdue"]
        owed_by_us = self._since_last_answer(self._checks(peer, self.node.party))
        data: dict[str, Any] = {
            "state": "never-checked",
            "checks": len(checks),
            "answered": len(answered),
            "answered_late": sum(1 for v in answered if v.state(now) == "acknowledged-late"),
            "unanswered": sum(1 for view in checks if view.state(now) == "overdue"),
            "last_check": None,
            "last_answer": None,
            "owed_by_us": sum(1 for v in owed_by_us if v.state(now) in ("delivered", "overdue")),
        }
        if not checks:
            return data
        # Not answering as soon as one check since the last answer went unanswered, even
        # while a newer one is still within its window.
        if silent:
            data["state"] = "not-answering"
        elif owed:
            data["state"] = "checking"
        else:
            data["state"] = "answering"
        data["last_check"] = self._check_json(checks[-1], now)
        if answered:
            last = max(answered, key=lambda view: view.answered_at or "")
            data["last_answer"] = {"at": last.answered_at, "by": last.answered_by}
        if silent:
            until = self.node.store.latest_cosignature_time(peer, self.node.party, peer)
            data["unanswered_check"] = silent[-1].id
            data["provable"] = evidence_covers(silent[-1].due, until)
        return data

    def desk_checks(self) -> list[dict[str, Any]]:
        """Every desk check, both ways, newest first."""
        now = self.node.clock()
        checks = [view for view in self.views().values() if view.kind == "desk.check"]
        checks.sort(key=lambda view: (view.time, view.id), reverse=True)
        return [
            self._check_json(view, now) | {"direction": view.direction(self.node.party)}
            for view in checks
        ]

    @staticmethod
    def _check_json(view: NoticeView, now: datetime) -> dict[str, Any]:
        return {
            "id": view.id,
            "from": view.sender,
            "to": view.recipient,
            "time": view.time,
            "asked_by": view.body.get("officer"),
            "state": view.state(now),
            "delivered_at": view.delivered_at,
            "due": view.due,
            "answered_at": view.answered_at,
            "answered_by": view.answered_by,
        }

    def overdue(self, now: datetime) -> list[NoticeView]:
        """Overdue acknowledgements, and per link the latest unanswered desk check since
        the desk last answered: one alarm per silent desk, not one per check."""
        found = [
            view
            for view in self.views().values()
            if view.kind in NOTIFY_KINDS and view.state(now) == "overdue"
        ]
        links = {
            (view.sender, view.recipient)
            for view in self.views().values()
            if view.kind == "desk.check"
        }
        for sender, recipient in links:
            silent = [
                view
                for view in self._since_last_answer(self._checks(sender, recipient))
                if view.state(now) == "overdue"
            ]
            found.extend(silent[-1:])
        return found


GroupKey = tuple[str, str, str, bytes]


def group_key(view: NoticeView) -> GroupKey:
    """Copies of one broadcast share their sender, kind, notice id and body, byte for byte.
    The id alone is not enough: the sender chooses it, and could reuse it to hide one
    notification behind another."""
    # Sorted-key orjson gives equal bodies equal bytes, and fast (the body was checked).
    body = orjson.dumps(view.body, option=orjson.OPT_SORT_KEYS)
    return (view.sender, view.kind, view.notice, hashlib.sha256(body).digest())


def combined_line_state(link: str, desk: str) -> str:
    """One word for a duty officer: the line's state, sharpened by what the desk does.

    "line up, desk not answering" means the counterpart's node keeps cosigning (so the
    line is up and the checks were delivered) while no human answers them; "down" means no
    cosignature at all. The two are told apart by signed data (``prove unanswered``)."""
    if link == "up" and desk == "not-answering":
        return "line-up-desk-not-answering"
    return link


def _summary(view: NoticeView) -> str:
    body = view.body
    if view.kind == "notify.activity":
        return str(body["title"])
    category = body.get("label") if body["category"] == "other" else body["category"]
    return f"{category}: {str(body['description'])[:100]}"
