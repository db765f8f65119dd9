"""Accountability figures: per counterpart and period, what was asked, answered, declined,
ignored, and how fast (README.md, "Contact requests, proofs and reports").

The figures are a pure fold over :class:`~openline.core.requests.RequestView` values, with
an explicit clock ``now``: nothing here reads the clock, the store or the network.

Theory of operation
-------------------
* **Period.** A request counts when its *signed* ``time`` lies in ``[since, until)``; a
  missing bound is open. What happened to it later (even after ``until``) is taken as of
  ``now``, so a request asked in March and declined in May shows as declined.
* **Directions.** *What we asked* holds the requests ``party`` sent to ``counterpart``;
  *what we were asked* holds the reverse. Requests of other links are ignored.
* **State at now.** Every view is advanced with ``view.at(now)``, so a deadline that has
  passed fires (``unanswered``, ``overdue-deferred``) even if nothing was folded since.
* **Answers.** An *answer* is accept, decline, counter, defer (contact requests) or reply
  (requests for explanation); reading is not answering. The *answer in force* is the
  counterpart's latest applied answer (``view.answer``): a deferral followed by an
  acceptance counts once, as accepted. *Time to answer* runs from delivery (the
  counterpart's first cosignature covering the request) to the *first* answer.
* **Outcome.** Each request has exactly one outcome (:data:`OUTCOMES`), so outcome counts
  add up to the number of requests; the other counts (:data:`COUNT_DEFINITIONS`) overlap.
* **Percentiles.** Median and p90 use the nearest-rank method: the p-th percentile of n
  sorted values is the value at rank ceil(p/100 × n), always an observed time.

Figures come only from verified transcripts: :func:`build_report` refuses to run unless
the caller states that ``openline verify`` accepted them, and records up to which cosigned
checkpoint each log is proven (:class:`ProvenUpTo`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime

from openline.core.contact import FORMATS, LEVELS
from openline.core.errors import OpenlineError
from openline.core.kinds import Kind
from openline.core.requests import ANSWER_EVENTS, AWAITING, OVERDUE, RequestView
from openline.core.timefmt import format_time, parse_time

REPORT_VERSION = 1
PERCENTILE_METHOD = "nearest-rank"

ASKED = "asked"
WERE_ASKED = "were_asked"

ANSWER_OUTCOMES: Mapping[str, str] = {
    "accept": "accepted",
    "decline": "declined",
    "counter": "countered",
    "defer": "deferred",
    "reply": "replied",
}

OUTCOMES: tuple[str, ...] = (
    "accepted",
    "replied",
    "countered",
    "deferred",
    "deferred-overdue",
    "declined",
    "unanswered",
    "pending",
    "undelivered",
    "withdrawn",
)
"""Every request has exactly one outcome at ``now`` (see :data:`OUTCOME_DEFINITIONS`)."""

OUTCOME_DEFINITIONS: Mapping[str, str] = {
    "accepted": "the answer in force is an acceptance",
    "replied": "a request for explanation that was replied to",
    "countered": "the answer in force is a counter-proposal",
    "deferred": "the answer in force is a deferral whose promised time has not passed",
    "deferred-overdue": "deferred, and the promised time passed with no further answer",
    "declined": "the answer in force is a refusal",
    "unanswered": "delivered in time, the deadline passed, and no answer exists",
    "pending": "delivered, no answer yet, and no deadline has passed against it",
    "undelivered": "not answered, and no cosignature of the counterpart covers it yet",
    "withdrawn": "withdrawn by the requester before any answer",
}

COUNT_DEFINITIONS: Mapping[str, str] = {
    "requests": "requests whose signed time lies in the period",
    "delivered": "a checkpoint cosigned by the counterpart covers the request (delivery receipt)",
    "delivered_after_deadline": "delivered only after its respond-by time; no deadline is held "
    "against the counterpart for it",
    "read": "the counterpart signed a read receipt for it",
    "answered": "the counterpart gave at least one answer (accept, decline, counter, defer, "
    "reply); reading is not answering",
    "accepted": "the answer in force (the counterpart's latest answer) is an acceptance",
    "declined": "the answer in force is a refusal",
    "countered": "the answer in force is a counter-proposal",
    "deferred": "the answer in force is a deferral (its promised time passed or not)",
    "replied": "a request for explanation the counterpart replied to",
    "answered_late": "at least one answer came after its deadline had passed (the respond-by "
    "time, the explanation window, or a deferral's promised time)",
    "unanswered": "state at report time is unanswered: delivered in time, deadline passed, no "
    "answer",
    "overdue_deferred": "state at report time is overdue-deferred: the promised time of a "
    "deferral passed with no further answer",
    "awaiting": "state at report time owes an answer and no deadline has passed yet "
    "(proposed, delivered, read or deferred)",
    "scheduled": "state at report time is scheduled",
    "held": "state at report time is held",
    "cancelled": "state at report time is cancelled",
    "withdrawn": "state at report time is withdrawn (by the requester)",
}
"""The report's legend: each count and exactly what it counts (keys as in :class:`Counts`)."""

