"""Contact requests and requests for explanation: their state, folded from the transcript.

State is a pure fold over both logs of a link plus the recipient's receipts, with an
explicit clock (docs/architecture.md, "Derived state"). Every change of state is one event:

* ``deliver``: the counterpart's first cosignature covering the request (a receipt);
* ``read``: a ``receipt.read`` by the counterpart;
* ``accept``, ``decline``, ``counter``, ``defer``: a ``contact.response`` by the counterpart;
* ``reply``: an ``explain.response`` by the counterpart;
* ``schedule``, ``hold``, ``cancel``: a ``contact.update`` by either party;
* ``withdraw``: a ``contact.update`` by the requester;
* ``deadline``: the clock passing the answer's due time (``respond_by``, a deferral's
  promised time, or an explanation's window from delivery).

:data:`TRANSITIONS` is the one table of what each event does in each state. An event the
table does not allow (an answer racing a withdrawal, a second acceptance), or an acceptance
of a slot the request never proposed, changes nothing; it stays in the request's history
marked as not applied, so nothing anyone signed is lost from view. Events by the wrong
party are never applied: the fold trusts no door check.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from openline.core.entry import Entry
from openline.core.kinds import Kind, kinds_of_fold
from openline.core.obligations import DeliveryTimes
from openline.core.timefmt import format_time, parse_time

REQUEST_KINDS = kinds_of_fold("request")
FOLLOW_UP_KINDS = frozenset(
    {Kind.CONTACT_RESPONSE, Kind.CONTACT_UPDATE, Kind.EXPLAIN_RESPONSE, Kind.RECEIPT_READ}
)


class RequestState(StrEnum):
    """Where a request stands. The values are what the API and the fold tables carry."""

    PROPOSED = "proposed"
    DELIVERED = "delivered"
    READ = "read"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    COUNTERED = "countered"
    DEFERRED = "deferred"
    ANSWERED = "answered"
    SCHEDULED = "scheduled"
    HELD = "held"
    CANCELLED = "cancelled"
    WITHDRAWN = "withdrawn"
    UNANSWERED = "unanswered"
    OVERDUE_DEFERRED = "overdue-deferred"


class RequestEvent(StrEnum):
    """What happens to a request: an entry of either party, delivery, or its deadline."""

    DELIVER = "deliver"
    READ = "read"
    ACCEPT = "accept"
    DECLINE = "decline"
    COUNTER = "counter"
    DEFER = "defer"
    REPLY = "reply"
    SCHEDULE = "schedule"
    HOLD = "hold"
    CANCEL = "cancel"
    WITHDRAW = "withdraw"
    DEADLINE = "deadline"


STATES: tuple[str, ...] = tuple(RequestState)
EVENTS: tuple[str, ...] = tuple(RequestEvent)

ANSWER_EVENTS = frozenset({"accept", "decline", "counter", "defer", "reply"})
"""Events that answer the request (discharge the obligation). Reading is not answering."""

_S = RequestState
AWAITING = frozenset({_S.PROPOSED, _S.DELIVERED, _S.READ, _S.DEFERRED})
"""States in which the counterpart owes an answer."""
OVERDUE = frozenset({_S.UNANSWERED, _S.OVERDUE_DEFERRED})
FINAL = frozenset({_S.DECLINED, _S.ANSWERED, _S.HELD, _S.CANCELLED, _S.WITHDRAWN})

# Who may cause each event: the requester, the counterpart, either, or nobody (the system).
ACTORS: Mapping[str, str] = {
    "deliver": "system",
    "deadline": "system",
    "read": "counterpart",
    "accept": "counterpart",
    "decline": "counterpart",
    "counter": "counterpart",
    "defer": "counterpart",
    "reply": "counterpart",
    "schedule": "either",
    "hold": "either",
    "cancel": "either",
    "withdraw": "requester",
}


def _transitions() -> dict[tuple[str, str], str]:
    table: dict[tuple[str, str], str] = {
        ("proposed", "deliver"): "delivered",
        ("proposed", "read"): "read",
        ("delivered", "read"): "read",
        ("delivered", "deadline"): "unanswered",
        ("read", "deadline"): "unanswered",
        ("deferred", "deadline"): "overdue-deferred",
        ("countered", "counter"): "countered",
    }
    answered = {
        "accept": "accepted",
        "decline": "declined",
        "counter": "countered",
        "defer": "deferred",
    }
    for state in ("proposed", "delivered", "read", "unanswered", "deferred", "overdue-deferred"):
        for event, target in answered.items():
            table[(state, event)] = target
    for state in ("proposed", "delivered", "read", "unanswered"):
        table[(state, "reply")] = "answered"
    for state in ("accepted", "countered", "scheduled"):
        table[(state, "schedule")] = "scheduled"
        table[(state, "cancel")] = "cancelled"
    for state in ("accepted", "scheduled"):
        table[(state, "hold")] = "held"
    for state in (
        "proposed",
        "delivered",
        "read",
        "unanswered",
        "deferred",
        "overdue-deferred",
        "countered",
        "accepted",
        "scheduled",
    ):
        table[(state, "withdraw")] = "withdrawn"
    return table


TRANSITIONS: Mapping[tuple[str, str], str] = _transitions()
"""(state, event) → next state. A pair not in the table leaves the state unchanged."""


def step(state: str, event: str) -> str | None:
    """The state after ``event``, or None when the event does not apply in ``state``."""
    if state not in STATES or event not in EVENTS:
        raise ValueError(f"unknown state {state!r} or event {event!r}")
    return TRANSITIONS.get((state, event))


@dataclass(frozen=True, slots=True)
class Step:
    """One line of a request's history."""

    time: str
    event: str
    actor: str
    entry_id: str | None
    applied: bool
    state: str
    late: bool = False
    detail: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "time": self.time,
            "event": self.event,
            "actor": self.actor,
            "entry_id": self.entry_id,
            "applied": self.applied,
            "state": self.state,
            "late": self.late,
            "detail": dict(self.detail),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Step:
        return cls(**data)


