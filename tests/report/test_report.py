"""Tests for openline.report: the figures, and the Markdown, JSON and HTML renderings.

The fixture is a realistic month of traffic between us-dod and prc-mnd, built from real
signed entries folded by ``openline.core.requests``: every outcome occurs at least once in
one direction. Each request's expected fate is written down by hand (:data:`EXPECTED`),
and every count of the report is checked against a tally of those expectations.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from openline.core.entry import Entry, sign_entry
from openline.core.keys import PrivateKey
from openline.core.requests import RequestView, fold_request, new_view
from openline.core.timefmt import format_time
from openline.report import (
    COUNT_DEFINITIONS,
    OUTCOMES,
    Counts,
    ProvenUpTo,
    Report,
    ReportError,
    UnverifiedTranscriptError,
    build_report,
    human_duration,
    nearest_rank,
    render_html,
    render_json,
    render_markdown,
)
from openline.report.charts import outcomes_svg, timeline_svg
from openline.report.figures import answer_times
from openline.report.render import md_escape

US, PRC, RU = "us-dod", "prc-mnd", "ru-mod"
KEYS = {
    US: PrivateKey.from_seed(bytes([1]) * 32),
    PRC: PrivateKey.from_seed(bytes([2]) * 32),
    RU: PrivateKey.from_seed(bytes([3]) * 32),
}
START = datetime(2026, 3, 1, tzinfo=UTC)
SINCE = START
UNTIL = datetime(2026, 3, 31, tzinfo=UTC)
NOW = datetime(2026, 4, 1, tzinfo=UTC)
HOSTILE = '<script>alert("x")</script> & <img src=x onerror=alert(1)>'
ZH_REASON = "在制裁解除之前，会晤的可能性很小。"
PROVEN = (
    ProvenUpTo(f"{US}→{PRC}", 40, "2026-03-31T23:00:00.000Z"),
    ProvenUpTo(f"{PRC}→{US}", 35, "2026-03-31T23:05:00.000Z"),
)
NAMES = {US: "U.S. Department of Defense", PRC: "中华人民共和国国防部"}


def t(days: float, hours: float = 0, minutes: float = 0) -> datetime:
    return START + timedelta(days=days, hours=hours, minutes=minutes)


def ts(days: float, hours: float = 0, minutes: float = 0) -> str:
    return format_time(t(days, hours, minutes))


class Transcript:
    """Signs entries with each party's key, numbering each log from 0."""

    def __init__(self) -> None:
        self.seqs: Counter[tuple[str, str]] = Counter()

    def sign(
        self,
        sender: str,
        recipient: str,
        time: str,
        kind: str,
        body: Mapping[str, Any],
        refs: Sequence[str] = (),
    ) -> Entry:
        seq = self.seqs[(sender, recipient)]
        self.seqs[(sender, recipient)] += 1
        return sign_entry(
            sender=sender,
            recipient=recipient,
            seq=seq,
            time=time,
            kind=kind,
            body=body,
            refs=refs,
            key=KEYS[sender],
        )


@dataclass(frozen=True)
class Expected:
    """A request's fate at NOW, written by hand."""

    direction: str  # "asked" or "were_asked"
    format: str
    level: str | None
    state: str
    outcome: str
    delivered: bool = True
    read: bool = False
    answer: str | None = None
    answered_late: bool = False
    delivered_late: bool = False
    answer_seconds: float | None = None


@dataclass
class Case:
    """One request, its follow-ups and its delivery, then what it should come to."""

    request: Entry
    follow_ups: list[Entry]
    delivered: datetime | None
    expected: Expected | None  # None: outside the period or the link

    def view(self) -> RequestView:
        return fold_request(self.request, self.follow_ups, self.delivered)


def contact_body(
    fmt: str, level: str, subject: str, respond_by: str, lang: str = "en"
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "format": fmt,
        "level": level,
        "from_official": {"name": "A. Official", "title": "Secretary"},
        "to_official": {"name": "B. Official", "title": "Minister"},
        "subject": subject,
        "slots": [
            {"start": "2026-04-10T09:00:00.000Z", "end": "2026-04-10T10:00:00.000Z"},
            {"start": "2026-04-11T09:00:00.000Z", "end": "2026-04-11T10:00:00.000Z"},
        ],
        "respond_by": respond_by,
        "precedence": "priority",
        "lang": lang,
        "officer": "Duty Officer",
    }
    if fmt == "meeting":
        body["location"] = "Singapore"
    if fmt == "dialogue":
        body["series"] = "Maritime Consultative Agreement talks"
    return body