TIME_DEFINITION = (
    "time to answer runs from delivery (or the request's signed time if delivery is unknown) "
    "to the first answer; median and p90 by the nearest-rank method"
)


class ReportError(OpenlineError):
    """A report cannot be built from what it was given."""

    code = "bad-report"


class UnverifiedTranscriptError(ReportError):
    """The transcripts were not accepted by ``openline verify``: no figures from them."""

    code = "unverified"


@dataclass(frozen=True, slots=True)
class ProvenUpTo:
    """A log (``"us-dod→prc-mnd"``) and the cosigned checkpoint the figures rest on."""

    log: str
    size: int
    time: str | None


@dataclass(frozen=True, slots=True)
class Counts:
    """How many requests of a group meet each definition of :data:`COUNT_DEFINITIONS`."""

    requests: int = 0
    delivered: int = 0
    delivered_after_deadline: int = 0
    read: int = 0
    answered: int = 0
    accepted: int = 0
    declined: int = 0
    countered: int = 0
    deferred: int = 0
    replied: int = 0
    answered_late: int = 0
    unanswered: int = 0
    overdue_deferred: int = 0
    awaiting: int = 0
    scheduled: int = 0
    held: int = 0
    cancelled: int = 0
    withdrawn: int = 0

    def to_dict(self) -> dict[str, int]:
        return {item.name: getattr(self, item.name) for item in fields(self)}


COUNT_NAMES: tuple[str, ...] = tuple(item.name for item in fields(Counts))


@dataclass(frozen=True, slots=True)
class AnswerTimes:
    """Time to answer over the answered requests of a group, in seconds."""

    answered: int
    median_seconds: float | None
    p90_seconds: float | None


@dataclass(frozen=True, slots=True)
class Figures:
    counts: Counts
    outcomes: Mapping[str, int]
    answer_times: AnswerTimes


@dataclass(frozen=True, slots=True)
class Group:
    """Figures of the requests of one format and/or level (None: any)."""

    format: str | None
    level: str | None
    figures: Figures


@dataclass(frozen=True, slots=True)
class AnswerMark:
    """One applied answer in a request's history."""

    time: str
    answer: str
    late: bool


@dataclass(frozen=True, slots=True)
class RequestRow:
    """One request as the report lists it; every time is an RFC 3339 UTC string."""

    id: str
    seq: int
    kind: str
    format: str
    level: str | None
    subject: str
    lang: str | None
    precedence: str | None
    state: str
    outcome: str
    time: str
    delivered_at: str | None
    delivered_late: bool
    read_at: str | None
    deadline: str | None
    deferred_until: str | None
    answered_at: str | None
    answer_seconds: float | None
    first_answer: str | None
    answer: str | None
    answered_late: bool
    answers: tuple[AnswerMark, ...]
    reason: str | None
    reason_lang: str | None
    conditions: tuple[str, ...]

    @property
    def label(self) -> str:
        """A short ASCII label, the same in tables and charts: ``#12 meeting/minister``."""
        level = "" if self.level is None else f"/{self.level}"
        return f"#{self.seq} {self.format}{level}"