@dataclass(frozen=True, slots=True)
class RequestView:
    """A request as the fold sees it. ``state`` is as of the last event folded; call
    :meth:`at` for the state at a given time (it fires a deadline that has passed)."""

    id: str
    kind: str
    requester: str
    counterpart: str
    seq: int
    time: str
    body: Mapping[str, Any]
    state: str = "proposed"
    delivered_at: str | None = None
    read_at: str | None = None
    read_by: str | None = None
    due: str | None = None
    delivered_late: bool = False
    answered_at: str | None = None
    answer_id: str | None = None
    answer: str | None = None
    late: bool = False
    reason: str | None = None
    conditions: tuple[str, ...] = ()
    deferred_until: str | None = None
    accepted_slot: Mapping[str, str] | None = None
    counter: Mapping[str, Any] | None = None
    scheduled_slot: Mapping[str, str] | None = None
    summary: str | None = None
    history: tuple[Step, ...] = ()

    @property
    def subject(self) -> str:
        return str(self.body["subject"])

    @property
    def format(self) -> str:
        return str(self.body.get("format", "explanation"))

    @property
    def level(self) -> str | None:
        level = self.body.get("level")
        return None if level is None else str(level)

    def direction(self, party: str) -> str:
        return "out" if self.requester == party else "in"

    @property
    def owed(self) -> bool:
        """The counterpart still owes an answer (or a deadline already passed without one)."""
        return self.state in AWAITING or self.state in OVERDUE

    def state_after_deadline(self) -> str | None:
        """The state this request takes when its armed deadline passes, if one is armed."""
        if self.deadline_pending() is None:
            return None
        return TRANSITIONS[(self.state, "deadline")]

    def to_dict(self) -> dict[str, Any]:
        """Every field, as JSON-ready values: a projection stores it and reads it back."""
        data = {name: getattr(self, name) for name in _VIEW_FIELDS}
        data["body"] = dict(self.body)
        data["conditions"] = list(self.conditions)
        data["history"] = [step.to_dict() for step in self.history]
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RequestView:
        values = dict(data)
        values["conditions"] = tuple(values["conditions"])
        values["history"] = tuple(Step.from_dict(step) for step in values["history"])
        return cls(**values)

    def deadline_pending(self) -> datetime | None:
        """When the next deadline fires, if one is armed in the current state."""
        if self.due is None or (self.state, "deadline") not in TRANSITIONS:
            return None
        # A deferral's promised time binds the party that made it. Otherwise an answer is
        # owed only once a receipt shows delivery by ``respond_by`` (docs/proofs.md, "The
        # three claims"); a read receipt alone does not start the clock.
        if self.state != "deferred" and (self.delivered_at is None or self.delivered_late):
            return None
        return parse_time(self.due)

    def at(self, now: datetime) -> RequestView:
        """This request's state at ``now`` (no later event than ``now`` may be folded in)."""
        pending = self.deadline_pending()
        if pending is None or not pending < now:
            return self
        # Overdue no earlier than the step that armed the deadline (a deferral to a time
        # already past is overdue from the deferral on), so the history stays in time order.
        last = self.history[-1].time if self.history else self.time
        return _apply(self, "deadline", max(format_time(pending), last), "system", None, {})

    def answer_seconds(self) -> float | None:
        """Time to answer, from delivery (or the request, if delivery is unknown)."""
        if self.answered_at is None:
            return None
        # A receipt we hold may be later than the first delivery (a lost reply was cosigned
        # again): an answer proves delivery by its own time, so never count below zero.
        start = min(self.delivered_at or self.time, self.answered_at)
        return (parse_time(self.answered_at) - parse_time(start)).total_seconds()