def answer_body(answer: str, lang: str = "en", **fields: Any) -> dict[str, Any]:
    return {"answer": answer, "officer": "Col. Wang", "lang": lang, **fields}


def update_body(status: str, **fields: Any) -> dict[str, Any]:
    return {"status": status, "officer": "Duty Officer", "lang": "en", **fields}


READ = {"officer": "Lt. Chen"}
COUNTER_SLOTS = [{"start": "2026-04-20T09:00:00.000Z", "end": "2026-04-20T10:00:00.000Z"}]


def build_cases() -> list[Case]:
    tr = Transcript()
    cases: list[Case] = []

    def contact(
        requester: str,
        counterpart: str,
        day: float,
        fmt: str,
        level: str,
        subject: str,
        respond_by: str,
        lang: str = "en",
    ) -> Entry:
        return tr.sign(
            requester,
            counterpart,
            ts(day),
            "contact.request",
            contact_body(fmt, level, subject, respond_by, lang),
        )

    def reply(sender: str, request: Entry, time: str, kind: str, body: Mapping[str, Any]) -> Entry:
        return tr.sign(sender, request.sender, time, kind, body, (request.id,))

    # --- What we asked (us-dod → prc-mnd) ---------------------------------------------
    # 1. Accepted in 3 h 12 min, scheduled, then held.
    r = contact(US, PRC, 1, "phone-call", "minister", "Call on the Strait incident", ts(3))
    cases.append(
        Case(
            r,
            [
                reply(PRC, r, ts(1, 2), "receipt.read", READ),
                reply(PRC, r, ts(1, 3, 13), "contact.response", answer_body("accept", slot=1)),
                tr.sign(
                    US,
                    PRC,
                    ts(2),
                    "contact.update",
                    update_body(
                        "scheduled",
                        slot={
                            "start": "2026-04-10T09:00:00.000Z",
                            "end": "2026-04-10T10:00:00.000Z",
                        },
                    ),
                    (r.id,),
                ),
                tr.sign(
                    US,
                    PRC,
                    ts(2, 1),
                    "contact.update",
                    update_body("held", summary="Both sides stated positions."),
                    (r.id,),
                ),
            ],
            t(1, 0, 1),
            Expected(
                "asked",
                "phone-call",
                "minister",
                "held",
                "accepted",
                read=True,
                answer="accept",
                answer_seconds=3 * 3600 + 12 * 60,
            ),
        )
    )
    # 2. Declined after 1 day, with a reason (in Chinese) and conditions.
    r = contact(US, PRC, 2, "meeting", "minister", "Meeting at the Shangri-La Dialogue", ts(6))
    cases.append(
        Case(
            r,
            [
                reply(PRC, r, ts(2, 5), "receipt.read", READ),
                reply(
                    PRC,
                    r,
                    ts(3, 0, 1),
                    "contact.response",
                    answer_body(
                        "decline",
                        lang="zh",
                        reason=ZH_REASON,
                        conditions=["解除制裁", "停止抵近侦察"],
                    ),
                ),
            ],
            t(2, 0, 1),
            Expected(
                "asked",
                "meeting",
                "minister",
                "declined",
                "declined",
                read=True,
                answer="decline",
                answer_seconds=86400,
            ),
        )
    )
    # 3. Delivered, never read, deadline passed: unanswered.
    r = contact(US, PRC, 3, "video-call", "commander", "Theatre commanders' call", ts(5))
    cases.append(
        Case(
            r,
            [],
            t(3, 0, 1),
            Expected("asked", "video-call", "commander", "unanswered", "unanswered"),
        )
    )
    # 4. Read, deferred to a promised time that passed: overdue-deferred.
    r = contact(US, PRC, 4, "meeting", "minister", "Defence ministers' meeting", ts(6))
    cases.append(
        Case(
            r,
            [
                reply(PRC, r, ts(4, 1), "receipt.read", READ),
                reply(PRC, r, ts(4, 2, 1), "contact.response", answer_body("defer", until=ts(10))),
            ],
            t(4, 0, 1),
            Expected(
                "asked",
                "meeting",
                "minister",
                "overdue-deferred",
                "deferred-overdue",
                read=True,
                answer="defer",
                answer_seconds=7200,
            ),
        )
    )
    # 5. Deferred, promise broken, then accepted late.
    r = contact(US, PRC, 5, "dialogue", "working", "Maritime safety talks, round 3", ts(7))
    cases.append(
        Case(
            r,
            [
                reply(PRC, r, ts(5, 0, 31), "contact.response", answer_body("defer", until=ts(8))),
                reply(PRC, r, ts(9), "contact.response", answer_body("accept", slot=2)),
            ],
            t(5, 0, 1),
            Expected(
                "asked",
                "dialogue",
                "working",
                "accepted",
                "accepted",
                answer="accept",
                answered_late=True,
                answer_seconds=1800,
            ),
        )
    )
    # 6. Countered with a new slot.
    r = contact(US, PRC, 6, "phone-call", "commander", "Call on the air intercept", ts(8))
    cases.append(
        Case(
            r,
            [
                reply(
                    PRC,
                    r,
                    ts(6, 6, 1),
                    "contact.response",
                    answer_body("counter", slots=COUNTER_SLOTS),
                )
            ],
            t(6, 0, 1),
            Expected(
                "asked",
                "phone-call",
                "commander",
                "countered",
                "countered",
                answer="counter",
                answer_seconds=6 * 3600,
            ),
        )
    )
    # 7. Unanswered past the deadline, then declined late.
    r = contact(US, PRC, 7, "phone-call", "minister", "Call after the collision", ts(8))
    cases.append(
        Case(
            r,
            [
                reply(
                    PRC,
                    r,
                    ts(12, 0, 1),
                    "contact.response",
                    answer_body("decline", reason="Not now.", conditions=["Apology first"]),
                )
            ],
            t(7, 0, 1),
            Expected(
                "asked",
                "phone-call",
                "minister",
                "declined",
                "declined",
                answer="decline",
                answered_late=True,
                answer_seconds=5 * 86400,
            ),
        )
    )
    # 8. Delivered, deadline still ahead: awaiting (pending).
    r = contact(US, PRC, 25, "video-call", "working", "Working-level video call", ts(40))
    cases.append(
        Case(r, [], t(25, 0, 1), Expected("asked", "video-call", "working", "delivered", "pending"))
    )
    # 9. Never delivered (no cosignature covers it): undelivered, no deadline held.
    r = contact(US, PRC, 26, "meeting", "working", "Working group meeting", ts(27))
    cases.append(
        Case(
            r,
            [],
            None,
            Expected("asked", "meeting", "working", "proposed", "undelivered", delivered=False),
        )
    )
    # 10. Withdrawn by us before any answer.
    r = contact(US, PRC, 10, "phone-call", "working", "Call we no longer need", ts(14))
    cases.append(
        Case(
            r,
            [
                tr.sign(
                    US,
                    PRC,
                    ts(11),
                    "contact.update",
                    update_body("withdrawn", reason="Overtaken by events"),
                    (r.id,),
                )
            ],
            t(10, 0, 1),
            Expected("asked", "phone-call", "working", "withdrawn", "withdrawn"),
        )
    )
    # 11. Request for explanation, replied within the window.
    r = tr.sign(
        US,
        PRC,
        ts(12),
        "explain.request",
        {
            "subject": "Unsafe intercept on 11 March",
            "text": "Explain the intercept.",
            "reply_within_hours": 48,
            "precedence": "immediate",
            "lang": "en",
            "officer": "Duty Officer",
        },
    )
    cases.append(
        Case(
            r,
            [
                reply(
                    PRC,
                    r,
                    ts(13),
                    "explain.response",
                    {"text": "Routine.", "lang": "en", "officer": "Col. Wang"},
                )
            ],
            t(12, 0, 1),
            Expected(
                "asked",
                "explanation",
                None,
                "answered",
                "replied",
                answer="reply",
                answer_seconds=86400 - 60,
            ),
        )
    )
    # 12. Request for explanation, window passed with no reply: unanswered.
    r = tr.sign(
        US,
        PRC,
        ts(14),
        "explain.request",
        {
            "subject": "Laser illumination",
            "text": "Explain.",
            "reply_within_hours": 48,
            "precedence": "immediate",
            "lang": "en",
            "officer": "Duty Officer",
        },
    )
    cases.append(
        Case(r, [], t(14, 0, 1), Expected("asked", "explanation", None, "unanswered", "unanswered"))
    )
    # 13. Accepted, then cancelled by them.
    r = contact(US, PRC, 15, "video-call", "chief-of-defence", "CHOD video call", ts(17))
    cases.append(
        Case(
            r,
            [
                reply(PRC, r, ts(15, 12, 1), "contact.response", answer_body("accept", slot=1)),
                tr.sign(
                    PRC,
                    US,
                    ts(16),
                    "contact.update",
                    update_body("cancelled", reason="Schedule conflict"),
                    (r.id,),
                ),
            ],
            t(15, 0, 1),
            Expected(
                "asked",
                "video-call",
                "chief-of-defence",
                "cancelled",
                "accepted",
                answer="accept",
                answer_seconds=12 * 3600,
            ),
        )
    )
    # 14. Delivered after its respond-by time: never held against them, still pending.
    r = contact(US, PRC, 20, "phone-call", "working", "Late-delivered call", ts(20, 1))
    cases.append(
        Case(
            r,
            [],
            t(20, 2),
            Expected("asked", "phone-call", "working", "delivered", "pending", delivered_late=True),
        )
    )
    # 15. Deferred to a promised time still ahead: deferred, still awaiting.
    r = contact(US, PRC, 22, "dialogue", "commander", "Military maritime talks", ts(24))
    cases.append(
        Case(
            r,
            [reply(PRC, r, ts(22, 10, 1), "contact.response", answer_body("defer", until=ts(35)))],
            t(22, 0, 1),
            Expected(
                "asked",
                "dialogue",
                "commander",
                "deferred",
                "deferred",
                answer="defer",
                answer_seconds=10 * 3600,
            ),
        )
    )
    # Outside the period: before since, and exactly at until (exclusive).
    r = contact(US, PRC, -1, "phone-call", "minister", "February call", ts(1))
    cases.append(Case(r, [], t(-1, 0, 1), None))
    r = contact(US, PRC, 30, "phone-call", "minister", "Call signed at until", ts(32))
    cases.append(Case(r, [], t(30, 0, 1), None))

    # --- What we were asked (prc-mnd → us-dod) ----------------------------------------
    r = contact(PRC, US, 2, "meeting", "minister", "Ministerial meeting", ts(5), lang="zh")
    cases.append(
        Case(
            r,
            [
                reply(US, r, ts(2, 1), "receipt.read", READ),
                reply(US, r, ts(2, 2, 1), "contact.response", answer_body("accept", slot=1)),
            ],
            t(2, 0, 1),
            Expected(
                "were_asked",
                "meeting",
                "minister",
                "accepted",
                "accepted",
                read=True,
                answer="accept",
                answer_seconds=7200,
            ),
        )
    )
    r = contact(PRC, US, 3, "phone-call", "chief-of-defence", HOSTILE, ts(5))
    cases.append(
        Case(
            r,
            [
                reply(
                    US,
                    r,
                    ts(3, 4, 1),
                    "contact.response",
                    answer_body("decline", reason=f"Refused: {HOSTILE}\n| not | a table |"),
                )
            ],
            t(3, 0, 1),
            Expected(
                "were_asked",
                "phone-call",
                "chief-of-defence",
                "declined",
                "declined",
                answer="decline",
                answer_seconds=4 * 3600,
            ),
        )
    )
    r = contact(PRC, US, 4, "video-call", "commander", "Commanders' call", ts(6))
    cases.append(
        Case(
            r,
            [],
            t(4, 0, 1),
            Expected("were_asked", "video-call", "commander", "unanswered", "unanswered"),
        )
    )
    r = contact(PRC, US, 28, "dialogue", "working", "Defence policy talks", ts(45))
    cases.append(
        Case(
            r,
            [reply(US, r, ts(28, 1), "receipt.read", READ)],
            t(28, 0, 1),
            Expected("were_asked", "dialogue", "working", "read", "pending", read=True),
        )
    )
    # Another link entirely: never in this report.
    r = contact(RU, US, 5, "phone-call", "minister", "Another link", ts(6))
    cases.append(Case(r, [], t(5, 0, 1), None))
    return cases


