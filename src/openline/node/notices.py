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

import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any, ClassVar

from pydantic import Field, StrictInt

from openline.core.entry import Entry
from openline.core.errors import EntryError
from openline.core.kinds import KINDS, Kind, summary_of
from openline.core.notices import NOTICE_KINDS, NoticeView
from openline.core.notify import (
    ACTIVITIES,
    CATEGORIES,
    DOMAINS,
    MAX_ACK_MINUTES,
    geometry_from_geojson,
    geometry_to_geojson,
    is_late,
)
from openline.core.obligations import ANSWERED_BY, evidence_covers
from openline.core.paging import Page, decode_cursor, encode_cursor
from openline.core.precedence import PRECEDENCES, Precedence
from openline.core.timefmt import format_time, parse_time
from openline.node.commands import DUTY_OFFICER, Command, Short, Text, Title, When
from openline.node.errors import (
    CommandError,
    choice,
    cursor_errors,
    invalid,
    language_tag,
    page_size,
)
from openline.node.projections import notice_from_row
from openline.store import projection as folds

if TYPE_CHECKING:
    from openline.node.app import Node
    from openline.node.ports import Ledger

NOTIFY_KINDS = tuple(sorted(k for k in NOTICE_KINDS if Kind.NOTIFY_ACK in ANSWERED_BY[k]))
"""The notifications (activity notifications, incident reports): the notices an officer
acknowledges with a ``notify.ack``, as opposed to the desk checks a ``desk.answer`` answers."""
MAX_OVERDUE = 200  # overdue acknowledgements alarmed at once; the floor counts the rest


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


def _ack_minutes(value: int | None, precedence: str, node: Ledger) -> int:
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


Recipients = Annotated[list[Short], Field(min_length=1, max_length=100)]
Units = Annotated[list[Short], Field(min_length=1, max_length=10)]


class _NewNotice(Command):
    """What every notice an officer sends has: who signs it, how soon it must be
    acknowledged (by its precedence unless said), and its language."""

    KIND: ClassVar[str]
    label: Short | None = None
    ack_within_minutes: StrictInt | None = None
    precedence: str = "priority"
    lang: str = "en"
    officer: Short = DUTY_OFFICER

    def body(self, node: Ledger, notice: str) -> dict[str, Any]:
        """The signed body of notice ``notice``, checked in full before anything is signed."""
        choice(self.precedence, PRECEDENCES, "precedence", "invalid-precedence")
        body = self.own_fields(node) | {
            "ack_within_minutes": _ack_minutes(self.ack_within_minutes, self.precedence, node),
            "precedence": self.precedence,
            "lang": language_tag(self.lang),
            "officer": self.officer,
            "notice": notice,
        }
        if self.label is not None:
            body["label"] = self.label
        return _checked(self.KIND, body)

    def own_fields(self, node: Ledger) -> dict[str, Any]:
        """The body fields of this kind of notice, checked."""
        raise NotImplementedError


class NewActivity(_NewNotice):
    """An activity notification as an officer fills it in (area in ordinary GeoJSON)."""

    KIND = Kind.NOTIFY_ACTIVITY
    activity: str
    title: Title
    participants: Annotated[list[Short], Field(min_length=1, max_length=100)]
    area: Any  # GeoJSON; checked by the geometry rules, which name what is wrong
    start: When
    end: When
    contact_channel: Title
    forces: dict[str, StrictInt] | None = None

    def own_fields(self, node: Ledger) -> dict[str, Any]:
        choice(self.activity, ACTIVITIES, "activity", "invalid-activity")
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
        fields: dict[str, Any] = {
            "activity": self.activity,
            "title": self.title,
            "participants": list(self.participants),
            "area": _geometry(self.area, "area", "area"),
            "start": format_time(self.start),
            "end": format_time(self.end),
            "contact_channel": self.contact_channel,
        }
        if self.forces:
            fields["forces"] = dict(self.forces)
        return fields