@dataclass(frozen=True, slots=True)
class DirectionReport:
    """The figures of one direction: ``asked`` (requester → counterpart) or ``were_asked``."""

    name: str
    requester: str
    counterpart: str
    total: Figures
    by_format: tuple[Group, ...]
    by_level: tuple[Group, ...]
    by_format_level: tuple[Group, ...]
    requests: tuple[RequestRow, ...]

    @property
    def declines(self) -> tuple[RequestRow, ...]:
        """The requests whose answer in force is a refusal, with reasons and conditions."""
        return tuple(row for row in self.requests if row.answer == "decline")

    @property
    def overdue(self) -> tuple[RequestRow, ...]:
        """The requests unanswered or overdue-deferred at report time."""
        return tuple(row for row in self.requests if row.state in OVERDUE)


@dataclass(frozen=True, slots=True)
class Report:
    """Everything a report shows, ready for any renderer."""

    party: str
    counterpart: str
    since: str | None
    until: str | None
    generated_at: str
    proven: tuple[ProvenUpTo, ...]
    asked: DirectionReport
    were_asked: DirectionReport
    party_names: Mapping[str, str] = field(default_factory=dict)
    verified: bool = True

    @property
    def directions(self) -> tuple[DirectionReport, DirectionReport]:
        return (self.asked, self.were_asked)

    @property
    def is_empty(self) -> bool:
        return not self.asked.requests and not self.were_asked.requests

    def name_of(self, party: str) -> str:
        """``Name (id)`` when a display name is known, else the id."""
        name = self.party_names.get(party)
        return party if not name or name == party else f"{name} ({party})"