CASES = build_cases()
VIEWS = [case.view() for case in CASES]
EXPECTED = {case.request.id: case.expected for case in CASES if case.expected is not None}


def report(
    views: Sequence[RequestView] = VIEWS,
    *,
    since: datetime | None = SINCE,
    until: datetime | None = UNTIL,
    now: datetime = NOW,
) -> Report:
    return build_report(
        views,
        party=US,
        counterpart=PRC,
        since=since,
        until=until,
        now=now,
        proven=PROVEN,
        verified=True,
        party_names=NAMES,
    )


REPORT = report()


def expected_counts(items: Iterable[Expected]) -> Counts:
    """An independent tally of the report's counts from the hand-written expectations."""
    items = list(items)
    answer_names = {
        "accept": "accepted",
        "decline": "declined",
        "counter": "countered",
        "defer": "deferred",
        "reply": "replied",
    }
    by_answer = Counter(answer_names[e.answer] for e in items if e.answer is not None)
    states = Counter(e.state for e in items)
    return Counts(
        requests=len(items),
        delivered=sum(e.delivered for e in items),
        delivered_after_deadline=sum(e.delivered_late for e in items),
        read=sum(e.read for e in items),
        answered=sum(e.answer is not None for e in items),
        accepted=by_answer["accepted"],
        declined=by_answer["declined"],
        countered=by_answer["countered"],
        deferred=by_answer["deferred"],
        replied=by_answer["replied"],
        answered_late=sum(e.answered_late for e in items),
        unanswered=states["unanswered"],
        overdue_deferred=states["overdue-deferred"],
        awaiting=sum(states[s] for s in ("proposed", "delivered", "read", "deferred")),
        scheduled=states["scheduled"],
        held=states["held"],
        cancelled=states["cancelled"],
        withdrawn=states["withdrawn"],
    )


