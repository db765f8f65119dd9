"""Tests for openline.core.requests: the request state machine and the fold over transcripts.

Three layers:

* the transition table, exhaustively: every (state, event) pair, by enumeration and by
  Hypothesis, plus graph properties (reachability, final states, deadlines, answers);
* the fold, by property: real signed requests and random real signed follow-ups are folded
  by :func:`fold_request` and by :func:`reference_fold`, a small interpreter written here
  from nothing but ``TRANSITIONS``, ``ACTORS`` and the kind table, and the two must agree;
* concrete scenarios from the story (decline with conditions, late delivery, deferral gone
  overdue, a withdrawal racing an acceptance, read receipts that are not answers, ...).
"""

from __future__ import annotations

import itertools
from collections import Counter, deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openline.core.entry import Entry, sign_entry
from openline.core.keys import PrivateKey
from openline.core.kinds import KINDS
from openline.core.obligations import DeliveryTimes
from openline.core.requests import (
    ACTORS,
    ANSWER_EVENTS,
    AWAITING,
    EVENTS,
    FINAL,
    OVERDUE,
    STATES,
    TRANSITIONS,
    RequestView,
    fold_request,
    fold_requests,
    step,
)
from openline.core.timefmt import format_time, parse_time

Obj = dict[str, Any]

US, PRC, THIRD = "us-dod", "prc-mnd", "ru-mod"
KEYS = {
    US: PrivateKey.from_seed(bytes([1]) * 32),
    PRC: PrivateKey.from_seed(bytes([2]) * 32),
    THIRD: PrivateKey.from_seed(bytes([3]) * 32),
}
T0 = datetime(2026, 11, 29, 1, 0, tzinfo=UTC)
MS = timedelta(milliseconds=1)


def at(minutes: float) -> str:
    return format_time(T0 + timedelta(minutes=minutes))


