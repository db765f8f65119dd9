"""Contact requests and requests for explanation on one node: the acts behind the commands
of ``openline.node.request_commands``, and the folded requests they read.

Each act builds a body, lets the core validate and sign it (the same schema a peer's
node applies at its door), and appends it through :meth:`Node.append`. Before answering,
an act folds the request's current state, so that an officer is told at once that a
request is already withdrawn or answered instead of signing an answer the fold will ignore.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar

from openline.core.contact import FORMATS
from openline.core.entry import Entry
from openline.core.kinds import Kind
from openline.core.obligations import evidence_covers
from openline.core.paging import Page, decode_cursor, encode_cursor
from openline.core.requests import TRANSITIONS, RequestView
from openline.core.timefmt import format_time
from openline.node.errors import (
    CommandError,
    choice,
    cursor_errors,
    invalid,
    language_tag,
    page_size,
)
from openline.node.projections import request_from_row
from openline.node.request_commands import (
    Answer,
    Explain,
    NewRequest,
    Update,
    slot_json,
)
from openline.store import projection as folds

if TYPE_CHECKING:
    from openline.node.ports import Ledger

REQUESTS_LIST = "requests"
_KEY = (str, str)  # (signed time, id)
P = ParamSpec("P")
R = TypeVar("R")


def serialized(
    method: Callable[Concatenate[Contacts, P], R],
) -> Callable[Concatenate[Contacts, P], R]:
    """Check the fold and append under the node's lock: two officers answering at once
    (or a double click) must not both pass the check and sign two answers."""

    def locked(self: Contacts, /, *args: P.args, **kwargs: P.kwargs) -> R:
        with self.node.lock:
            return method(self, *args, **kwargs)

    locked.__doc__ = method.__doc__
    return locked


_DONE = {
    "accept": "accepted",
    "decline": "declined",
    "counter": "countered",
    "defer": "deferred",
    "reply": "replied to",
    "schedule": "scheduled",
    "hold": "held",
    "cancel": "cancelled",
    "withdraw": "withdrawn",
}
"""How an event reads in "it cannot be … now"."""

_UPDATE_EVENTS = {
    "scheduled": "schedule",
    "held": "hold",
    "cancelled": "cancel",
    "withdrawn": "withdraw",
}


class Contacts:
    """Requests on one node: send, answer, update, and fold their state."""

    def __init__(self, node: Ledger) -> None:
        self.node = node

    # --- reading -------------------------------------------------------------------------

    def view(self, request_id: str, now: datetime | None = None) -> RequestView:
        """One request as folded, at ``now`` (the node's clock by default)."""
        found = self.find(request_id, now)
        if found is None:
            raise CommandError(f"no request {request_id}", code="unknown-request", status=404)
        return found

    def find(self, request_id: str, now: datetime | None = None) -> RequestView | None:
        with self.node.store.read() as connection:
            row = folds.request_row(connection, request_id)
        return None if row is None else request_from_row(row).at(now or self.node.clock())

    def page(
        self,
        *,
        limit: int | None = None,
        before: str | None = None,
        after: str | None = None,
        state: str | None = None,
        states: Sequence[str] | None = None,
        peer: str | None = None,
        direction: str | None = None,
        now: datetime | None = None,
    ) -> Page[RequestView]:
        """Requests newest first by signed time (or oldest first after a place), filtered
        by state at ``now``, the other party and direction, through the requests table's
        indexes: a page costs what it shows."""
        at = now or self.node.clock()
        count = page_size(limit)
        wanted = states if state is None else [state]
        with cursor_errors():
            start = None if before is None else decode_cursor(REQUESTS_LIST, before, _KEY)
            end = None if after is None else decode_cursor(REQUESTS_LIST, after, _KEY)
        with self.node.store.read() as connection:
            rows = folds.request_page(
                connection,
                before=_pair(start),
                after=_pair(end),
                limit=count + 1,
                peer=peer,
                party=self.node.party,
                direction=direction,
                states=wanted,
                now=format_time(at),
            )
        more = len(rows) > count
        rows = rows[:count]
        views = [request_from_row(row).at(at) for row in rows]
        if after is not None:  # read oldest first from the place: show newest first too
            views.reverse()
        first = (views[0].time, views[0].id) if views else None
        last = (views[-1].time, views[-1].id) if views else None
        older = last is not None and (more or after is not None)
        return Page(
            views,
            before=encode_cursor(REQUESTS_LIST, last) if older and last else None,
            after=encode_cursor(REQUESTS_LIST, first) if first else after,
        )

    def of_link(
        self, counterpart: str, since: datetime | None, until: datetime | None, now: datetime
    ) -> list[RequestView]:
        """Every request between this node and ``counterpart`` signed in the period."""
        with self.node.store.read() as connection:
            rows = folds.requests_of_link(
                connection,
                self.node.party,
                counterpart,
                None if since is None else format_time(since),
                None if until is None else format_time(until),
            )
        return [request_from_row(row).at(now) for row in rows]

    def evidence_until(self, view: RequestView) -> int | None:
        """Unix time of the counterpart's latest self-timed checkpoint of its log to the
        requester: how far a claim about what it did (not) answer can be proven."""
        return self.node.store.latest_cosignature_time(
            view.counterpart, view.requester, view.counterpart
        )

    def to_json_all(self, views: Sequence[RequestView]) -> list[dict[str, Any]]:
        """:meth:`to_json` of a page of views, reading each link's evidence time once."""
        evidence: dict[tuple[str, str], int | None] = {}
        shown = []
        for view in views:
            link = (view.counterpart, view.requester)
            if link not in evidence:
                evidence[link] = self.evidence_until(view)
            shown.append(self._json(view, evidence[link]))
        return shown

    def to_json(self, view: RequestView) -> dict[str, Any]:
        """The view as the API shows it."""
        return self._json(view, self.evidence_until(view))

    def _json(self, view: RequestView, until: int | None) -> dict[str, Any]:
        party = self.node.party
        proven = None if until is None else format_time(datetime.fromtimestamp(until, tz=UTC))
        data: dict[str, Any] = {
            "id": view.id,
            "kind": view.kind,
            "direction": view.direction(party),
            "requester": view.requester,
            "counterpart": view.counterpart,
            "seq": view.seq,
            "time": view.time,
            "format": view.format,
            "level": view.level,
            "subject": view.subject,
            "precedence": view.body.get("precedence"),
            "state": view.state,
            "due": view.due,
            "delivered_at": view.delivered_at,
            "delivered_late": view.delivered_late,
            "read_at": view.read_at,
            "read_by": view.read_by,
            "answered_at": view.answered_at,
            "answer": view.answer,
            "answer_id": view.answer_id,
            "late": view.late,
            "reason": view.reason,
            "conditions": list(view.conditions),
            "deferred_until": view.deferred_until,
            "accepted_slot": view.accepted_slot,
            "counter": view.counter,
            "scheduled_slot": view.scheduled_slot,
            "summary": view.summary,
            "body": dict(view.body),
            "evidence_until": proven,
            "provable": _provable(view, until),
            "history": [
                {
                    "time": step.time,
                    "event": step.event,
                    "actor": step.actor,
                    "entry_id": step.entry_id,
                    "applied": step.applied,
                    "state": step.state,
                    "late": step.late,
                }
                for step in view.history
            ],
        }
        data["note"] = _note(view, data)
        return data

    # --- acting --------------------------------------------------------------------------

    def request(self, new: NewRequest) -> Entry:
        self.node.peers.peer(new.to)
        body = new.body(self.node.clock())
        (entry,) = self.node.append(new.to, [(Kind.CONTACT_REQUEST, body, ())])
        return entry

    def explain(self, ask: Explain) -> Entry:
        self.node.peers.peer(ask.to)
        (entry,) = self.node.append(ask.to, [(Kind.EXPLAIN_REQUEST, ask.body(), tuple(ask.refs))])
        return entry

    @serialized
    def respond(self, request_id: str, answer: Answer) -> Entry:
        view = self._received(request_id, "answer")
        now = self.node.clock()
        kind_ok = (view.kind == Kind.EXPLAIN_REQUEST) == (answer.answer == "reply")
        if not kind_ok:  # which answers exist at all, the command's model says
            allowed = (
                "reply"
                if view.kind == Kind.EXPLAIN_REQUEST
                else "accept, decline, counter or defer"
            )
            raise invalid(f"a {view.kind} is answered with {allowed}", "invalid-answer")
        self._check_transition(view, answer.answer)
        body: dict[str, Any] = {"officer": answer.officer, "lang": language_tag(answer.lang)}
        if answer.answer == "reply":
            body["text"] = answer.text
            (entry,) = self.node.append(view.requester, [(Kind.EXPLAIN_RESPONSE, body, (view.id,))])
            return entry
        body["answer"] = answer.answer
        if answer.answer == "accept":
            count = len(view.body["slots"])
            if answer.slot is None or not 1 <= answer.slot <= count:
                raise invalid(
                    f"accept names one of the {count} proposed slots (--slot 1..{count})",
                    "invalid-slot",
                )
            body["slot"] = answer.slot
        elif answer.answer == "decline":
            body["reason"] = answer.reason
            if answer.conditions:
                body["conditions"] = list(answer.conditions)
        elif answer.answer == "counter":
            if not answer.slots and answer.format is None:
                raise invalid(
                    "a counter proposes new slots (--slot START/END) or a new --format", "no-slot"
                )
            if answer.slots:
                body["slots"] = [
                    slot_json(slot, now, f"slot {n}") for n, slot in enumerate(answer.slots, 1)
                ]
            if answer.format is not None:
                body["format"] = choice(answer.format, FORMATS, "format", "invalid-format")
        elif answer.answer == "defer":
            if answer.until is None or answer.until <= now:
                raise invalid(
                    "defer promises an answer by a time in the future (--until)", "until-past"
                )
            body["until"] = format_time(answer.until)
        if answer.note is not None:
            body["note"] = answer.note
        (entry,) = self.node.append(view.requester, [(Kind.CONTACT_RESPONSE, body, (view.id,))])
        return entry

    @serialized
    def update(self, request_id: str, update: Update) -> Entry:
        view = self.view(request_id)
        party = self.node.party
        if party not in (view.requester, view.counterpart):
            raise CommandError("not a request of this node", code="unknown-request", status=404)
        if view.kind != Kind.CONTACT_REQUEST:
            raise invalid(
                "only a contact request is scheduled, held, cancelled or withdrawn",
                "invalid-update",
            )
        if update.status == "withdrawn" and party != view.requester:
            raise CommandError(
                f"only {view.requester}, who sent the request, may withdraw it",
                code="not-requester",
                status=403,
            )
        self._check_transition(view, _UPDATE_EVENTS[update.status])
        body: dict[str, Any] = {
            "status": update.status,
            "officer": update.officer,
            "lang": language_tag(update.lang),
        }
        if update.status == "scheduled":
            if update.slot is None:
                raise invalid("scheduled needs the agreed --slot START/END", "no-slot")
            body["slot"] = slot_json(update.slot, self.node.clock())
        elif update.status == "held":
            body["summary"] = update.summary
        elif update.status == "cancelled" or update.reason is not None:
            body["reason"] = update.reason
        if update.note is not None and update.status == "scheduled":
            body["note"] = update.note
        other = view.counterpart if party == view.requester else view.requester
        (entry,) = self.node.append(other, [(Kind.CONTACT_UPDATE, body, (view.id,))])
        return entry

    @serialized
    def read(self, request_id: str, officer: str) -> Entry:
        view = self._received(request_id, "mark as read")
        if view.read_at is not None:
            raise CommandError(
                f"already read by {view.read_by} at {view.read_at}", code="already-read", status=409
            )
        (entry,) = self.node.append(
            view.requester, [(Kind.RECEIPT_READ, {"officer": officer}, (view.id,))]
        )
        return entry

    # --- checks --------------------------------------------------------------------------

    def _received(self, request_id: str, what: str) -> RequestView:
        view = self.view(request_id)
        if view.counterpart != self.node.party:
            raise CommandError(
                f"only {view.counterpart}, who received the request, can {what} it",
                code="not-recipient",
                status=403,
            )
        return view

    @staticmethod
    def _check_transition(view: RequestView, event: str) -> None:
        if (view.state, event) not in TRANSITIONS:
            raise CommandError(
                f"the request is {view.state}: it cannot be {_DONE.get(event, event)} now",
                code="invalid-transition",
                status=409,
            )


def _pair(key: tuple[object, ...] | None) -> tuple[str, str] | None:
    return None if key is None else (str(key[0]), str(key[1]))


def _provable(view: RequestView, evidence_until: int | None) -> bool | None:
    """For an unanswered request: does a counterpart checkpoint timed after the deadline
    exist, so that ``openline prove unanswered`` can show it? None for other states."""
    if view.state != "unanswered" or view.due is None:
        return None
    return evidence_covers(view.due, evidence_until)


def _note(view: RequestView, data: dict[str, Any]) -> str:
    """One line that says exactly what is known and what is proven."""
    if view.state == "proposed":
        if view.due is not None and data["delivered_at"] is None:
            return "not yet delivered: no receipt from the counterpart"
        return "not yet delivered"
    if view.delivered_late:
        return (
            f"delivered {view.delivered_at}, after its deadline {view.body['respond_by']}: "
            "not held against the counterpart"
        )
    if view.state == "unanswered":
        if data["provable"]:
            return (
                f"delivered {view.delivered_at}; no answer by {view.due}; provable with the "
                f"counterpart's checkpoint of {data['evidence_until']}"
            )
        seen = data["evidence_until"] or "never"
        return (
            f"delivered {view.delivered_at}; no answer seen by {view.due}, but the counterpart's "
            f"log is proven only up to {seen}: unproven until it is heard from after the deadline"
        )
    if view.late:
        return f"answered {view.answered_at}, after its deadline"
    return view.state