def expectations(direction: str) -> list[Expected]:
    return [e for e in EXPECTED.values() if e.direction == direction]


# --- figures ----------------------------------------------------------------------------


def test_each_request_comes_to_its_expected_state_and_outcome() -> None:
    rows = {row.id: row for d in REPORT.directions for row in d.requests}
    assert set(rows) == set(EXPECTED)
    for request_id, expected in EXPECTED.items():
        row = rows[request_id]
        got = (row.format, row.level, row.state, row.outcome, row.answer, row.answered_late)
        want = (
            expected.format,
            expected.level,
            expected.state,
            expected.outcome,
            expected.answer,
            expected.answered_late,
        )
        assert got == want, row.label
        assert (row.delivered_at is not None) == expected.delivered, row.label
        assert (row.read_at is not None) == expected.read, row.label
        assert row.delivered_late == expected.delivered_late, row.label
        assert row.answer_seconds == expected.answer_seconds, row.label


@pytest.mark.parametrize("direction", ["asked", "were_asked"])
def test_totals_match_an_independent_tally(direction: str) -> None:
    figures = getattr(REPORT, direction).total
    assert figures.counts == expected_counts(expectations(direction))
    outcomes = Counter(e.outcome for e in expectations(direction))
    assert dict(figures.outcomes) == {o: outcomes[o] for o in OUTCOMES}
    assert sum(figures.outcomes.values()) == figures.counts.requests