_VIEW_FIELDS = tuple(f.name for f in fields(RequestView))


def _apply(
    view: RequestView,
    event: str,
    time: str,
    actor: str,
    entry: Entry | None,
    detail: Mapping[str, Any],
) -> RequestView:
    target = TRANSITIONS.get((view.state, event))
    accepted_slot = _proposed_slot(view, entry) if event == "accept" else None
    if event == "accept" and accepted_slot is None:
        target = None  # accepting a slot that was never proposed accepts nothing
    if target is None:
        return replace(
            view,
            history=(
                *view.history,
                Step(
                    time,
                    event,
                    actor,
                    None if entry is None else entry.id,
                    False,
                    view.state,
                    False,
                    detail,
                ),
            ),
        )
    late = event in ANSWER_EVENTS and view.state in OVERDUE
    changes: dict[str, Any] = {"state": target}
    if event in ANSWER_EVENTS:
        if view.answered_at is None:
            changes.update(answered_at=time, late=late)
        changes["answer_id"] = entry.id if entry is not None else None
        changes["answer"] = event
    body = entry.body if entry is not None else {}
    if event == "accept":
        changes["accepted_slot"] = accepted_slot
    elif event == "decline":
        changes["reason"] = body.get("reason")
        changes["conditions"] = tuple(body.get("conditions", ()))
    elif event == "counter":
        changes["counter"] = {key: body[key] for key in ("slots", "format") if key in body}
    elif event == "defer":
        changes["deferred_until"] = body["until"]
        changes["due"] = body["until"]
    elif event == "schedule":
        changes["scheduled_slot"] = body.get("slot")
    elif event == "hold":
        changes["summary"] = body.get("summary")
    elif event in ("cancel", "withdraw"):
        changes["reason"] = body.get("reason", view.reason)
    step_ = Step(
        time, event, actor, None if entry is None else entry.id, True, target, late, detail
    )
    return replace(view, history=(*view.history, step_), **changes)


def _proposed_slot(view: RequestView, entry: Entry | None) -> Mapping[str, str] | None:
    """The slot of the request that an acceptance names, or None if there is no such slot."""
    slots = view.body.get("slots", [])
    number = entry.body.get("slot", 0) if entry is not None else 0
    if isinstance(number, bool) or not isinstance(number, int):
        return None
    return slots[number - 1] if 1 <= number <= len(slots) else None


def _event_of(entry: Entry) -> str | None:
    body = entry.body
    if entry.kind == Kind.RECEIPT_READ:
        return "read"
    if entry.kind == Kind.EXPLAIN_RESPONSE:
        return "reply"
    if entry.kind == Kind.CONTACT_RESPONSE:
        return str(body.get("answer"))
    if entry.kind == Kind.CONTACT_UPDATE:
        return {
            "scheduled": "schedule",
            "held": "hold",
            "cancelled": "cancel",
            "withdrawn": "withdraw",
        }.get(str(body.get("status")))
    return None