def nearest_rank(values: Sequence[float], percent: int) -> float:
    """The ``percent``-th percentile of ``values`` by the nearest-rank method.

    Raises:
        ValueError: no values, or ``percent`` outside 1..100.
    """
    if not values:
        raise ValueError("no values")
    if not 1 <= percent <= 100:
        raise ValueError(f"percent {percent} is not in 1..100")
    ordered = sorted(values)
    rank = -(-percent * len(ordered) // 100)  # ceil(percent / 100 * n), in integers
    return ordered[rank - 1]


def answer_times(seconds: Sequence[float]) -> AnswerTimes:
    if not seconds:
        return AnswerTimes(0, None, None)
    return AnswerTimes(len(seconds), nearest_rank(seconds, 50), nearest_rank(seconds, 90))


def human_duration(seconds: float | None) -> str:
    """``"3 h 12 min"``: the two largest non-zero units, truncated to whole seconds."""
    if seconds is None:
        return "–"
    sign = "-" if seconds < 0 else ""
    rest = int(abs(seconds))
    amounts: list[tuple[int, str]] = []
    for unit, size in (("d", 86_400), ("h", 3_600), ("min", 60), ("s", 1)):
        amount, rest = divmod(rest, size)
        amounts.append((amount, unit))
    first = next((index for index, (amount, _) in enumerate(amounts) if amount), None)
    if first is None:
        return "0 s"
    shown = [amounts[first]]
    if first + 1 < len(amounts) and amounts[first + 1][0]:
        shown.append(amounts[first + 1])
    return sign + " ".join(f"{amount} {unit}" for amount, unit in shown)


def _answers(view: RequestView) -> tuple[AnswerMark, ...]:
    return tuple(
        AnswerMark(step.time, step.event, step.late)
        for step in view.history
        if step.applied and step.event in ANSWER_EVENTS
    )


def outcome_of(view: RequestView) -> str:
    """The one outcome of :data:`OUTCOMES` of a view (already advanced to ``now``)."""
    if view.answer is not None:
        if view.answer == "defer" and view.state == "overdue-deferred":
            return "deferred-overdue"
        return ANSWER_OUTCOMES[view.answer]
    if view.state == "withdrawn":
        return "withdrawn"
    if view.state == "unanswered":
        return "unanswered"
    if view.delivered_at is None:
        return "undelivered"
    return "pending"


def _deadline(view: RequestView) -> str | None:
    if view.kind == Kind.CONTACT_REQUEST:
        respond_by = view.body.get("respond_by")
        return None if respond_by is None else str(respond_by)
    return view.due


def _decline_lang(view: RequestView) -> str | None:
    for step in reversed(view.history):
        if step.applied and step.event == "decline":
            lang = step.detail.get("lang")
            return None if lang is None else str(lang)
    return None


def request_row(view: RequestView) -> RequestRow:
    """The report's row of a view (already advanced to ``now``)."""
    marks = _answers(view)
    lang = view.body.get("lang")
    precedence = view.body.get("precedence")
    return RequestRow(
        id=view.id,
        seq=view.seq,
        kind=view.kind,
        format=view.format,
        level=view.level,
        subject=view.subject,
        lang=None if lang is None else str(lang),
        precedence=None if precedence is None else str(precedence),
        state=view.state,
        outcome=outcome_of(view),
        time=view.time,
        delivered_at=view.delivered_at,
        delivered_late=view.delivered_late,
        read_at=view.read_at,
        deadline=_deadline(view),
        deferred_until=view.deferred_until,
        answered_at=view.answered_at,
        answer_seconds=view.answer_seconds(),
        first_answer=marks[0].answer if marks else None,
        answer=view.answer,
        answered_late=any(mark.late for mark in marks),
        answers=marks,
        reason=view.reason,
        reason_lang=_decline_lang(view) if view.answer == "decline" else None,
        conditions=tuple(view.conditions),
    )


_STATE_COUNTS = {
    "unanswered": "unanswered",
    "overdue-deferred": "overdue_deferred",
    "scheduled": "scheduled",
    "held": "held",
    "cancelled": "cancelled",
    "withdrawn": "withdrawn",
}


def count_rows(rows: Iterable[RequestRow]) -> Counts:
    """The counts of :data:`COUNT_DEFINITIONS` over some rows."""
    tally = dict.fromkeys(COUNT_NAMES, 0)
    for row in rows:
        tally["requests"] += 1
        tally["delivered"] += row.delivered_at is not None
        tally["delivered_after_deadline"] += row.delivered_late
        tally["read"] += row.read_at is not None
        tally["answered"] += row.answered_at is not None
        if row.answer is not None:
            tally[ANSWER_OUTCOMES[row.answer]] += 1
        tally["answered_late"] += row.answered_late
        tally["awaiting"] += row.state in AWAITING
        if row.state in _STATE_COUNTS:
            tally[_STATE_COUNTS[row.state]] += 1
    return Counts(**tally)


def figures_of(rows: Sequence[RequestRow]) -> Figures:
    outcomes = dict.fromkeys(OUTCOMES, 0)
    for row in rows:
        outcomes[row.outcome] += 1
    seconds = [row.answer_seconds for row in rows if row.answer_seconds is not None]
    return Figures(count_rows(rows), outcomes, answer_times(seconds))


def _order(known: Sequence[str]) -> Callable[[str | None], tuple[int, str]]:
    def key(value: str | None) -> tuple[int, str]:
        if value is None:
            return (len(known), "")
        if value in known:
            return (known.index(value), "")
        return (len(known) + 1, value)

    return key


_FORMAT_ORDER = _order((*FORMATS, "explanation"))
_LEVEL_ORDER = _order(LEVELS)


def _direction(
    name: str, requester: str, counterpart: str, rows: Sequence[RequestRow]
) -> DirectionReport:
    rows = tuple(sorted(rows, key=lambda row: (row.time, row.seq)))
    formats = sorted({row.format for row in rows}, key=_FORMAT_ORDER)
    levels = sorted({row.level for row in rows}, key=_LEVEL_ORDER)
    pairs = sorted(
        {(row.format, row.level) for row in rows},
        key=lambda pair: (_FORMAT_ORDER(pair[0]), _LEVEL_ORDER(pair[1])),
    )
    return DirectionReport(
        name=name,
        requester=requester,
        counterpart=counterpart,
        total=figures_of(rows),
        by_format=tuple(
            Group(fmt, None, figures_of([row for row in rows if row.format == fmt]))
            for fmt in formats
        ),
        by_level=tuple(
            Group(None, level, figures_of([row for row in rows if row.level == level]))
            for level in levels
        ),
        by_format_level=tuple(
            Group(
                fmt,
                level,
                figures_of([row for row in rows if (row.format, row.level) == (fmt, level)]),
            )
            for fmt, level in pairs
        ),
        requests=rows,
    )


def _require_aware(name: str, moment: datetime | None) -> None:
    if moment is not None and moment.utcoffset() is None:
        raise ReportError(f"{name} is a naive time; give it a UTC offset", code="bad-period")


def build_report(
    views: Sequence[RequestView],
    *,
    party: str,
    counterpart: str,
    since: datetime | None,
    until: datetime | None,
    now: datetime,
    proven: Sequence[ProvenUpTo],
    verified: bool,
    party_names: Mapping[str, str] | None = None,
) -> Report:
    """The accountability report of ``party`` with ``counterpart`` over a period.

    Args:
        views: request views folded from the link's transcript (any link: requests between
            other parties are ignored). Nothing later than ``now`` may be folded into them.
        party: whose report this is ("we").
        counterpart: the other party.
        since: start of the period (inclusive), or None for no start.
        until: end of the period (exclusive), or None for no end.
        now: the report's clock: states and deadlines are taken at this time.
        proven: for each log, the cosigned checkpoint the figures rest on.
        verified: True only when ``openline verify`` accepted the transcripts.
        party_names: display names by party id, for headings.

    Returns:
        The report, with figures for both directions.

    Raises:
        UnverifiedTranscriptError: ``verified`` is False.
        ReportError: naive times, an empty period (``since >= until``), or party ==
            counterpart.
    """
    if not verified:
        raise UnverifiedTranscriptError(
            "refusing to report from transcripts that openline verify has not accepted; "
            "run openline verify and fix what it names first"
        )
    if party == counterpart:
        raise ReportError(f"party and counterpart are both {party!r}", code="bad-counterpart")
    _require_aware("since", since)
    _require_aware("until", until)
    _require_aware("now", now)
    if since is not None and until is not None and since >= until:
        raise ReportError(
            f"the period is empty: since {format_time(since)} is not before until "
            f"{format_time(until)}",
            code="bad-period",
        )
    ours: list[RequestRow] = []
    theirs: list[RequestRow] = []
    seen: set[str] = set()
    for view in views:
        if view.id in seen or {view.requester, view.counterpart} != {party, counterpart}:
            continue
        signed = parse_time(view.time)
        if (since is not None and signed < since) or (until is not None and signed >= until):
            continue
        seen.add(view.id)
        row = request_row(view.at(now))
        (ours if view.requester == party else theirs).append(row)
    return Report(
        party=party,
        counterpart=counterpart,
        since=None if since is None else format_time(since),
        until=None if until is None else format_time(until),
        generated_at=format_time(now),
        proven=tuple(proven),
        asked=_direction(ASKED, party, counterpart, ours),
        were_asked=_direction(WERE_ASKED, counterpart, party, theirs),
        party_names=dict(party_names or {}),
        verified=True,
    )