@pytest.mark.parametrize("direction", ["asked", "were_asked"])
def test_counts_per_format_level_and_both_match_the_tally(direction: str) -> None:
    d = getattr(REPORT, direction)
    items = expectations(direction)
    for group in d.by_format:
        assert group.figures.counts == expected_counts(e for e in items if e.format == group.format)
    for group in d.by_level:
        assert group.figures.counts == expected_counts(e for e in items if e.level == group.level)
    for group in d.by_format_level:
        subset = [e for e in items if (e.format, e.level) == (group.format, group.level)]
        assert group.figures.counts == expected_counts(subset)
    assert {g.format for g in d.by_format} == {e.format for e in items}
    assert {g.level for g in d.by_level} == {e.level for e in items}
    assert {(g.format, g.level) for g in d.by_format_level} == {(e.format, e.level) for e in items}
    assert sum(g.figures.counts.requests for g in d.by_format) == len(items)


def test_the_asked_direction_has_every_outcome_and_the_numbers_written_out() -> None:
    counts = REPORT.asked.total.counts
    assert counts == Counts(
        requests=15, delivered=14, delivered_after_deadline=1, read=3, answered=9,
        accepted=3, declined=2, countered=1, deferred=2, replied=1, answered_late=2,
        unanswered=2, overdue_deferred=1, awaiting=4, scheduled=0, held=1, cancelled=1,
        withdrawn=1,
    )  # fmt: skip
    assert all(REPORT.asked.total.outcomes[o] >= 1 for o in OUTCOMES)