def _allowed(view: RequestView, event: str, entry: Entry) -> bool:
    """The event's author may cause it, on this link, and it is not dated before the request."""
    if {entry.sender, entry.recipient} != {view.requester, view.counterpart}:
        return False
    if entry.time < view.time:
        return False
    if event in ("accept", "decline", "counter", "defer") and view.kind != Kind.CONTACT_REQUEST:
        return False
    if event == "reply" and view.kind != Kind.EXPLAIN_REQUEST:
        return False
    if event in ("schedule", "hold", "cancel", "withdraw") and view.kind != Kind.CONTACT_REQUEST:
        return False
    who = ACTORS[event]
    if who == "counterpart":
        return entry.sender == view.counterpart
    if who == "requester":
        return entry.sender == view.requester
    return True


def new_view(request: Entry) -> RequestView:
    due = request.body.get("respond_by") if request.kind == Kind.CONTACT_REQUEST else None
    return RequestView(
        id=request.id,
        kind=request.kind,
        requester=request.sender,
        counterpart=request.recipient,
        seq=request.seq,
        time=request.time,
        body=request.body,
        due=due,
    )


def _deliver(view: RequestView, delivered: datetime) -> RequestView:
    stamp = format_time(delivered)
    changes: dict[str, Any] = {"delivered_at": stamp}
    if view.kind == Kind.EXPLAIN_REQUEST:
        changes["due"] = format_time(delivered + timedelta(hours=view.body["reply_within_hours"]))
    elif stamp > view.body["respond_by"]:  # not ``due``: a deferral may have moved it
        changes["delivered_late"] = True
    view = replace(view, **changes)
    return _apply(view, "deliver", stamp, "system", None, {})


def fold_request(
    request: Entry, follow_ups: Iterable[Entry], delivered: datetime | None
) -> RequestView:
    """One request's state from its follow-up entries (in either log) and its delivery time.

    Events are taken in time order (a deadline fires between the last event before it and
    the first after it); entries of equal time keep their log order.
    """
    timeline: list[tuple[str, int, Entry | None]] = []
    if delivered is not None:
        timeline.append((format_time(delivered), 0, None))
    for order, follow_up in enumerate(follow_ups, start=1):
        if request.id in follow_up.refs:
            timeline.append((follow_up.time, order, follow_up))
    timeline.sort(key=lambda item: (item[0], item[1]))
    view = new_view(request)
    for time, _, entry in timeline:
        view = view.at(parse_time(time))  # a deadline that passed before this event fires
        if entry is None:
            assert delivered is not None
            view = _deliver(view, delivered)
            continue
        event = _event_of(entry)
        if event is None or not _allowed(view, event, entry):
            continue
        if event == "read" and view.read_at is None:  # read is a fact, whatever the state
            view = replace(view, read_at=entry.time, read_by=entry.body.get("officer"))
        view = _apply(
            view,
            event,
            entry.time,
            entry.sender,
            entry,
            {"officer": entry.body.get("officer"), "lang": entry.body.get("lang")},
        )
    return view


def fold_requests(
    entries: Iterable[Entry],
    deliveries: Mapping[tuple[str, str], DeliveryTimes],
    now: datetime | None = None,
) -> dict[str, RequestView]:
    """Every request of a transcript with its state; at ``now`` when given.

    ``deliveries`` maps each log ``(sender, recipient)`` to its receipts.
    """
    requests: dict[str, Entry] = {}
    follow_ups: dict[str, list[Entry]] = {}
    for entry in entries:
        if entry.kind in REQUEST_KINDS:
            requests[entry.id] = entry
        elif entry.kind in FOLLOW_UP_KINDS:
            for ref in entry.refs:
                follow_ups.setdefault(ref, []).append(entry)
    views: dict[str, RequestView] = {}
    for request_id, request in requests.items():
        times = deliveries.get((request.sender, request.recipient))
        delivered = None if times is None else times.of(request.seq)
        # Follow-ups in log order: each log by seq, ours and theirs interleaved by time later.
        related = sorted(follow_ups.get(request_id, ()), key=lambda e: (e.sender, e.seq))
        view = fold_request(request, related, delivered)
        views[request_id] = view if now is None else view.at(now)
    return views
