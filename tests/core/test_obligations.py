"""Tests for openline.core.obligations: delivery times from receipts, deadlines and answers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openline.core.entry import Entry, sign_entry
from openline.core.keys import PrivateKey
from openline.core.kinds import KINDS, kinds_of_fold
from openline.core.obligations import (
    ANSWERED_BY,
    PROVABLE_DEADLINES,
    DeliveryTimes,
    deadline,
    expects_answer,
    is_answer_to,
)
from openline.core.precedence import DEFAULT_ACK_OBJECTIVES, Precedence
from openline.core.timefmt import format_time, parse_time

Obj = dict[str, Any]

US, PRC, THIRD = "us-dod", "prc-mnd", "ru-mod"
KEYS = {
    US: PrivateKey.from_seed(bytes([1]) * 32),
    PRC: PrivateKey.from_seed(bytes([2]) * 32),
    THIRD: PrivateKey.from_seed(bytes([3]) * 32),
}
T0 = datetime(2026, 11, 29, 1, 0, tzinfo=UTC)
STAMP0 = int(T0.timestamp())


def at(hours: float) -> str:
    return format_time(T0 + timedelta(hours=hours))


# --- DeliveryTimes ---------------------------------------------------------------------------


def brute_force(receipts: Sequence[tuple[int, int]], seq: int) -> int | None:
    """The earliest receipt whose size covers ``seq`` (a cosignature of size n covers 0..n-1)."""
    covering = [stamp for size, stamp in receipts if size > seq]
    return min(covering, default=None)


def test_entry_is_delivered_by_the_first_receipt_covering_it() -> None:
    times = DeliveryTimes([(1, 100), (3, 200), (4, 300)])
    assert [times.timestamp(seq) for seq in range(5)] == [100, 200, 200, 300, None]
    assert times.delivered_size == 4


def test_later_cosignature_of_a_smaller_size_does_not_move_delivery() -> None:
    # Size 5 was cosigned at 100; the same node re-cosigned size 2 at 500 (a resent batch):
    # entries 0..4 were all delivered at 100.
    times = DeliveryTimes([(5, 100), (2, 500)])
    assert [times.timestamp(seq) for seq in range(5)] == [100] * 5
    assert times.delivered_size == 5


def test_earlier_cosignature_of_a_larger_size_wins() -> None:
    times = DeliveryTimes([(2, 500), (6, 300), (2, 400)])
    assert [times.timestamp(seq) for seq in range(6)] == [300] * 6


def test_receipts_may_come_in_any_order() -> None:
    receipts = [(4, 300), (1, 100), (3, 200), (3, 250), (1, 150)]
    assert all(
        DeliveryTimes(order).timestamp(seq) == DeliveryTimes(sorted(receipts)).timestamp(seq)
        for order in (receipts, list(reversed(receipts)))
        for seq in range(5)
    )
    assert DeliveryTimes(receipts).timestamp(0) == 100
    assert DeliveryTimes(receipts).timestamp(2) == 200


def test_size_zero_receipts_cover_nothing() -> None:
    times = DeliveryTimes([(0, 1), (0, 2)])
    assert times.timestamp(0) is None
    assert times.of(0) is None
    assert times.delivered_size == 0
    assert DeliveryTimes([(0, 1), (1, 50)]).timestamp(0) == 50


def test_nothing_covers_an_entry_past_the_last_receipt() -> None:
    assert DeliveryTimes([]).timestamp(0) is None
    assert DeliveryTimes([]).delivered_size == 0
    assert DeliveryTimes([(3, 10)]).timestamp(3) is None
    assert DeliveryTimes([(3, 10)]).of(100) is None


def test_of_is_an_aware_utc_datetime() -> None:
    times = DeliveryTimes([(1, STAMP0)])
    assert times.of(0) == T0
    moment = times.of(0)
    assert moment is not None
    assert moment.utcoffset() == timedelta(0)


@settings(max_examples=150, deadline=None)
@given(
    receipts=st.lists(
        st.tuples(st.integers(0, 12), st.integers(STAMP0, STAMP0 + 10_000)), max_size=12
    ),
    seqs=st.lists(st.integers(0, 14), min_size=1, max_size=6),
    data=st.data(),
)
def test_delivery_times_match_brute_force(
    receipts: list[tuple[int, int]], seqs: list[int], data: st.DataObject
) -> None:
    shuffled = data.draw(st.permutations(receipts))
    times = DeliveryTimes(shuffled)
    assert times.delivered_size == max((size for size, _ in receipts), default=0)
    for seq in seqs:
        expected = brute_force(receipts, seq)
        assert times.timestamp(seq) == expected
        assert times.of(seq) == (
            None if expected is None else datetime.fromtimestamp(expected, UTC)
        )


@settings(max_examples=80, deadline=None)
@given(
    receipts=st.lists(
        st.tuples(st.integers(1, 12), st.integers(STAMP0, STAMP0 + 10_000)), max_size=12
    )
)
def test_delivery_never_gets_later_along_the_log(receipts: list[tuple[int, int]]) -> None:
    """Entry k+1 cannot have been delivered before entry k: a receipt covers a prefix."""
    times = DeliveryTimes(receipts)
    stamps = [times.timestamp(seq) for seq in range(times.delivered_size)]
    assert None not in stamps
    assert stamps == sorted(stamps, key=lambda stamp: stamp or 0)


# --- entries ---------------------------------------------------------------------------------


def sign(
    sender: str,
    kind: str,
    body: Obj,
    hours: float,
    refs: Sequence[Entry] = (),
    recipient: str | None = None,
    seq: int = 0,
) -> Entry:
    return sign_entry(
        sender=sender,
        recipient=recipient or (PRC if sender == US else US),
        seq=seq,
        time=at(hours),
        kind=kind,
        body=body,
        refs=[ref.id for ref in refs],
        key=KEYS[sender],
    )


CONTACT = sign(
    US,
    "contact.request",
    {
        "format": "video-call",
        "level": "working",
        "from_official": {"name": "A", "title": "Desk officer"},
        "to_official": {"name": "B", "title": "Desk officer"},
        "subject": "Desk check",
        "slots": [{"start": at(30), "end": at(31)}],
        "respond_by": at(24),
        "precedence": "routine",
        "lang": "en",
        "officer": "Lt. Smith",
    },
    0,
)
EXPLAIN = sign(
    US,
    "explain.request",
    {
        "subject": "Launch",
        "text": "Explain the launch.",
        "reply_within_hours": 48,
        "precedence": "priority",
        "lang": "en",
        "officer": "Lt. Smith",
    },
    0,
    seq=1,
)
MESSAGE = sign(
    US, "hotline.message", {"text": "t", "lang": "en", "precedence": "priority"}, 0, seq=2
)
ACCEPT: Obj = {"answer": "accept", "slot": 1, "officer": "Col. Wang", "lang": "zh"}
EXPLANATION: Obj = {"text": "Training.", "lang": "en", "officer": "Col. Wang"}
ACK: Obj = {"officer": "Col. Wang"}

# --- deadline --------------------------------------------------------------------------------


def test_contact_request_is_due_at_its_respond_by_delivered_or_not() -> None:
    assert deadline(CONTACT, None) == parse_time(CONTACT.body["respond_by"])
    assert deadline(CONTACT, T0 + timedelta(hours=30)) == T0 + timedelta(hours=24)


def test_explain_request_is_due_its_window_after_delivery() -> None:
    delivered = T0 + timedelta(hours=5, seconds=7)
    assert deadline(EXPLAIN, delivered) == delivered + timedelta(hours=48)


def test_undelivered_explain_request_has_no_deadline_yet() -> None:
    assert deadline(EXPLAIN, None) is None


@pytest.mark.parametrize("precedence", list(Precedence))
def test_hotline_message_is_due_its_precedences_objective_after_delivery(
    precedence: Precedence,
) -> None:
    message = sign(
        US, "hotline.message", {"text": "t", "lang": "en", "precedence": precedence.value}, 0
    )
    delivered = T0 + timedelta(minutes=3)
    objectives = {p: timedelta(minutes=7 * (index + 1)) for index, p in enumerate(Precedence)}
    assert deadline(message, delivered, objectives) == delivered + objectives[precedence]
    assert deadline(message, delivered, DEFAULT_ACK_OBJECTIVES) == (
        delivered + DEFAULT_ACK_OBJECTIVES[precedence]
    )
    assert deadline(message, None, objectives) is None


def test_hotline_message_deadline_needs_the_objectives() -> None:
    with pytest.raises(ValueError, match="objectives"):
        deadline(MESSAGE, T0)
    with pytest.raises(ValueError, match="objectives"):
        deadline(MESSAGE, None)


@pytest.mark.parametrize(
    "entry",
    [
        sign(PRC, "contact.response", ACCEPT, 1, [CONTACT]),
        sign(PRC, "hotline.ack", ACK, 1, [MESSAGE]),
        sign(PRC, "receipt.read", ACK, 1, [CONTACT]),
    ],
    ids=lambda entry: entry.kind,
)
def test_entries_that_expect_no_answer_have_no_deadline(entry: Entry) -> None:
    assert not expects_answer(entry)
    with pytest.raises(ValueError, match=entry.kind):
        deadline(entry, T0, DEFAULT_ACK_OBJECTIVES)


def test_every_request_kind_expects_an_answer() -> None:
    assert all(expects_answer(entry) for entry in (CONTACT, EXPLAIN, MESSAGE))


def test_answering_kinds_agree_with_the_kind_table() -> None:
    for requested, answering in ANSWERED_BY.items():
        assert requested in KINDS
        for kind in answering:
            assert requested in KINDS[kind].answers
            assert KINDS[kind].ref_scope == "received"  # one answers only what one received


def test_only_signed_data_deadlines_are_provable() -> None:
    assert set(ANSWERED_BY) >= PROVABLE_DEADLINES
    assert "hotline.message" not in PROVABLE_DEADLINES  # objectives are node configuration
    assert {
        "contact.request",
        "explain.request",
        "notify.activity",  # ack_within_minutes is in the signed body
        "notify.incident",
        "desk.check",  # answer_within_seconds is in the signed body
    } == PROVABLE_DEADLINES


# --- is_answer_to ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "asked"),
    [
        (sign(PRC, "contact.response", ACCEPT, 1, [CONTACT]), CONTACT),
        (sign(PRC, "contact.response", ACCEPT, 0, [CONTACT]), CONTACT),  # same instant
        (sign(PRC, "explain.response", EXPLANATION, 49, [EXPLAIN]), EXPLAIN),  # late is still
        (sign(PRC, "hotline.ack", ACK, 0.1, [MESSAGE]), MESSAGE),
    ],
    ids=["response", "same-instant", "late-explanation", "ack"],
)
def test_answer_by_the_counterpart_answers(answer: Entry, asked: Entry) -> None:
    assert is_answer_to(answer, asked)


@pytest.mark.parametrize(
    ("answer", "asked"),
    [
        # wrong kind: reading is not answering, an update is not an answer, crossed kinds
        (sign(PRC, "receipt.read", ACK, 1, [CONTACT]), CONTACT),
        (
            sign(
                PRC,
                "contact.update",
                {"status": "cancelled", "reason": "r", "officer": "o", "lang": "en"},
                1,
                [CONTACT],
            ),
            CONTACT,
        ),
        (sign(PRC, "explain.response", EXPLANATION, 1, [CONTACT]), CONTACT),
        (sign(PRC, "contact.response", ACCEPT, 1, [EXPLAIN]), EXPLAIN),
        (sign(PRC, "hotline.ack", ACK, 1, [CONTACT]), CONTACT),
        # wrong author: the requester answering its own request
        (sign(US, "contact.response", ACCEPT, 1, [CONTACT], seq=5), CONTACT),
        (sign(US, "explain.response", EXPLANATION, 1, [EXPLAIN], seq=5), EXPLAIN),
        # wrong direction: the counterpart "answering" to a third party
        (sign(PRC, "contact.response", ACCEPT, 1, [CONTACT], recipient=THIRD), CONTACT),
        # a third party answering
        (sign(THIRD, "contact.response", ACCEPT, 1, [CONTACT], recipient=US), CONTACT),
        # dated before the request
        (sign(PRC, "contact.response", ACCEPT, -0.0001, [CONTACT]), CONTACT),
        # refs something else
        (sign(PRC, "contact.response", ACCEPT, 1, [EXPLAIN]), CONTACT),
        # the request itself
        (CONTACT, CONTACT),
    ],
    ids=[
        "read",
        "update",
        "explanation-of-contact",
        "response-to-explain",
        "ack-of-contact",
        "requester-response",
        "requester-explanation",
        "to-a-third-party",
        "by-a-third-party",
        "dated-before",
        "refs-another",
        "itself",
    ],
)
def test_non_answers(answer: Entry, asked: Entry) -> None:
    assert not is_answer_to(answer, asked)


def test_every_obligation_is_tracked_by_exactly_one_fold() -> None:
    folds = [kinds_of_fold(fold) for fold in ("message", "request", "notice")]
    assert all(folds), "every fold tracks some kind"
    assert sum(len(kinds) for kinds in folds) == len(ANSWERED_BY)
    assert frozenset().union(*folds) == frozenset(ANSWERED_BY)