def test_order_of_groups_follows_the_catalogue() -> None:
    formats = [g.format for g in REPORT.asked.by_format]
    assert formats == ["phone-call", "video-call", "meeting", "dialogue", "explanation"]
    levels = [g.level for g in REPORT.asked.by_level]
    assert levels == ["minister", "chief-of-defence", "commander", "working", None]


def test_answer_times_are_nearest_rank_over_first_answers() -> None:
    seconds = sorted(
        e.answer_seconds for e in expectations("asked") if e.answer_seconds is not None
    )
    times = REPORT.asked.total.answer_times
    assert times.answered == len(seconds) == 9
    # n = 9: the median is rank ceil(4.5) = 5, p90 is rank ceil(8.1) = 9.
    assert times.median_seconds == seconds[4]
    assert times.p90_seconds == seconds[8]
    assert human_duration(seconds[0]) == "30 min"


@pytest.mark.parametrize(
    ("values", "median", "p90"),
    [
        ([5.0], 5.0, 5.0),
        ([1.0, 2.0], 1.0, 2.0),
        ([3.0, 1.0, 2.0], 2.0, 3.0),
        ([float(v) for v in range(1, 11)], 5.0, 9.0),
        ([float(v) for v in range(1, 12)], 6.0, 10.0),
        ([10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0, 90.0, 1000.0], 50.0, 90.0),
    ],
)
def test_nearest_rank_on_known_inputs(values: list[float], median: float, p90: float) -> None:
    assert nearest_rank(values, 50) == median
    assert nearest_rank(values, 90) == p90
    stats = answer_times(values)
    assert (stats.answered, stats.median_seconds, stats.p90_seconds) == (len(values), median, p90)


def test_nearest_rank_refuses_nothing_and_bad_percentiles() -> None:
    with pytest.raises(ValueError, match="no values"):
        nearest_rank([], 50)
    with pytest.raises(ValueError, match="not in"):
        nearest_rank([1.0], 0)
    assert answer_times([]).median_seconds is None


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0 s"),
        (42.9, "42 s"),
        (3 * 3600 + 12 * 60 + 5, "3 h 12 min"),
        (3 * 3600 + 5, "3 h"),
        (2 * 86400 + 4 * 3600, "2 d 4 h"),
        (5 * 60 + 3, "5 min 3 s"),
        (-90, "-1 min 30 s"),
        (None, "–"),
    ],
)
def test_human_duration(seconds: float | None, text: str) -> None:
    assert human_duration(seconds) == text


def test_period_is_signed_time_in_since_inclusive_until_exclusive() -> None:
    first = next(case for case in CASES if case.expected is not None)
    at_since = replace(first.view(), time=format_time(SINCE))
    at_until = replace(first.view(), id="f" * 64, time=format_time(UNTIL))
    just_before_until = replace(
        first.view(), id="e" * 64, time=format_time(UNTIL - timedelta(milliseconds=1))
    )
    built = report([at_since, at_until, just_before_until])
    assert [row.time for row in built.asked.requests] == [
        format_time(SINCE),
        format_time(UNTIL - timedelta(milliseconds=1)),
    ]


def test_open_bounds_count_every_request_of_the_link() -> None:
    unbounded = report(since=None, until=None)
    link_requests = [
        case for case in CASES if {case.request.sender, case.request.recipient} == {US, PRC}
    ]
    assert unbounded.asked.total.counts.requests + unbounded.were_asked.total.counts.requests == (
        len(link_requests)
    )
    assert unbounded.since is None
    assert unbounded.until is None


def test_narrow_period_keeps_only_its_requests() -> None:
    built = report(since=t(25), until=t(29))
    assert [r.subject for r in built.asked.requests] == [
        "Working-level video call",
        "Working group meeting",
    ]
    assert [r.subject for r in built.were_asked.requests] == ["Defence policy talks"]


