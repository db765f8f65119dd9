"""Tests for openline.core.hotline: the fold of messages and acknowledgements."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone

import pytest

from openline.core.entry import Entry, sign_entry
from openline.core.hotline import MessageView, fold_hotline, message_view
from openline.core.keys import PrivateKey
from openline.core.obligations import DeliveryTimes
from openline.core.precedence import DEFAULT_ACK_OBJECTIVES, Precedence
from openline.core.timefmt import format_time

US, PRC = "us-dod", "prc-mnd"
KEYS = {US: PrivateKey.from_seed(bytes([1]) * 32), PRC: PrivateKey.from_seed(bytes([2]) * 32)}
T0 = datetime(2026, 11, 29, 1, 0, tzinfo=UTC)

CUSTOM: Mapping[Precedence, timedelta] = {
    Precedence.FLASH: timedelta(minutes=3),
    Precedence.IMMEDIATE: timedelta(minutes=15),
    Precedence.PRIORITY: timedelta(hours=1),
    Precedence.ROUTINE: timedelta(days=1),
}


def at(minutes: float) -> str:
    return format_time(T0 + timedelta(minutes=minutes))


def send(
    sender: str, seq: int, minutes: float, precedence: str = "flash", text: str = "msg"
) -> Entry:
    return sign_entry(
        sender=sender,
        recipient=PRC if sender == US else US,
        seq=seq,
        time=at(minutes),
        kind="hotline.message",
        body={"text": text, "lang": "en", "precedence": precedence},
        refs=(),
        key=KEYS[sender],
    )


def acknowledge(
    sender: str, seq: int, minutes: float, message: Entry | str, officer: str = "Lt. Chen"
) -> Entry:
    ref = message if isinstance(message, str) else message.id
    return sign_entry(
        sender=sender,
        recipient=PRC if sender == US else US,
        seq=seq,
        time=at(minutes),
        kind="hotline.ack",
        body={"officer": officer},
        refs=(ref,),
        key=KEYS[sender],
    )


# A transcript with traffic both ways.
US_FLASH = send(US, 0, 0, "flash", "Unsafe intercept reported")  # us-dod log seq 0
US_ROUTINE = send(US, 1, 1, "routine", "Weekly desk check")  # us-dod log seq 1
PRC_PRIORITY = send(PRC, 0, 2, "priority", "请确认")  # prc-mnd log seq 0
PRC_ACKS_FLASH = acknowledge(PRC, 1, 5, US_FLASH, "Col. Wang")  # the first ack
PRC_ACKS_FLASH_AGAIN = acknowledge(PRC, 2, 6, US_FLASH, "Maj. Li")  # a later one
US_ACKS_PRIORITY = acknowledge(US, 2, 200, PRC_PRIORITY, "Lt. Smith")  # after its deadline
TRANSCRIPT = [
    US_FLASH,
    US_ROUTINE,
    US_ACKS_PRIORITY,
    PRC_PRIORITY,
    PRC_ACKS_FLASH,
    PRC_ACKS_FLASH_AGAIN,
]


def stamp(minutes: float) -> int:
    return int((T0 + timedelta(minutes=minutes)).timestamp())


# Each message delivered (first receipt covering it) the minute it was sent.
DELIVERED = {
    (US, PRC): DeliveryTimes([(1, stamp(0)), (2, stamp(1)), (3, stamp(200))]),
    (PRC, US): DeliveryTimes([(1, stamp(2)), (3, stamp(6))]),
}


def ack_due(time: str, precedence: str, objectives: Mapping[Precedence, timedelta]) -> str | None:
    """The due time of a message delivered at ``time``."""
    message = sign_entry(
        sender=US,
        recipient=PRC,
        seq=0,
        time=time,
        kind="hotline.message",
        body={"text": "x", "lang": "en", "precedence": str(precedence)},
        refs=(),
        key=KEYS[US],
    )
    moment = datetime.fromisoformat(time.replace("Z", "+00:00"))
    return message_view(message, objectives, moment).ack_due


# --- fold_hotline ----------------------------------------------------------------------------


def test_fold_lists_every_message_in_both_directions() -> None:
    views = fold_hotline(TRANSCRIPT, DEFAULT_ACK_OBJECTIVES, DELIVERED)
    assert set(views) == {US_FLASH.id, US_ROUTINE.id, PRC_PRIORITY.id}
    flash = views[US_FLASH.id]
    assert (flash.sender, flash.recipient, flash.seq) == (US, PRC, 0)
    assert (flash.precedence, flash.lang, flash.text) == (
        "flash",
        "en",
        "Unsafe intercept reported",
    )
    assert flash.time == at(0)
    assert views[PRC_PRIORITY.id].sender == PRC
    assert views[PRC_PRIORITY.id].text == "请确认"


def test_ack_discharges_the_message_it_refs() -> None:
    views = fold_hotline(TRANSCRIPT, DEFAULT_ACK_OBJECTIVES, DELIVERED)
    priority = views[PRC_PRIORITY.id]
    assert priority.ack_id == US_ACKS_PRIORITY.id
    assert priority.ack_time == at(200)
    assert priority.ack_officer == "Lt. Smith"
    routine = views[US_ROUTINE.id]
    assert (routine.ack_id, routine.ack_time, routine.ack_officer) == (None, None, None)


def test_first_ack_wins() -> None:
    views = fold_hotline(TRANSCRIPT, DEFAULT_ACK_OBJECTIVES, DELIVERED)
    flash = views[US_FLASH.id]
    assert flash.ack_id == PRC_ACKS_FLASH.id
    assert flash.ack_time == at(5)
    assert flash.ack_officer == "Col. Wang"


@pytest.mark.parametrize(
    "order",
    [
        pytest.param(TRANSCRIPT, id="log-order"),
        pytest.param(list(reversed(TRANSCRIPT)), id="reversed"),
        pytest.param(
            [
                PRC_ACKS_FLASH_AGAIN,
                US_ACKS_PRIORITY,
                PRC_ACKS_FLASH,
                PRC_PRIORITY,
                US_ROUTINE,
                US_FLASH,
            ],
            id="acks-first-later-ack-first",
        ),
    ],
)
def test_fold_does_not_depend_on_iteration_order(order: list[Entry]) -> None:
    assert fold_hotline(order, DEFAULT_ACK_OBJECTIVES, DELIVERED) == fold_hotline(
        TRANSCRIPT, DEFAULT_ACK_OBJECTIVES, DELIVERED
    )
    views = fold_hotline(order, DEFAULT_ACK_OBJECTIVES, DELIVERED)
    assert views[US_FLASH.id].ack_id == PRC_ACKS_FLASH.id  # ack before message still applies
    assert views[PRC_PRIORITY.id].ack_id == US_ACKS_PRIORITY.id


def test_fold_accepts_any_iterable() -> None:
    views = fold_hotline(iter(TRANSCRIPT), DEFAULT_ACK_OBJECTIVES)
    assert views[US_FLASH.id].ack_id == PRC_ACKS_FLASH.id


def test_ack_of_an_unknown_message_is_ignored() -> None:
    stray = acknowledge(PRC, 1, 5, "ab" * 32)
    views = fold_hotline([US_FLASH, stray], DEFAULT_ACK_OBJECTIVES, DELIVERED)
    assert set(views) == {US_FLASH.id}
    assert views[US_FLASH.id].ack_id is None


def test_only_the_recipient_can_acknowledge() -> None:
    # The sender "acknowledging" its own message does not discharge the recipient's duty.
    self_ack = acknowledge(US, 1, 1, US_FLASH)
    views = fold_hotline([US_FLASH, self_ack], DEFAULT_ACK_OBJECTIVES, DELIVERED)
    assert views[US_FLASH.id].ack_id is None
    # ... and does not shadow the recipient's real ack either.
    views = fold_hotline([US_FLASH, self_ack, PRC_ACKS_FLASH], DEFAULT_ACK_OBJECTIVES, DELIVERED)
    assert views[US_FLASH.id].ack_id == PRC_ACKS_FLASH.id


def test_fold_of_nothing_is_empty() -> None:
    assert fold_hotline([], DEFAULT_ACK_OBJECTIVES, DELIVERED) == {}


def test_fold_uses_the_objectives_it_is_given() -> None:
    views = fold_hotline(TRANSCRIPT, CUSTOM, DELIVERED)
    assert views[US_FLASH.id].ack_due == at(3)
    assert views[US_ROUTINE.id].ack_due == at(1 + 24 * 60)
    assert views[PRC_PRIORITY.id].ack_due == at(2 + 60)


# --- ack_due ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("precedence", "default_minutes", "custom_minutes"),
    [
        ("flash", 10, 3),
        ("immediate", 30, 15),
        ("priority", 3 * 60, 60),
        ("routine", 6 * 60, 24 * 60),
    ],
)
def test_ack_due_follows_precedence(
    precedence: str, default_minutes: int, custom_minutes: int
) -> None:
    assert ack_due(at(0), precedence, DEFAULT_ACK_OBJECTIVES) == at(default_minutes)
    assert ack_due(at(0), precedence, CUSTOM) == at(custom_minutes)
    assert ack_due(at(0), Precedence(precedence), CUSTOM) == at(custom_minutes)


def test_default_objectives_shrink_with_precedence() -> None:
    ordered = [DEFAULT_ACK_OBJECTIVES[p] for p in Precedence]
    assert ordered == sorted(ordered)
    assert set(DEFAULT_ACK_OBJECTIVES) == set(Precedence)


def test_ack_due_keeps_milliseconds_and_crosses_days() -> None:
    assert ack_due("2026-12-31T23:55:00.999Z", "flash", DEFAULT_ACK_OBJECTIVES) == (
        "2027-01-01T00:05:00.999Z"
    )


def test_objective_runs_from_delivery_not_from_signing() -> None:
    delivered_later = {(US, PRC): DeliveryTimes([(1, stamp(45))])}
    view = fold_hotline([US_FLASH], DEFAULT_ACK_OBJECTIVES, delivered_later)[US_FLASH.id]
    assert view.delivered_at == at(45)
    assert view.ack_due == at(55)
    assert not view.is_overdue(T0 + timedelta(minutes=50))


def test_undelivered_message_has_no_deadline_and_is_never_overdue() -> None:
    view = fold_hotline([US_FLASH], DEFAULT_ACK_OBJECTIVES)[US_FLASH.id]
    assert view.delivered_at is None
    assert view.ack_due is None
    assert not view.is_overdue(T0 + timedelta(days=30))


def test_message_view_of_one_entry() -> None:
    view = message_view(US_ROUTINE, CUSTOM, T0 + timedelta(minutes=1))
    assert view == MessageView(
        id=US_ROUTINE.id,
        sender=US,
        recipient=PRC,
        seq=1,
        time=at(1),
        precedence="routine",
        lang="en",
        text="Weekly desk check",
        delivered_at=at(1),
        ack_due=at(1 + 24 * 60),
    )


# --- is_overdue ------------------------------------------------------------------------------


def test_unacknowledged_message_is_overdue_only_after_its_deadline() -> None:
    view = fold_hotline(TRANSCRIPT, DEFAULT_ACK_OBJECTIVES, DELIVERED)[US_ROUTINE.id]  # due at(361)
    assert not view.is_overdue(T0)
    assert not view.is_overdue(T0 + timedelta(minutes=360))
    assert not view.is_overdue(T0 + timedelta(minutes=361))  # exactly at the deadline
    assert view.is_overdue(T0 + timedelta(minutes=361, milliseconds=1))
    assert view.is_overdue(T0 + timedelta(days=30))


def test_acknowledged_message_is_never_overdue() -> None:
    views = fold_hotline(TRANSCRIPT, DEFAULT_ACK_OBJECTIVES, DELIVERED)
    late = views[PRC_PRIORITY.id]  # acked at 200 min, due at 182 min: late but acked
    assert late.ack_due == at(182)
    assert not late.is_overdue(T0 + timedelta(days=30))
    assert not views[US_FLASH.id].is_overdue(T0 + timedelta(days=30))


def test_same_message_is_overdue_sooner_with_tighter_objectives() -> None:
    now = T0 + timedelta(minutes=5)
    assert not fold_hotline([US_FLASH], DEFAULT_ACK_OBJECTIVES, DELIVERED)[US_FLASH.id].is_overdue(
        now
    )
    assert fold_hotline([US_FLASH], CUSTOM, DELIVERED)[US_FLASH.id].is_overdue(now)


def test_is_overdue_reads_now_in_any_timezone() -> None:
    view = fold_hotline([US_FLASH], DEFAULT_ACK_OBJECTIVES, DELIVERED)[US_FLASH.id]  # due 01:10Z
    beijing = timezone(timedelta(hours=8))
    assert not view.is_overdue(datetime(2026, 11, 29, 9, 9, tzinfo=beijing))
    assert view.is_overdue(datetime(2026, 11, 29, 9, 11, tzinfo=beijing))