class NewIncident(_NewNotice):
    """An incident report as an officer fills it in (position as a GeoJSON Point)."""

    KIND = Kind.NOTIFY_INCIDENT
    time: When
    position: Any  # a GeoJSON Point, checked as the area is
    domain: str
    own_units: Units
    other_units: Units
    category: str
    description: Text
    distance_m: StrictInt | None = None
    precedence: str = "immediate"

    def own_fields(self, node: Ledger) -> dict[str, Any]:
        choice(self.category, CATEGORIES, "category", "invalid-category")
        choice(self.domain, DOMAINS, "domain", "invalid-domain")
        if self.time > node.clock() + timedelta(minutes=5):
            raise invalid(
                f"the incident time {format_time(self.time)} is in the future", "time-in-future"
            )
        fields: dict[str, Any] = {
            "time": format_time(self.time),
            "position": _geometry(self.position, "position", "position"),
            "domain": self.domain,
            "own_units": list(self.own_units),
            "other_units": list(self.other_units),
            "category": self.category,
            "description": self.description,
        }
        if self.distance_m is not None:
            fields["distance_m"] = self.distance_m
        return fields


class Notify(NewActivity):
    """``POST /notifications``: one activity notification to every party in ``to``."""

    to: Recipients

    def run(self, node: Node, officer: str | None) -> object:
        return node.notices.send(self.to, self.signed_by(officer))


class ReportIncident(NewIncident):
    """``POST /incidents``: one incident report to every party in ``to``."""

    to: Recipients

    def run(self, node: Node, officer: str | None) -> object:
        return node.notices.send(self.to, self.signed_by(officer))


class DeskCheck(Command):
    """``POST /desk-checks``: a desk check to each party in ``to`` (every peer if empty)."""

    to: Annotated[list[Short], Field(max_length=100)] = Field(default_factory=list)
    officer: Short = DUTY_OFFICER

    def run(self, node: Node, officer: str | None) -> object:
        return node.notices.desk_check(self.to, officer)


NOTIFICATIONS_LIST = "notifications"
DESK_CHECKS_LIST = "desk-checks"
_KEY = (str, str)  # (signed time, id)