def test_states_are_taken_at_now() -> None:
    # Before request 3's deadline it is still awaiting; at NOW it is unanswered.
    request_3 = next(c for c in CASES if c.request.body["subject"] == "Theatre commanders' call")
    early = report([request_3.view()], now=t(4))
    late = report([request_3.view()], now=NOW)
    assert early.asked.requests[0].state == "delivered"
    assert early.asked.total.counts.awaiting == 1
    assert late.asked.requests[0].state == "unanswered"
    assert late.asked.total.counts.unanswered == 1


def test_unverified_transcripts_are_refused() -> None:
    with pytest.raises(UnverifiedTranscriptError, match="openline verify"):
        build_report(
            VIEWS, party=US, counterpart=PRC, since=None, until=None, now=NOW, proven=PROVEN,
            verified=False,
        )  # fmt: skip


@pytest.mark.parametrize(
    ("since", "until", "now"),
    [
        (UNTIL, SINCE, NOW),
        (SINCE, SINCE, NOW),
        (datetime(2026, 3, 1), None, NOW),
        (None, None, datetime(2026, 4, 1)),
    ],
)
def test_bad_periods_are_refused(
    since: datetime | None, until: datetime | None, now: datetime
) -> None:
    with pytest.raises(ReportError):
        report(since=since, until=until, now=now)


def test_party_and_counterpart_must_differ() -> None:
    with pytest.raises(ReportError, match="both"):
        build_report(
            VIEWS, party=US, counterpart=US, since=None, until=None, now=NOW, proven=(),
            verified=True,
        )  # fmt: skip


def test_decline_language_comes_from_the_decline_step() -> None:
    declined = next(c for c in CASES if c.request.body["subject"].startswith("Meeting at the"))
    view = declined.view()
    steps = tuple(
        replace(s, detail={**s.detail, "lang": "zh"}) if s.event == "decline" else s
        for s in view.history
    )
    row = report([replace(view, history=steps)]).asked.declines[0]
    assert (row.reason, row.reason_lang, row.conditions) == (
        ZH_REASON,
        "zh",
        ("解除制裁", "停止抵近侦察"),
    )


def test_synthetic_view_from_new_view_counts_as_undelivered() -> None:
    request = CASES[0].request
    built = report([new_view(request)])
    assert built.asked.total.outcomes["undelivered"] == 1
    assert built.asked.total.counts.awaiting == 1


# --- renderers --------------------------------------------------------------------------


def test_markdown_shows_the_figures_tables_and_quoted_reasons() -> None:
    text = render_markdown(REPORT)
    assert "# Accountability report" in text
    assert "What we asked: U.S. Department of Defense (us-dod)" in text
    assert "What we were asked: 中华人民共和国国防部 (prc-mnd)" in text
    assert "| Unanswered (deadline passed) | 2 |" in text
    assert "| Requests | 15 |" in text
    assert "| Requests | 4 |" in text
    assert f"> {ZH_REASON}" in text
    assert "- 解除制裁" in text
    assert "3 h 12 min" in text
    assert "2026\\-" not in text  # times in cells are not over-escaped
    assert "us-dod→prc-mnd" in text
    assert "| 2026-03-31T23:00:00.000Z | 40 |" in text
    assert "nearest-rank" in text
    for definition in COUNT_DEFINITIONS.values():
        assert md_escape(definition) in text
    assert "openline verify accepted" in text


def test_markdown_escapes_hostile_text() -> None:
    text = render_markdown(REPORT)
    assert not re.search(r"(?<!\\)<", text)  # every < is escaped: no raw HTML at all
    assert "\\<script\\>" in text
    assert "\\| not \\| a table \\|" in text  # a pipe cannot break out of a table cell
    assert md_escape("# heading") == "\\# heading"
    assert md_escape("- item") == "\\- item"
    assert md_escape("1. item") == "1\\. item"
    assert md_escape("a\nb") == "a b"