def moment(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def stamp(minutes: float) -> int:
    return int(moment(minutes).timestamp())


# === the transition table ====================================================================

PAIRS = list(itertools.product(STATES, EVENTS))


def check_pair(state: str, event: str) -> None:
    result = step(state, event)
    assert result == TRANSITIONS.get((state, event))
    assert result is None or result in STATES
    if state in FINAL:
        assert result is None
    if event == "deadline" and result is not None:
        assert state in AWAITING - {"proposed"}
        assert result in OVERDUE


@pytest.mark.parametrize(("state", "event"), PAIRS, ids=[f"{s}-{e}" for s, e in PAIRS])
def test_step_is_the_table_for_every_pair(state: str, event: str) -> None:
    check_pair(state, event)


@settings(max_examples=300, deadline=None)
@given(state=st.sampled_from(STATES), event=st.sampled_from(EVENTS))
def test_step_is_the_table_for_any_drawn_pair(state: str, event: str) -> None:
    check_pair(state, event)


def test_table_names_only_known_states_and_events() -> None:
    for (state, event), target in TRANSITIONS.items():
        assert state in STATES
        assert event in EVENTS
        assert target in STATES
    assert len(set(STATES)) == len(STATES)
    assert len(set(EVENTS)) == len(EVENTS)
    assert set(EVENTS) >= ANSWER_EVENTS
    assert set(STATES) >= AWAITING | OVERDUE | FINAL
    assert not AWAITING & OVERDUE
    assert not AWAITING & FINAL
    assert not OVERDUE & FINAL


def test_final_states_allow_no_event() -> None:
    assert {"declined", "answered", "held", "cancelled", "withdrawn"} == FINAL
    for state, event in itertools.product(FINAL, EVENTS):
        assert step(state, event) is None


def test_only_final_states_are_dead_ends() -> None:
    for state in STATES:
        allowed = [event for event in EVENTS if step(state, event) is not None]
        assert bool(allowed) == (state not in FINAL), state


def reachable(start: str) -> set[str]:
    seen = {start}
    queue = deque([start])
    while queue:
        state = queue.popleft()
        for event in EVENTS:
            target = TRANSITIONS.get((state, event))
            if target is not None and target not in seen:
                seen.add(target)
                queue.append(target)
    return seen


def test_every_state_is_reachable_from_proposed() -> None:
    assert reachable("proposed") == set(STATES)


def test_every_state_can_still_end() -> None:
    for state in STATES:
        assert reachable(state) & FINAL, state


def test_nothing_leads_back_to_proposed() -> None:
    assert "proposed" not in TRANSITIONS.values()


def test_every_answer_from_an_awaiting_or_overdue_state_leaves_them() -> None:
    owing = AWAITING | OVERDUE
    for state, event in itertools.product(sorted(owing), sorted(ANSWER_EVENTS)):
        target = step(state, event)
        if event == "reply" and state in ("deferred", "overdue-deferred"):
            assert target is None  # only a contact request can be deferred
            continue
        assert target is not None, (state, event)
        assert target not in OVERDUE
        if event == "defer":
            assert target == "deferred"  # a promise of a later answer: owed again, later
        else:
            assert target not in AWAITING, (state, event)


def test_answers_apply_only_where_an_answer_is_owed() -> None:
    owing = AWAITING | OVERDUE
    for (state, event), _ in TRANSITIONS.items():
        if event in ANSWER_EVENTS and state not in owing:
            assert (state, event) == ("countered", "counter")  # a counter to its own counter


def test_deadline_moves_only_proposal_free_awaiting_states_to_overdue() -> None:
    fired = {state: target for (state, event), target in TRANSITIONS.items() if event == "deadline"}
    assert set(fired) == AWAITING - {"proposed"}  # undelivered: no one can owe an answer yet
    assert fired == {
        "delivered": "unanswered",
        "read": "unanswered",
        "deferred": "overdue-deferred",
    }


def test_updates_follow_an_agreement() -> None:
    # After the answer come scheduled, held (with a summary), cancelled, withdrawn (README.md,
    # "What openline is"): a meeting is scheduled or cancelled once a time is agreed or
    # proposed back, held once agreed.
    def sources(event: str) -> set[str]:
        return {state for (state, name) in TRANSITIONS if name == event}

    assert sources("schedule") == {"accepted", "countered", "scheduled"}
    assert sources("cancel") == {"accepted", "countered", "scheduled"}
    assert sources("hold") == {"accepted", "scheduled"}
    assert sources("deliver") == {"proposed"}
    assert sources("read") == {"proposed", "delivered"}


def test_withdrawal_ends_everything_not_yet_final_or_held() -> None:
    for state in STATES:
        if state in FINAL:
            assert step(state, "withdraw") is None
        else:
            assert step(state, "withdraw") == "withdrawn"


def test_actors_cover_every_event() -> None:
    assert set(ACTORS) == set(EVENTS)
    assert set(ACTORS.values()) <= {"system", "requester", "counterpart", "either"}
    assert {event for event, who in ACTORS.items() if who == "system"} == {"deliver", "deadline"}
    for event in ANSWER_EVENTS | {"read"}:
        assert ACTORS[event] == "counterpart"
    assert ACTORS["withdraw"] == "requester"


@pytest.mark.parametrize(
    ("state", "event"),
    [("nope", "read"), ("proposed", "nope"), ("", ""), ("Proposed", "deliver"), ("held", "ack")],
)
def test_unknown_state_or_event_raises(state: str, event: str) -> None:
    with pytest.raises(ValueError, match="unknown state"):
        step(state, event)


# === signed entries ===========================================================================


class Logs:
    """Signs entries for any party, numbering each ``sender→recipient`` log from 0."""

    def __init__(self) -> None:
        self.next_seq: Counter[tuple[str, str]] = Counter()

    def sign(
        self,
        sender: str,
        recipient: str,
        minutes: float,
        kind: str,
        body: Obj,
        refs: Sequence[str] = (),
    ) -> Entry:
        seq = self.next_seq[(sender, recipient)]
        self.next_seq[(sender, recipient)] += 1
        return sign_entry(
            sender=sender,
            recipient=recipient,
            seq=seq,
            time=at(minutes),
            kind=kind,
            body=body,
            refs=refs,
            key=KEYS[sender],
        )


def slot(start: float, end: float) -> dict[str, str]:
    return {"start": at(start), "end": at(end)}


def contact_body(respond_by: float, slots: int = 3, fmt: str = "phone-call") -> Obj:
    return {
        "format": fmt,
        "level": "minister",
        "from_official": {"name": "Secretary", "title": "Secretary of Defense"},
        "to_official": {"name": "Minister", "title": "Minister of National Defense"},
        "subject": "Unsafe intercept",
        "slots": [slot(5000 + 120 * index, 5060 + 120 * index) for index in range(slots)],
        "respond_by": at(respond_by),
        "precedence": "immediate",
        "lang": "en",
        "officer": "Lt. Smith",
    }


def explain_body(hours: int) -> Obj:
    return {
        "subject": "Launch without notice",
        "text": "Please explain.",
        "reply_within_hours": hours,
        "precedence": "priority",
        "lang": "en",
        "officer": "Lt. Smith",
    }


OFFICERS = {US: "Lt. Smith", PRC: "Col. Wang", THIRD: "Maj. Ivanov"}

# Follow-up variants: (kind, body maker). ``param`` is a slot number or a deferral offset.
VARIANTS: dict[str, tuple[str, Any]] = {
    "read": ("receipt.read", lambda who, minutes, param: {"officer": OFFICERS[who]}),
    "accept": (
        "contact.response",
        lambda who, minutes, param: {
            "answer": "accept",
            "slot": param,
            "officer": OFFICERS[who],
            "lang": "en",
        },
    ),
    "decline": (
        "contact.response",
        lambda who, minutes, param: {
            "answer": "decline",
            "reason": "Sanctions stand",
            "conditions": ["Lift sanctions", "Stop the patrols"][: param % 3] or ["None"],
            "officer": OFFICERS[who],
            "lang": "en",
        },
    ),
    "counter": (
        "contact.response",
        lambda who, minutes, param: (
            {"answer": "counter", "format": "video-call", "officer": OFFICERS[who], "lang": "en"}
            if param % 2
            else {
                "answer": "counter",
                "slots": [slot(7000, 7060)],
                "officer": OFFICERS[who],
                "lang": "en",
            }
        ),
    ),
    "defer": (
        "contact.response",
        lambda who, minutes, param: {
            "answer": "defer",
            "until": at(minutes + param),
            "officer": OFFICERS[who],
            "lang": "en",
        },
    ),
    "reply": (
        "explain.response",
        lambda who, minutes, param: {"text": "Training.", "lang": "en", "officer": OFFICERS[who]},
    ),
    "scheduled": (
        "contact.update",
        lambda who, minutes, param: {
            "status": "scheduled",
            "slot": slot(5000, 5060),
            "officer": OFFICERS[who],
            "lang": "en",
        },
    ),
    "held": (
        "contact.update",
        lambda who, minutes, param: {
            "status": "held",
            "summary": f"Summary {param}",
            "officer": OFFICERS[who],
            "lang": "en",
        },
    ),
    "cancelled": (
        "contact.update",
        lambda who, minutes, param: {
            "status": "cancelled",
            "reason": "Typhoon",
            "officer": OFFICERS[who],
            "lang": "en",
        },
    ),
    "withdrawn": (
        "contact.update",
        lambda who, minutes, param: {"status": "withdrawn", "officer": OFFICERS[who], "lang": "en"},
    ),
}


def follow_up(
    logs: Logs,
    request: Entry,
    variant: str,
    sender: str,
    minutes: float,
    param: int = 1,
    recipient: str | None = None,
    ref: str | None = None,
) -> Entry:
    kind, make = VARIANTS[variant]
    if recipient is None:
        recipient = request.recipient if sender == request.sender else request.sender
    return logs.sign(
        sender, recipient, minutes, kind, make(sender, minutes, param), [ref or request.id]
    )


# === the reference interpreter =================================================================

EVENT_OF_STATUS = {
    "scheduled": "schedule",
    "held": "hold",
    "cancelled": "cancel",
    "withdrawn": "withdraw",
}


def event_of(entry: Entry) -> str:
    if entry.kind == "receipt.read":
        return "read"
    if entry.kind == "explain.response":
        return "reply"
    if entry.kind == "contact.response":
        return str(entry.body["answer"])
    assert entry.kind == "contact.update"
    return EVENT_OF_STATUS[entry.body["status"]]


Line = tuple[str, str, str, str | None, bool, str, bool]
"""A history step without its detail: time, event, actor, entry id, applied, state, late."""


@dataclass
class Expected:
    """What the fold must compute, as the reference interpreter sees it."""

    request: Entry
    state: str = "proposed"
    history: list[Line] = field(default_factory=list)
    delivered_at: str | None = None
    delivered_late: bool = False
    deferred_until: str | None = None
    read_at: str | None = None
    read_by: str | None = None
    answered_at: str | None = None
    answer: str | None = None
    answer_id: str | None = None
    late: bool = False

    def due(self) -> str | None:
        """The armed deadline, if the current state has one to fire."""
        if (self.state, "deadline") not in TRANSITIONS:
            return None
        if self.state == "deferred":
            return self.deferred_until
        if self.delivered_at is None or self.delivered_late:
            return None  # no receipt by respond_by: nothing provably owed
        if self.request.kind == "contact.request":
            return str(self.request.body["respond_by"])
        hours = self.request.body["reply_within_hours"]
        return format_time(parse_time(self.delivered_at) + timedelta(hours=hours))

    def fire_deadlines(self, now: str) -> None:
        """Apply every deadline strictly before ``now``, dated when the state first owed it."""
        while (due := self.due()) is not None and due < now:
            entered = self.history[-1][0] if self.history else self.request.time
            self.apply("deadline", max(due, entered), "system", None)

    def apply(self, event: str, time: str, actor: str, entry: Entry | None) -> None:
        target = TRANSITIONS.get((self.state, event))
        entry_id = None if entry is None else entry.id
        if event == "accept":
            assert entry is not None
            if not 1 <= entry.body["slot"] <= len(self.request.body["slots"]):
                target = None
        if target is None:
            self.history.append((time, event, actor, entry_id, False, self.state, False))
            return
        late = event in ANSWER_EVENTS and self.state in OVERDUE
        if event in ANSWER_EVENTS:
            assert entry is not None
            if self.answered_at is None:
                self.answered_at, self.late = time, late
            self.answer, self.answer_id = event, entry.id
        if event == "defer":
            assert entry is not None
            self.deferred_until = entry.body["until"]
        self.state = target
        self.history.append((time, event, actor, entry_id, True, target, late))

    def permitted(self, entry: Entry, event: str) -> bool:
        request = self.request
        if {entry.sender, entry.recipient} != {request.sender, request.recipient}:
            return False
        if entry.time < request.time:
            return False
        if request.kind not in KINDS[entry.kind].answers:
            return False
        who = ACTORS[event]
        if who == "counterpart":
            return entry.sender == request.recipient
        if who == "requester":
            return entry.sender == request.sender
        return who == "either"


def reference_fold(
    request: Entry, follow_ups: Iterable[Entry], delivered: datetime | None
) -> Expected:
    """Fold ``request`` from the table alone: events in time order (a delivery first on equal
    times, then the order given), deadlines firing before the first event after them."""
    expected = Expected(request)
    timeline: list[tuple[str, int, Entry | None]] = []
    if delivered is not None:
        timeline.append((format_time(delivered), -1, None))
    timeline += [
        (entry.time, index, entry)
        for index, entry in enumerate(follow_ups)
        if request.id in entry.refs
    ]
    for time, _, entry in sorted(timeline, key=lambda item: (item[0], item[1])):
        expected.fire_deadlines(time)
        if entry is None:
            expected.delivered_at = time
            if request.kind == "contact.request":
                expected.delivered_late = time > request.body["respond_by"]
            expected.apply("deliver", time, "system", None)
            continue
        event = event_of(entry)
        if not expected.permitted(entry, event):
            continue
        if event == "read" and expected.read_at is None:
            expected.read_at, expected.read_by = entry.time, entry.body["officer"]
        expected.apply(event, entry.time, entry.sender, entry)
    return expected


def summary(view: RequestView) -> Obj:
    pending = view.deadline_pending()
    return {
        "state": view.state,
        "history": [
            (s.time, s.event, s.actor, s.entry_id, s.applied, s.state, s.late) for s in view.history
        ],
        "delivered_at": view.delivered_at,
        "delivered_late": view.delivered_late,
        "read_at": view.read_at,
        "read_by": view.read_by,
        "answered_at": view.answered_at,
        "answer": view.answer,
        "answer_id": view.answer_id,
        "late": view.late,
        "deadline": None if pending is None else format_time(pending),
    }


def expected_summary(expected: Expected) -> Obj:
    return {
        "state": expected.state,
        "history": expected.history,
        "delivered_at": expected.delivered_at,
        "delivered_late": expected.delivered_late,
        "read_at": expected.read_at,
        "read_by": expected.read_by,
        "answered_at": expected.answered_at,
        "answer": expected.answer,
        "answer_id": expected.answer_id,
        "late": expected.late,
        "deadline": expected.due(),
    }


def expected_at(expected: Expected, now: datetime) -> Obj:
    expected.fire_deadlines(format_time(now))
    return expected_summary(expected)


# === the fold, by property ======================================================================


@dataclass
class Scenario:
    request: Entry
    follow_ups: list[Entry]
    delivered: datetime | None
    now: datetime
    later: datetime


AUTHORS = ("counterpart",) * 5 + ("requester",) * 3 + ("third", "astray")
CONTACT_VARIANTS: tuple[str, ...] = (
    *("read", "accept", "accept", "decline", "counter", "defer", "defer"),
    *("scheduled", "scheduled", "held", "cancelled", "withdrawn", "withdrawn", "reply"),
)
EXPLAIN_VARIANTS = ("read", "read", "reply", "reply", "reply", "accept", "withdrawn", "held")


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    logs = Logs()
    requester, counterpart = draw(st.sampled_from([(US, PRC), (PRC, US)]))
    if draw(st.booleans()):
        slots = draw(st.integers(1, 3))
        body = contact_body(draw(st.integers(0, 3000)), slots)
        request = logs.sign(requester, counterpart, 0, "contact.request", body)
        variants = CONTACT_VARIANTS
    else:
        slots = 1
        request = logs.sign(
            requester, counterpart, 0, "explain.request", explain_body(draw(st.integers(1, 60)))
        )
        variants = EXPLAIN_VARIANTS
    times = sorted(draw(st.lists(st.integers(-60, 6000), max_size=9)))
    follow_ups: list[Entry] = []
    for minutes in times:
        author = draw(st.sampled_from(AUTHORS))
        variant = draw(st.sampled_from(variants))
        if variant == "accept":
            param = draw(st.integers(1, slots + 1))  # sometimes a slot never proposed
        elif variant == "defer":
            # sometimes a promise already broken when it is made
            param = draw(st.integers(-60, 0) | st.integers(1, 3000))
        else:
            param = draw(st.integers(1, 5))
        sender, recipient = {
            "counterpart": (counterpart, requester),
            "requester": (requester, counterpart),
            "third": (THIRD, draw(st.sampled_from([requester, counterpart]))),
            "astray": (counterpart, THIRD),
        }[author]
        follow_ups.append(
            follow_up(logs, request, variant, sender, minutes, param, recipient=recipient)
        )
    if draw(st.booleans()):  # a follow-up of some other request
        follow_ups.append(follow_up(logs, request, "accept", counterpart, 10, ref="ab" * 32))
    delivered = draw(st.none() | st.integers(0, 6000).map(moment))
    now, later = sorted(draw(st.lists(st.integers(0, 9000), min_size=2, max_size=2)))
    return Scenario(request, follow_ups, delivered, moment(now), moment(later))


@settings(max_examples=120, deadline=None)
@given(scenario=scenarios())
def test_fold_matches_the_reference_interpreter(scenario: Scenario) -> None:
    view = fold_request(scenario.request, scenario.follow_ups, scenario.delivered)
    expected = reference_fold(scenario.request, scenario.follow_ups, scenario.delivered)
    assert summary(view) == expected_summary(expected)
    assert summary(view.at(scenario.now)) == expected_at(expected, scenario.now)
    assert summary(view.at(scenario.later)) == expected_at(expected, scenario.later)


@settings(max_examples=80, deadline=None)
@given(scenario=scenarios())
def test_fold_invariants(scenario: Scenario) -> None:
    view = fold_request(scenario.request, scenario.follow_ups, scenario.delivered)
    for current in (view, view.at(scenario.now), view.at(scenario.later)):
        assert current.state in STATES
        times = [line.time for line in current.history]
        assert times == sorted(times)
        assert all(line.state in STATES for line in current.history)
        # the state is the state of the last applied step
        applied = [line for line in current.history if line.applied]
        assert current.state == (applied[-1].state if applied else "proposed")
        # every applied step is a transition of the table, from the state before it
        state = "proposed"
        for line in current.history:
            if line.applied:
                assert TRANSITIONS[(state, line.event)] == line.state
                state = line.state
            else:
                assert line.state == state
                assert not line.late
    # idempotent and monotone
    assert view.at(scenario.now).at(scenario.now) == view.at(scenario.now)
    assert view.at(scenario.now).at(scenario.later) == view.at(scenario.later)
    assert view.at(scenario.later).at(scenario.now) == view.at(scenario.later)


@settings(max_examples=80, deadline=None)
@given(scenario=scenarios())
def test_late_means_the_first_answer_came_after_the_deadline(scenario: Scenario) -> None:
    view = fold_request(scenario.request, scenario.follow_ups, scenario.delivered)
    state, first = "proposed", None
    for line in view.history:
        if line.applied and line.event in ANSWER_EVENTS:
            first = (line, state)
            break
        if line.applied:
            state = line.state
    if first is None:
        assert view.answered_at is None
        assert not view.late
        assert view.answer_seconds() is None
    else:
        line, before = first
        assert view.answered_at == line.time
        assert view.late == (before in OVERDUE) == line.late
        assert view.answer_seconds() is not None


@settings(max_examples=60, deadline=None)
@given(scenario=scenarios())
def test_only_the_right_party_moves_the_state(scenario: Scenario) -> None:
    request = scenario.request
    view = fold_request(request, scenario.follow_ups, scenario.delivered)
    for line in view.history:
        who = ACTORS[line.event]
        if who == "system":
            assert line.actor == "system"
            assert line.entry_id is None
        elif who == "either":
            assert line.actor in (request.sender, request.recipient)
        else:
            assert (
                line.actor == {"counterpart": request.recipient, "requester": request.sender}[who]
            )
    # Answers (and reads) by the requester, and anything by a third party, change nothing.
    ignored = [
        entry
        for entry in scenario.follow_ups
        if entry.sender == THIRD
        or (entry.sender == request.sender and entry.kind != "contact.update")
    ]
    kept = [entry for entry in scenario.follow_ups if entry not in ignored]
    # Compared after every event: a fold is "as of its last event", ignored ones included.
    end = moment(10**5)
    assert fold_request(request, kept, scenario.delivered).at(end) == view.at(end)


@settings(max_examples=60, deadline=None)
@given(scenario=scenarios())
def test_read_receipts_are_not_answers(scenario: Scenario) -> None:
    request = scenario.request
    view = fold_request(request, scenario.follow_ups, scenario.delivered)
    unread = [entry for entry in scenario.follow_ups if entry.kind != "receipt.read"]
    without_reads = fold_request(request, unread, scenario.delivered)
    assert without_reads.read_at is None
    assert (view.answered_at, view.answer_id, view.answer) == (
        without_reads.answered_at,
        without_reads.answer_id,
        without_reads.answer,
    )
    reads = [
        entry
        for entry in scenario.follow_ups
        if entry.kind == "receipt.read"
        and entry.sender == request.recipient
        and entry.recipient == request.sender
        and entry.time >= request.time
    ]
    assert view.read_at == (reads[0].time if reads else None)
    assert view.read_by == (reads[0].body["officer"] if reads else None)


@settings(max_examples=60, deadline=None)
@given(scenario=scenarios(), data=st.data())
def test_fold_does_not_depend_on_the_order_of_distinct_times(
    scenario: Scenario, data: st.DataObject
) -> None:
    times = [entry.time for entry in scenario.follow_ups]
    shuffled = data.draw(st.permutations(scenario.follow_ups))
    view = fold_request(scenario.request, scenario.follow_ups, scenario.delivered)
    if len(set(times)) == len(times):
        assert fold_request(scenario.request, shuffled, scenario.delivered) == view
    assert fold_request(scenario.request, iter(scenario.follow_ups), scenario.delivered) == view


# === concrete scenarios =========================================================================

RESPOND_BY = 600.0  # minutes after the request


def contact_request(
    logs: Logs, respond_by: float = RESPOND_BY, slots: int = 3, fmt: str = "meeting"
) -> Entry:
    body = contact_body(respond_by, slots, fmt)
    if fmt == "meeting":
        body["location"] = "Honolulu"
    return logs.sign(US, PRC, 0, "contact.request", body)


def explain_request(logs: Logs, hours: int = 48) -> Entry:
    return logs.sign(US, PRC, 0, "explain.request", explain_body(hours))


def applied_events(view: RequestView) -> list[tuple[str, bool]]:
    return [(line.event, line.applied) for line in view.history]


def test_a_fresh_request_is_proposed() -> None:
    logs = Logs()
    request = contact_request(logs)
    view = fold_request(request, [], None)
    assert (view.state, view.requester, view.counterpart, view.seq) == ("proposed", US, PRC, 0)
    assert (view.id, view.kind, view.time) == (request.id, "contact.request", request.time)
    assert view.due == at(RESPOND_BY)
    assert view.deadline_pending() is None  # nobody owes an answer to what never arrived
    assert view.at(moment(10**6)) == view
    assert (view.subject, view.format, view.level) == ("Unsafe intercept", "meeting", "minister")
    assert (view.direction(US), view.direction(PRC)) == ("out", "in")


def test_decline_with_reason_and_conditions() -> None:
    logs = Logs()
    request = contact_request(logs)
    decline = follow_up(logs, request, "decline", PRC, 90, param=2)
    view = fold_request(request, [decline], moment(30))
    assert view.state == "declined"
    assert view.reason == "Sanctions stand"
    assert view.conditions == ("Lift sanctions", "Stop the patrols")
    assert (view.answer, view.answer_id, view.answered_at) == ("decline", decline.id, at(90))
    assert not view.late
    assert view.answer_seconds() == 60 * 60  # from delivery, not from the request
    assert view.history[-1].detail == {"officer": "Col. Wang", "lang": "en"}
    assert view.at(moment(10**6)) == view  # final: no deadline fires


@pytest.mark.parametrize("number", [1, 2, 3])
def test_accept_picks_the_slot_it_names(number: int) -> None:
    logs = Logs()
    request = contact_request(logs)
    accept = follow_up(logs, request, "accept", PRC, 60, param=number)
    view = fold_request(request, [accept], moment(1))
    assert view.state == "accepted"
    assert view.accepted_slot == request.body["slots"][number - 1]
    assert view.deadline_pending() is None


def test_accepting_a_slot_never_proposed_accepts_nothing() -> None:
    logs = Logs()
    request = contact_request(logs, slots=2)
    wrong = follow_up(logs, request, "accept", PRC, 60, param=3)
    right = follow_up(logs, request, "accept", PRC, 70, param=2)
    view = fold_request(request, [wrong], moment(1))
    assert view.state == "delivered"
    assert view.accepted_slot is None
    assert view.answered_at is None
    assert applied_events(view) == [("deliver", True), ("accept", False)]
    view = fold_request(request, [wrong, right], moment(1))
    assert (view.state, view.accepted_slot) == ("accepted", request.body["slots"][1])
    assert view.answer_id == right.id


def test_second_acceptance_is_kept_but_not_applied() -> None:
    logs = Logs()
    request = contact_request(logs)
    first = follow_up(logs, request, "accept", PRC, 60, param=1)
    second = follow_up(logs, request, "accept", PRC, 61, param=2)
    view = fold_request(request, [first, second], moment(1))
    assert view.accepted_slot == request.body["slots"][0]
    assert view.answer_id == first.id
    assert view.history[-1].entry_id == second.id
    assert not view.history[-1].applied


def test_counter_then_schedule_then_hold_keeps_the_summary() -> None:
    logs = Logs()
    request = contact_request(logs)
    counter = follow_up(logs, request, "counter", PRC, 60, param=2)  # new slots
    scheduled = follow_up(logs, request, "scheduled", US, 120)
    held = follow_up(logs, request, "held", PRC, 5100, param=7)
    cancel = follow_up(logs, request, "cancelled", US, 5200)
    view = fold_request(request, [counter, scheduled, held, cancel], moment(1))
    assert view.state == "held"
    assert view.counter == {"slots": [slot(7000, 7060)]}
    assert view.scheduled_slot == slot(5000, 5060)
    assert view.summary == "Summary 7"
    assert (view.answer, view.answered_at) == ("counter", at(60))
    assert applied_events(view) == [
        ("deliver", True),
        ("counter", True),
        ("schedule", True),
        ("hold", True),
        ("cancel", False),
    ]
    assert [line.actor for line in view.history] == ["system", PRC, US, PRC, US]


def test_counter_with_a_new_format() -> None:
    logs = Logs()
    request = contact_request(logs)
    view = fold_request(request, [follow_up(logs, request, "counter", PRC, 60, param=1)], None)
    assert (view.state, view.counter) == ("countered", {"format": "video-call"})


def test_defer_then_overdue_then_accept_late() -> None:
    logs = Logs()
    request = contact_request(logs)
    defer = follow_up(logs, request, "defer", PRC, 300, param=700)  # until minute 1000
    view = fold_request(request, [defer], moment(10))
    assert (view.state, view.deferred_until, view.due) == ("deferred", at(1000), at(1000))
    assert view.deadline_pending() == moment(1000)
    assert view.at(moment(1000)).state == "deferred"  # due, not yet overdue
    overdue = view.at(moment(1000) + MS)
    assert overdue.state == "overdue-deferred"
    assert overdue.history[-1].time == at(1000)
    assert overdue.deadline_pending() is None
    accept = follow_up(logs, request, "accept", PRC, 1500, param=1)
    view = fold_request(request, [defer, accept], moment(10))
    assert view.state == "accepted"
    assert [line.event for line in view.history] == ["deliver", "defer", "deadline", "accept"]
    assert view.history[-1].late  # the acceptance came after the promised time ...
    assert not view.late  # ... but the first answer, the deferral, was on time
    assert (view.answered_at, view.answer, view.answer_id) == (at(300), "accept", accept.id)


def test_a_second_deferral_moves_the_deadline_again() -> None:
    logs = Logs()
    request = contact_request(logs)
    first = follow_up(logs, request, "defer", PRC, 300, param=100)  # until 400
    second = follow_up(logs, request, "defer", PRC, 500, param=500)  # until 1000, from overdue
    view = fold_request(request, [first, second], moment(10))
    assert view.state == "deferred"
    assert view.history[-1].late
    assert view.deadline_pending() == moment(1000)


def test_deferral_to_a_time_already_past_is_overdue_from_the_deferral_on() -> None:
    logs = Logs()
    request = contact_request(logs)
    defer = follow_up(logs, request, "defer", PRC, 300, param=-100)  # until minute 200
    view = fold_request(request, [defer], moment(10)).at(moment(301))
    assert view.state == "overdue-deferred"
    assert view.history[-1].time == at(300)  # never dated before the deferral itself
    assert [line.time for line in view.history] == sorted(line.time for line in view.history)


def test_delivered_after_respond_by_is_never_unanswered() -> None:
    logs = Logs()
    request = contact_request(logs)
    view = fold_request(request, [], moment(RESPOND_BY) + MS)
    assert view.delivered_late
    assert view.state == "delivered"
    assert view.deadline_pending() is None
    assert view.at(moment(10**6)).state == "delivered"
    read = follow_up(logs, request, "read", PRC, RESPOND_BY + 10)
    view = fold_request(request, [read], moment(RESPOND_BY) + MS).at(moment(10**6))
    assert (view.state, view.read_at) == ("read", at(RESPOND_BY + 10))


def test_delivered_exactly_at_respond_by_is_on_time() -> None:
    logs = Logs()
    request = contact_request(logs)
    view = fold_request(request, [], moment(RESPOND_BY))
    assert not view.delivered_late
    assert view.at(moment(RESPOND_BY)).state == "delivered"
    assert view.at(moment(RESPOND_BY) + MS).state == "unanswered"


def test_late_delivery_does_not_excuse_a_broken_deferral() -> None:
    logs = Logs()
    request = contact_request(logs)
    defer = follow_up(logs, request, "defer", PRC, RESPOND_BY + 60, param=100)
    view = fold_request(request, [defer], moment(RESPOND_BY + 30))
    assert view.delivered_late
    assert view.state == "deferred"
    assert view.at(moment(RESPOND_BY + 160) + MS).state == "overdue-deferred"


def test_deferral_before_a_late_receipt_still_marks_the_delivery_late() -> None:
    logs = Logs()
    request = contact_request(logs)
    defer = follow_up(logs, request, "defer", PRC, 30, param=2000)  # until minute 2030
    view = fold_request(request, [defer], moment(RESPOND_BY + 1))
    assert view.delivered_late  # late against respond_by, whatever the deferral promised
    assert view.state == "deferred"
    assert view.deadline_pending() == moment(2030)


def test_unanswered_after_the_deadline_and_a_late_answer() -> None:
    logs = Logs()
    request = contact_request(logs)
    view = fold_request(request, [], moment(5))
    assert view.deadline_pending() == moment(RESPOND_BY)
    assert view.at(moment(RESPOND_BY)).state == "delivered"
    unanswered = view.at(moment(RESPOND_BY) + MS)
    assert unanswered.state == "unanswered"
    assert unanswered.history[-1].event == "deadline"
    assert unanswered.history[-1].actor == "system"
    on_time = follow_up(logs, request, "decline", PRC, RESPOND_BY)
    view = fold_request(request, [on_time], moment(5))
    assert (view.state, view.late) == ("declined", False)
    late = follow_up(logs, request, "decline", PRC, RESPOND_BY + 0.001)
    view = fold_request(request, [late], moment(5))
    assert (view.state, view.late) == ("declined", True)
    assert [line.event for line in view.history] == ["deliver", "deadline", "decline"]


def test_explain_request_is_due_its_window_after_delivery() -> None:
    logs = Logs()
    request = explain_request(logs, hours=48)
    delivered = moment(30)
    view = fold_request(request, [], delivered)
    due = delivered + timedelta(hours=48)
    assert view.due == format_time(due)
    assert view.deadline_pending() == due
    assert view.at(due).state == "delivered"
    assert view.at(due + MS).state == "unanswered"
    reply = follow_up(logs, request, "reply", PRC, 30 + 48 * 60 + 5)
    view = fold_request(request, [reply], delivered)
    assert view.state == "answered"
    assert view.late
    assert view.answer == "reply"
    assert view.answer_seconds() == (48 * 60 + 5) * 60
    assert view.format == "explanation"
    assert view.level is None


def test_explain_request_never_delivered_is_never_unanswered() -> None:
    logs = Logs()
    request = explain_request(logs, hours=1)
    view = fold_request(request, [], None)
    assert view.due is None
    assert view.at(moment(10**6)).state == "proposed"


def test_explain_request_refuses_contact_answers() -> None:
    logs = Logs()
    request = explain_request(logs)
    accept = follow_up(logs, request, "accept", PRC, 10)
    withdraw = follow_up(logs, request, "withdrawn", US, 20)
    view = fold_request(request, [accept, withdraw], moment(1))
    assert view.state == "delivered"
    assert applied_events(view) == [("deliver", True)]


def test_read_receipts_record_who_read_and_when_but_answer_nothing() -> None:
    logs = Logs()
    request = contact_request(logs)
    first = follow_up(logs, request, "read", PRC, 20)
    again = logs.sign(PRC, US, 25, "receipt.read", {"officer": "Maj. Li"}, [request.id])
    view = fold_request(request, [first, again], moment(5))
    assert (view.state, view.read_at, view.read_by) == ("read", at(20), "Col. Wang")
    assert view.answered_at is None
    assert applied_events(view) == [("deliver", True), ("read", True), ("read", False)]
    assert view.at(moment(RESPOND_BY) + MS).state == "unanswered"


def test_read_after_an_answer_is_recorded_without_changing_the_state() -> None:
    logs = Logs()
    request = contact_request(logs)
    accept = follow_up(logs, request, "accept", PRC, 20)
    read = follow_up(logs, request, "read", PRC, 30)
    view = fold_request(request, [accept, read], moment(5))
    assert (view.state, view.read_at, view.read_by) == ("accepted", at(30), "Col. Wang")


def test_read_by_the_requester_or_astray_is_no_read() -> None:
    logs = Logs()
    request = contact_request(logs)
    own = follow_up(logs, request, "read", US, 20)
    astray = follow_up(logs, request, "read", PRC, 21, recipient=THIRD)
    early = follow_up(logs, request, "read", PRC, -1)
    view = fold_request(request, [own, astray, early], moment(5))
    assert (view.state, view.read_at, view.read_by) == ("delivered", None, None)
    assert applied_events(view) == [("deliver", True)]


def test_read_before_the_receipt_arrives() -> None:
    logs = Logs()
    request = contact_request(logs)
    read = follow_up(logs, request, "read", PRC, 20)
    view = fold_request(request, [read], moment(40))
    assert view.state == "read"
    assert view.delivered_at == at(40)
    assert applied_events(view) == [("read", True), ("deliver", False)]
    assert view.deadline_pending() == moment(RESPOND_BY)
    assert view.at(moment(RESPOND_BY) + MS).state == "unanswered"


def test_receipt_comes_before_a_read_of_the_same_instant() -> None:
    logs = Logs()
    request = contact_request(logs)
    read = follow_up(logs, request, "read", PRC, 20)
    view = fold_request(request, [read], moment(20))
    assert applied_events(view) == [("deliver", True), ("read", True)]


@pytest.mark.parametrize("read_at", [20, RESPOND_BY + 60])
def test_without_a_receipt_a_read_request_is_never_unanswered(read_at: float) -> None:
    # Unanswered needs a cosignature covering the request, dated by respond_by (docs/proofs.md,
    # "The three claims").
    logs = Logs()
    request = contact_request(logs)
    view = fold_request(request, [follow_up(logs, request, "read", PRC, read_at)], None)
    assert view.state == "read"
    assert view.deadline_pending() is None
    assert view.at(moment(10**6)).state == "read"
    late = fold_request(request, [follow_up(logs, request, "read", PRC, read_at)], moment(601))
    assert late.delivered_late
    assert late.at(moment(10**6)).state == "read"


@pytest.mark.parametrize("withdraw_first", [False, True], ids=["accept-first", "withdraw-first"])
def test_withdrawal_racing_an_acceptance(withdraw_first: bool) -> None:
    logs = Logs()
    request = contact_request(logs)
    accept = follow_up(logs, request, "accept", PRC, 100 if withdraw_first else 99, param=2)
    withdraw = follow_up(logs, request, "withdrawn", US, 99 if withdraw_first else 100)
    view = fold_request(request, [accept, withdraw], moment(5))
    assert view.state == "withdrawn"
    if withdraw_first:
        assert applied_events(view) == [("deliver", True), ("withdraw", True), ("accept", False)]
        assert view.answered_at is None
        assert view.accepted_slot is None
    else:
        assert applied_events(view) == [("deliver", True), ("accept", True), ("withdraw", True)]
        assert view.answered_at == at(99)
        assert view.accepted_slot == request.body["slots"][1]


def test_withdrawal_at_the_same_instant_follows_the_order_given() -> None:
    logs = Logs()
    request = contact_request(logs)
    accept = follow_up(logs, request, "accept", PRC, 100)
    withdraw = follow_up(logs, request, "withdrawn", US, 100)
    assert fold_request(request, [accept, withdraw], None).history[0].applied
    assert not fold_request(request, [withdraw, accept], None).history[1].applied


def test_withdrawal_by_the_counterpart_is_ignored() -> None:
    logs = Logs()
    request = contact_request(logs)
    withdraw = follow_up(logs, request, "withdrawn", PRC, 10)
    view = fold_request(request, [withdraw], moment(5))
    assert view.state == "delivered"
    assert applied_events(view) == [("deliver", True)]


def test_cancellation_keeps_its_reason() -> None:
    logs = Logs()
    request = contact_request(logs)
    accept = follow_up(logs, request, "accept", PRC, 10)
    cancel = follow_up(logs, request, "cancelled", PRC, 20)
    view = fold_request(request, [accept, cancel], moment(5))
    assert (view.state, view.reason) == ("cancelled", "Typhoon")


# --- fold_requests ------------------------------------------------------------------------------


def test_fold_requests_over_a_mixed_transcript() -> None:
    logs = Logs()
    flash = {"text": "t", "lang": "en", "precedence": "flash"}
    message = logs.sign(US, PRC, 0, "hotline.message", flash)
    outgoing = contact_request(logs)  # us-dod seq 1
    incoming = logs.sign(PRC, US, 2, "explain.request", explain_body(1))  # prc-mnd seq 0
    ack = logs.sign(PRC, US, 3, "hotline.ack", {"officer": "Col. Wang"}, [message.id])
    stray = follow_up(logs, outgoing, "accept", PRC, 4, ref="cd" * 32)
    decline = follow_up(logs, outgoing, "decline", PRC, 30)
    read = follow_up(logs, incoming, "read", US, 40)
    transcript = [message, outgoing, incoming, ack, stray, decline, read]
    deliveries = {
        (US, PRC): DeliveryTimes([(1, stamp(1)), (2, stamp(5))]),
        (PRC, US): DeliveryTimes([(1, stamp(3))]),
    }
    views = fold_requests(reversed(transcript), deliveries)
    assert set(views) == {outgoing.id, incoming.id}
    assert views[outgoing.id] == fold_request(outgoing, [decline, stray], moment(5))
    assert views[outgoing.id].delivered_at == at(5)  # seq 1: the receipt of size 2
    assert views[outgoing.id].state == "declined"
    assert views[incoming.id] == fold_request(incoming, [read], moment(3))
    assert views[incoming.id].state == "read"
    assert views[incoming.id].direction(US) == "in"
    later = fold_requests(transcript, deliveries, now=moment(3 + 60) + MS)
    assert later[incoming.id].state == "unanswered"
    assert later[outgoing.id] == views[outgoing.id]


def test_fold_requests_without_receipts_leaves_requests_proposed() -> None:
    logs = Logs()
    request = contact_request(logs)
    views = fold_requests([request], {}, now=moment(10**6))
    assert views[request.id].state == "proposed"
    assert views[request.id].delivered_at is None


def test_follow_up_of_an_unknown_request_is_ignored() -> None:
    logs = Logs()
    request = contact_request(logs)
    orphan = follow_up(logs, request, "decline", PRC, 10, ref="ef" * 32)
    views = fold_requests([orphan, request], {})
    assert set(views) == {request.id}
    assert views[request.id].history == ()
    assert fold_request(request, [orphan], None) == fold_request(request, [], None)
    assert fold_requests([orphan], {}) == {}


def test_fold_requests_orders_follow_ups_of_both_logs_by_time() -> None:
    logs = Logs()
    request = contact_request(logs)
    accept = follow_up(logs, request, "accept", PRC, 50)  # prc-mnd seq 0, later
    withdraw = follow_up(logs, request, "withdrawn", US, 40)  # us-dod seq 1, earlier
    views = fold_requests([accept, withdraw, request], {})
    assert views[request.id].state == "withdrawn"
    assert applied_events(views[request.id]) == [("withdraw", True), ("accept", False)]


def test_fold_requests_keeps_log_order_for_entries_of_equal_time() -> None:
    logs = Logs()
    request = contact_request(logs)
    first = follow_up(logs, request, "accept", PRC, 50, param=1)  # prc-mnd seq 0
    second = follow_up(logs, request, "accept", PRC, 50, param=2)  # prc-mnd seq 1
    view = fold_requests([second, request, first], {})[request.id]
    assert view.answer_id == first.id
    assert view.accepted_slot == request.body["slots"][0]
    assert [line.entry_id for line in view.history] == [first.id, second.id]


def test_mapping_views_are_read_only_values() -> None:
    logs = Logs()
    request = contact_request(logs)
    view = fold_request(request, [], None)
    assert isinstance(view.body, Mapping)
    with pytest.raises(AttributeError):
        view.state = "held"  # type: ignore[misc]