class Notices:
    """Notifications, incident reports and desk checks on one node."""

    def __init__(self, node: Ledger) -> None:
        self.node = node

    # --- reading -------------------------------------------------------------------------

    def find(self, entry_id: str) -> NoticeView | None:
        """One copy of a notification, or one desk check, as folded."""
        with self.node.store.read() as connection:
            row = folds.notice_row(connection, entry_id)
        return None if row is None else notice_from_row(row)

    def copies(self, ref: str) -> list[NoticeView]:
        """The copies of one notification, by its notice id or by any copy's entry id."""
        with self.node.store.read() as connection:
            found = folds.notice_row(connection, ref)
            if found is not None and found.kind in NOTIFY_KINDS:
                keys = [found.group_key]
            else:
                keys = folds.groups_with_notice(connection, ref, NOTIFY_KINDS)
            if not keys:
                raise CommandError(
                    f"no notification {ref}", code="unknown-notification", status=404
                )
            groups = [folds.group_copies(connection, key) for key in keys]
        if len(groups) > 1:
            # A notice id is chosen by its sender: a peer may reuse one. Never merge.
            ids = ", ".join(min(row.id for row in rows)[:16] + "…" for rows in groups)
            raise CommandError(
                f"notice {ref} names {len(groups)} different notifications ({ids}): "
                "name one by a copy's entry id",
                code="ambiguous-notice",
                status=409,
            )
        return [notice_from_row(row) for row in groups[0]]

    def notifications_page(
        self,
        direction: str | None = None,
        *,
        limit: int | None = None,
        before: str | None = None,
        after: str | None = None,
    ) -> Page[dict[str, Any]]:
        """Notifications (copies grouped), newest first, a page at a time."""
        count = page_size(limit)
        with cursor_errors():
            start = None if before is None else decode_cursor(NOTIFICATIONS_LIST, before, _KEY)
            end = None if after is None else decode_cursor(NOTIFICATIONS_LIST, after, _KEY)
        now = self.node.clock()
        with self.node.store.read() as connection:
            leaders = folds.notice_group_page(
                connection,
                before=_pair(start),
                after=_pair(end),
                limit=count + 1,
                kinds=NOTIFY_KINDS,
                party=self.node.party,
                direction=direction,
            )
            more = len(leaders) > count
            leaders = leaders[:count]
            if after is not None:
                leaders.reverse()
            groups = [
                [notice_from_row(row) for row in folds.group_copies(connection, leader.group_key)]
                for leader in leaders
            ]
        shown = [self._group_json(copies, now) for copies in groups]
        first = (leaders[0].time, leaders[0].id) if leaders else None
        last = (leaders[-1].time, leaders[-1].id) if leaders else None
        older = last is not None and (more or after is not None)
        return Page(
            shown,
            before=encode_cursor(NOTIFICATIONS_LIST, last) if older and last else None,
            after=encode_cursor(NOTIFICATIONS_LIST, first) if first else after,
        )

    def notifications(self, direction: str | None = None) -> list[dict[str, Any]]:
        """The newest page of notifications (copies grouped), newest first."""
        return list(self.notifications_page(direction).items)

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
            "summary": summary_of(first.kind, body),
            "body": body,
            "recipients": [self._copy_json(view, now) for view in copies],
            "counts": counts,
        }
        if first.kind == Kind.NOTIFY_ACTIVITY:
            data["minimum_lead_seconds"] = int(self._minimum(body["activity"]).total_seconds())
        if (place := KINDS[first.kind].place) is not None:
            data[f"{place.geometry}_geojson"] = geometry_to_geojson(body[place.geometry])
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

    def send(self, recipients: Sequence[str], new: _NewNotice) -> dict[str, Any]:
        """Send one notice to every recipient: one entry per link, all or none."""
        if not recipients:
            raise invalid("name at least one recipient (--to)", "no-recipient")
        parties = list(dict.fromkeys(recipients))
        for party in parties:
            self.node.peers.peer(party)
        notice = secrets.token_hex(16)
        body = new.body(self.node, notice)  # validated in full before any entry is signed
        # One transaction for every copy: all recipients are told, or none is.
        batches = self.node.append_to_many([(party, [(new.KIND, body, ())]) for party in parties])
        return self.sent([entry for (entry,) in batches])

    def sent(self, entries: Sequence[Entry]) -> dict[str, Any]:
        """What sending a notification or incident report answers, from its copies alone
        (so that a retried request answers the same: ``openline.node.idempotency``)."""
        first = entries[0]
        result: dict[str, Any] = {
            "notice": first.body.get("notice"),
            "kind": first.kind,
            "entries": [
                {"id": entry.id, "to": entry.recipient, "seq": entry.seq, "kind": entry.kind}
                for entry in entries
            ],
        }
        if first.kind == Kind.NOTIFY_ACTIVITY:
            # What the lead time would be were it delivered as it was signed: a warning, not
            # a verdict (the verdict uses the recipient's cosigned delivery time).
            activity = first.body["activity"]
            lead = parse_time(first.body["start"]) - parse_time(first.time)
            result["lead_time_seconds_at_send"] = int(lead.total_seconds())
            result["minimum_lead_seconds"] = int(self._minimum(activity).total_seconds())
            result["late_if_delivered_now"] = is_late(
                activity, lead, self.node.config.minimum_lead_times()
            )
        return result

    def acknowledge(self, target: Entry, officer: str) -> Entry:
        """A ``notify.ack`` of a notification or incident, or a ``desk.answer``."""
        view = self.find(target.id)
        if view is not None and view.answer_id is not None:
            raise CommandError(
                f"already {'answered' if target.kind == 'desk.check' else 'acknowledged'} "
                f"by {view.answered_by} at {view.answered_at} (entry {view.answer_id})",
                code="already-acknowledged",
                status=409,
            )
        kind = Kind.DESK_ANSWER if target.kind == Kind.DESK_CHECK else Kind.NOTIFY_ACK
        (entry,) = self.node.append(target.sender, [(kind, {"officer": officer}, (target.id,))])
        return entry

    # --- desk checks ---------------------------------------------------------------------

    def desk_check(self, peers: Sequence[str], officer: str | None = None) -> list[Entry]:
        """Send a desk check to each peer (all pinned peers when none is named)."""
        parties = list(dict.fromkeys(peers)) or sorted(self.node.peers.pinned())
        if not parties:
            raise invalid("no peer is pinned: nothing to check", "no-recipient")
        for party in parties:
            self.node.peers.peer(party)
        # node.json's window, checked when the configuration was loaded.
        body: dict[str, Any] = {"answer_within_seconds": self.node.config.desk_answer_seconds}
        if officer is not None:
            body["officer"] = officer
        batches = self.node.append_to_many(
            [(party, [(Kind.DESK_CHECK, body, ())]) for party in parties]
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
        with self.node.store.read() as connection:
            for party in sorted(self.node.peers.pinned()):
                row = folds.latest_desk_check(connection, self.node.party, party)
                last = None if row is None else notice_from_row(row)
                if last is not None and last.state(now) in ("pending", "delivered"):
                    continue
                started = parse_time(last.time) if last is not None else since
                if (now - started).total_seconds() >= period:
                    due.append(party)
        return due

    def desk(self, peer: str) -> dict[str, Any]:
        """What is known of the desk at ``peer``: do its officers answer our checks?

        The checks since the desk last answered are what it still owes: an answer to a
        later check shows a person is at the desk, so earlier silences stop alarming (they
        stay in the record, and provable). Every figure is one indexed query."""
        now = self.node.clock()
        stamp = format_time(now)
        party = self.node.party
        with self.node.store.read() as connection:
            ours = folds.desk_summary(connection, party, peer, stamp)
            theirs = folds.desk_summary(connection, peer, party, stamp)
        data: dict[str, Any] = {
            "state": "never-checked",
            "checks": ours["checks"],
            "answered": ours["answered"],
            "answered_late": ours["answered_late"],
            "unanswered": ours["unanswered"],
            "last_check": None,
            "last_answer": None,
            "owed_by_us": theirs["owed_delivered"],
        }
        if not ours["checks"]:
            return data
        silent = ours["silent"]
        # Not answering as soon as one check since the last answer went unanswered, even
        # while a newer one is still within its window.
        if silent is not None:
            data["state"] = "not-answering"
        elif ours["owed"]:
            data["state"] = "checking"
        else:
            data["state"] = "answering"
        data["last_check"] = self._check_json(notice_from_row(ours["last_check"]), now)
        if ours["latest_answer"] is not None:
            data["last_answer"] = ours["latest_answer"]
        if silent is not None:
            until = self.node.store.latest_cosignature_time(peer, party, peer)
            data["unanswered_check"] = silent.id
            data["provable"] = evidence_covers(silent.due, until)
        return data

    def desk_checks_page(
        self, peer: str | None = None, *, limit: int | None = None, before: str | None = None
    ) -> Page[dict[str, Any]]:
        """Desk checks, both ways (or only with ``peer``), newest first."""
        count = page_size(limit)
        with cursor_errors():
            start = None if before is None else decode_cursor(DESK_CHECKS_LIST, before, _KEY)
        now = self.node.clock()
        with self.node.store.read() as connection:
            rows = folds.desk_checks_page(
                connection, before=_pair(start), limit=count + 1, peer=peer, party=self.node.party
            )
        more = len(rows) > count
        views = [notice_from_row(row) for row in rows[:count]]
        last = (views[-1].time, views[-1].id) if views else None
        return Page(
            [
                self._check_json(view, now) | {"direction": view.direction(self.node.party)}
                for view in views
            ],
            before=encode_cursor(DESK_CHECKS_LIST, last) if more and last else None,
            after=None,
        )

    def desk_checks(self, peer: str | None = None) -> list[dict[str, Any]]:
        """The newest page of desk checks, both ways, newest first."""
        return list(self.desk_checks_page(peer).items)

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

    def overdue(self, now: datetime, limit: int = MAX_OVERDUE) -> list[NoticeView]:
        """Overdue acknowledgements (the latest ``limit``), and per link the latest
        unanswered desk check since the desk last answered: one alarm per silent desk,
        not one per check."""
        stamp = format_time(now)
        party = self.node.party
        with self.node.store.read() as connection:
            found = [
                notice_from_row(row)
                for row in folds.overdue_notices(connection, stamp, NOTIFY_KINDS, limit)
            ]
            for peer in sorted(self.node.peers.pinned()):
                for sender, recipient in ((party, peer), (peer, party)):
                    silent = folds.silent_desk_check(connection, sender, recipient, stamp)
                    if silent is not None:
                        found.append(notice_from_row(silent))
        return found


def _pair(key: tuple[object, ...] | None) -> tuple[str, str] | None:
    return None if key is None else (str(key[0]), str(key[1]))


def combined_line_state(link: str, desk: str) -> str:
    """One word for a duty officer: the line's state, sharpened by what the desk does.

    "line up, desk not answering" means the counterpart's node keeps cosigning (so the
    line is up and the checks were delivered) while no human answers them; "down" means no
    cosignature at all. The two are told apart by signed data (``prove unanswered``)."""
    if link == "up" and desk == "not-answering":
        return "line-up-desk-not-answering"
    return link