def test_json_is_one_document_with_every_figure() -> None:
    data = json.loads(render_json(REPORT))
    assert data["verified"] is True
    assert data["period"] == {"since": format_time(SINCE), "until": format_time(UNTIL)}
    assert data["generated_at"] == format_time(NOW)
    assert data["proven"] == [{"log": p.log, "size": p.size, "time": p.time} for p in PROVEN]
    assert set(data["definitions"]["counts"]) == set(COUNT_DEFINITIONS)
    for direction in REPORT.directions:
        got = data["directions"][direction.name]
        assert got["total"]["counts"] == direction.total.counts.to_dict()
        assert got["total"]["outcomes"] == dict(direction.total.outcomes)
        times = direction.total.answer_times
        assert got["total"]["answer_times"]["median_seconds"] == times.median_seconds
        assert got["total"]["answer_times"]["p90_seconds"] == times.p90_seconds
        assert [g["counts"] for g in got["by_format"]] == [
            g.figures.counts.to_dict() for g in direction.by_format
        ]
        assert [(g["format"], g["level"]) for g in got["by_format_level"]] == [
            (g.format, g.level) for g in direction.by_format_level
        ]
        assert [g["level"] for g in got["by_level"]] == [g.level for g in direction.by_level]
        rows = got["requests"]
        assert [r["id"] for r in rows] == [r.id for r in direction.requests]
    row = next(r for r in data["directions"]["were_asked"]["requests"] if r["subject"] == HOSTILE)
    assert set(row) >= {"id", "format", "level", "subject", "state", "time", "answered_at"}
    assert row["state"] == "declined"
    assert row["answer_seconds"] == 4 * 3600


def test_json_round_trips_its_numbers() -> None:
    text = render_json(REPORT)
    data = json.loads(text)
    assert json.loads(json.dumps(data, ensure_ascii=False, indent=2)) == data
    assert json.dumps(data, ensure_ascii=False, indent=2) + "\n" == text
    counts = Counts(**data["directions"]["asked"]["total"]["counts"])
    assert counts == REPORT.asked.total.counts


def test_html_is_self_contained_and_shows_the_figures() -> None:
    page = render_html(REPORT)
    assert page.startswith("<!DOCTYPE html>")
    assert page.count("<svg") == 4  # a timeline and an outcome chart per direction
    assert "<style>" in page
    without_namespaces = page.replace('xmlns="http://www.w3.org/2000/svg"', "").replace(
        'xmlns:xlink="http://www.w3.org/1999/xlink"', ""
    )
    assert "http://" not in without_namespaces
    assert "https://" not in without_namespaces
    assert not re.search(r"<(link|script|img|iframe)\b", page)
    assert "<?xml" not in page
    assert "<!DOCTYPE svg" not in page
    assert '<td class="num">15</td>' in page
    # The decline's language comes from its step in the fold, so the quote is marked zh.
    assert f'<blockquote dir="auto" lang="zh">{ZH_REASON}</blockquote>' in page
    assert "3 h 12 min" in page
    assert "Timeline: us-dod asked prc-mnd" in page
    assert "Outcomes: prc-mnd asked us-dod" in page


def test_html_escapes_hostile_text() -> None:
    page = render_html(REPORT)
    assert "<script" not in page
    assert "<img" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;img" in page


def test_html_ids_are_unique_across_inlined_charts() -> None:
    page = render_html(REPORT)
    ids = re.findall(r'\sid="([^"]+)"', page)
    assert len(ids) == len(set(ids))
    for target in re.findall(r'(?:href="#|url\(#)([^")]+)', page):
        assert target in ids


def test_charts_are_deterministic_and_labelled() -> None:
    for direction in REPORT.directions:
        first = timeline_svg(REPORT, direction)
        assert first == timeline_svg(
            report(), report().asked if direction.name == "asked" else report().were_asked
        )
        assert outcomes_svg(REPORT, direction) == outcomes_svg(REPORT, direction)
        assert "time (UTC)" in first
        assert "no answer by deadline" in first
        assert "report time" in first
    assert render_html(REPORT) == render_html(report())


def test_chart_text_holds_no_free_text() -> None:
    svg = timeline_svg(REPORT, REPORT.were_asked)
    assert HOSTILE not in svg
    assert "script" not in svg
    hostile_row = next(row for row in REPORT.were_asked.requests if row.subject == HOSTILE)
    assert f">{hostile_row.label}</text>" in svg


def test_empty_report_renders_and_says_so() -> None:
    empty = report([])
    assert empty.is_empty
    assert empty.asked.total.counts == Counts()
    assert empty.asked.total.answer_times.median_seconds is None
    text = render_markdown(empty)
    assert "No requests in this period, in either direction." in text
    assert text.count("No requests in this period.") == 2
    data = json.loads(render_json(empty))
    assert data["empty"] is True
    assert data["directions"]["asked"]["requests"] == []
    page = render_html(empty)
    assert "No requests in this period" in page
    assert "<svg" not in page
